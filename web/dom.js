/*
 * parley web client: element builders for the UI modules.
 *
 * Text from the network only ever enters the page through these (textContent, text
 * nodes, or a link's href after checking its scheme): never as HTML.
 */

import { urlOf } from "./base.js";

// Hues picked by hand to read well as white-on-colour avatars and as name colours.
const HUES = [4, 22, 36, 140, 162, 184, 200, 214, 232, 256, 276, 300, 322, 342];

export function el(tag, cls, text) {
  const node = document.createElement(tag);
  if (cls) node.className = cls;
  if (text !== undefined) node.textContent = text;
  return node;
}

// Puts a suggestion box (mentions, :emoji:) just above the composer holding input.
export function placeAbove(box, input) {
  const r = (input.closest("form") || input).getBoundingClientRect();
  box.style.left = r.left + "px";
  box.style.width = Math.min(r.width, 340) + "px";
  box.style.bottom = (window.innerHeight - r.top + 6) + "px";
}

// A 20x20 line icon from its path data (each module keeps its own set of paths).
export function icon(paths) {
  const ns = "http://www.w3.org/2000/svg";
  const s = document.createElementNS(ns, "svg");
  s.setAttribute("viewBox", "0 0 20 20");
  s.setAttribute("width", "18");
  s.setAttribute("height", "18");
  s.setAttribute("aria-hidden", "true");
  s.setAttribute("class", "icon");
  for (const d of paths) {
    const p = document.createElementNS(ns, "path");
    p.setAttribute("d", d);
    s.append(p);
  }
  return s;
}

export function hueOf(name) {
  let h = 2166136261; // FNV-1a: cheap, stable across sessions and browsers
  for (let i = 0; i < name.length; i++) {
    h ^= name.charCodeAt(i);
    h = Math.imul(h, 16777619);
  }
  return HUES[(h >>> 0) % HUES.length];
}

export function initials(name) {
  const words = name.split(/[\s._-]+/).filter(Boolean);
  const first = (w) => (Array.from(w)[0] || "").toUpperCase();
  if (words.length === 0) return "?";
  if (words.length === 1) return first(words[0]);
  return first(words[0]) + first(words[1]);
}

// presence.js adds each avatar its presence dot (a hook, so dom.js knows no people).
let avatarHook = null;
export function setAvatarHook(fn) { avatarHook = fn; }

// Where a person's uploaded avatar is (its id; "" for none: the generated one, initials on
// their hue). person_card.js sets it from people.js.
let avatarSource = () => "";
export function setAvatarSource(fn) { avatarSource = fn; }

// Draws name's avatar into the element a: the uploaded image over the generated one (which
// shows if the image fails). Keeps what else a holds (a presence dot).
export function paintAvatar(a, name) {
  for (const old of a.querySelectorAll(":scope > .avatar-img")) old.remove();
  if (a.firstChild && a.firstChild.nodeType === 3) a.firstChild.textContent = initials(name);
  else a.prepend(initials(name));
  a.style.setProperty("--h", hueOf(name));
  a.dataset.card = name;
  const id = avatarSource(name);
  a.dataset.avatar = id;
  a.classList.toggle("has-img", !!id);
  if (!id) return a;
  const img = el("img", "avatar-img");
  img.alt = "";
  img.decoding = "async";
  img.src = urlOf("/avatars/" + encodeURIComponent(id));
  img.addEventListener("error", () => { img.remove(); a.classList.remove("has-img"); });
  a.firstChild.after(img);
  return a;
}

export function avatar(name, cls) {
  const a = el("span", "avatar" + (cls ? " " + cls : ""));
  a.setAttribute("aria-hidden", "true");
  paintAvatar(a, name);
  if (avatarHook) avatarHook(a, name);
  return a;
}

// The avatars on the page whose image is not their person's any more drawn again (name:
// that person's only; undefined: everyone's, once the directory came).
export function repaintAvatars(name) {
  for (const a of document.querySelectorAll(".avatar[data-card]")) {
    const who = a.dataset.card;
    if ((name === undefined || who === name) && a.dataset.avatar !== avatarSource(who)) paintAvatar(a, who);
  }
}

// Makes a name label open its person's profile card (person_card.js), by mouse and keyboard.
export function cardable(node, name) {
  node.dataset.card = name;
  node.tabIndex = 0;
  node.setAttribute("role", "button");
  node.setAttribute("aria-haspopup", "dialog");
  return node;
}

function pad2(n) { return String(n).padStart(2, "0"); }

export function hhmm(ts) {
  const d = new Date(ts);
  return pad2(d.getHours()) + ":" + pad2(d.getMinutes());
}

export function dayKey(ts) {
  const d = new Date(ts);
  return d.getFullYear() * 10000 + d.getMonth() * 100 + d.getDate();
}

export function dayLabel(ts) {
  const now = Date.now();
  if (dayKey(ts) === dayKey(now)) return "Today";
  if (dayKey(ts) === dayKey(now - 864e5)) return "Yesterday";
  const opts = { weekday: "long", month: "long", day: "numeric" };
  if (new Date(ts).getFullYear() !== new Date(now).getFullYear()) opts.year = "numeric";
  return new Date(ts).toLocaleDateString(undefined, opts);
}

// Turns http(s) URLs into links; everything else stays plain text nodes.
export function appendLinkified(parent, text) {
  const re = /\bhttps?:\/\/[^\s<>"']+/g;
  let last = 0, m;
  while ((m = re.exec(text)) !== null) {
    const url = m[0].replace(/[.,;:!?)\]]+$/, "");
    if (m.index > last) parent.append(text.slice(last, m.index));
    const a = el("a", "", url);
    a.href = url;
    a.target = "_blank";
    a.rel = "noopener noreferrer nofollow";
    parent.append(a);
    last = m.index + url.length;
    re.lastIndex = last;
  }
  if (last < text.length) parent.append(text.slice(last));
}

// [unit, its seconds, from how many seconds on it is used]: "in 7 days" rather than
// "in 1 week", weeks from two of them.
const UNITS = [["year", 31536000, 31536000], ["month", 2592000, 5184000], ["week", 604800, 1209600],
  ["day", 86400, 86400], ["hour", 3600, 3600], ["minute", 60, 0]];
const RTF = typeof Intl !== "undefined" && Intl.RelativeTimeFormat
  ? new Intl.RelativeTimeFormat(undefined, { numeric: "always" }) : null;

// "3 minutes ago", "in 6 days", "just now".
export function relTime(ts) {
  const secs = Math.round((ts - Date.now()) / 1000);
  if (Math.abs(secs) < 45) return secs <= 0 ? "just now" : "in a moment";
  for (const [unit, n, from] of UNITS) {
    if (Math.abs(secs) < from) continue;
    const v = Math.round(secs / n);
    if (RTF) return RTF.format(v, unit);
    const words = Math.abs(v) + " " + unit + (Math.abs(v) === 1 ? "" : "s");
    return v < 0 ? words + " ago" : "in " + words;
  }
  return "";
}
