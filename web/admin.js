/*
 * parley web client: administration (UI), for owners and admins (admin-open).
 *
 * People (GET /api/users: every user, with state, created, seen): each row with its role
 * (a select: POST /api/users/ID/role), ban / unban, deactivate / activate and a reset
 * link to hand over (POST /api/users/ID/reset). Invites (GET, POST, DELETE /api/invites):
 * a form for the role, the number of uses and the lifetime, the new link to copy (the
 * server keeps only its hash: it is shown this once), and the list with revoke.
 *
 * The server decides every right (docs/protocol.md, "Accounts"): the page offers what the
 * viewer's role may do (users below one's role, owners also over owners; roles up to
 * one's own) and shows the server's refusal where it was asked. After a change the list
 * is read again, so what it shows is the server's word.
 */
import { authErrorText } from "./const.js";
import { el, avatar, relTime } from "./dom.js";
import * as auth from "./auth_data.js";
import * as people from "./people.js";
import { nameLabel } from "./badges.js";

const COPIED_MS = 2000;
const ROLE_TEXT = { owner: "Owner", admin: "Admin", member: "Member", guest: "Guest" };

const ui = {};
let users = null;            // the last GET /api/users answer
let invites = null;          // the last GET /api/invites answer
const resetLinks = new Map(); // user id -> {link, expires}: shown under the row
const pending = new Set();   // user ids with a change in flight
let usersReq = null, invitesReq = null;

/* ---------- rights, as the page offers them ---------- */

function myRank() { return auth.rank(people.me.role); }

// Whether the viewer may act on someone of that role (never on themself).
function canManage(u) {
  if (u.id === people.me.id || u.name === people.user()) return false;
  const mine = myRank();
  return auth.rank(u.role) < mine || (people.me.role === "owner" && u.role === "owner");
}

// Roles the viewer may give: below their own; owners may make owners.
function grantable() {
  const mine = myRank();
  return ["member", "admin", "owner"].filter((r) => auth.rank(r) < mine || (people.me.role === "owner" && r === "owner"));
}

/* ---------- the dialog ---------- */

export function open() {
  if (!people.isStaff()) return;
  ui.filter.value = "";
  ui.newInvite.hidden = true;
  hideError(ui.error);
  hideError(ui.inviteError);
  fillRoleSelect(ui.inviteRole, grantable(), "member");
  ui.dialog.showModal();
  loadUsers();
  loadInvites();
}

export function close() { if (ui.dialog.open) ui.dialog.close(); }

function showError(box, text) { box.textContent = text; box.hidden = false; }
function hideError(box) { box.hidden = true; box.textContent = ""; }

function fillRoleSelect(sel, roles, value) {
  sel.textContent = "";
  for (const r of roles) {
    const o = el("option", "", ROLE_TEXT[r] || r);
    o.value = r;
    sel.append(o);
  }
  sel.value = roles.includes(value) ? value : roles[0] || "";
}

/* ---------- people ---------- */

function loadUsers() {
  const tok = usersReq = {};
  if (!users) ui.status.textContent = "Loading people…";
  auth.users().then((list) => {
    if (usersReq !== tok) return;
    usersReq = null;
    users = list;
    people.setDirectory(list); // the freshest word on roles and display names
    renderUsers();
  }, (err) => {
    if (usersReq !== tok) return;
    usersReq = null;
    ui.status.textContent = "";
    showError(ui.error, authErrorText(err));
  });
}

function renderUsers() {
  if (!users) return;
  const q = ui.filter.value.trim().toLowerCase();
  const shown = users.filter((u) => !q || u.name.toLowerCase().includes(q) ||
    (typeof u.display_name === "string" && u.display_name.toLowerCase().includes(q)));
  const accounts = users.filter((u) => u.role !== "guest" && !u.guest).length;
  ui.count.textContent = String(users.length);
  ui.status.textContent = (accounts === 1 ? "1 account" : accounts + " accounts") +
    (users.length - accounts === 1 ? ", 1 guest" : users.length > accounts ? ", " + (users.length - accounts) + " guests" : "") +
    (q ? " · " + shown.length + " shown" : "");
  ui.users.textContent = "";
  for (const u of shown) ui.users.append(userRow(u));
}

