/*
 * parley web client: :shortcode: autocompletion in the composers (UI), as Slack's.
 *
 * Typing ":cof" (a colon, then two or more letters, not inside a word) offers the emoji
 * whose shortcodes or names match (emoji.js); Up/Down move, Enter or Tab puts the emoji
 * in place of what was typed, Escape closes. A list drawn like the @-list (mentions.js)
 * and beside it: both never show at once (an @ token is not a : token).
 *
 *   initSuggest(textarea)   listens to that composer
 */
import * as emoji from "./emoji.js";
import { placeAbove } from "./dom.js";

const TOKEN = /(^|[\s([{"'])(:[a-z0-9_+-]{2,})$/i;
const SHOWN = 8;

let cur = null;  // { box, input, start, items, index }
let listening = false;

function node(tag, cls, text) {
  const n = document.createElement(tag);
  if (cls) n.className = cls;
  if (text !== undefined) n.textContent = text;
  return n;
}

function tokenAt(input) {
  const pos = input.selectionStart;
  if (pos !== input.selectionEnd) return null;
  const m = TOKEN.exec(input.value.slice(0, pos));
  return m ? { start: pos - m[2].length, query: m[2].slice(1).toLowerCase() } : null;
}

function update(input) {
  const tok = tokenAt(input);
  if (!tok) { close(); return; }
  if (!emoji.loaded()) { emoji.load().then(() => { if (document.activeElement === input) update(input); }, () => {}); return; }
  const items = emoji.search(tok.query, SHOWN);
  if (!items.length) { close(); return; }
  if (!cur || cur.input !== input) {
    close();
    const box = node("div", "mention-suggest emoji-suggest");
    box.dataset.testid = "emoji-suggest";
    box.setAttribute("role", "listbox");
    box.setAttribute("aria-label", "Emoji");
    document.body.append(box);
    cur = { box, input, index: 0 };
  }
  Object.assign(cur, { start: tok.start, items, index: Math.min(cur.index, items.length - 1) });
  render();
}

function render() {
  const { box, input, items, index } = cur;
  box.textContent = "";
  items.forEach((e, i) => {
    const b = node("button", "mention-option" + (i === index ? " is-selected" : ""));
    b.type = "button";
    b.dataset.testid = "emoji-suggest-option";
    b.dataset.emoji = e.char;
    b.setAttribute("role", "option");
    b.setAttribute("aria-selected", String(i === index));
    b.append(node("span", "emoji-suggest-char", e.char), node("span", "mention-name", ":" + e.codes[0] + ":"),
      node("span", "mention-display", e.name));
    b.addEventListener("mousedown", (ev) => ev.preventDefault()); // keep the composer's focus
    b.addEventListener("click", () => accept(i));
    box.append(b);
  });
  placeAbove(box, input);
}

function accept(i) {
  const { input, start, items } = cur;
  const char = items[i].char;
  const end = input.selectionStart;
  input.value = input.value.slice(0, start) + char + " " + input.value.slice(end);
  const caret = start + char.length + 1;
  input.setSelectionRange(caret, caret);
  emoji.used(char);
  close();
  input.focus();
  input.dispatchEvent(new Event("input", { bubbles: true })); // the composers resize, typing goes out
}

function close() {
  if (!cur) return;
  cur.box.remove();
  cur = null;
}

// Before the composers' own keys (Enter sends) and the page's Escape (runs on document).
function onKey(ev) {
  if (!cur || cur.input !== ev.target || ev.isComposing) return;
  const n = cur.items.length;
  if (ev.key === "ArrowDown" || ev.key === "ArrowUp") {
    cur.index = (cur.index + (ev.key === "ArrowDown" ? 1 : n - 1)) % n;
    render();
  } else if ((ev.key === "Enter" && !ev.shiftKey) || ev.key === "Tab") {
    accept(cur.index);
  } else if (ev.key === "Escape") {
    close();
  } else {
    return;
  }
  ev.preventDefault();
  ev.stopImmediatePropagation();
  ev.stopPropagation();
}

export function initSuggest(input) {
  if (!input) return;
  input.addEventListener("input", () => update(input));
  input.addEventListener("blur", close);
  input.addEventListener("click", () => { if (cur) update(input); });
  if (listening) return;
  listening = true;
  window.addEventListener("keydown", onKey, true);
  window.addEventListener("resize", close);
}
