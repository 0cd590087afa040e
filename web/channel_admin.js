/*
 * parley web client: archiving and deleting channels (UI).
 *
 * The channel header's settings menu (Archive, Unarchive, Delete), the two dialogs that
 * ask first (deleting asks for the channel's name, as GitHub does), the bar that stands
 * in for the composer while the channel shown is archived, and the notice for a reader
 * whose open channel went away. The requests are channels_data.js's (`channel_archive`,
 * `channel_unarchive`, `channel_delete`); the state comes back as every member's
 * `channel` (with or without `archived`) and `channel_left`, so this tab and everyone
 * else's change the same way.
 *
 * Who may (docs/protocol.md, "Archiving and deleting channels"): owners and admins
 * archive, unarchive and delete any channel but #general and direct messages; the creator
 * of a private channel archives and unarchives it. The page only offers what the server
 * would allow: nobody else sees the menu. A private channel's creator is learnt from
 * `channel_members`, asked once when a member who might be it opens the channel.
 *
 * Text from the network goes into the page only through textContent.
 */
import { GENERAL, errorText } from "./const.js";
import { el } from "./dom.js";
import * as conn from "./conn.js";
import * as channels from "./channels_data.js";
import * as people from "./people.js";
import { ui as pageUi, page } from "./page.js";
import { toast, leaving } from "./channels.js";
import * as hooks from "./hooks.js";

const ui = {};
let busy = "";              // "archive", "unarchive" or "delete": a request in flight
let target = null;          // the record an open dialog (or the request in flight) is about
let menuFor = null;         // the record the open menu is about
const creatorAsked = new WeakSet(); // records whose creator was asked for

// The server's refusals, as this feature's reader is told them.
const OWN_TEXT = {
  forbidden: "You are not allowed to do that to this channel.",
  no_such_channel: "That channel does not exist any more.",
};

function failText(err) {
  if (err.code === "offline" || err.code === "disconnected") return errorText(err);
  return (OWN_TEXT[err.code] || errorText(err)) + " (" + err.code + ")";
}

/* ---------- who may ---------- */

// {archive, remove, hooks}: what the user may do to v, as far as the page can tell. A
// channel's webhooks are its managers' (those who archive it), and #general's the staff's.
export function rights(v) {
  const none = { archive: false, remove: false, hooks: false };
  if (!v || channels.isDm(v) || !people.me.account || people.isGuest()) return none;
  if (v.name === GENERAL) return { archive: false, remove: false, hooks: people.isStaff() };
  if (people.isStaff()) return { archive: true, remove: true, hooks: true };
  const creator = v.info.kind === "private" && people.me.role === "member" && v.info.creator === people.user();
  return { archive: creator, remove: false, hooks: creator };
}

// A member shown a private channel whose creator we do not know: ask once who it is.
function learnCreator(v) {
  if (!v || v.info.kind !== "private" || v.info.creator || people.isStaff() || people.isGuest() ||
      !people.me.account || creatorAsked.has(v) || !conn.joined()) return;
  creatorAsked.add(v);
  channels.members(v.name).then(() => { if (v === page.view) render(); }, () => {});
}

/* ---------- the header menu and the archived bar ---------- */

