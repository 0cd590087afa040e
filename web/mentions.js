/*
 * parley web client: mentions and desktop notifications (UI).
 *
 * @names in messages drawn as highlighted spans (found by the server's rule, in
 * messages_data.js), the unread mention counts of the sidebar as live messages come,
 * desktop notifications as each channel's notification level says (notify.js), and the
 * @-autocomplete list of both composers (the main one and the thread's). The open
 * @-list is messages.js's ctx.suggest, so its Escape handling sees it.
 *
 * Text from the network goes into the page only through textContent.
 */
import { el, avatar, placeAbove } from "./dom.js";
import { render as renderFormatted } from "./format.js";
import * as channels from "./channels_data.js";
import * as msgs from "./messages_data.js";
import * as people from "./people.js";
import { page } from "./page.js";
import * as list from "./list.js";
import { renderList, title, toast } from "./channels.js";
import * as threads from "./threads.js";
import { ui, ctx } from "./messages.js";
import { wantsDesktop } from "./notify.js";

const NOTIFY_BODY = 200;          // characters of a message in a desktop notification

// Text with its @mentions as highlighted spans, formatted (format.js: links, bold, code...).
export function renderText(parent, text, names) {
  const me = people.user();
  renderFormatted(parent, text, { mentions: names, isMe: (name) => name === me || msgs.EVERYONE.includes(name) });
}

// The `mentions` frame of older servers: unread mention counts by channel.
export function onMentions(p) {
  const counts = p.channels && typeof p.channels === "object" ? p.channels : {};
  const cur = page.view;
  for (const name of Object.keys(counts)) {
    const v = channels.has(name) ? channels.get(name) : null;
    const n = counts[name];
    if (!v || !Number.isInteger(n) || n < 0) continue;
    v.mentions = v === cur && !document.hidden ? 0 : n; // the shown channel is being read
  }
  renderList();
}

// Every live `msg` (app.js's onMsg), before it is added: one new to this page that
// mentions the user counts in the sidebar unless its channel is being read; whether it is
// a desktop notification is the channel's notification level's (notify.js).
export function live(v, p) {
  if (!Number.isInteger(p.seq) || typeof p.text !== "string" || p.user === people.user()) return;
  if (v.messages.has(p.seq) || v.mx.extra.has(p.seq)) return;
  if (p.seq <= (v.info.lastSeq || 0)) return; // a resumed one: the server's count has it
  const mentioned = msgs.mentionsMe(Array.isArray(p.mentions) ? p.mentions : []);
  const shown = v === page.view;
  if (mentioned && (!shown || document.hidden)) {
    v.mentions = (v.mentions || 0) + 1;
    renderList();
  }
  if (wantsDesktop(v, mentioned, shown)) notify(v, p);
}

function notify(v, p) {
  const N = window.Notification;
  if (!N || N.permission !== "granted") return;
  const heading = v.info.kind === "dm" ? p.user : p.user + " in " + title(v);
  const body = Array.from(p.text).slice(0, NOTIFY_BODY).join("");
  try {
    const n = new N(heading, { body, tag: "parley-" + v.name + "-" + p.seq });
    n.onclick = () => {
      window.focus();
      list.showChannel(v.name);
      if (Number.isInteger(p.thread)) threads.openThread(v, p.thread);
      if (n.close) n.close();
    };
  } catch (e) { /* some mobile browsers only notify from a service worker */ }
}

export function renderNotify() {
  const N = window.Notification;
  ui.notify.hidden = !N || N.permission !== "default";
}

export function enableNotify() {
  const N = window.Notification;
  if (!N || !N.requestPermission) return;
  const done = (answer) => {
    renderNotify();
    if (answer === "granted") toast("Desktop notifications are on: each channel's bell says for what.", "info");
    else if (answer === "denied") toast("Notifications are blocked: allow them in the browser's site settings.", "info");
  };
  try {
    const r = N.requestPermission(done); // older Safari: callback only
    if (r && r.then) r.then(done);
  } catch (e) { renderNotify(); }
}

/* ---------- @-autocomplete in both composers ---------- */