function userRow(u) {
  const li = el("li", "row admin-user");
  li.dataset.testid = "admin-user";
  li.dataset.name = u.name;
  li.dataset.userId = String(u.id);
  const state = typeof u.state === "string" ? u.state : "active";
  li.dataset.state = state;
  const guest = u.role === "guest" || u.guest === true;
  const main = el("div", "row-main");
  const head = el("div", "row-title");
  head.append(nameLabel(u.name, { guest }));
  if (u.name === people.user()) head.append(el("span", "you", "you"));
  if (state !== "active") {
    const pill = el("span", "pill pill-" + state, state === "banned" ? "Banned" : "Deactivated");
    pill.dataset.testid = "user-state";
    head.append(pill);
  }
  const facts = [];
  if (Number.isFinite(u.created)) facts.push((guest ? "arrived " : "joined ") + relTime(u.created));
  if (Number.isFinite(u.seen) && u.seen > 0) facts.push("last seen " + relTime(u.seen));
  main.append(head, el("div", "row-meta", facts.join(" · ")));
  li.append(avatar(u.name, "avatar-sm row-icon"), main, actions(u, guest, state));
  const reset = resetLinks.get(u.id);
  if (reset) li.append(linkBox("Reset link for " + u.name + ": it sets a new password, once, " +
    (reset.expires ? "until it expires " + relTime(reset.expires) : "within a day") + ".", reset.link, "reset"));
  return li;
}

function actions(u, guest, state) {
  const box = el("div", "row-actions");
  if (u.name === people.user()) return box; // one does not administer oneself
  const may = canManage(u);
  const busy = pending.has(u.id);
  const why = may ? "" : u.name === people.user() ? "That's you" : "Only someone above their role can change this";
  if (!guest) {
    const sel = el("select", "select-input select-small");
    sel.dataset.testid = "user-role";
    sel.setAttribute("aria-label", "Role of " + u.name);
    const roles = grantable();
    if (!roles.includes(u.role)) roles.push(u.role);
    roles.sort((a, b) => auth.rank(b) - auth.rank(a));
    fillRoleSelect(sel, roles, u.role);
    sel.disabled = !may || busy;
    if (why) sel.title = why;
    sel.addEventListener("change", () => change(u, auth.setRole(u.id, sel.value), () => { sel.value = u.role; }));
    box.append(sel);
  }
  const pairs = state === "banned" ? [["user-unban", "Unban", "unban"]]
    : state === "deactivated" ? [["user-activate", "Reactivate", "activate"]]
    : [["user-ban", "Ban", "ban"], ["user-deactivate", "Deactivate", "deactivate"]];
  for (const [testid, text, action] of pairs) {
    const danger = action === "ban" || action === "deactivate";
    const b = el("button", "btn-secondary btn-small" + (danger ? " btn-danger-text" : ""), text);
    b.type = "button";
    b.dataset.testid = testid;
    b.disabled = !may || busy;
    if (why) b.title = why;
    else if (action === "ban") b.title = "Sign " + u.name + " out everywhere and refuse them from now on";
    else if (action === "deactivate") b.title = "Close " + u.name + "'s account; it can be reactivated";
    b.addEventListener("click", () => change(u, auth.setState(u.id, action)));
    box.append(b);
  }
  if (!guest) {
    const r = el("button", "btn-secondary btn-small", "Reset link");
    r.type = "button";
    r.dataset.testid = "user-reset";
    r.disabled = !may || busy;
    r.title = why || "A one-time link that lets " + u.name + " choose a new password";
    r.addEventListener("click", () => makeResetLink(u));
    box.append(r);
  }
  return box;
}

