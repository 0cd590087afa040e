/*
 * parley web client: the emoji picker (UI), for reactions and for the composers.
 *
 * A floating dialog next to the button that opened it: a search box over the whole set
 * (emoji.js), then the reader's recently used emoji and every group in Unicode's order.
 * Keyboard: the search box takes focus; Down (or Tab) goes into the grid, arrows move in
 * it, Up from its first row goes back, Enter picks (from the box: the first match),
 * Escape closes. One picker at a time.
 *
 *   open({anchor, label, testid, optionTestid, onPick(char), onClose(refocus)})
 *   close(refocus)      isOpen()
 *   initComposer(textarea)   adds an emoji button to the textarea's composer bar; what is
 *                            picked goes in at the caret (the text stays what was typed)
 *
 * Emoji are drawn through textContent, like every text of the page.
 */
import * as emoji from "./emoji.js";
import { icon } from "./dom.js";

const COLS = 8;
// Until the set has loaded, and for a reader with no recent ones: Slack's usual few.
const DEFAULTS = ["👍", "❤️", "😂", "🎉", "👀", "🙏", "🔥", "✅",
                  "😄", "😮", "😢", "👏", "🚀", "💯", "🤔", "👎"];
const SMILE = ["M10 17a7 7 0 1 0 0-14 7 7 0 0 0 0 14z", "M7 11.5a3.5 3.5 0 0 0 6 0",
               "M7.6 8.2h.01M12.4 8.2h.01"];

let cur = null;  // { box, input, body, preview, opts }

function node(tag, cls, text) {
  const n = document.createElement(tag);
  if (cls) n.className = cls;
  if (text !== undefined) n.textContent = text;
  return n;
}

export function isOpen() { return cur !== null; }

function option(char) {
  const e = emoji.byChar(char);
  const b = node("button", "emoji-option", char);
  b.type = "button";
  b.dataset.testid = cur.opts.optionTestid || "emoji-option";
  b.dataset.emoji = char;
  const what = e ? e.name + " (:" + e.codes[0] + ":)" : char;
  b.setAttribute("aria-label", what);
  b.title = e ? ":" + e.codes[0] + ":" : char;
  b.tabIndex = -1;
  b.addEventListener("click", () => pick(char));
  b.addEventListener("mouseenter", () => showPreview(char));
  b.addEventListener("focus", () => showPreview(char));
  return b;
}

function section(title, chars) {
  const s = node("section", "emoji-section");
  const h = node("h4", "emoji-group", title);
  h.id = "emoji-group-" + Math.random().toString(36).slice(2);
  const grid = node("div", "emoji-grid");
  grid.setAttribute("role", "group");
  grid.setAttribute("aria-labelledby", h.id);
  for (const c of chars) grid.append(option(c));
  s.append(h, grid);
  return s;
}

function renderBody() {
  const { body, input } = cur;
  body.textContent = "";
  const q = input.value.trim();
  if (q) {
    if (!emoji.loaded()) { body.append(node("p", "emoji-empty", "Loading emoji…")); return; }
    const found = emoji.search(q);
    if (found.length) body.append(section("Search results", found.map((e) => e.char)));
    else body.append(node("p", "emoji-empty", "No emoji match “" + q + "”."));
    showPreview(found.length ? found[0].char : null);
    return;
  }
  const recent = emoji.recent();
  const first = recent.concat(DEFAULTS.filter((c) => !recent.includes(c))).slice(0, Math.max(recent.length, 16));
  body.append(section(recent.length ? "Recently used" : "Frequently used", first));
  if (!emoji.loaded()) { body.append(node("p", "emoji-empty", "Loading emoji…")); return; }
  const groups = emoji.groups().map(() => []);
  for (const e of emoji.all()) groups[e.group].push(e.char);
  emoji.groups().forEach((g, i) => body.append(section(g, groups[i])));
}

function showPreview(char) {
  const { preview } = cur;
  preview.textContent = "";
  const e = char && emoji.byChar(char);
  if (!char) { preview.append(node("span", "emoji-preview-hint", "Pick an emoji")); return; }
  preview.append(node("span", "emoji-preview-char", char));
  if (e) preview.append(node("span", "emoji-preview-name", e.name), node("code", "emoji-preview-code", ":" + e.codes[0] + ":"));
}

function options() { return Array.from(cur.body.querySelectorAll(".emoji-option")); }

function pick(char) {
  const { opts } = cur;
  emoji.used(char);
  close(true);
  opts.onPick(char);
}