// Drawn with the header (channels.js's renderHeader): the channel shown, its rights.
export function render() {
  const v = page.view;
  if (!v) return;
  learnCreator(v);
  const may = rights(v);
  const archived = !!v.info.archived;
  ui.menuOpen.hidden = !may.archive && !may.remove && !may.hooks;
  ui.hooks.hidden = !may.hooks;
  ui.hooksSep.hidden = !may.hooks || (!may.archive && !may.remove);
  ui.menuOpen.title = "Settings of #" + v.name;
  ui.archive.hidden = !may.archive || archived;
  ui.unarchive.hidden = !may.archive || !archived;
  ui.remove.hidden = !may.remove;
  ui.sep.hidden = !may.remove || !may.archive;
  for (const b of [ui.archive, ui.unarchive, ui.remove]) b.disabled = !!busy;
  if (ui.menuOpen.hidden || menuFor !== v) closeMenu(false);
  ui.headerArchived.hidden = !archived;
  // Read-only: the bar stands in for the composer.
  const hadFocus = document.activeElement === pageUi.composer;
  pageUi.composerForm.hidden = archived;
  ui.bar.hidden = !archived;
  ui.barUnarchive.hidden = !may.archive;
  ui.barUnarchive.disabled = !!busy;
  ui.barUnarchive.textContent = busy === "unarchive" ? "Unarchiving…" : "Unarchive";
  pageUi.app.classList.toggle("view-archived", archived);
  if (archived && hadFocus && may.archive) ui.barUnarchive.focus();
  checkDialogs();
}

function menuItems() {
  return [ui.hooks, ui.archive, ui.unarchive, ui.remove].filter((b) => !b.hidden);
}

// Under its button, right-aligned. A popover shown now is above the toasts (the top
// layer keeps the order things were shown in).
function openMenu(focusLast) {
  if (ui.menuOpen.hidden) return;
  menuFor = page.view;
  ui.menu.hidden = false;
  const r = ui.menuOpen.getBoundingClientRect();
  ui.menu.style.top = r.bottom + 6 + "px";
  ui.menu.style.right = Math.max(8, window.innerWidth - r.right) + "px";
  if (ui.menu.showPopover) {
    try { ui.menu.showPopover(); } catch (e) { /* shown already */ }
  }
  ui.menuOpen.setAttribute("aria-expanded", "true");
  const list = menuItems();
  const first = focusLast ? list[list.length - 1] : list[0];
  if (first) first.focus();
}

function closeMenu(refocus) {
  if (ui.menu.hidden) return;
  if (ui.menu.hidePopover) {
    try { ui.menu.hidePopover(); } catch (e) { /* hidden already */ }
  }
  ui.menu.hidden = true;
  ui.menuOpen.setAttribute("aria-expanded", "false");
  if (refocus && !ui.menuOpen.hidden) ui.menuOpen.focus();
}

function onMenuButtonKey(ev) {
  if (ev.key !== "ArrowDown" && ev.key !== "ArrowUp") return;
  ev.preventDefault();
  openMenu(ev.key === "ArrowUp");
}

// The menu's keys (WAI-ARIA menu button): arrows, Home and End move, Escape closes it
// and goes back to its button, Tab closes it and moves on. In the capture phase of the
// window, so that Escape closes the menu alone (not the thread panel behind it too).
function onKey(ev) {
  if (ui.menu.hidden || !ui.menu.contains(document.activeElement)) return;
  const list = menuItems();
  const i = list.indexOf(document.activeElement);
  const to = { ArrowDown: i + 1, ArrowUp: i - 1, Home: 0, End: list.length - 1 }[ev.key];
  if (ev.key === "Escape") {
    ev.preventDefault();
    ev.stopPropagation();
    closeMenu(true);
  } else if (ev.key === "Tab") {
    closeMenu(false);
  } else if (to !== undefined && list.length) {
    ev.preventDefault();
    list[(to + list.length) % list.length].focus();
  }
}

function onPointerDown(ev) {
  if (!ui.menu.hidden && !ui.menu.contains(ev.target) && !ui.menuOpen.contains(ev.target)) closeMenu(false);
}

/* ---------- archiving ---------- */

function openArchive() {
  const v = page.view;
  closeMenu(false);
  if (!v || !rights(v).archive || v.info.archived) return;
  target = v;
  ui.archiveTitle.textContent = "Archive #" + v.name + "?";
  ui.archiveLead.textContent = "#" + v.name + " becomes read-only for everyone in it.";
  hideError(ui.archiveError);
  setBusy(busy);
  ui.archiveDialog.showModal();
  ui.archiveConfirm.focus();
}