// A change to someone: the row waits, then the list is read again.
function change(u, promise, undo) {
  pending.add(u.id);
  hideError(ui.error);
  renderUsers();
  promise.then(() => {
    pending.delete(u.id);
    loadUsers();
  }, (err) => {
    pending.delete(u.id);
    if (undo) undo();
    showError(ui.error, u.name + ": " + authErrorText(err) + " (" + err.code + ")");
    renderUsers();
  });
}

function makeResetLink(u) {
  pending.add(u.id);
  hideError(ui.error);
  renderUsers();
  auth.resetLink(u.id).then((p) => {
    pending.delete(u.id);
    resetLinks.set(u.id, { link: auth.linkFor(typeof p.link === "string" ? p.link : "/#reset=" + p.token),
      expires: Number.isFinite(p.expires) ? p.expires : 0 });
    renderUsers();
  }, (err) => {
    pending.delete(u.id);
    showError(ui.error, u.name + ": " + authErrorText(err) + " (" + err.code + ")");
    renderUsers();
  });
}

/* ---------- links to hand over ---------- */

function linkBox(label, link, kind) {
  const box = el("div", "link-box");
  box.append(el("span", "link-box-label", label));
  const row = el("div", "link-row");
  const out = el("output", "link-text", link);
  out.dataset.testid = kind + "-link";
  const copy = el("button", "btn-secondary btn-small", "Copy");
  copy.type = "button";
  copy.dataset.testid = kind + "-copy";
  copy.addEventListener("click", () => copyText(out, copy));
  row.append(out, copy);
  box.append(row);
  return box;
}

// The clipboard API needs a secure context (https or localhost); elsewhere the text is
// selected and copied the old way, or left selected for Ctrl+C.
export function copyText(out, btn) {
  const text = out.textContent;
  const said = () => {
    btn.textContent = "Copied";
    setTimeout(() => { btn.textContent = "Copy"; }, COPIED_MS);
  };
  const range = document.createRange();
  range.selectNodeContents(out);
  const sel = window.getSelection();
  sel.removeAllRanges();
  sel.addRange(range);
  if (navigator.clipboard && window.isSecureContext) {
    navigator.clipboard.writeText(text).then(said, () => {});
    return;
  }
  try { if (document.execCommand("copy")) said(); } catch (e) { /* selected: Ctrl+C works */ }
}

/* ---------- invites ---------- */

function loadInvites() {
  const tok = invitesReq = {};
  if (!invites) ui.invitesStatus.textContent = "Loading invites…";
  auth.invites().then((list) => {
    if (invitesReq !== tok) return;
    invitesReq = null;
    invites = list;
    renderInvites();
  }, (err) => {
    if (invitesReq !== tok) return;
    invitesReq = null;
    ui.invitesStatus.textContent = "";
    showError(ui.inviteError, authErrorText(err));
  });
}

function inviteState(i) {
  if (i.revoked) return "revoked";
  if (Number.isFinite(i.expires) && i.expires <= Date.now()) return "expired";
  if (Number.isInteger(i.max_uses) && i.max_uses > 0 && i.uses >= i.max_uses) return "used";
  return "active";
}

function renderInvites() {
  ui.invites.textContent = "";
  const list = (invites || []).slice().sort((a, b) => (b.created || 0) - (a.created || 0));
  const active = list.filter((i) => inviteState(i) === "active").length;
  ui.invitesStatus.textContent = !list.length ? "No invites yet."
    : active === 1 ? "1 invite can still be used." : active + " invites can still be used.";
  for (const i of list) ui.invites.append(inviteRow(i));
}

// The server names the creator (null: the command line); an id is looked up.
function creatorName(c) {
  if (typeof c === "string" && c) return c;
  if (!c) return "the command line";
  const u = (users || []).find((x) => x.id === c);
  return u ? u.name : "#" + c;
}

