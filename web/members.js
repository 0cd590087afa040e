/*
 * parley web client: a channel's members (UI).
 *
 * The members dialog, opened from the member count in the channel header (channels other
 * than #general and direct messages). It lists who is in the channel, asked with
 * `channel_members` (channels_data.js), with a "remove" button (member-kick: a
 * `channel_kick`) for those who may remove people: the channel's creator (a private
 * channel's) and owners and admins (any channel but #general and direct messages). The
 * server decides (docs/protocol.md, "WebSocket with accounts"); a refusal is shown in the dialog.
 * A server that cannot list members answers `bad_type`: the dialog then offers removal by
 * name. "Add people" opens the invite dialog (channels.js).
 */
import { GENERAL, errorText } from "./const.js";
import { el, avatar, cardable } from "./dom.js";
import * as conn from "./conn.js";
import * as channels from "./channels_data.js";
import * as people from "./people.js";
import { page } from "./page.js";
import { nameLabel } from "./badges.js";
import { openInvite, toast } from "./channels.js";

const ui = {};
let showing = null;          // {v, list: [{name, hint}] | null, guessed, creator, req, kicking: Set}
let unlisted = false;        // the server answered channel_members with bad_type

function showError(text) { ui.error.textContent = text; ui.error.hidden = false; }
function hideError() { ui.error.hidden = true; ui.error.textContent = ""; }

// Who may remove people from v, as far as the page can tell: owners and admins anywhere
// but #general and direct messages; the creator of a private channel (when the server
// does not say who that is, members of a private channel are offered it and the server
// decides).
export function canKick(v, creator) {
  if (!v || v.name === GENERAL || channels.isDm(v) || people.isGuest()) return false;
  if (people.isStaff()) return true;
  if (v.info.kind !== "private") return false;
  const who = creator || v.info.creator;
  return !who || who === people.user();
}

export function open(v) {
  if (!v || v.name === GENERAL || channels.isDm(v)) return;
  showing = { v, list: null, guessed: false, creator: v.info.creator || "", req: null, kicking: new Set() };
  ui.title.textContent = "Members of #" + v.name;
  ui.list.textContent = "";
  ui.kickForm.hidden = true;
  ui.kickName.value = "";
  hideError();
  ui.invite.hidden = people.isGuest() || !!v.info.archived; // nobody is added to an archived channel
  ui.dialog.showModal();
  load();
}

export function close() { if (ui.dialog.open) ui.dialog.close(); }

function load() {
  const s = showing;
  if (!conn.joined()) { ui.status.textContent = ""; showError(errorText({ code: "offline" })); return; }
  if (unlisted) { guess(s); return; }
  const tok = s.req = {};
  ui.status.textContent = "Loading members…";
  channels.members(s.v.name).then((p) => {
    if (showing !== s || s.req !== tok) return;
    s.req = null;
    s.list = parseMembers(p);
    if (typeof p.creator === "string" && p.creator) s.creator = p.creator;
    render();
  }, (err) => {
    if (showing !== s || s.req !== tok) return;
    s.req = null;
    ui.status.textContent = "";
    if (err.code === "bad_type") { unlisted = true; guess(s); return; }
    if (err.code !== "stopped") showError(errorText(err) + " (" + err.code + ")");
  });
}

// No member list on this server: the people seen in the channel, and removal by name.
function guess(s) {
  s.list = seenIn(s.v);
  s.guessed = true;
  render();
  ui.kickForm.hidden = !canKick(s.v, s.creator);
}

// The people this page saw in v: its joins, the authors of what it holds, whom we
// invited, and us.
function seenIn(v) {
  const names = new Set(v.seen);
  for (const m of v.messages.values()) names.add(m.user);
  for (const m of v.mx.extra.values()) names.add(m.user);
  names.add(people.user());
  return Array.from(names).map((name) => ({ name, hint: {} }))
    .sort((a, b) => (a.name === people.user() ? -1 : b.name === people.user() ? 1 : a.name.localeCompare(b.name)));
}

