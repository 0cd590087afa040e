/*
 * parley web client: your account (UI).
 *
 * The profile dialog, opened from the sidebar's own name (profile-open): the display
 * name (PATCH /api/me), the password (POST /api/password: every other session ends), the
 * sessions where one is signed in (GET /api/sessions, newest first; DELETE
 * /api/sessions/ID ends one), signing out here (logout) or everywhere (logout-all).
 *
 * Signing out is app.js's (signOutAccount): it closes the connection before it asks the
 * server, so that the server closing our socket (4001) is not taken for a sign-out from
 * elsewhere. Ending the current session from the list is signing out. Errors are shown in
 * the section that asked; text from the network goes in through textContent only.
 */
import { authErrorText } from "./const.js";
import { el, icon, hueOf, initials, relTime } from "./dom.js";
import { charCount } from "./util.js";
import * as auth from "./auth_data.js";
import * as people from "./people.js";
import { passwordProblem } from "./auth_ui.js";
import { signOutAccount } from "./app.js";

const MAX_DISPLAY = 64;
const OK_MS = 5000;
// 20x20 stroked icons (the style of channels.js's): a computer, a phone.
const DEVICE = {
  desktop: ["M3 4.5h14v9H3z", "M7 16.5h6", "M10 13.5v3"],
  phone: ["M6.5 2.5h7v15h-7z", "M9.2 15h1.6"],
};

const ui = {};
let sessionsReq = null;      // token of the sessions request in flight
const okTimers = new WeakMap();

/* ---------- small helpers ---------- */

function showError(box, text) { box.textContent = text; box.hidden = false; }
function hideError(box) { box.hidden = true; box.textContent = ""; }

function showOk(box, text) {
  box.textContent = text;
  box.hidden = false;
  clearTimeout(okTimers.get(box));
  okTimers.set(box, setTimeout(() => { box.hidden = true; }, OK_MS));
}

function busy(btn, on, text) {
  if (!btn.dataset.idle) btn.dataset.idle = btn.textContent;
  btn.disabled = on;
  btn.textContent = on ? text : btn.dataset.idle;
}

// "Chrome on Linux" from a User-Agent: enough to tell one's devices apart.
export function deviceName(agent) {
  const a = typeof agent === "string" ? agent : "";
  if (!a) return "Unknown device";
  const browser = /Edg\//.test(a) ? "Edge" : /OPR\//.test(a) ? "Opera" : /Firefox\//.test(a) ? "Firefox"
    : /Chrom(e|ium)\//.test(a) ? "Chrome" : /Safari\//.test(a) ? "Safari"
    : /python|websockets|curl/i.test(a) ? a.split(/[\s/]/)[0] : "A browser";
  const os = /iPhone|iPad|iPod/.test(a) ? "iOS" : /Android/.test(a) ? "Android" : /Windows/.test(a) ? "Windows"
    : /Mac OS X|Macintosh/.test(a) ? "macOS" : /CrOS/.test(a) ? "ChromeOS" : /Linux/.test(a) ? "Linux" : "";
  return os ? browser + " on " + os : browser;
}

/* ---------- the dialog ---------- */

export function open() {
  if (!people.me.account) return;
  renderIdentity();
  ui.display.value = people.me.display;
  ui.passwordUser.value = people.user();
  ui.current.value = ui.fresh.value = "";
  for (const box of [ui.profileError, ui.profileOk, ui.passwordError, ui.passwordOk, ui.sessionsError]) box.hidden = true;
  ui.dialog.showModal();
  ui.display.focus();
  loadSessions();
}

export function close() { if (ui.dialog.open) ui.dialog.close(); }

function renderIdentity() {
  const name = people.user();
  ui.avatar.textContent = initials(name);
  ui.avatar.style.setProperty("--h", hueOf(name));
  ui.shown.textContent = people.me.display || name;
  const role = people.me.role && people.me.role !== "legacy" ? people.me.role : "member";
  ui.name.textContent = "@" + name + " · " + role;
}

function onDisplaySubmit(ev) {
  ev.preventDefault();
  const display = ui.display.value.trim();
  hideError(ui.profileError);
  if (charCount(display) > MAX_DISPLAY) {
    showError(ui.profileError, "Display names can be at most " + MAX_DISPLAY + " characters.");
    return;
  }
  if (display === people.me.display) { showOk(ui.profileOk, "Saved."); return; }
  busy(ui.save, true, "Saving…");
  auth.saveDisplayName(display).then((user) => {
    busy(ui.save, false);
    const now = user && typeof user.display_name === "string" ? user.display_name : display;
    ui.display.value = now;
    people.setMyDisplay(now);
    renderIdentity();
    showOk(ui.profileOk, now ? "Saved: people now see you as " + now + "." : "Saved: people now see your name.");
  }, (err) => {
    busy(ui.save, false);
    showError(ui.profileError, err.code === "bad_name"
      ? "That display name isn't allowed: no control, direction-override or invisible characters."
      : authErrorText(err));
  });
}

