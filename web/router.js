/*
 * parley web client: addresses (UI).
 *
 * The address bar follows the conversation shown, so Back and Forward walk the
 * conversations and a link opens one:
 *   #/c/NAME                 a channel (a direct message too, by its channel name)
 *   #/c/NAME/SEQ             a message: the channel opens scrolled to it, highlighted
 *   #/c/NAME/SEQ/thread      a thread: its parent's channel, and the thread panel
 *   #/d/ANN,BOB[/SEQ[/thread]]  a direct message by its people (sorted, with or without
 *                            oneself), so the same link works for each of them
 * A link opened before signing in is kept (the first page clears the address) and
 * followed once the chat is in. Switching conversations pushes an entry; following one
 * (Back, Forward, a pasted link) pushes nothing. The first page's own links (#invite=,
 * #reset=) are auth_ui.js's, and never look like these.
 */
import { el, icon } from "./dom.js";
import * as conn from "./conn.js";
import * as channels from "./channels_data.js";
import * as people from "./people.js";
import { ui, page } from "./page.js";
import * as list from "./list.js";
import * as chansUi from "./channels.js";
import * as threads from "./threads.js";

const ROUTE_RE = /^#\/(c|d)\/([^/]{1,400})(?:\/(\d{1,15})(\/thread)?)?\/?$/;
const LINK_ICON = ["M8.5 11.5a3.2 3.2 0 0 0 4.6 0l2.6-2.6a3.2 3.2 0 0 0-4.6-4.6l-1 1",
  "M11.5 8.5a3.2 3.2 0 0 0-4.6 0l-2.6 2.6a3.2 3.2 0 0 0 4.6 4.6l1-1"];

let pending = parse(location.hash); // a link the page was opened with, until signed in
let applying = false;                // following an address: showing it pushes nothing
let current = "";                    // the address we last put in the bar or followed

/* ---------- addresses ---------- */

// {kind: "c" | "d", name, seq (0: none), thread} of an address's hash, or null.
export function parse(hash) {
  const m = ROUTE_RE.exec(hash || "");
  if (!m) return null;
  let name;
  try { name = decodeURIComponent(m[2]); } catch (e) { return null; }
  const seq = m[3] ? Number(m[3]) : 0;
  return { kind: m[1], name, seq: seq > 0 ? seq : 0, thread: !!(m[4] && seq > 0) };
}

function dmKey(users) {
  return Array.from(new Set(users)).sort().map(encodeURIComponent).join(",");
}

// The hash of a conversation (and of a message or thread in it).
export function hrefOf(v, seq, thread) {
  let h = channels.isDm(v) && v.info.users.length ? "#/d/" + dmKey(v.info.users) : "#/c/" + encodeURIComponent(v.name);
  if (seq > 0) h += "/" + seq + (thread ? "/thread" : "");
  return h;
}

// The channel record an address names, or null when we are not in it.
function resolve(r) {
  if (r.kind === "c") return channels.has(r.name) ? channels.get(r.name) : null;
  const me = people.user();
  const want = dmKey(r.name.split(",").filter(Boolean).concat(me));
  for (const v of channels.all()) {
    if (channels.isDm(v) && dmKey(v.info.users.concat(me)) === want) return v;
  }
  return null;
}

/* ---------- following an address ---------- */

function follow(r) {
  const v = resolve(r);
  if (!v) {
    const others = r.kind === "d" ? r.name.split(",").filter((n) => n && n !== people.user()) : [];
    // A direct message we have no record of yet (never written in): opened, like Slack.
    if (others.length === 1 && !people.isGuest()) { chansUi.openDm(others[0]); return; }
    chansUi.toast(r.kind === "c" ? "You are not in #" + r.name + ", or it does not exist." :
      "That direct message is not one of yours.", "info");
    return;
  }
  applying = true;
  try {
    if (r.seq) list.jumpTo(v.name, r.seq);
    else list.showChannel(v.name);
    if (r.thread) threads.openThread(v, r.seq);
  } finally {
    applying = false;
  }
}

// Back, Forward, or an address typed or clicked while in the chat.
function onAddress() {
  if (ui.app.hidden || !conn.everJoined()) return;
  const h = location.hash;
  if (h === current) return;
  const r = parse(h);
  if (!r) return;
  current = h;
  follow(r);
}

// The chat is in: a link the page was opened with is followed (once), and the address
// bar shows where the reader is.
function onUp() {
  const r = pending;
  pending = null;
  if (r) {
    const h = hrefOfRoute(r);
    history.replaceState(null, "", h);
    current = h;
    follow(r);
  } else if (page.view) {
    put(page.view, true);
  }
}

function hrefOfRoute(r) {
  const base = r.kind === "c" ? "#/c/" + encodeURIComponent(r.name) : "#/d/" + dmKey(r.name.split(","));
  return base + (r.seq ? "/" + r.seq + (r.thread ? "/thread" : "") : "");
}

/* ---------- the address follows the reader ---------- */

function put(v, replace) {
  const h = hrefOf(v);
  const now = parse(location.hash);
  if (now && resolve(now) === v) { current = location.hash; return; } // already there (a message in it too)
  if (replace) history.replaceState(null, "", h);
  else history.pushState(null, "", h);
  current = h;
}

// list.js showed a channel.
export function shown(v) {
  if (applying || !conn.joined() || ui.app.hidden) return;
  put(v, !current);
}

/* ---------- "Copy link" on a message ---------- */

function absolute(hash) { return location.origin + location.pathname + location.search + hash; }

function copied(ok, url) {
  chansUi.toast(ok ? "Link copied." : "Couldn't copy the link: " + url, ok ? "info" : "error");
}

function copy(url) {
  if (navigator.clipboard && window.isSecureContext) {
    navigator.clipboard.writeText(url).then(() => copied(true, url), () => copyOldWay(url));
  } else {
    copyOldWay(url);
  }
}

function copyOldWay(url) {
  const box = el("textarea");
  box.value = url;
  box.setAttribute("readonly", "");
  box.style.position = "fixed";
  box.style.opacity = "0";
  document.body.append(box);
  box.select();
  let ok = false;
  try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
  box.remove();
  copied(ok, url);
}

// The message toolbar's "Copy link" button (messages.js): a reply links to its thread.
export function linkButton(v, msg, place) {
  const parent = Number.isInteger(msg.thread) ? msg.thread : place === "thread" ? msg.seq : 0;
  const url = absolute(parent ? hrefOf(v, parent, true) : hrefOf(v, msg.seq));
  const b = el("button", "msg-action");
  b.type = "button";
  b.dataset.testid = "msg-copy-link";
  b.dataset.href = url;
  b.setAttribute("aria-label", "Copy link");
  b.title = "Copy link";
  b.append(icon(LINK_ICON));
  b.addEventListener("click", () => copy(url));
  return b;
}

/* ---------- start ---------- */

// Signed out: the next person starts from their own last channel.
export function reset() {
  current = "";
}

export function init() {
  conn.onLink("up", (p, how) => { if (!how || !how.reconnected) onUp(); });
  window.addEventListener("popstate", onAddress);
  window.addEventListener("hashchange", onAddress);
}