function onArchiveConfirm() {
  const v = target;
  if (busy || !v) return;
  hideError(ui.archiveError);
  run("archive", channels.archive(v.name), () => {
    closeDialog(ui.archiveDialog);
    if (v === page.view && !ui.menuOpen.hidden) ui.menuOpen.focus();
  }, (err) => {
    if (ui.archiveDialog.open) showError(ui.archiveError, failText(err));
    else toast(failText(err), "error");
  });
}

// Unarchiving asks nothing: it gives back what archiving took away.
function unarchive() {
  const v = page.view;
  closeMenu(false);
  if (busy || !v || !rights(v).archive || !v.info.archived) return;
  const fromBar = document.activeElement === ui.barUnarchive;
  run("unarchive", channels.unarchive(v.name), () => {
    if (v === page.view && fromBar) pageUi.composer.focus();
  }, (err) => toast(failText(err), "error"));
}

/* ---------- deleting ---------- */

function openDelete() {
  const v = page.view;
  closeMenu(false);
  if (!v || !rights(v).remove) return;
  target = v;
  ui.deleteTitle.textContent = "Delete #" + v.name + "?";
  ui.deleteLead.textContent = "";
  const n = v.info.members;
  const who = Number.isInteger(n) && n > 1 ? " (" + n + " members)" : "";
  ui.deleteLead.append("This permanently deletes ", el("strong", "", "#" + v.name),
    " and all of its messages, for everyone in it" + who + ". This can't be undone.");
  ui.deleteInstead.hidden = !!v.info.archived;
  ui.deleteLabel.textContent = "";
  ui.deleteLabel.append("To confirm, type ", el("strong", "", v.name), " below");
  ui.deleteName.value = "";
  ui.deleteName.setAttribute("aria-invalid", "false");
  hideError(ui.deleteError);
  setBusy(busy);
  ui.deleteDialog.showModal();
  ui.deleteName.focus();
}

