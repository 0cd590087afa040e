/*
 * parley web client: search.
 *
 * The search box in the channel header and the results panel beside the messages. It
 * speaks the "Search" part of docs/protocol.md: `search` {q, limit, cursor}, answered by
 * `results` (newest first, with `next` when more follow: "Load more results" asks for the
 * next page with it) or an error, both carrying the request id. Only the newest search
 * counts: an answer to an older one is ignored. A result opens its channel at that message
 * through jumpTo (list.js), which loads the history around it when the list does not hold
 * it; a thread reply opens its parent there and the thread beside it, the reply lit.
 *
 * The query's words are highlighted in each result as the server matches them: whole
 * words, case and accents ignored. The text is split into plain text nodes and <mark>
 * elements, all filled through textContent, never parsed as HTML.
 *
 * The request goes through conn.js; its answer or error settles its promise.
 */
import { errorText } from "./const.js";
import { el, avatar } from "./dom.js";
import * as conn from "./conn.js";
import * as channels from "./channels_data.js";
import { jumpTo } from "./list.js";
import { title } from "./channels.js";
import { closeSidebar } from "./app.js";
import { nameLabel } from "./badges.js";
import { openThread } from "./threads.js";

const LIMIT = 50;                  // results per search: the server's maximum
const MAX_QUERY = 500;             // bytes, the server's limit
const WORD_RE = /[\p{L}\p{N}]+/gu; // a word, as the server's tokenizer sees one
const NARROW = "(max-width: 760px)"; // style.css: the panel covers the whole width

const ERROR_TEXT = {
  bad_payload: "Search for a word or from:name; in:, after: and before: (dates as YYYY-MM-DD) narrow it.",
  forbidden: "You can only search channels you are in.",
  no_such_channel: "There is no channel by that name.",
  too_large: "That search is too long (" + MAX_QUERY + " bytes at most).",
  rate_limited: "Too many requests at once. Wait a moment and search again.",
  bad_type: "This server does not support search (it may be older than this page).",
  internal: "The server could not search just now. Try again.",
};

const ui = {};
let reqId = null;          // the search in flight (or last answered): a token
let words = new Set();     // folded words of its query, to highlight
let paging = null;         // {q, next, count} of the shown results while more follow

/* ---------- query text ---------- */

// Case and accents ignored, as the server compares words.
function fold(s) {
  return s.normalize("NFD").replace(/\p{M}/gu, "").toLowerCase();
}

// The words to highlight: every word and every phrase's words; not from: or in:.
function queryWords(q) {
  const found = new Set();
  const add = (text) => { for (const w of text.match(WORD_RE) || []) found.add(fold(w)); };
  const rest = q.replace(/"([^"]*)"?/g, (_m, phrase) => { add(phrase); return " "; });
  for (const tok of rest.split(/\s+/)) {
    if (/^(from|in|before|after):./.test(tok)) continue;
    add(tok);
  }
  return found;
}

// Appends text to parent with the query's words in <mark>s.
function appendHighlighted(parent, text) {
  let last = 0;
  for (const m of text.matchAll(WORD_RE)) {
    if (!words.has(fold(m[0]))) continue;
    if (m.index > last) parent.append(text.slice(last, m.index));
    parent.append(el("mark", "search-hit", m[0]));
    last = m.index + m[0].length;
  }
  if (last < text.length) parent.append(text.slice(last));
}

/* ---------- the panel ---------- */

function openPanel() {
  ui.panel.hidden = false;
  ui.app.classList.add("search-open");
}

function closePanel() {
  if (ui.panel.hidden) return;
  ui.panel.hidden = true;
  ui.app.classList.remove("search-open");
  reqId = null; // a late answer has nowhere to go
  if (document.activeElement === ui.input || ui.panel.contains(document.activeElement)) {
    const composer = document.getElementById("composer");
    if (composer && !composer.disabled) composer.focus();
  }
}

function setStatus(text) {
  ui.status.textContent = text;
  ui.status.hidden = !text;
}

function showError(text) {
  ui.error.textContent = text;
  ui.error.hidden = false;
}

function clearResults() {
  paging = null;
  ui.results.textContent = "";
  ui.error.hidden = true;
  ui.error.textContent = "";
}

function submit(ev) {
  if (ev) ev.preventDefault();
  const q = ui.input.value.trim();
  if (!q) return;
  openPanel();
  clearResults();
  if (new TextEncoder().encode(q).length > MAX_QUERY) {
    setStatus("");
    showError(ERROR_TEXT.too_large);
    return;
  }
  if (!conn.joined()) {
    reqId = null;
    setStatus("");
    showError("Not connected: search again once parley has reconnected.");
    return;
  }
  const tok = reqId = {};
  words = queryWords(q);
  conn.request("search", { q, limit: LIMIT }).then((p) => {
    if (reqId === tok) onResults(p, q, 0);
  }, (err) => {
    if (reqId === tok) onError(err);
  });
  setStatus("Searching…");
}

// The next page of the shown results, after the last one (the answer's cursor).
function loadMore(button) {
  const pg = paging;
  if (!pg || !conn.joined()) return;
  button.disabled = true;
  button.textContent = "Loading…";
  const tok = reqId = {};
  conn.request("search", { q: pg.q, limit: LIMIT, cursor: pg.next }).then((p) => {
    if (reqId === tok) onResults(p, pg.q, pg.count);
  }, (err) => {
    if (reqId !== tok) return;
    button.disabled = false;
    button.textContent = "Load more results";
    showError((ERROR_TEXT[err.code] || errorText(err)) + " (" + err.code + ")");
  });
}

