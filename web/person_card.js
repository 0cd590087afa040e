/*
 * parley web client: a person's profile card (UI).
 *
 * Opened by clicking (or Enter on) any name label or avatar marked with data-card
 * (dom.cardable, dom.avatar): a message's author, the members dialog, the online list, the
 * directory, search results, threads. It shows what people.js knows: the avatar, the
 * display name and name, the role or guest badge, "what I do", their local time (from
 * their time zone, by the browser's Intl) and whether they are online, with a "Message"
 * button that opens the direct message with them.
 *
 * It also keeps the page's avatars current: dom.js draws uploaded images from people.js,
 * and a changed profile repaints every avatar of that person. Text goes in through
 * textContent only.
 */
import { paintAvatar, repaintAvatars, setAvatarSource } from "./dom.js";
import { badges } from "./badges.js";
import * as people from "./people.js";
import * as channels from "./channels_data.js";
import * as chansUi from "./channels.js";

const TICK_MS = 20000; // the local time shown is redrawn this often while the card is open

const ui = {};
let shownName = "";
let tick = 0;

// "14:05" in zone tz, or "" when the browser does not know the zone.
export function localTime(tz, now) {
  if (!tz) return "";
  try {
    return new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZone: tz })
      .format(now || new Date());
  } catch (e) {
    return "";
  }
}

function render() {
  const p = people.profileOf(shownName);
  paintAvatar(ui.avatar, p.name);
  ui.shown.textContent = p.display || p.name;
  ui.name.textContent = "@" + p.name;
  ui.badges.textContent = "";
  for (const b of badges(p.name)) ui.badges.append(b);
  ui.title.textContent = p.title;
  ui.title.hidden = !p.title;
  const t = localTime(p.tz);
  ui.timeRow.hidden = !t;
  ui.time.textContent = t ? t + " local time" : "";
  ui.time.title = p.tz;
  ui.state.textContent = p.online ? "Online" : "Offline";
  ui.dot.classList.toggle("is-online", p.online);
  ui.dialog.dataset.user = p.name;
  // A direct message: for members, with someone else, where the server has them.
  const me = p.name === people.user();
  ui.message.hidden = me || people.isGuest() || !channels.canMessage();
  ui.message.textContent = "Message " + (p.display || p.name);
}

export function open(name) {
  if (typeof name !== "string" || !name) return;
  shownName = name;
  render();
  if (!ui.dialog.open) ui.dialog.showModal();
  (ui.message.hidden ? ui.close : ui.message).focus();
  clearInterval(tick);
  tick = setInterval(() => { if (ui.dialog.open) render(); }, TICK_MS);
}

export function close() { if (ui.dialog.open) ui.dialog.close(); }

// A click (or Enter, Space) on something that names a person, unless it sits inside a
// control of its own (a DM in the sidebar, a switcher row): that control decides.
function cardTarget(ev) {
  const t = ev.target instanceof Element ? ev.target.closest("[data-card]") : null;
  // Not from the card itself, a delete's preview or a picked person's chip: those faces
  // only recall who it is.
  if (!t || t.closest("#card-dialog, .delete-preview, .pick-chip")) return null;
  const ctl = t.parentElement && t.parentElement.closest("button, a, [role=option], [role=button], label");
  return ctl ? null : t;
}

function onClick(ev) {
  const t = cardTarget(ev);
  if (!t) return;
  ev.preventDefault();
  open(t.dataset.card);
}

function onKey(ev) {
  if (ev.key !== "Enter" && ev.key !== " ") return;
  const t = cardTarget(ev);
  if (!t || t.getAttribute("role") !== "button") return;
  ev.preventDefault();
  open(t.dataset.card);
}

export function init() {
  const ids = {
    dialog: "card-dialog", avatar: "card-avatar", shown: "card-shown", name: "card-name", badges: "card-badges",
    title: "card-title", timeRow: "card-time-row", time: "card-time", state: "card-state", dot: "card-dot",
    message: "card-message",
  };
  for (const k in ids) ui[k] = document.getElementById(ids[k]);
  ui.close = ui.dialog.querySelector("[data-close]");
  setAvatarSource(people.avatarOf);
  document.addEventListener("click", onClick);
  document.addEventListener("keydown", onKey);
  ui.message.addEventListener("click", () => {
    const name = shownName;
    close();
    for (const d of document.querySelectorAll("dialog[open]")) d.close(); // the directory under it
    chansUi.openDm(name);
  });
  ui.close.addEventListener("click", close);
  ui.dialog.addEventListener("click", (ev) => { if (ev.target === ui.dialog) close(); });
  ui.dialog.addEventListener("close", () => { clearInterval(tick); tick = 0; });
  people.changes.on("profile", (name) => {
    repaintAvatars(name);
    if (ui.dialog.open && name === shownName) render();
  });
  people.changes.on("people", () => {
    repaintAvatars();
    if (ui.dialog.open) render();
  });
  people.changes.on("online", () => { if (ui.dialog.open) render(); });
}
