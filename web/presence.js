/*
 * parley web client: away and active (issue 14, item 7; data and a little UI).
 *
 * Each tab says whether it is away (`presence` request, docs/protocol.md); the server
 * counts a user away while every connection of theirs says so, tells #general
 * (`presence` frames) and lists who is away in `welcome`. So "10 minutes without input in
 * any tab" needs no coordination between tabs: each goes away after IDLE_MS without input
 * of its own, and comes back on input. "Set yourself away" is by hand: it holds whatever
 * the input, in every tab (KEY_MANUAL in localStorage, heard through `storage` events),
 * until "Set yourself active".
 *
 * Tests only: localStorage[KEY_IDLE] (milliseconds, read once when the page starts)
 * replaces the 10 minutes (docs/protocol.md, "Away").
 *
 * Status of a name: "offline" (not in people.js's online set), "away" or "active". Dots:
 * every avatar made by dom.avatar gets one (setAvatarHook), kept current by refresh();
 * a name label (badges.js) says "away" to screen readers (setNameHook).
 */
import * as conn from "./conn.js";
import * as people from "./people.js";
import { el, setAvatarHook } from "./dom.js";
import { setNameHook, refreshNames } from "./badges.js";

export const IDLE_MS = 10 * 60 * 1000;
const KEY_IDLE = "parley.idleMs";
const KEY_MANUAL = "parley.awayByHand";
const INPUTS = ["pointerdown", "keydown", "wheel", "touchstart", "mousemove"];
const TEXT = { active: "Active", away: "Away", offline: "Offline" };

const away = new Set();  // names away, by the server's word
let idleMs = IDLE_MS;
let idle = false;        // this tab had no input for idleMs
let timer = 0;
let sent = "active";     // what this connection last told the server (a new one is active)
const ui = {};

function readIdle() {
  try {
    const v = Number(localStorage.getItem(KEY_IDLE));
    if (Number.isInteger(v) && v > 0) idleMs = v;
  } catch (_) { /* storage off: the default */ }
}

function byHand() {
  try { return localStorage.getItem(KEY_MANUAL) === "1"; } catch (_) { return false; }
}

export function statusOf(name) {
  if (!people.onlineSet().has(name)) return "offline";
  return away.has(name) ? "away" : "active";
}

// What this tab wants to be.
function wanted() { return byHand() || idle ? "away" : "active"; }

function sync() {
  const want = wanted();
  renderToggle();
  if (want === sent || !conn.joined()) return;
  sent = want;
  conn.request("presence", { status: want }).then((p) => {
    applyStatus(people.user(), p ? p.status : null);
  }, () => { sent = "unknown"; }); // offline: the next welcome sends it again
}

function armIdle() {
  clearTimeout(timer);
  timer = setTimeout(() => { idle = true; sync(); }, idleMs);
}

let lastInput = 0;
function onInput() {
  if (idle) { idle = false; sync(); }
  const now = Date.now();
  if (now - lastInput < 1000) return; // mousemove: re-arm at most once a second
  lastInput = now;
  armIdle();
}

// `welcome`: who is away now; a new connection starts active, so ours is told again.
export function welcome(p) {
  away.clear();
  if (Array.isArray(p.away)) for (const n of p.away) if (typeof n === "string") away.add(n);
  sent = "active";
  sync();
  refresh();
}

function applyStatus(user, status) {
  if (typeof user !== "string" || (status !== "away" && status !== "active")) return;
  if (status === "away") away.add(user); else away.delete(user);
  refresh();
}

// A `presence` frame: {user, status}.
export function onPresence(p) { applyStatus(p.user, p.status); }

// Someone left (`leave` on #general): no longer away, offline.
export function onLeave(p) { if (p && p.user) away.delete(p.user); }

export function setByHand(on) {
  try {
    if (on) localStorage.setItem(KEY_MANUAL, "1"); else localStorage.removeItem(KEY_MANUAL);
  } catch (_) { /* storage off: this tab only */ }
  if (!on) { idle = false; armIdle(); }
  sync();
}

function fillDot(dot, name) {
  const st = statusOf(name);
  dot.dataset.status = st;
  dot.title = TEXT[st];
}

// Every dot and label on the page, after a change of who is online or away.
export function refresh() {
  for (const dot of document.querySelectorAll(".presence[data-user]")) fillDot(dot, dot.dataset.user);
  refreshNames(document);
  renderToggle();
}

function renderToggle() {
  if (!ui.toggle) return;
  const me = wanted() === "away";
  ui.toggle.dataset.status = me ? "away" : "active";
  ui.label.textContent = me ? "Set yourself active" : "Set yourself away";
  ui.toggle.title = me ? "You are away: set yourself active" : "You are active: set yourself away";
}

export function init() {
  readIdle();
  setAvatarHook((a, name) => {
    const dot = el("span", "presence");
    dot.dataset.user = name;
    fillDot(dot, name);
    a.append(dot);
  });
  setNameHook((box, name) => {
    if (statusOf(name) === "away") box.append(el("span", "sr-only", " (away)"));
  });
  ui.toggle = document.getElementById("presence-toggle");
  ui.label = document.getElementById("presence-toggle-label");
  if (ui.toggle) ui.toggle.addEventListener("click", () => setByHand(wanted() !== "away"));
  for (const t of INPUTS) window.addEventListener(t, onInput, { passive: true, capture: true });
  window.addEventListener("storage", (e) => { if (e.key === KEY_MANUAL) sync(); });
  people.changes.on("online", refresh);
  armIdle();
  renderToggle();
}
