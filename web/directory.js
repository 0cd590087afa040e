/*
 * parley web client: the people directory (UI).
 *
 * "People" in the sidebar opens a searchable list of everyone: the accounts of the
 * directory (GET /api/users, read by app.js; offline ones too) and the guests online
 * (people.js knows them from #general's presence). The search matches a name, a display
 * name or a title, as typed, ignoring case and accents. Each person is a button that opens
 * their profile card (person_card.js), with its "Message" button. Text goes in through
 * textContent only.
 */
import { el, avatar } from "./dom.js";
import * as people from "./people.js";
import { nameLabel } from "./badges.js";
import { open as openCard } from "./person_card.js";
import { closeSidebar } from "./app.js";

const ui = {};

// Lower case without accents: "José" is found by "jose".
export function fold(s) {
  return String(s).normalize("NFKD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
}

// Everyone we know of, sorted: ourselves first, then by what is shown of them.
export function everyone() {
  const names = new Set(people.directoryNames());
  for (const n of people.onlineSet()) names.add(n);
  if (people.user()) names.add(people.user());
  const me = people.user();
  const shown = (n) => fold(people.displayOf(n) || n);
  return Array.from(names).sort((a, b) => (a === me ? -1 : b === me ? 1 : shown(a).localeCompare(shown(b))));
}

export function matches(name, q) {
  if (!q) return true;
  const p = people.profileOf(name);
  return [name, p.display, p.title].some((s) => s && fold(s).includes(q));
}

function row(name) {
  const p = people.profileOf(name);
  const li = el("li");
  const b = el("button", "row person-row");
  b.type = "button";
  b.dataset.testid = "directory-person";
  b.dataset.name = name;
  b.setAttribute("aria-haspopup", "dialog");
  const face = avatar(name, "avatar-sm row-icon");
  face.append(el("span", "presence" + (p.online ? " is-online" : "")));
  const main = el("span", "row-main");
  const head = el("span", "row-title");
  head.append(nameLabel(name));
  if (name === people.user()) head.append(el("span", "you", "you"));
  main.append(head);
  const facts = [p.title, p.online ? "online" : "offline"].filter(Boolean).join(" · ");
  main.append(el("span", "row-meta", facts));
  b.append(face, main);
  b.title = "Profile of " + (p.display || name);
  b.addEventListener("click", () => openCard(name));
  li.append(b);
  return li;
}

function render() {
  if (!ui.dialog.open) return;
  const q = fold(ui.search.value.trim());
  const all = everyone();
  const found = all.filter((n) => matches(n, q));
  // Presence changes redraw the list: the person focused keeps the focus.
  const focused = ui.list.contains(document.activeElement) ? document.activeElement.dataset.name : "";
  ui.list.textContent = "";
  for (const n of found) ui.list.append(row(n));
  if (focused) {
    const again = Array.from(ui.list.querySelectorAll("button")).find((b) => b.dataset.name === focused);
    if (again) again.focus();
  }
  const count = (n) => n === 1 ? "1 person" : n + " people";
  ui.status.textContent = q ? (found.length ? count(found.length) + " found" : "Nobody matches \u201c" + ui.search.value.trim() + "\u201d.")
    : count(all.length) + (people.directoryRead() ? "" : " online");
}

export function open() {
  ui.search.value = "";
  ui.dialog.showModal();
  render();
  closeSidebar();
  ui.search.focus();
}

export function init() {
  const ids = { dialog: "directory-dialog", search: "directory-search", status: "directory-status",
    list: "directory-list", openBtn: "people-open" };
  for (const k in ids) ui[k] = document.getElementById(ids[k]);
  ui.openBtn.addEventListener("click", open);
  ui.search.addEventListener("input", render);
  ui.dialog.addEventListener("click", (ev) => { if (ev.target === ui.dialog) ui.dialog.close(); });
  ui.dialog.querySelectorAll("[data-close]").forEach((b) => b.addEventListener("click", () => ui.dialog.close()));
  people.changes.on("people", render);
  people.changes.on("online", render);
}