function typedName() {
  return ui.deleteName.value.trim().replace(/^#/, "");
}

function onDeleteInput() {
  hideError(ui.deleteError);
  setBusy(busy);
}

function onDeleteSubmit(ev) {
  ev.preventDefault();
  const v = target;
  if (busy || !v) return;
  if (typedName() !== v.name) {
    ui.deleteName.setAttribute("aria-invalid", "true");
    showError(ui.deleteError, "Type the channel's name, " + v.name + ", to confirm.");
    ui.deleteName.focus();
    return;
  }
  const name = v.name;
  run("delete", channels.remove(name), () => {
    closeDialog(ui.deleteDialog);
    toast("Deleted #" + name + ".", "info");
  }, (err) => {
    if (ui.deleteDialog.open) showError(ui.deleteError, failText(err));
    else toast(failText(err), "error");
  });
}

/* ---------- requests and dialogs ---------- */

function run(kind, promise, done, fail) {
  busy = kind;
  setBusy(kind);
  render();
  promise.then((p) => {
    busy = "";
    setBusy("");
    done(p);
    render();
  }, (err) => {
    busy = "";
    setBusy("");
    render();
    if (err.code !== "stopped") fail(err);
  });
}

function setBusy(kind) {
  ui.archiveConfirm.disabled = !!kind;
  ui.archiveConfirm.textContent = kind === "archive" ? "Archiving…" : "Archive channel";
  ui.deleteConfirm.disabled = !!kind || !target || typedName() !== target.name;
  ui.deleteConfirm.textContent = kind === "delete" ? "Deleting…" : "Delete channel";
}

function showError(node, text) { node.textContent = text; node.hidden = false; }
function hideError(node) { node.hidden = true; node.textContent = ""; }
function closeDialog(d) { if (d.open) d.close(); }

// A dialog about a channel that changed meanwhile (archived, unarchived or deleted by
// someone else, or no longer shown) closes: what it asks is moot.
function checkDialogs() {
  const v = target;
  const gone = !v || v !== page.view || !channels.has(v.name) || channels.get(v.name) !== v;
  if (ui.archiveDialog.open && busy !== "archive" && (gone || v.info.archived)) closeDialog(ui.archiveDialog);
  if (ui.deleteDialog.open && busy !== "delete" && gone) closeDialog(ui.deleteDialog);
}

/* ---------- a channel that went away ---------- */

// `channel_left` of the channel the reader had open (list.js has shown #general already).
// The frame does not say why: a channel the server no longer lists (a public one, which
// everyone may see) was deleted; one it still lists was left from another tab, or the
// reader was removed. Our own leave and delete say so themselves.
export function onChannelLeft(name, wasShown) {
  if (!wasShown || leaving(name) || (busy === "delete" && target && target.name === name)) return;
  const kind = wasShown.info.kind;
  const say = (listed) => {
    let text;
    if (listed) text = "You are no longer in #" + name + ".";
    else if (kind === "public") text = "#" + name + " was deleted.";
    else text = "#" + name + " is no longer available: it was deleted, or you were removed from it.";
    toast(text + " You're in #" + GENERAL + " now.", "info");
  };
  channels.describe(name).then((p) => {
    const list = Array.isArray(p.channels) ? p.channels : [];
    say(list.some((c) => c && c.name === name));
  }, () => say(true));
}

// Signed out, or another person: nothing of this one's stays open.
export function reset() {
  closeMenu(false);
  hooks.reset();
  closeDialog(ui.archiveDialog);
  closeDialog(ui.deleteDialog);
  target = null;
}

/* ---------- start ---------- */

export function init() {
  const ids = {
    menuOpen: "channel-menu-open", menu: "channel-menu", archive: "menu-archive",
    unarchive: "menu-unarchive", remove: "menu-delete", sep: "menu-sep",
    hooks: "menu-hooks", hooksSep: "menu-hooks-sep",
    headerArchived: "header-archived", bar: "archived-bar", barUnarchive: "archived-unarchive",
    archiveDialog: "archive-dialog", archiveTitle: "archive-title", archiveLead: "archive-lead",
    archiveError: "archive-error", archiveConfirm: "archive-confirm",
    deleteDialog: "chdel-dialog", deleteForm: "chdel-form", deleteTitle: "chdel-title",
    deleteLead: "chdel-lead", deleteInstead: "chdel-instead", deleteLabel: "chdel-label",
    deleteName: "chdel-name", deleteError: "chdel-error", deleteConfirm: "chdel-confirm",
  };
  for (const k in ids) ui[k] = document.getElementById(ids[k]);
  ui.menuOpen.addEventListener("click", () => (ui.menu.hidden ? openMenu(false) : closeMenu(true)));
  ui.menuOpen.addEventListener("keydown", onMenuButtonKey);
  ui.archive.addEventListener("click", openArchive);
  ui.hooks.addEventListener("click", () => {
    const v = page.view;
    closeMenu(false);
    if (v && rights(v).hooks) hooks.open(v.name, ui.menuOpen);
  });
  ui.unarchive.addEventListener("click", unarchive);
  ui.remove.addEventListener("click", openDelete);
  ui.barUnarchive.addEventListener("click", unarchive);
  ui.archiveConfirm.addEventListener("click", onArchiveConfirm);
  ui.deleteName.addEventListener("input", onDeleteInput);
  ui.deleteForm.addEventListener("submit", onDeleteSubmit);
  for (const d of [ui.archiveDialog, ui.deleteDialog]) {
    d.addEventListener("click", (ev) => { if (ev.target === d) closeDialog(d); });
    d.querySelectorAll("[data-close]").forEach((b) => b.addEventListener("click", () => closeDialog(d)));
    d.addEventListener("close", () => { if (!busy) target = null; });
  }
  window.addEventListener("keydown", onKey, true);
  window.addEventListener("resize", () => closeMenu(false));
  document.addEventListener("pointerdown", onPointerDown, true);
}
