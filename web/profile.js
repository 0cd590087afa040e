/*
 * parley web client: your account (UI).
 *
 * The profile dialog, opened from the sidebar's own name (profile-open): the photo (POST
 * and DELETE /api/me/avatar), the display name, "what I do" and the time zone (one PATCH
 * /api/me of what changed; the browser's own zone offered), the password (POST /api/password: every other session ends), the
 * sessions where one is signed in (GET /api/sessions, newest first; DELETE
 * /api/sessions/ID ends one), signing out here (logout) or everywhere (logout-all).
 *
 * Signing out is app.js's (signOutAccount): it closes the connection before it asks the
 * server, so that the server closing our socket (4001) is not taken for a sign-out from
 * elsewhere. Ending the current session from the list is signing out. Errors are shown in
 * the section that asked; text from the network goes in through textContent only.
 */
import { authErrorText } from "./const.js";
import { el, icon, paintAvatar, relTime } from "./dom.js";
import { charCount } from "./util.js";
import * as auth from "./auth_data.js";
import * as people from "./people.js";
import { passwordProblem } from "./auth_ui.js";
import { signOutAccount } from "./app.js";

const MAX_DISPLAY = 64;
const MAX_TITLE = 80;
const MAX_AVATAR = 1024 * 1024;
const TZ_RE = /^[A-Za-z0-9_+\/-]{0,64}$/;
const AVATAR_TYPES = ["image/png", "image/jpeg", "image/gif", "image/webp"];
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
  ui.title.value = people.me.title;
  ui.tz.value = people.me.tz;
  fillZones();
  ui.passwordUser.value = people.user();
  ui.current.value = ui.fresh.value = "";
  for (const box of [ui.profileError, ui.profileOk, ui.passwordError, ui.passwordOk, ui.sessionsError,
    ui.avatarError, ui.avatarOk]) box.hidden = true;
  ui.dialog.showModal();
  ui.display.focus();
  loadSessions();
}

export function close() { if (ui.dialog.open) ui.dialog.close(); }

function renderIdentity() {
  const name = people.user();
  paintAvatar(ui.avatar, name);
  ui.avatarRemove.hidden = !people.me.avatar;
  ui.avatarUpload.textContent = people.me.avatar ? "Change photo" : "Upload a photo";
  ui.shown.textContent = people.me.display || name;
  const role = people.me.role && people.me.role !== "legacy" ? people.me.role : "member";
  ui.name.textContent = "@" + name + " · " + role;
}

// The browser's own zone, and every zone it knows for the field's suggestions (once).
function browserZone() {
  try { return Intl.DateTimeFormat().resolvedOptions().timeZone || ""; } catch (e) { return ""; }
}

function fillZones() {
  if (ui.zones.childElementCount || typeof Intl.supportedValuesOf !== "function") return;
  let zones = [];
  try { zones = Intl.supportedValuesOf("timeZone"); } catch (e) { zones = []; }
  for (const z of zones) { const o = el("option"); o.value = z; ui.zones.append(o); }
}

// Whether the browser can show a time in zone z (an IANA name it knows).
function zoneKnown(z) {
  try { new Intl.DateTimeFormat(undefined, { timeZone: z }); return true; } catch (e) { return false; }
}

function profileProblem(display, title, tz) {
  if (charCount(display) > MAX_DISPLAY) return "Display names can be at most " + MAX_DISPLAY + " characters.";
  if (charCount(title) > MAX_TITLE) return "\u201cWhat I do\u201d can be at most " + MAX_TITLE + " characters.";
  if (tz && (!TZ_RE.test(tz) || !zoneKnown(tz))) return "Pick a time zone from the list, like Europe/Paris.";
  return "";
}

