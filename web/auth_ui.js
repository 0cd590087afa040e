/*
 * parley web client: the first page (UI).
 *
 * What someone who is not in the chat sees (docs/protocol.md, "Accounts"): on a server without
 * an owner, the form that creates the owner account; else the sign-in form, and next to
 * it the sign-up form when registration is open or the address carries an invite
 * (`/#invite=TOKEN`); a reset link (`/#reset=TOKEN`) shows "choose a new password"
 * instead. With guests allowed, the guest entry is always there under them, with its
 * hooks (login-name, login-submit) and its join, as before accounts.
 *
 * This module runs the forms and their REST calls (auth_data.js); what follows a success
 * is app.js's, told through `events`: "account" (USER: signed in, registered or reset),
 * "guest" (the name to join with). The form that was sent stays busy until app.js calls
 * done() (the chat opened) or failed(). One error line (auth-error) sits under the form
 * that was sent; a notice (auth-notice) says why someone is here again (signed out
 * elsewhere, banned, deactivated).
 */
import { authErrorText } from "./const.js";
import { charCount, emitter } from "./util.js";
import * as auth from "./auth_data.js";

export const events = emitter();

const MIN_PASSWORD = 8;          // weak_password below it (characters)
const MAX_PASSWORD = 1024;       // bad_password above it (bytes)
const MAX_DISPLAY = 64;

const ui = {};
const links = { invite: "", reset: "" };
let busy = null;                 // the form whose request (or join) is in flight
let shown = [];                  // the account panels shown: "signin", "signup", "owner", "reset"

const BUSY_TEXT = {
  signin: ["Sign in", "Signing in…"],
  signup: ["Create account", "Creating your account…"],
  owner: ["Create the owner account", "Creating your account…"],
  reset: ["Set password and sign in", "Saving…"],
  guest: ["Join as guest", "Joining…"],
};

/* ---------- the address: invite and reset links ---------- */

// Reads `#invite=TOKEN` or `#reset=TOKEN` (a token is hex; anything else is ignored).
export function readLinks() {
  const m = /^#(invite|reset)=([A-Za-z0-9_-]{1,256})$/.exec(location.hash || "");
  links.invite = m && m[1] === "invite" ? m[2] : "";
  links.reset = m && m[1] === "reset" ? m[2] : "";
  return Object.assign({}, links);
}

// Once used (or when the chat opens), the link leaves the address bar and the history.
export function clearLinks() {
  links.invite = links.reset = "";
  if (location.hash) history.replaceState(null, "", location.pathname + location.search);
}

/* ---------- showing the page ---------- */

// Shows the first page. opts: notice {text, kind: "info" | "warn" | "danger"}, error
// (under the guest form when guest, else under the first account form), fresh (ask the
// server again what it offers: registration, guests, whether an owner exists), name (the
// account that just left, for the sign-in form). No password stays in a form.
export async function show(opts) {
  const o = opts || {};
  ui.page.hidden = false;
  for (const box of [ui.signinPassword, ui.signupPassword, ui.resetPassword]) box.value = "";
  if (o.name) {
    ui.signinName.value = o.name;
    ui.signupName.value = ui.signupDisplay.value = "";
  }
  setNotice(o.notice);
  hideError();
  setBusy(null);
  if (o.fresh || !auth.state.server) {
    try {
      await auth.loadServer();
    } catch (e) {
      if (!auth.state.server) auth.state.server = { name: "parley", ownerExists: true, registration: "closed", guests: true, legacy: false };
      if (!o.notice) setNotice({ text: authErrorText(e), kind: "danger" });
    }
  }
  render();
  if (o.error) showError(o.guest ? ui.guestForm : firstForm(), o.error);
  focusFirst();
}

export function hide() {
  ui.page.hidden = true;
  setBusy(null);
}

export function visible() { return !ui.page.hidden; }

function render() {
  const srv = auth.state.server;
  const accounts = !srv.legacy;
  ui.brand.textContent = srv.name || "parley";
  if (!accounts) shown = [];
  else if (links.reset) shown = ["reset"];
  else if (!srv.ownerExists) shown = ["owner"];
  else if (links.invite) shown = ["signup", "signin"];
  else shown = srv.registration === "open" ? ["signin", "signup"] : ["signin"];
  const has = (k) => shown.includes(k);
  ui.signinForm.hidden = !has("signin");
  ui.signupForm.hidden = !has("signup") && !has("owner");
  ui.resetForm.hidden = !has("reset");
  ui.signupForm.style.order = shown[0] === "signup" ? "-1" : "";
  ui.accountPart.hidden = !shown.length;
  ui.card.classList.toggle("is-wide", shown.length > 1);
  ui.card.classList.toggle("guest-only", !shown.length);
  renderSignup(srv);
  ui.guestForm.hidden = !srv.guests;
  ui.divider.hidden = !srv.guests || !shown.length;
  ui.guestTitle.textContent = shown.length ? "Join as a guest" : "Join the conversation";
  ui.guestLead.textContent = accounts
    ? "Pick a name to read and post in the public channels. No account needed."
    : "Pick a display name to chat in #general. No account needed.";
  ui.loginHint.textContent = accounts ? "Guests can't create channels or send direct messages." : "Your name is remembered on this device.";
  document.title = srv.name || "parley";
}