// Only the newest search counts: an answer to an older one is ignored. before: how many
// results are shown already (0: a new search, else the page follows them).
function onResults(p, q, before) {
  const list = Array.isArray(p.messages) ? p.messages : [];
  if (before) {
    const row = ui.results.querySelector(".search-more-row");
    if (row) row.remove();
    ui.error.hidden = true;
  } else {
    clearResults();
  }
  const shown = list.filter((r) => r && typeof r.channel === "string" &&
    Number.isInteger(r.seq) && typeof r.text === "string");
  if (!shown.length && !before) {
    setStatus("");
    const empty = el("li", "search-empty");
    empty.dataset.testid = "search-empty";
    empty.append(el("strong", "", "No results"),
      el("span", "", "Try other words, or fewer of them: every word has to match."));
    ui.results.append(empty);
    return;
  }
  const n = before + shown.length;
  const more = p.more === true && typeof p.next === "string" && shown.length > 0;
  setStatus((n === 1 ? "1 result" : n + " results") + (more ? " (the newest " + n + ")" : ""));
  for (const r of shown) ui.results.append(resultItem(r));
  paging = more ? { q, next: p.next, count: n } : null;
  if (more) {
    const b = el("button", "btn-secondary", "Load more results");
    b.type = "button";
    b.dataset.testid = "search-more";
    b.addEventListener("click", () => loadMore(b));
    const li = el("li", "search-more-row");
    li.append(b);
    ui.results.append(li);
  }
}

// How a result's channel is named: "#design", or the other people of a DM.
function channelLabel(name) {
  return channels.has(name) ? title(channels.get(name)) : "#" + name;
}

function resultItem(r) {
  const li = el("li");
  const b = el("button", "search-result");
  b.type = "button";
  b.dataset.testid = "search-result";
  b.dataset.channel = r.channel;
  b.dataset.seq = String(r.seq);
  const user = typeof r.user === "string" ? r.user : "unknown";
  const ts = Number.isFinite(r.ts) ? r.ts : 0;
  const head = el("div", "search-result-head");
  const time = el("time", "search-result-time", ts ? whenText(ts) : "");
  if (ts) {
    time.dateTime = new Date(ts).toISOString();
    time.title = new Date(ts).toLocaleString();
  }
  head.append(el("span", "search-result-channel", channelLabel(r.channel)),
    nameLabel(user, r, "search-result-author"), time);
  const text = el("div", "search-result-text");
  appendHighlighted(text, r.text);
  const face = avatar(user, "avatar-sm");
  b.style.setProperty("--h", face.style.getPropertyValue("--h")); // the author's colour
  b.append(face, el("div", "search-result-body"));
  b.lastChild.append(head, text);
  // A thread reply is not in the channel's list: its parent is, and the reply is shown in
  // the thread beside it (which takes the search panel's place, as in Slack).
  const reply = Number.isInteger(r.thread) && r.thread > 0;
  if (reply) b.dataset.thread = String(r.thread);
  b.addEventListener("click", () => {
    jumpTo(r.channel, reply ? r.thread : r.seq);
    closeSidebar();
    const v = channels.has(r.channel) ? channels.get(r.channel) : null;
    if (reply && v) openThread(v, r.thread, r.seq);
    else if (window.matchMedia(NARROW).matches) closePanel(); // it covers the messages there
  });
  li.append(b);
  return li;
}

// "14:05" today, "3 Mar 14:05" before, with the year when it is not this one.
function whenText(ts) {
  const d = new Date(ts), now = new Date();
  const hm = d.toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit", hourCycle: "h23" });
  if (d.toDateString() === now.toDateString()) return hm;
  const opts = { day: "numeric", month: "short" };
  if (d.getFullYear() !== now.getFullYear()) opts.year = "numeric";
  return d.toLocaleDateString(undefined, opts) + " " + hm;
}

// The search was refused (or lost with the connection): said in the panel.
function onError(err) {
  clearResults();
  setStatus("");
  if (err.code === "stopped") return;
  if (err.code === "disconnected") { showError(errorText(err)); return; }
  showError((ERROR_TEXT[err.code] || errorText(err)) + " (" + err.code + ")");
}

/* ---------- keys ---------- */

function typingSomewhere(target) {
  return target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName));
}

// Ctrl/Cmd+G anywhere (as in Slack; Ctrl/Cmd+K is the switcher's, shortcuts.js), or "/"
// outside a text field, focuses the box; Esc closes the panel.
function onKey(ev) {
  if (ui.app.hidden || document.querySelector("dialog[open]")) return;
  const k = ev.key;
  if ((k === "g" || k === "G") && (ev.ctrlKey || ev.metaKey) && !ev.altKey) {
    ev.preventDefault();
    ui.input.focus();
    ui.input.select();
  } else if (k === "/" && !ev.ctrlKey && !ev.metaKey && !ev.altKey && !typingSomewhere(ev.target)) {
    ev.preventDefault();
    ui.input.focus();
    ui.input.select();
  } else if (k === "Escape" && !ui.panel.hidden) {
    closePanel();
  } else if (k === "Escape" && ev.target === ui.input) {
    ui.input.blur();
  }
}

function bind() {
  const ids = {
    app: "app", form: "search-form", input: "search-input", panel: "search-panel",
    close: "search-close", status: "search-status", error: "search-error",
    results: "search-results",
  };
  for (const k in ids) ui[k] = document.getElementById(ids[k]);
  ui.form.addEventListener("submit", submit);
  ui.close.addEventListener("click", closePanel);
  document.addEventListener("keydown", onKey);
}

// Sign-out: nothing of this person's searches stays for the next one.
export function reset() {
  closePanel();
  clearResults();
  setStatus("");
  ui.input.value = "";
}

export function init() { bind(); }