// Arrows in the grid: by one, or by a row of the grid the option is in.
function onKey(ev) {
  if (ev.key === "Escape") {
    ev.preventDefault();
    ev.stopPropagation();
    close(true);
    return;
  }
  const all = options();
  if (ev.target === cur.input) {
    if ((ev.key === "ArrowDown" || (ev.key === "Tab" && !ev.shiftKey)) && all.length) { ev.preventDefault(); all[0].focus(); }
    else if (ev.key === "Enter" && all.length && !ev.isComposing) { ev.preventDefault(); all[0].click(); }
    return;
  }
  const i = all.indexOf(ev.target);
  if (i < 0) return;
  const grid = ev.target.parentNode;
  const inGrid = Array.from(grid.children);
  const j = inGrid.indexOf(ev.target);
  let to = null;
  if (ev.key === "ArrowRight") to = all[i + 1];
  else if (ev.key === "ArrowLeft") to = i > 0 ? all[i - 1] : cur.input;
  else if (ev.key === "ArrowDown") {
    // Down from a short last row lands on the next grid's first row, same column if there.
    to = inGrid[j + COLS] || (j + COLS < Math.ceil(inGrid.length / COLS) * COLS ? inGrid[inGrid.length - 1] : null);
    if (!to) {
      const next = all[i + (inGrid.length - j)];
      if (next) { const g = Array.from(next.parentNode.children); to = g[Math.min(j % COLS, g.length - 1)]; }
    }
  } else if (ev.key === "ArrowUp") {
    to = inGrid[j - COLS];
    if (!to) {
      const prev = all[i - j - 1];
      if (!prev) to = cur.input;
      else {
        const g = Array.from(prev.parentNode.children);
        const lastRow = Math.floor((g.length - 1) / COLS) * COLS;
        to = g[Math.min(lastRow + (j % COLS), g.length - 1)];
      }
    }
  } else if (ev.key === "Home") to = all[0];
  else if (ev.key === "End") to = all[all.length - 1];
  else return;
  ev.preventDefault();
  if (to) { to.focus(); if (to !== cur.input) to.scrollIntoView({ block: "nearest" }); }
}

function onOutside(ev) {
  if (cur && !cur.box.contains(ev.target) && !cur.opts.anchor.contains(ev.target)) close(false);
}

function onResize() { close(false); }

function place(box, anchor) {
  const r = anchor.getBoundingClientRect();
  const w = box.offsetWidth, h = box.offsetHeight;
  let top = r.bottom + 6;
  if (top + h > window.innerHeight - 8) top = Math.max(8, r.top - h - 6);
  const left = Math.max(8, Math.min(r.right - w, window.innerWidth - w - 8));
  box.style.top = top + "px";
  box.style.left = left + "px";
}

export function open(opts) {
  close(false);
  const box = node("div", "emoji-picker");
  box.dataset.testid = opts.testid || "emoji-picker";
  box.setAttribute("role", "dialog");
  box.setAttribute("aria-label", opts.label);
  const input = node("input", "emoji-search");
  input.type = "search";
  input.placeholder = "Search emoji";
  input.autocomplete = "off";
  input.spellcheck = false;
  input.dataset.testid = "emoji-search";
  input.setAttribute("aria-label", "Search emoji");
  const body = node("div", "emoji-body");
  const preview = node("div", "emoji-preview");
  preview.setAttribute("aria-hidden", "true");
  box.append(input, body, preview);
  cur = { box, input, body, preview, opts };
  input.addEventListener("input", () => { renderBody(); body.scrollTop = 0; });
  box.addEventListener("keydown", onKey);
  // Before the page's capture handlers (messages.js's Escape runs on document).
  window.addEventListener("keydown", onWindowKey, true);
  document.addEventListener("pointerdown", onOutside, true);
  window.addEventListener("resize", onResize);
  renderBody();
  showPreview(null);
  document.body.append(box);
  place(box, opts.anchor);
  input.focus();
  if (!emoji.loaded()) {
    const mine = cur;
    emoji.load().then(() => { if (cur === mine) renderBody(); },
      () => { if (cur === mine) { body.append(node("p", "emoji-empty", "The emoji could not be loaded.")); } });
  }
}

function onWindowKey(ev) {
  if (ev.key === "Escape" && cur && cur.box.contains(ev.target)) onKey(ev);
}

export function close(refocus) {
  if (!cur) return;
  const c = cur;
  cur = null;
  window.removeEventListener("keydown", onWindowKey, true);
  document.removeEventListener("pointerdown", onOutside, true);
  window.removeEventListener("resize", onResize);
  c.box.remove();
  if (c.opts.onClose) c.opts.onClose(refocus);
  if (refocus && c.opts.anchor.isConnected) c.opts.anchor.focus();
}

/* ---------- the composers' button ---------- */

function insertAt(ta, text) {
  const start = ta.selectionStart, end = ta.selectionEnd;
  ta.value = ta.value.slice(0, start) + text + ta.value.slice(end);
  ta.setSelectionRange(start + text.length, start + text.length);
  ta.focus();
  ta.dispatchEvent(new Event("input", { bubbles: true })); // the composers resize, typing goes out
}

export function initComposer(ta) {
  const bar = ta && ta.form && ta.form.querySelector(".composer-bar");
  if (!bar) return;
  const b = node("button", "composer-emoji");
  b.type = "button";
  b.dataset.testid = ta.id === "composer" ? "composer-emoji" : "thread-composer-emoji";
  b.setAttribute("aria-label", "Insert an emoji");
  b.title = "Insert an emoji";
  b.append(icon(SMILE));
  b.addEventListener("click", () => {
    if (cur && cur.opts.anchor === b) { close(true); return; }
    const at = [ta.selectionStart, ta.selectionEnd]; // a textarea keeps them when blurred
    open({
      anchor: b, label: "Insert an emoji", testid: "composer-emoji-picker", optionTestid: "emoji-option",
      onPick: (char) => { ta.setSelectionRange(at[0], at[1]); insertAt(ta, char); },
    });
  });
  bar.insertBefore(b, bar.querySelector(".send-btn"));
}
