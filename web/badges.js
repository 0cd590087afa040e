/*
 * parley web client: how a person is named on the page (UI).
 *
 * Wherever a name is shown (a message's author, the online list, member lists, the admin
 * page, search results) it goes through here: the display name when there is one, with
 * the name, and the badges of its role (owner, admin) and of guests. What we know of
 * people is people.js's; a `hint` (a message or join payload) adds what the event says
 * (`"guest": true`). Everything is text through element builders.
 */
import { el } from "./dom.js";
import * as people from "./people.js";

const ROLE_TEXT = { owner: "owner", admin: "admin" };

// The badges of a name: [BOT], [guest] or [owner] / [admin]; none for members.
export function badges(name, hint) {
  const info = people.infoOf(name);
  const out = [];
  if (info.bot) {
    const b = el("span", "tag tag-bot", "BOT");
    b.dataset.testid = "badge-bot";
    b.title = "Bot: an account a script posts as";
    out.push(b);
  } else if (info.guest || (hint && hint.guest === true)) {
    const b = el("span", "tag tag-guest", "guest");
    b.dataset.testid = "badge-guest";
    b.title = "Guest: not a registered account";
    out.push(b);
  } else if (ROLE_TEXT[info.role]) {
    const b = el("span", "tag tag-role tag-" + info.role, ROLE_TEXT[info.role]);
    b.dataset.testid = "badge-role";
    b.dataset.role = info.role;
    b.title = info.role === "owner" ? "Owner of this server" : "Administrator";
    out.push(b);
  }
  return out;
}

// Fills box with "Display Name  name [badges]" (or "name [badges]"). cls: the class of
// the main label (it keeps the author colour of message rows).
// presence.js adds what a name's status says to screen readers (a hook: no cycle).
let nameHook = null;
export function setNameHook(fn) { nameHook = fn; }

export function fillName(box, name, hint, cls) {
  box.textContent = "";
  box.dataset.user = name;
  if (hint && hint.guest === true) box.dataset.guest = "1";
  if (cls) box.dataset.cls = cls;
  const display = people.displayOf(name);
  if (display && display !== name) {
    box.append(el("span", cls || "name-main", display), el("span", "name-handle", name));
  } else {
    box.append(el("span", cls || "name-main", name));
  }
  for (const b of badges(name, hint)) box.append(b);
  if (nameHook) nameHook(box, name);
  return box;
}

export function nameLabel(name, hint, cls) {
  return fillName(el("span", "name-label"), name, hint, cls);
}

// What we know of people changed (the directory came, a guest was marked): every label
// under root is drawn again.
export function refreshNames(root) {
  for (const box of root.querySelectorAll(".name-label[data-user]")) {
    fillName(box, box.dataset.user, { guest: box.dataset.guest === "1" }, box.dataset.cls);
  }
}