const MENTIONABLE = /^[^\s!-/:-@[-^`{-~]+$/u; // what the server reads as one @name

// People one may mention: who is online, the channel's people, recent authors.
function candidates(v) {
  const names = new Set(people.onlineSet());
  if (v) {
    for (const u of v.info.users || []) names.add(u);
    for (let i = Math.max(0, v.seqs.length - 200); i < v.seqs.length; i++) {
      const m = v.messages.get(v.seqs[i]);
      if (m) names.add(m.user);
    }
  }
  names.delete(people.user());
  return Array.from(names).filter((n) => MENTIONABLE.test(n)).sort((a, b) => a.localeCompare(b));
}

// The "@word" that ends at the caret, or null.
function atToken(input) {
  const pos = input.selectionStart;
  if (pos !== input.selectionEnd) return null;
  const m = /(^|[^\p{L}\p{N}_])@([^\s!-/:-@[-^`{-~]*)$/u.exec(input.value.slice(0, pos));
  return m ? { start: pos - m[2].length - 1, query: m[2].toLowerCase() } : null;
}

export function updateSuggest(input, v) {
  const tok = v && atToken(input);
  if (!tok) { closeSuggest(); return; }
  const names = candidates(v).filter((n) => n.toLowerCase().startsWith(tok.query)).slice(0, 8);
  const all = v.info.kind === "dm" ? [] : msgs.EVERYONE.filter((n) => n.startsWith(tok.query));
  const items = names.concat(all);
  if (!items.length) { closeSuggest(); return; }
  if (!ctx.suggest || ctx.suggest.input !== input) {
    closeSuggest();
    const box = el("div", "mention-suggest");
    box.dataset.testid = "mention-suggest";
    box.setAttribute("role", "listbox");
    box.setAttribute("aria-label", "People to mention");
    document.body.append(box);
    ctx.suggest = { box, input, index: 0 };
  }
  Object.assign(ctx.suggest, { v, start: tok.start, items, index: Math.min(ctx.suggest.index, items.length - 1) });
  renderSuggest();
}

function renderSuggest() {
  const { box, input, items, index } = ctx.suggest;
  box.textContent = "";
  items.forEach((name, i) => {
    const b = el("button", "mention-option" + (i === index ? " is-selected" : ""));
    b.type = "button";
    b.dataset.testid = "mention-option";
    b.dataset.name = name;
    b.setAttribute("role", "option");
    b.setAttribute("aria-selected", String(i === index));
    const everyone = msgs.EVERYONE.includes(name);
    const face = everyone ? el("span", "mention-all", "@") : avatar(name, "avatar-xs");
    b.append(face, el("span", "mention-name", name));
    const display = everyone ? "" : people.displayOf(name);
    if (display && display !== name) b.append(el("span", "mention-display", display));
    if (everyone) b.append(el("span", "mention-hint", name === "here" ? "Notify everyone online" : "Notify everyone in the channel"));
    else if (people.onlineSet().has(name)) b.append(el("span", "mention-online", ""));
    b.addEventListener("mousedown", (ev) => ev.preventDefault()); // keep the composer's focus
    b.addEventListener("click", () => acceptSuggest(i));
    box.append(b);
  });
  placeAbove(box, input);
}

function acceptSuggest(i) {
  const { input, start, items } = ctx.suggest;
  const name = items[i];
  const end = input.selectionStart;
  input.value = input.value.slice(0, start) + "@" + name + " " + input.value.slice(end);
  const caret = start + name.length + 2;
  input.setSelectionRange(caret, caret);
  closeSuggest();
  input.focus();
  input.dispatchEvent(new Event("input", { bubbles: true })); // the composers resize, typing goes out
}

export function closeSuggest() {
  if (!ctx.suggest) return;
  ctx.suggest.box.remove();
  ctx.suggest = null;
}

// A key in a composer while the list is open: true when the list took it.
export function suggestKey(ev) {
  if (!ctx.suggest || ctx.suggest.input !== ev.target || ev.isComposing) return false;
  const n = ctx.suggest.items.length;
  if (ev.key === "ArrowDown" || ev.key === "ArrowUp") {
    ctx.suggest.index = (ctx.suggest.index + (ev.key === "ArrowDown" ? 1 : n - 1)) % n;
    renderSuggest();
  } else if ((ev.key === "Enter" && !ev.shiftKey) || ev.key === "Tab") {
    acceptSuggest(ctx.suggest.index);
  } else if (ev.key === "Escape") {
    closeSuggest();
  } else {
    return false;
  }
  ev.preventDefault();
  ev.stopImmediatePropagation(); // not composer.js's Enter, not the document's Escape
  return true;
}