function inviteRow(i) {
  const li = el("li", "row");
  li.dataset.testid = "invite-row";
  li.dataset.inviteId = String(i.id);
  const st = inviteState(i);
  li.dataset.state = st;
  const main = el("div", "row-main");
  const head = el("div", "row-title", (ROLE_TEXT[i.role] || "Member") + " invite");
  const label = { active: "Active", revoked: "Revoked", expired: "Expired", used: "Used up" }[st];
  head.append(el("span", "pill pill-" + st, label));
  const facts = [];
  if (Number.isInteger(i.uses)) facts.push(i.uses + " of " + (i.max_uses || "∞") + (i.max_uses === 1 ? " use" : " uses"));
  if (Number.isFinite(i.expires)) facts.push((st === "expired" ? "expired " : "expires ") + relTime(i.expires));
  facts.push("by " + creatorName(i.creator));
  if (Number.isFinite(i.created)) facts.push(relTime(i.created));
  main.append(head, el("div", "row-meta", facts.join(" · ")));
  li.append(main);
  if (st === "active") {
    const b = el("button", "btn-secondary btn-small btn-danger-text", "Revoke");
    b.type = "button";
    b.dataset.testid = "invite-revoke";
    b.addEventListener("click", () => {
      b.disabled = true;
      hideError(ui.inviteError);
      auth.revokeInvite(i.id).then(loadInvites, (err) => {
        b.disabled = false;
        showError(ui.inviteError, authErrorText(err) + " (" + err.code + ")");
      });
    });
    li.append(b);
  }
  return li;
}

function onInviteSubmit(ev) {
  ev.preventDefault();
  const uses = parseInt(ui.inviteUses.value, 10);
  if (!Number.isInteger(uses) || uses < 1 || uses > 1000) {
    showError(ui.inviteError, "An invite can be used 1 to 1000 times.");
    ui.inviteUses.focus();
    return;
  }
  hideError(ui.inviteError);
  ui.inviteCreate.disabled = true;
  ui.inviteCreate.textContent = "Creating…";
  const opts = { role: ui.inviteRole.value || "member", max_uses: uses, expires_in: parseInt(ui.inviteExpiry.value, 10) };
  auth.createInvite(opts).then((p) => {
    ui.inviteCreate.disabled = false;
    ui.inviteCreate.textContent = "Create invite link";
    ui.inviteLink.textContent = auth.linkFor(typeof p.link === "string" ? p.link : "/#invite=" + p.token);
    ui.newInvite.hidden = false;
    loadInvites();
  }, (err) => {
    ui.inviteCreate.disabled = false;
    ui.inviteCreate.textContent = "Create invite link";
    showError(ui.inviteError, authErrorText(err) + " (" + err.code + ")");
  });
}

/* ---------- start ---------- */

// Signed out: the next person sees nothing of this.
export function reset() {
  close();
  users = invites = null;
  resetLinks.clear();
  pending.clear();
  usersReq = invitesReq = null;
  ui.users.textContent = "";
  ui.invites.textContent = "";
  ui.inviteLink.textContent = "";
}

export function init() {
  const ids = {
    dialog: "admin-dialog", openBtn: "admin-open", filter: "admin-filter", count: "admin-count",
    status: "admin-status", error: "admin-error", users: "admin-users", inviteForm: "admin-invite-form",
    inviteRole: "invite-role", inviteUses: "invite-max-uses", inviteExpiry: "invite-expiry",
    inviteCreate: "invite-create", inviteError: "invite-form-error", newInvite: "invite-new",
    inviteLink: "invite-link", inviteCopy: "invite-copy", invitesStatus: "invites-status",
    invites: "admin-invites",
  };
  for (const k in ids) ui[k] = document.getElementById(ids[k]);
  ui.openBtn.addEventListener("click", open);
  ui.filter.addEventListener("input", renderUsers);
  ui.inviteForm.addEventListener("submit", onInviteSubmit);
  ui.inviteCopy.addEventListener("click", () => copyText(ui.inviteLink, ui.inviteCopy));
  ui.dialog.addEventListener("click", (ev) => { if (ev.target === ui.dialog) close(); });
  ui.dialog.querySelectorAll("[data-close]").forEach((b) => b.addEventListener("click", close));
}