// `users` (or `members`): names, or {name, display_name, role, guest} objects.
function parseMembers(p) {
  const raw = Array.isArray(p.users) ? p.users : Array.isArray(p.members) ? p.members : [];
  const out = [];
  for (const m of raw) {
    if (typeof m === "string") out.push({ name: m, hint: {} });
    else if (m && typeof (m.name || m.user) === "string") out.push({ name: m.name || m.user, hint: { guest: m.guest === true || m.role === "guest" } });
  }
  out.sort((a, b) => (a.name === people.user() ? -1 : b.name === people.user() ? 1 : a.name.localeCompare(b.name)));
  return out;
}

function render() {
  const s = showing;
  if (!s || !s.list) return;
  const n = s.list.length;
  ui.status.textContent = s.guessed
    ? "People seen in #" + s.v.name + " (this server does not list members; some may have left)."
    : n === 1 ? "1 member" : n + " members";
  ui.list.textContent = "";
  const kick = canKick(s.v, s.creator);
  for (const m of s.list) {
    const li = el("li", "row");
    li.dataset.testid = "member";
    li.dataset.name = m.name;
    const main = el("div", "row-main");
    const head = el("div", "row-title");
    head.append(cardable(nameLabel(m.name, m.hint), m.name)); // the profile card (person_card.js)
    if (m.name === people.user()) head.append(el("span", "you", "you"));
    if (s.creator && m.name === s.creator) head.append(el("span", "pill", "Creator"));
    main.append(head);
    li.append(avatar(m.name, "avatar-sm row-icon"), main);
    if (kick && m.name !== people.user()) {
      const b = el("button", "btn-secondary btn-small btn-danger-text", s.kicking.has(m.name) ? "Removing…" : "Remove");
      b.type = "button";
      b.dataset.testid = "member-kick";
      b.disabled = s.kicking.has(m.name);
      b.title = "Remove " + m.name + " from #" + s.v.name;
      b.addEventListener("click", () => kick1(m.name));
      li.append(b);
    }
    ui.list.append(li);
  }
}

function kick1(name) {
  const s = showing;
  if (!s || s.kicking.has(name)) return;
  if (!conn.joined()) { showError(errorText({ code: "offline" })); return; }
  hideError();
  s.kicking.add(name);
  render();
  channels.kick(s.v.name, name).then(() => {
    s.kicking.delete(name);
    if (s.list) s.list = s.list.filter((m) => m.name !== name);
    if (showing === s) render();
    toast("Removed " + name + " from #" + s.v.name + ".", "info");
  }, (err) => {
    s.kicking.delete(name);
    if (showing !== s) return;
    render();
    if (err.code !== "stopped") showError(errorText(err) + " (" + err.code + ")");
  });
}

function onKickSubmit(ev) {
  ev.preventDefault();
  const name = ui.kickName.value.trim();
  if (!name) { showError("Type the name of the person to remove."); return; }
  if (name === people.user()) { showError("To leave the channel yourself, use Leave in its header."); return; }
  ui.kickName.value = "";
  kick1(name);
}

// A join or leave in the channel shown: the list is read again.
export function onPresence(p) {
  if (showing && ui.dialog.open && p && p.channel === showing.v.name && !showing.req) load();
}

export function reset() { close(); showing = null; unlisted = false; }

export function init() {
  const ids = {
    dialog: "members-dialog", title: "members-title", status: "members-status", list: "members-list",
    kickForm: "kick-form", kickName: "kick-name", error: "members-error", invite: "members-invite",
    openBtn: "members-open",
  };
  for (const k in ids) ui[k] = document.getElementById(ids[k]);
  ui.openBtn.addEventListener("click", () => open(page.view));
  ui.kickForm.addEventListener("submit", onKickSubmit);
  ui.invite.addEventListener("click", () => { close(); openInvite(); });
  ui.dialog.addEventListener("click", (ev) => { if (ev.target === ui.dialog) close(); });
  ui.dialog.querySelectorAll("[data-close]").forEach((b) => b.addEventListener("click", close));
  ui.dialog.addEventListener("close", () => { if (showing) showing.req = null; });
}