function renderSignup(srv) {
  const owner = shown.includes("owner");
  ui.signupInvite.value = links.invite;
  if (owner) {
    ui.signupTitle.textContent = "Create the owner account";
    ui.signupLead.textContent = "This server has no accounts yet. The first one owns it: it invites people, appoints admins and moderates.";
  } else if (links.invite) {
    ui.signupTitle.textContent = "You're invited";
    ui.signupLead.textContent = "Create your account to join " + (srv.name || "parley") + ".";
  } else {
    ui.signupTitle.textContent = "Create an account";
    ui.signupLead.textContent = "New here? Pick a name and a password.";
  }
  ui.signupSubmit.textContent = BUSY_TEXT[owner ? "owner" : "signup"][0];
}

function firstForm() {
  const first = { signin: ui.signinForm, signup: ui.signupForm, owner: ui.signupForm, reset: ui.resetForm }[shown[0]];
  return first || ui.guestForm;
}

function focusFirst() {
  const form = firstForm();
  const box = form === ui.guestForm ? ui.loginName : form.querySelector("input:not([type=hidden])");
  if (box) { box.focus(); if (box.select) box.select(); }
}

function setNotice(n) {
  ui.notice.hidden = !n;
  ui.notice.textContent = n ? n.text : "";
  ui.notice.dataset.kind = n ? n.kind || "info" : "";
}

/* ---------- errors and busy buttons ---------- */

function showError(form, text, field) {
  const slot = form === ui.guestForm ? ui.loginHint : form.querySelector("[type=submit]");
  form.insertBefore(ui.error, slot);
  ui.error.textContent = text;
  ui.error.hidden = false;
  form.querySelectorAll("input").forEach((i) => i.setAttribute("aria-invalid", "false"));
  if (field) {
    field.setAttribute("aria-invalid", "true");
    field.focus();
    if (field.select) field.select();
  }
}

function hideError() {
  ui.error.hidden = true;
  ui.error.textContent = "";
  document.querySelectorAll("#login input[aria-invalid=true]").forEach((i) => i.setAttribute("aria-invalid", "false"));
}

function kindOf(form) {
  if (form === ui.signinForm) return "signin";
  if (form === ui.resetForm) return "reset";
  if (form === ui.guestForm) return "guest";
  return shown.includes("owner") ? "owner" : "signup";
}

const buttons = () => ({ signin: ui.signinSubmit, signup: ui.signupSubmit, owner: ui.signupSubmit,
  reset: ui.resetSubmit, guest: ui.loginSubmit });

// One form at a time is in flight; the others wait for it.
function setBusy(form) {
  busy = form;
  const b = buttons();
  for (const k of ["signin", "signup", "reset", "guest"]) {
    const kind = k === "signup" && shown.includes("owner") ? "owner" : k;
    b[k].disabled = !!form;
    b[k].textContent = BUSY_TEXT[kind][form && kindOf(form) === kind ? 1 : 0];
  }
}

// app.js: the chat opened (the first page goes), or what was sent failed.
export function done() { setBusy(null); }

export function failed(text, guest) {
  const form = guest ? ui.guestForm : busy && busy !== ui.guestForm ? busy : firstForm();
  setBusy(null);
  showError(form, text, guest ? ui.loginName : null);
}

/* ---------- checks before sending ---------- */

// Mirrors the server's name rule so the common mistakes are caught without a round trip.
export function nameProblem(name) {
  const n = charCount(name);
  if (n === 0) return "Enter a name.";
  if (n > 32) return "Names can be at most 32 characters.";
  if (/[\u0000-\u001f\u007f-\u009f]/.test(name)) return "Names can't contain control characters.";
  return "";
}

export function passwordProblem(pw) {
  if (charCount(pw) < MIN_PASSWORD) return "Passwords need at least " + MIN_PASSWORD + " characters.";
  if (new TextEncoder().encode(pw).length > MAX_PASSWORD) return "That password is too long.";
  return "";
}

