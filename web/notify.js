/*
 * parley web client: notification levels (issue 14, item 8).
 *
 * Each channel has the user's level, kept by the server so that it follows the user to
 * every browser (docs/protocol.md, "Notification levels"): "all" (the default), "mentions"
 * or "muted". It comes in the welcome's and the channel descriptions' `notify`
 * (channels_data.js keeps it as info.notify) and in the `notify` event every tab of the
 * user gets when any of them changes it. What a level does, here:
 *   - the sidebar: a muted channel is dimmed with a muted bell, and shows no unread count
 *     nor bold name, only the mention badge when there are unread mentions;
 *   - desktop notifications: "all" every message while the page is hidden, "mentions" only
 *     mentions and direct messages (as Slack), "muted" none; mentions and direct messages
 *     also when another channel is shown, as before;
 *   - the tab title: "(N) ..." with N the unread mentions of every channel (muted ones too),
 *     each direct message's unread messages counting as mentions.
 * The choice is the channel header's bell button: a menu of three radio items (arrow keys
 * move, Enter or Space picks, Esc closes), placed as channel_admin.js places its menu.
 *
 * Text from the network goes into the page only through textContent.
 */
import { el, icon } from "./dom.js";
import { errorText } from "./const.js";
import * as conn from "./conn.js";
import * as channels from "./channels_data.js";
import { page } from "./page.js";
import { renderList, toast } from "./channels.js";

export const LEVELS = ["all", "mentions", "muted"];

const ICONS = {
  all: ["M10 3.5a4.5 4.5 0 0 0-4.5 4.5v3.6L4 14.2h12l-1.5-2.6V8A4.5 4.5 0 0 0 10 3.5z",
        "M8.2 16.6a1.9 1.9 0 0 0 3.6 0"],
  mentions: ["M12.6 10a2.6 2.6 0 1 1-5.2 0 2.6 2.6 0 0 1 5.2 0z",
             "M12.6 10v1.1a2.1 2.1 0 0 0 4.2 0V10a6.8 6.8 0 1 0-2.7 5.4"],
  muted: ["M10 3.5a4.5 4.5 0 0 0-4.5 4.5v3.6L4 14.2h12l-1.5-2.6V8A4.5 4.5 0 0 0 10 3.5z",
          "M8.2 16.6a1.9 1.9 0 0 0 3.6 0", "M3.5 3.5l13 13"],
};
const CHOICES = {
  all: ["All messages", "Every message notifies while parley is in the background"],
  mentions: ["Mentions only", "Only @mentions and direct messages"],
  muted: ["Muted", "No badge or notification unless you are mentioned"],
};

const ui = {};
let menuFor = null;   // the record the open menu is about
let busy = false;     // a request in flight

/* ---------- the data ---------- */

export function level(v) {
  return v && LEVELS.includes(v.info.notify) ? v.info.notify : "all";
}

export function muted(v) { return level(v) === "muted"; }

// The `notify` event (another tab, another browser, or our own answer).
export function onEvent(p) {
  if (!p || typeof p.channel !== "string" || !LEVELS.includes(p.level)) return;
  const v = channels.has(p.channel) ? channels.get(p.channel) : null;
  if (!v || v.info.notify === p.level) return;
  v.info.notify = p.level;
  renderList();
  if (v === page.view) render();
}

function choose(v, to) {
  closeMenu(true);
  if (!v || busy || level(v) === to) return;
  busy = true;
  render();
  conn.request("notify", { channel: v.name, level: to }).then((p) => onEvent(p), (err) => {
    if (err.code !== "stopped") toast("Could not change the notifications of " + label(v) + ": " + errorText(err), "error");
  }).finally(() => { busy = false; render(); });
}

function label(v) {
  return channels.isDm(v) ? "this conversation" : "#" + v.name;
}

/* ---------- what a level does ---------- */

// Whether a live message from someone else makes a desktop notification (mentions.js).
export function wantsDesktop(v, mentioned, shown) {
  const l = level(v);
  if (l === "muted") return false;
  if (mentioned || channels.isDm(v)) return document.hidden || !shown;
  return l === "all" && document.hidden;
}

// The tab title's count: unread mentions, a direct message's unread messages counting as
// mentions (page.unreadHidden: those that came to the one shown while the page was hidden).
export function titleCount() {
  let n = 0;
  for (const v of channels.all()) {
    const mentions = v.mentions || 0;
    if (!channels.isDm(v)) n += mentions;
    else if (v === page.view) n += Math.max(mentions, page.unreadHidden || 0);
    else n += Math.max(mentions, v.unread || 0);
  }
  return n;
}

// The sidebar item a of v (channels.js's fillItem, once drawn): dimmed, with the muted bell.
export function decorate(a, v) {
  if (!muted(v)) return;
  a.classList.add("is-muted");
  const mark = el("span", "channel-muted");
  mark.dataset.testid = "channel-muted";
  mark.setAttribute("aria-hidden", "true");
  mark.append(icon(ICONS.muted));
  a.querySelector(".channel-name").after(mark);
  a.setAttribute("aria-label", a.getAttribute("aria-label") + ", muted");
}