function onProfileSubmit(ev) {
  ev.preventDefault();
  const display = ui.display.value.trim(), title = ui.title.value.trim(), tz = ui.tz.value.trim();
  hideError(ui.profileError);
  const problem = profileProblem(display, title, tz);
  if (problem) { showError(ui.profileError, problem); return; }
  // Only what changed is sent: the server changes only what it is given.
  const fields = {};
  if (display !== people.me.display) fields.display_name = display;
  if (title !== people.me.title) fields.title = title;
  if (tz !== people.me.tz) fields.tz = tz;
  if (!Object.keys(fields).length) { showOk(ui.profileOk, "Saved."); return; }
  busy(ui.save, true, "Saving…");
  auth.saveProfile(fields).then((user) => {
    busy(ui.save, false);
    const u = user || {};
    people.applyProfile(Object.assign({ user: people.user() }, u, { user: people.user() }));
    ui.display.value = people.me.display;
    ui.title.value = people.me.title;
    ui.tz.value = people.me.tz;
    renderIdentity();
    const now = people.me.display;
    showOk(ui.profileOk, "display_name" in fields
      ? (now ? "Saved: people now see you as " + now + "." : "Saved: people now see your name.")
      : "Saved.");
  }, (err) => {
    busy(ui.save, false);
    showError(ui.profileError, err.code === "bad_name"
      ? "That display name isn't allowed: no control, direction-override or invisible characters."
      : err.code === "bad_title" ? "That isn't allowed in \u201cWhat I do\u201d: at most 80 characters, no control or invisible ones."
      : err.code === "bad_tz" ? "That time zone isn't one the server takes: a name like Europe/Paris."
      : authErrorText(err));
  });
}

/* ---------- the photo ---------- */

function avatarDone(user, text) {
  people.applyProfile(Object.assign({}, user || {}, { user: people.user() }));
  renderIdentity();
  showOk(ui.avatarOk, text);
}

function avatarFailed(err) {
  showError(ui.avatarError, err.code === "bad_image" ? "That file isn't a PNG, JPEG, GIF or WebP image."
    : err.code === "too_large" ? "That image is larger than 1 MB."
    : err.code === "forbidden" ? "Guests keep the generated avatar." : authErrorText(err));
}

function onAvatarChosen() {
  const file = ui.avatarFile.files && ui.avatarFile.files[0];
  ui.avatarFile.value = "";
  if (!file) return;
  hideError(ui.avatarError);
  ui.avatarOk.hidden = true;
  if (file.type && !AVATAR_TYPES.includes(file.type)) { avatarFailed({ code: "bad_image" }); return; }
  if (file.size > MAX_AVATAR) { avatarFailed({ code: "too_large" }); return; }
  busy(ui.avatarUpload, true, "Uploading…");
  auth.uploadAvatar(file).then((user) => {
    busy(ui.avatarUpload, false);
    avatarDone(user, "Photo saved.");
  }, (err) => { busy(ui.avatarUpload, false); avatarFailed(err); });
}

function onAvatarRemove() {
  hideError(ui.avatarError);
  busy(ui.avatarRemove, true, "Removing…");
  auth.removeAvatar().then((user) => {
    busy(ui.avatarRemove, false);
    avatarDone(user, "Photo removed: people see your initials.");
    ui.avatarUpload.focus();
  }, (err) => { busy(ui.avatarRemove, false); avatarFailed(err); });
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
    title: "profile-title-input", tz: "profile-tz", tzHere: "profile-tz-here", zones: "profile-tz-list",
    avatarFile: "avatar-file", avatarUpload: "avatar-upload", avatarRemove: "avatar-remove",
    avatarError: "avatar-error", avatarOk: "avatar-ok",
    profileOk: "profile-ok", passwordForm: "password-form", passwordUser: "password-user",
    current: "password-current", fresh: "password-new", passwordSubmit: "password-submit",
    passwordError: "password-error", passwordOk: "password-ok", sessions: "sessions-list",
    sessionsStatus: "sessions-status", sessionsError: "sessions-error", logout: "logout",
    logoutAll: "logout-all", openBtn: "profile-open",
  };
  for (const k in ids) ui[k] = document.getElementById(ids[k]);
  ui.openBtn.addEventListener("click", open);
  ui.form.addEventListener("submit", onProfileSubmit);
  ui.tzHere.addEventListener("click", () => { ui.tz.value = browserZone(); ui.tz.focus(); });
  ui.avatarUpload.addEventListener("click", () => ui.avatarFile.click());
  ui.avatarFile.addEventListener("change", onAvatarChosen);
  ui.avatarRemove.addEventListener("click", onAvatarRemove);
  ui.passwordForm.addEventListener("submit", onPasswordSubmit);
  ui.logout.addEventListener("click", () => signOutAccount(false));
  ui.logoutAll.addEventListener("click", () => signOutAccount(true));
  ui.dialog.addEventListener("click", (ev) => { if (ev.target === ui.dialog) close(); });
  ui.dialog.querySelectorAll("[data-close]").forEach((b) => b.addEventListener("click", close));
  ui.dialog.addEventListener("close", () => { sessionsReq = null; });
}
