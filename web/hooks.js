/*
 * parley web client: a channel's incoming webhooks (UI; docs/api.md, "Incoming webhooks").
 *
 * The "Integrations" dialog of the channel settings menu (channel_admin.js opens it for
 * those who may manage the channel's webhooks): the live webhooks of the channel with who
 * made them and when, a Delete button each (a deleted URL answers 404 at once), and a form
 * that makes one. The new URL is shown once, with a Copy button and a curl example: the
 * server keeps only its hash. Requests are auth_data.js's (/api/hooks).
 *
 * Text from the network goes into the page only through textContent.
 */
import { authErrorText } from "./const.js";
import { el, relTime } from "./dom.js";
import * as auth from "./auth_data.js";
import { copyText } from "./admin.js";

const ui = {};
let channel = "";   // the channel the open dialog is about
let req = null;     // the list request in flight (a token: a newer one wins)
let back = null;    // what gets the focus back when the dialog closes

function showError(text) { ui.error.textContent = text; ui.error.hidden = false; }
function hideError() { ui.error.hidden = true; ui.error.textContent = ""; }

function failText(err) { return authErrorText(err) + " (" + err.code + ")"; }

function load() {
  const tok = req = {};
  const name = channel;
  ui.status.textContent = "Loading webhooks…";
  auth.hooks(name).then((list) => {
    if (req !== tok || name !== channel) return;
    req = null;
    render(list);
  }, (err) => {
    if (req !== tok) return;
    req = null;
    ui.status.textContent = "";
    showError(failText(err));
  });
}

function render(list) {
  ui.list.textContent = "";
  ui.status.textContent = !list.length ? "No webhooks post in #" + channel + " yet."
    : list.length === 1 ? "1 webhook posts in #" + channel + "."
    : list.length + " webhooks post in #" + channel + ".";
  for (const h of list) ui.list.append(row(h));
}

function row(h) {
  const li = el("li", "row hook-row");
  li.dataset.testid = "hook-row";
  li.dataset.hookId = String(h.id);
  const main = el("div", "row-main");
  const head = el("div", "row-title", typeof h.name === "string" ? h.name : "");
  head.append(el("span", "tag tag-app", "APP"));
  const facts = ["Incoming webhook"];
  if (Number.isFinite(h.created)) facts.push("added " + relTime(h.created));
  main.append(head, el("div", "row-meta", facts.join(" · ")));
  const b = el("button", "btn-secondary btn-small btn-danger-text", "Delete");
  b.type = "button";
  b.dataset.testid = "hook-delete";
  b.setAttribute("aria-label", "Delete webhook " + (h.name || ""));
  b.addEventListener("click", () => {
    b.disabled = true;
    hideError();
    auth.deleteHook(h.id).then(() => {
      if (ui.url.dataset.hookId === String(h.id)) ui.fresh.hidden = true;
      load();
    }, (err) => {
      b.disabled = false;
      showError(failText(err));
    });
  });
  li.append(main, b);
  return li;
}

function onSubmit(ev) {
  ev.preventDefault();
  const name = ui.name.value.trim();
  hideError();
  if (!name) {
    ui.name.setAttribute("aria-invalid", "true");
    showError("Give the webhook a name: it is shown as the author of what it posts.");
    ui.name.focus();
    return;
  }
  ui.name.setAttribute("aria-invalid", "false");
  ui.create.disabled = true;
  ui.create.textContent = "Creating…";
  const where = channel;
  auth.createHook(where, name).then((p) => {
    ui.create.disabled = false;
    ui.create.textContent = "Create webhook";
    if (where !== channel) return;
    const url = auth.linkFor(typeof p.path === "string" ? p.path : "/");
    ui.url.textContent = url;
    ui.url.dataset.hookId = p.hook ? String(p.hook.id) : "";
    ui.example.textContent = "curl -X POST -H 'Content-Type: application/json' \\\n  -d '{\"text\": \"Hello from " +
      name.replace(/['\\"]/g, "") + "\"}' \\\n  " + url;
    ui.fresh.hidden = false;
    ui.name.value = "";
    ui.copy.focus();
    load();
  }, (err) => {
    ui.create.disabled = false;
    ui.create.textContent = "Create webhook";
    showError(failText(err));
  });
}

// Opens the dialog for channel name; focus goes back to `from` when it closes.
export function open(name, from) {
  channel = name;
  back = from || null;
  ui.lead.textContent = "Incoming webhooks let other tools (alerting, CI, scripts) post in #" + name +
    ". They take Slack's webhook format, so a tool that posts to a Slack webhook posts here unchanged.";
  ui.fresh.hidden = true;
  ui.url.textContent = "";
  ui.name.value = "";
  ui.name.setAttribute("aria-invalid", "false");
  ui.list.textContent = "";
  hideError();
  ui.dialog.showModal();
  ui.name.focus();
  load();
}

// Signed out, or another person: the dialog (and a URL shown once) goes.
export function reset() {
  if (ui.dialog && ui.dialog.open) ui.dialog.close();
}

export function init() {
  const ids = {
    dialog: "hooks-dialog", lead: "hooks-lead", form: "hooks-form", name: "hooks-name",
    create: "hooks-create", error: "hooks-error", fresh: "hooks-new", url: "hooks-url",
    copy: "hooks-copy", example: "hooks-example", status: "hooks-status", list: "hooks-list",
  };
  for (const k in ids) ui[k] = document.getElementById(ids[k]);
  ui.form.addEventListener("submit", onSubmit);
  ui.copy.addEventListener("click", () => copyText(ui.url, ui.copy));
  ui.dialog.addEventListener("click", (ev) => { if (ev.target === ui.dialog) ui.dialog.close(); });
  ui.dialog.querySelectorAll("[data-close]").forEach((b) => b.addEventListener("click", () => ui.dialog.close()));
  ui.dialog.addEventListener("close", () => {
    req = null;
    ui.fresh.hidden = true; // shown once: not again after a close
    ui.url.textContent = "";
    if (back && !back.hidden) back.focus();
  });
}
