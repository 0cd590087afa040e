/*
 * parley web client: a new direct message, with one person or a group (UI).
 *
 * The "+" beside "Direct messages" opens a picker of everyone one may message (the
 * directory's accounts, online or not, and the guests online): search, pick 1 to 7 others
 * (a DM holds at most 8 people), remove a pick with its chip, then "Start" asks the server
 * with `dm_open` and the names (channels.js openDmWith: an existing DM with exactly them is
 * just shown). Each person is a toggle button (aria-pressed). Text goes in through
 * textContent only.
 */
import { el, avatar, icon } from "./dom.js";
import * as people from "./people.js";
import * as channels from "./channels_data.js";
import { nameLabel } from "./badges.js";
import { openDmWith } from "./channels.js";
import { everyone, fold, matches } from "./directory.js";
import { closeSidebar } from "./app.js";

export const MAX_OTHERS = 7;
const SHOWN_MAX = 200; // rows in the list at once: the search narrows the rest

const ui = {};
let picked = [];

function lead() {
  const n = picked.length;
  ui.lead.textContent = n === 0 ? "Pick 1 to " + MAX_OTHERS + " people, online or not."
    : n >= MAX_OTHERS ? "That's the most a conversation holds (" + (MAX_OTHERS + 1) + " with you)."
    : n + " picked. Add up to " + (MAX_OTHERS - n) + " more.";
  ui.submit.disabled = n === 0;
  ui.submit.textContent = n > 1 ? "Start group message" : "Start";
}

function renderChips() {
  ui.chips.textContent = "";
  for (const name of picked) {
    const chip = el("span", "pick-chip");
    chip.dataset.testid = "dm-new-chip";
    chip.dataset.name = name;
    chip.append(avatar(name, "avatar-xs"), el("span", "", people.displayOf(name) || name));
    const x = el("button", "pick-chip-x");
    x.type = "button";
    x.setAttribute("aria-label", "Remove " + name);
    x.append(icon(["M5 5l10 10", "M15 5L5 15"]));
    x.addEventListener("click", () => { toggle(name); ui.search.focus(); });
    chip.append(x);
    ui.chips.append(chip);
  }
  ui.chips.hidden = picked.length === 0;
}

function renderList() {
  const q = fold(ui.search.value.trim());
  const me = people.user();
  const found = everyone().filter((n) => n !== me && matches(n, q));
  const focused = ui.list.contains(document.activeElement) ? document.activeElement.dataset.name : "";
  ui.list.textContent = "";
  for (const name of found.slice(0, SHOWN_MAX)) {
    const on = picked.includes(name);
    const li = el("li");
    const b = el("button", "row pick-row");
    b.type = "button";
    b.dataset.testid = "dm-new-person";
    b.dataset.name = name;
    b.setAttribute("aria-pressed", String(on));
    b.disabled = !on && picked.length >= MAX_OTHERS;
    const main = el("span", "row-main");
    const head = el("span", "row-title");
    head.append(nameLabel(name));
    main.append(head);
    const p = people.profileOf(name);
    main.append(el("span", "row-meta", [p.title, p.online ? "online" : "offline"].filter(Boolean).join(" · ")));
    const check = el("span", "pick-check");
    check.append(icon(["M4.5 10.5l3.5 3.5 7.5-8"]));
    b.append(avatar(name, "avatar-sm row-icon"), main, check);
    b.addEventListener("click", () => toggle(name));
    li.append(b);
    ui.list.append(li);
  }
  if (!found.length) ui.list.append(el("li", "pick-none", "Nobody matches."));
  if (focused) {
    const again = Array.from(ui.list.querySelectorAll("button")).find((x) => x.dataset.name === focused);
    if (again) again.focus();
  }
}

function render() {
  renderChips();
  renderList();
  lead();
}

function toggle(name) {
  const i = picked.indexOf(name);
  if (i >= 0) picked.splice(i, 1);
  else if (picked.length < MAX_OTHERS) picked.push(name);
  ui.error.hidden = true;
  render();
}

export function open() {
  if (people.isGuest() || !channels.canMessage()) return;
  picked = [];
  ui.search.value = "";
  ui.error.hidden = true;
  ui.dialog.showModal();
  render();
  ui.search.focus();
}

function onSubmit(ev) {
  ev.preventDefault();
  if (!picked.length) {
    ui.error.textContent = "Pick at least one person.";
    ui.error.hidden = false;
    return;
  }
  const users = picked.slice();
  ui.dialog.close();
  closeSidebar();
  openDmWith(users); // errors come as a toast (channels.js)
}

export function init() {
  const ids = { dialog: "dm-new-dialog", form: "dm-new-form", lead: "dm-new-lead", chips: "dm-new-chips",
    search: "dm-new-search", list: "dm-new-list", error: "dm-new-error", submit: "dm-new-submit",
    openBtn: "dm-new-open" };
  for (const k in ids) ui[k] = document.getElementById(ids[k]);
  ui.openBtn.addEventListener("click", open);
  ui.form.addEventListener("submit", onSubmit);
  ui.search.addEventListener("input", renderList);
  // Enter in the search picks the first match (the form would submit otherwise).
  ui.search.addEventListener("keydown", (ev) => {
    if (ev.key !== "Enter") return;
    ev.preventDefault();
    const first = ui.list.querySelector("button:not([disabled])");
    if (first && first.getAttribute("aria-pressed") === "false") { toggle(first.dataset.name); ui.search.select(); }
  });
  ui.dialog.addEventListener("click", (ev) => { if (ev.target === ui.dialog) ui.dialog.close(); });
  ui.dialog.querySelectorAll("[data-close]").forEach((b) => b.addEventListener("click", () => ui.dialog.close()));
  people.changes.on("people", () => { if (ui.dialog.open) render(); });
  people.changes.on("online", () => { if (ui.dialog.open) renderList(); });
}