/* ---------- the forms ---------- */

// A REST call of a form: busy while in flight; its error under the form, on the field
// it is about.
function send(form, promise, fieldOf) {
  hideError();
  setBusy(form);
  promise.then((user) => {
    if (!user) { failed("The server did not say who you are. Try again."); return; }
    events.emit("account", user); // busy until app.js says the chat opened
  }, (err) => {
    setBusy(null);
    showError(form, authErrorText(err), fieldOf ? fieldOf(err.code) : null);
  });
}

function onSignin(ev) {
  ev.preventDefault();
  if (busy) return;
  const name = ui.signinName.value.trim();
  const pw = ui.signinPassword.value;
  if (!name) { showError(ui.signinForm, "Enter your name.", ui.signinName); return; }
  if (!pw) { showError(ui.signinForm, "Enter your password.", ui.signinPassword); return; }
  send(ui.signinForm, auth.signIn(name, pw), (code) => {
    if (code !== "bad_credentials") return null;
    ui.signinPassword.value = "";
    return ui.signinPassword;
  });
}

function onSignup(ev) {
  ev.preventDefault();
  if (busy) return;
  const name = ui.signupName.value.trim();
  const display = ui.signupDisplay.value.trim();
  const pw = ui.signupPassword.value;
  let problem = nameProblem(name);
  if (problem) { showError(ui.signupForm, problem, ui.signupName); return; }
  if (charCount(display) > MAX_DISPLAY) {
    showError(ui.signupForm, "Display names can be at most " + MAX_DISPLAY + " characters.", ui.signupDisplay);
    return;
  }
  problem = passwordProblem(pw);
  if (problem) { showError(ui.signupForm, problem, ui.signupPassword); return; }
  const fields = { name, password: pw, display_name: display, invite: ui.signupInvite.value };
  send(ui.signupForm, auth.signUp(fields), (code) => {
    if (code === "name_taken" || code === "bad_name") return ui.signupName;
    if (code === "weak_password" || code === "bad_password") return ui.signupPassword;
    return null;
  });
}

function onReset(ev) {
  ev.preventDefault();
  if (busy) return;
  const pw = ui.resetPassword.value;
  const problem = passwordProblem(pw);
  if (problem) { showError(ui.resetForm, problem, ui.resetPassword); return; }
  send(ui.resetForm, auth.resetPassword(links.reset, pw), (code) =>
    (code === "weak_password" || code === "bad_password" ? ui.resetPassword : null));
}

function onGuest(ev) {
  ev.preventDefault();
  if (busy) return;
  const name = ui.loginName.value.trim(); // the server refuses surrounding spaces anyway
  const problem = nameProblem(name);
  if (problem) { showError(ui.guestForm, problem === "Enter a name." ? "Enter a name to join." : problem, ui.loginName); return; }
  hideError();
  setBusy(ui.guestForm);
  events.emit("guest", name);
}

/* ---------- start ---------- */

export function init() {
  const ids = {
    page: "login", card: "login-card", brand: "brand-name", notice: "auth-notice", error: "auth-error",
    accountPart: "account-part", signinForm: "signin-form", signinName: "signin-name",
    signinPassword: "signin-password", signinSubmit: "signin-submit", signupForm: "signup-form",
    signupTitle: "signup-title", signupLead: "signup-lead", signupInvite: "signup-invite",
    signupName: "signup-name", signupDisplay: "signup-display", signupPassword: "signup-password",
    signupSubmit: "signup-submit", resetForm: "reset-form", resetPassword: "reset-password",
    resetSubmit: "reset-submit", resetCancel: "reset-cancel", divider: "guest-divider",
    guestForm: "login-form", guestTitle: "guest-title", guestLead: "guest-lead",
    loginName: "login-name", loginSubmit: "login-submit", loginHint: "login-hint",
  };
  for (const k in ids) ui[k] = document.getElementById(ids[k]);
  ui.signinForm.addEventListener("submit", onSignin);
  ui.signupForm.addEventListener("submit", onSignup);
  ui.resetForm.addEventListener("submit", onReset);
  ui.guestForm.addEventListener("submit", onGuest);
  ui.resetCancel.addEventListener("click", () => { clearLinks(); render(); hideError(); focusFirst(); });
  ui.page.addEventListener("input", (ev) => {
    if (ev.target.getAttribute("aria-invalid") === "true") ev.target.setAttribute("aria-invalid", "false");
  });
  // A link pasted into the address bar of an open first page.
  window.addEventListener("hashchange", () => {
    readLinks();
    if (visible() && !busy && auth.state.server) { hideError(); render(); focusFirst(); }
  });
}