function onPasswordSubmit(ev) {
  ev.preventDefault();
  hideError(ui.passwordError);
  ui.passwordOk.hidden = true;
  if (!ui.current.value) { showError(ui.passwordError, "Enter your current password."); ui.current.focus(); return; }
  const problem = passwordProblem(ui.fresh.value);
  if (problem) { showError(ui.passwordError, problem); ui.fresh.focus(); return; }
  busy(ui.passwordSubmit, true, "Changing…");
  auth.changePassword(ui.current.value, ui.fresh.value).then(() => {
    busy(ui.passwordSubmit, false);
    ui.current.value = ui.fresh.value = "";
    showOk(ui.passwordOk, "Password changed. You were signed out everywhere else.");
    loadSessions();
  }, (err) => {
    busy(ui.passwordSubmit, false);
    if (err.code === "bad_credentials") {
      showError(ui.passwordError, "Your current password is not right.");
      ui.current.value = "";
      ui.current.focus();
    } else {
      showError(ui.passwordError, authErrorText(err));
    }
  });
}

/* ---------- sessions ---------- */

function loadSessions() {
  const tok = sessionsReq = {};
  ui.sessionsStatus.textContent = "Loading…";
  hideError(ui.sessionsError);
  auth.sessions().then((list) => {
    if (sessionsReq !== tok) return;
    sessionsReq = null;
    renderSessions(list);
  }, (err) => {
    if (sessionsReq !== tok) return;
    sessionsReq = null;
    ui.sessionsStatus.textContent = "";
    showError(ui.sessionsError, authErrorText(err));
  });
}

function renderSessions(list) {
  ui.sessions.textContent = "";
  const n = list.length;
  ui.sessionsStatus.textContent = n === 1 ? "Signed in on this device only." : "Signed in on " + n + " devices and browsers.";
  for (const s of list) ui.sessions.append(sessionRow(s));
}

function sessionRow(s) {
  const li = el("li", "row");
  li.dataset.testid = "session";
  li.dataset.sessionId = String(s.id);
  const current = s.current === true;
  if (current) li.dataset.current = "true";
  const main = el("div", "row-main");
  const head = el("div", "row-title", deviceName(s.agent));
  if (current) {
    const pill = el("span", "pill", "This device");
    pill.dataset.testid = "session-current";
    head.append(pill);
  }
  const facts = [];
  if (typeof s.addr === "string" && s.addr) facts.push(s.addr);
  if (Number.isFinite(s.created)) facts.push("signed in " + relTime(s.created));
  if (current) facts.push("active now");
  else if (Number.isFinite(s.seen)) facts.push("last active " + relTime(s.seen));
  const meta = el("div", "row-meta", facts.join(" · "));
  if (typeof s.agent === "string" && s.agent) meta.title = s.agent;
  main.append(head, meta);
  const btn = el("button", "btn-secondary btn-small", current ? "Sign out" : "Revoke");
  btn.type = "button";
  btn.dataset.testid = "session-revoke";
  btn.title = current ? "Sign out on this device" : "Sign out that device";
  btn.addEventListener("click", () => revoke(s, li, btn));
  const mobile = /iPhone|iPad|iPod|Android|Mobile/.test(typeof s.agent === "string" ? s.agent : "");
  const device = el("span", "row-icon device-icon");
  device.append(icon(DEVICE[mobile ? "phone" : "desktop"]));
  li.append(device, main, btn);
  return li;
}

function revoke(s, li, btn) {
  if (s.current === true) { signOutAccount(false); return; }
  busy(btn, true, "Revoking…");
  hideError(ui.sessionsError);
  auth.revokeSession(s.id).then(() => {
    li.remove();
    loadSessions();
  }, (err) => {
    busy(btn, false);
    if (err.code === "not_found") { loadSessions(); return; } // gone already
    showError(ui.sessionsError, authErrorText(err));
  });
}

/* ---------- start ---------- */

export function init() {
  const ids = {
    dialog: "profile-dialog", avatar: "profile-avatar", shown: "profile-shown", name: "profile-name",
    form: "profile-form", display: "profile-display", save: "profile-save", profileError: "profile-error",
    profileOk: "profile-ok", passwordForm: "password-form", passwordUser: "password-user",
    current: "password-current", fresh: "password-new", passwordSubmit: "password-submit",
    passwordError: "password-error", passwordOk: "password-ok", sessions: "sessions-list",
    sessionsStatus: "sessions-status", sessionsError: "sessions-error", logout: "logout",
    logoutAll: "logout-all", openBtn: "profile-open",
  };
  for (const k in ids) ui[k] = document.getElementById(ids[k]);
  ui.openBtn.addEventListener("click", open);
  ui.form.addEventListener("submit", onDisplaySubmit);
  ui.passwordForm.addEventListener("submit", onPasswordSubmit);
  ui.logout.addEventListener("click", () => signOutAccount(false));
  ui.logoutAll.addEventListener("click", () => signOutAccount(true));
  ui.dialog.addEventListener("click", (ev) => { if (ev.target === ui.dialog) close(); });
  ui.dialog.querySelectorAll("[data-close]").forEach((b) => b.addEventListener("click", close));
  ui.dialog.addEventListener("close", () => { sessionsReq = null; });
}
