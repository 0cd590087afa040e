/*
 * parley web client: the Bots section of the administration dialog (UI), for owners and
 * admins (docs/api.md, "Bots").
 *
 * GET /api/bots lists the bots and how many tokens each holds; the form makes one (POST
 * /api/bots) and shows its token this once, to copy (the server keeps only its hash);
 * each row renews the token (the old ones end) or revokes them all. The server decides
 * every right; its refusal is shown where it was asked.
 */
import { authErrorText } from "./const.js";
import { el } from "./dom.js";
import * as auth from "./auth_data.js";
import * as people from "./people.js";
import { copyText } from "./admin.js";
import { nameLabel } from "./badges.js";

const ui = {};
let bots = null;
let req = null;

function showError(text) { ui.error.textContent = text; ui.error.hidden = false; }
function hideError() { ui.error.hidden = true; ui.error.textContent = ""; }

function load() {
  const tok = req = {};
  if (!bots) ui.status.textContent = "Loading bots…";
  auth.bots().then((list) => {
    if (req !== tok) return;
    req = null;
    bots = list;
    render();
  }, (err) => {
    if (req !== tok) return;
    req = null;
    ui.status.textContent = "";
    showError(authErrorText(err));
  });
}

// The token of an answer, shown once with its bot's name.
function showToken(p, verb) {
  const name = p && p.user && typeof p.user.name === "string" ? p.user.name : "";
  ui.newLabel.textContent = verb + " " + name + ": copy its token now, it is not shown again.";
  ui.token.textContent = p && typeof p.token === "string" ? p.token : "";
  ui.newBox.hidden = false;
}

function act(b, btn, promise, verb) {
  btn.disabled = true;
  hideError();
  promise.then((p) => {
    if (verb) showToken(p, verb);
    else ui.newBox.hidden = true;
    load();
  }, (err) => {
    btn.disabled = false;
    showError(b.name + ": " + authErrorText(err) + " (" + err.code + ")");
  });
}

function row(b) {
  const li = el("li", "row");
  li.dataset.testid = "bot-row";
  li.dataset.name = b.name;
  const main = el("div", "row-main");
  const head = el("div", "row-title");
  head.append(nameLabel(b.name));
  const n = Number.isInteger(b.tokens) ? b.tokens : 0;
  main.append(head, el("div", "row-meta", n === 0 ? "no live token" : n === 1 ? "1 live token" : n + " live tokens"));
  li.append(main);
  const renew = el("button", "btn-secondary btn-small", "New token");
  renew.type = "button";
  renew.dataset.testid = "bot-renew";
  renew.addEventListener("click", () => act(b, renew, auth.botToken(b.id), "New token for"));
  const revoke = el("button", "btn-secondary btn-small btn-danger-text", "Revoke tokens");
  revoke.type = "button";
  revoke.dataset.testid = "bot-revoke";
  revoke.disabled = n === 0;
  revoke.addEventListener("click", () => act(b, revoke, auth.revokeBot(b.id), null));
  li.append(renew, revoke);
  return li;
}

function render() {
  ui.list.textContent = "";
  const list = (bots || []).slice().sort((a, b) => a.name.localeCompare(b.name));
  ui.status.textContent = !list.length ? "No bots yet." : list.length === 1 ? "1 bot." : list.length + " bots.";
  for (const b of list) ui.list.append(row(b));
}

function onSubmit(ev) {
  ev.preventDefault();
  const name = ui.name.value.trim();
  if (!name) {
    showError("Give the bot a name.");
    ui.name.focus();
    return;
  }
  hideError();
  ui.create.disabled = true;
  auth.createBot(name).then((p) => {
    ui.create.disabled = false;
    ui.name.value = "";
    showToken(p, "Made");
    load();
  }, (err) => {
    ui.create.disabled = false;
    showError(authErrorText(err) + " (" + err.code + ")");
  });
}

// Signed out: the next person sees nothing of this.
export function reset() {
  bots = null;
  req = null;
  if (!ui.list) return;
  ui.list.textContent = "";
  ui.token.textContent = "";
  ui.newBox.hidden = true;
}

export function init() {
  const ids = {
    openBtn: "admin-open", form: "admin-bot-form", name: "bot-name", create: "bot-create",
    error: "bot-form-error", newBox: "bot-new", newLabel: "bot-new-label", token: "bot-token",
    copy: "bot-copy", status: "bots-status", list: "admin-bots",
  };
  for (const k in ids) ui[k] = document.getElementById(ids[k]);
  ui.openBtn.addEventListener("click", () => {
    if (!people.isStaff()) return;
    ui.newBox.hidden = true;
    hideError();
    load();
  });
  ui.form.addEventListener("submit", onSubmit);
  ui.copy.addEventListener("click", () => copyText(ui.token, ui.copy));
}