/* ---------- the header's menu ---------- */

// Drawn with the header (channels.js's renderHeader).
export function render() {
  const v = page.view;
  if (!v || !ui.btn) return;
  const l = level(v);
  const name = CHOICES[l][0];
  ui.btn.replaceChildren(icon(ICONS[l]));
  ui.btn.dataset.level = l;
  ui.btn.classList.toggle("is-quiet", l !== "all");
  ui.btn.setAttribute("aria-label", "Notifications: " + name);
  ui.btn.title = "Notifications for " + label(v) + ": " + name;
  for (const item of ui.items) {
    item.setAttribute("aria-checked", String(item.dataset.level === l));
    item.disabled = busy;
  }
  if (menuFor !== v) closeMenu(false);
}

function openMenu(focusLast) {
  const v = page.view;
  if (!v) return;
  menuFor = v;
  ui.heading.textContent = "Notifications for " + label(v);
  ui.menu.hidden = false;
  const r = ui.btn.getBoundingClientRect();
  ui.menu.style.top = r.bottom + 6 + "px";
  ui.menu.style.right = Math.max(8, window.innerWidth - r.right) + "px";
  if (ui.menu.showPopover) {
    try { ui.menu.showPopover(); } catch (e) { /* shown already */ }
  }
  ui.btn.setAttribute("aria-expanded", "true");
  const checked = ui.items.find((i) => i.getAttribute("aria-checked") === "true");
  (focusLast ? ui.items[ui.items.length - 1] : checked || ui.items[0]).focus();
}

function closeMenu(refocus) {
  if (!ui.menu || ui.menu.hidden) return;
  if (ui.menu.hidePopover) {
    try { ui.menu.hidePopover(); } catch (e) { /* hidden already */ }
  }
  ui.menu.hidden = true;
  menuFor = null;
  ui.btn.setAttribute("aria-expanded", "false");
  if (refocus) ui.btn.focus();
}

function onButtonKey(ev) {
  if (ev.key !== "ArrowDown" && ev.key !== "ArrowUp") return;
  ev.preventDefault();
  openMenu(ev.key === "ArrowUp");
}

// In the capture phase of the window, so that Escape closes the menu alone.
function onKey(ev) {
  if (ui.menu.hidden || !ui.menu.contains(document.activeElement)) return;
  const i = ui.items.indexOf(document.activeElement);
  const n = ui.items.length;
  const to = { ArrowDown: i + 1, ArrowUp: i - 1, Home: 0, End: n - 1 }[ev.key];
  if (ev.key === "Escape") {
    ev.preventDefault();
    ev.stopPropagation();
    closeMenu(true);
  } else if (ev.key === "Tab") {
    closeMenu(false);
  } else if (to !== undefined) {
    ev.preventDefault();
    ui.items[(to + n) % n].focus();
  }
}

function onPointerDown(ev) {
  if (!ui.menu.hidden && !ui.menu.contains(ev.target) && !ui.btn.contains(ev.target)) closeMenu(false);
}

export function init() {
  const actions = document.querySelector(".header-actions");
  if (!actions) return;
  ui.btn = el("button", "icon-btn notify-open");
  ui.btn.type = "button";
  ui.btn.id = "notify-level-open";
  ui.btn.dataset.testid = "notify-level-open";
  ui.btn.setAttribute("aria-haspopup", "menu");
  ui.btn.setAttribute("aria-expanded", "false");
  ui.btn.setAttribute("aria-controls", "notify-level-menu");
  ui.menu = el("div", "menu notify-menu");
  ui.menu.id = "notify-level-menu";
  ui.menu.dataset.testid = "notify-level-menu";
  ui.menu.setAttribute("role", "menu");
  ui.menu.setAttribute("aria-labelledby", "notify-level-heading");
  ui.menu.setAttribute("popover", "manual");
  ui.menu.hidden = true;
  ui.heading = el("div", "notify-heading");
  ui.heading.id = "notify-level-heading";
  ui.items = LEVELS.map((l) => {
    const item = el("button", "menu-item notify-item");
    item.type = "button";
    item.tabIndex = -1;
    item.setAttribute("role", "menuitemradio");
    item.dataset.level = l;
    item.dataset.testid = "notify-level-" + l;
    const text = el("span", "notify-text");
    text.append(el("span", "notify-label", CHOICES[l][0]), el("span", "notify-hint", CHOICES[l][1]));
    item.append(icon(ICONS[l]), text);
    item.addEventListener("click", () => choose(menuFor || page.view, l));
    return item;
  });
  ui.menu.append(ui.heading, ...ui.items);
  actions.insertBefore(ui.btn, document.getElementById("channel-menu-open"));
  actions.append(ui.menu);
  ui.btn.addEventListener("click", () => (ui.menu.hidden ? openMenu(false) : closeMenu(true)));
  ui.btn.addEventListener("keydown", onButtonKey);
  window.addEventListener("keydown", onKey, true);
  window.addEventListener("resize", () => closeMenu(false));
  document.addEventListener("pointerdown", onPointerDown, true);
}
