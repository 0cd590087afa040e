/*
 * parley web client: channels (UI).
 *
 * The sidebar's channel and direct-message lists with unread badges (archived channels
 * in a group of their own), the channel header (name, topic, member count, invite,
 * leave), the create / browse / invite / topic dialogs, read markers as the reader reads,
 * and the toasts that show the server's errors. The channel records and requests are
 * channels_data.js's; this file renders them and asks through them. The header's
 * settings menu (archive, delete) and the archived bar are channel_admin.js's, drawn with
 * the header.
 *
 * A request made from a dialog is remembered in `reqs` by kind while in flight (its
 * button says so); its answer closes the dialog that asked, and its error lands in that
 * dialog rather than in a toast. Background requests (member counts, read markers) fail
 * silently.
 */
import { GENERAL, MAX_USER, KEY_ARCHIVED_OPEN, ERROR_TEXT, errorText } from "./const.js";
import { el, icon, avatar } from "./dom.js";
import { charCount, save, load } from "./util.js";
import * as conn from "./conn.js";
import * as channels from "./channels_data.js";
import * as people from "./people.js";
import { page, focusComposer } from "./page.js";
import * as list from "./list.js";
import { closeSidebar, updateTitle } from "./app.js";
import * as chanAdmin from "./channel_admin.js";
import * as notifyUi from "./notify.js";
import { seenUpTo } from "./unread.js";
import * as pins from "./pins.js";

const NAME_RE = /^[a-z0-9][a-z0-9_-]{0,79}$/;  // the server's rule (Slack's)
const MAX_NAME = 80;
const MAX_TOPIC = 250;                         // characters, as the server counts them
const TOAST_MS = 7000;
const MAX_TOASTS = 4;
const COUNT_REFRESH_MS = 1000;                 // at most one member-count query a second
const GENERAL_REFRESH_MS = 5000;               // #general: arrivals are mostly presence
const READ_DELAY_MS = 500;                     // read markers: at most two a second

// 20x20 stroked icons, drawn in currentColor.
const ICONS = {
  lock: ["M6.5 9V6.8a3.5 3.5 0 0 1 7 0V9", "M5 9h10v8H5z"],
  plus: ["M10 4.5v11M4.5 10h11"],
  search: ["M8.8 14.1a5.3 5.3 0 1 0 0-10.6 5.3 5.3 0 0 0 0 10.6z", "M12.7 12.7 16.5 16.5"],
  userPlus: ["M7.5 9.5a3 3 0 1 0 0-6 3 3 0 0 0 0 6z", "M2 17a5.5 5.5 0 0 1 11 0", "M16 6.5v6M13 9.5h6"],
  leave: ["M8 3.5H5a1 1 0 0 0-1 1v11a1 1 0 0 0 1 1h3", "M12.5 6.5 16 10l-3.5 3.5", "M16 10H8"],
  pencil: ["M12.5 4.5l3 3L7 16H4v-3z"],
  users: ["M7.5 9.5a3 3 0 1 0 0-6 3 3 0 0 0 0 6z", "M2 17a5.5 5.5 0 0 1 11 0",
          "M12.5 3.7a3 3 0 0 1 0 5.6", "M15 12a5.5 5.5 0 0 1 3 5"],
  close: ["M5 5l10 10M15 5 5 15"],
  shield: ["M10 2.8 4.5 5v4.3c0 3.6 2.3 6.5 5.5 7.9 3.2-1.4 5.5-4.3 5.5-7.9V5z", "M7.6 10l1.7 1.7 3.2-3.4"],
  more: ["M4.1 10a.9.9 0 1 0 1.8 0 .9.9 0 1 0-1.8 0", "M9.1 10a.9.9 0 1 0 1.8 0 .9.9 0 1 0-1.8 0",
         "M14.1 10a.9.9 0 1 0 1.8 0 .9.9 0 1 0-1.8 0"],
  archive: ["M3.5 4.5h13v3h-13z", "M4.8 7.5v8h10.4v-8", "M8.5 10.5h3"],
  unarchive: ["M3.5 4.5h13v3h-13z", "M4.8 7.5v8h10.4v-8", "M10 14.5V10", "M8 12l2-2 2 2"],
  trash: ["M4.5 6h11", "M8 6V4.5h4V6", "M6 6l.7 9.5h6.6L14 6"],
  plug: ["M7.5 3.5v3.5M12.5 3.5v3.5", "M5.5 7h9v2.5a4.5 4.5 0 0 1-9 0z", "M10 14v3"],
  chevron: ["M8 6l4 4-4 4"],
};

const DIALOG_TEXT = {
  too_large: "Topics are at most 250 characters.",
  bad_name: "That is not a valid user name.",
  forbidden: "You are not allowed to do that in this channel.",
};

const ui = {};
const reqs = {};           // kind -> { channel, user } of the request in flight
const items = new Map();   // channel name -> its sidebar <li>
let countTimer = 0;
let browseList = null;     // the `channels` answer the browse dialog shows
let archivedOpen = false;  // the sidebar's Archived group is expanded (kept on this device)

/* ---------- small helpers ---------- */

function svg(name) {
  return icon(ICONS[name]);
}

function isDm(v) { return v.info.kind === "dm"; }

function dmPeople(v) { return channels.dmPeople(v, people.user()); }

function rec(name) { return typeof name === "string" && channels.has(name) ? channels.get(name) : null; }

// How a channel is named to the reader: "#design", or "ada, grace" for a DM.
export function title(v) {
  return isDm(v) ? dmPeople(v).join(", ") || "Direct message" : "#" + v.name;
}

// What goes before a channel's name: "#", a lock, or the other person's avatar.
function markFor(kind, v) {
  const mark = el("span", "hash");
  mark.setAttribute("aria-hidden", "true");
  if (kind === "private") {
    mark.append(svg("lock"));
  } else if (kind === "dm" && v) {
    mark.classList.add("is-face");
    const who = dmPeople(v);
    if (who.length === 1) mark.append(avatar(who[0], "avatar-xs"));
    else mark.append(svg("users"));
  } else {
    mark.textContent = "#";
  }
  return mark;
}

function membersText(n) { return n === 1 ? "1 member" : n + " members"; }

function showError(node, text) {
  node.textContent = text;
  node.hidden = false;
}

function hideError(node) { node.hidden = true; node.textContent = ""; }

// Runs a request of a dialog or button: remembered in `reqs` while in flight, its answer
// given to done, its error shown where the reader is looking.
function ask(kind, promise, about, done) {
  reqs[kind] = about;
  setBusy(kind, true);
  promise.then((p) => {
    delete reqs[kind];
    setBusy(kind, false);
    done(p);
  }, (err) => failed(kind, err));
}

// A request of a dialog failed: the error goes into that dialog while it is open, else
// into a toast. A request lost with the connection says so in its dialog.
function failed(kind, err) {
  delete reqs[kind];
  setBusy(kind, false);
  if (kind === "join" || kind === "browse") renderBrowse();
  if (kind === "leave") renderHeader();
  if (err.code === "stopped") return;
  const where = {
    create: [ui.createDialog, ui.createError], invite: [ui.inviteDialog, ui.inviteError],
    topic: [ui.topicDialog, ui.topicError], browse: [ui.browseDialog, ui.browseError],
    join: [ui.browseDialog, ui.browseError],
  }[kind];
  const lost = err.code === "offline" || err.code === "disconnected";
  if (where) {
    const [dialog, box] = where;
    if (lost) { showError(box, errorText(err)); return; }
    if (dialog.open) {
      const own = kind === "create" ? "" : DIALOG_TEXT[err.code];
      showError(box, (own || errorText(err)) + " (" + err.code + ")");
      return;
    }
  }
  if (err.code === "disconnected") return;
  toast(err.code === "offline" ? ERROR_TEXT.offline : errorText(err) + " (" + err.code + ")", "error");
}

// The answer to create, join and dm_open: the channel is ours; show it.
function opened(p) {
  const c = p && p.channel;
  if (!c || typeof c.name !== "string" || !channels.has(c.name)) return;
  closeDialogs();
  list.showChannel(c.name);
  closeSidebar();
  focusComposer(); // the dialog or card that asked is gone: what comes next is writing
}

// Member counts come only with channel descriptions, and a join or leave in a channel
// other than #general may be presence or membership: ask the server again, lazily, and
// only for the channel shown (the others are refreshed when they are shown).
function scheduleCountRefresh(delay) {
  if (!channels.canMessage() || countTimer) return;
  countTimer = setTimeout(() => {
    countTimer = 0;
    if (page.view) channels.describe(page.view.name).then(onChannels, () => {});
  }, delay || COUNT_REFRESH_MS);
}

/* ---------- read markers ---------- */

// What the reader has seen of the shown channel counts as read while the page is
// visible: its newest message, once in view (unread.js, seenUpTo). The marker moves
// forward only, at most twice a second per channel, and every tab's badge
// follows it. Each channel keeps the newest seq it showed, so a quick switch to
// another channel neither loses that nor marks what came in after it.
const readTimers = new Map();

export function viewed(v) {
  if (!channels.hasReadMarkers() || document.hidden || v !== page.view) return;
  if (v.mentions) { v.mentions = 0; renderList(); } // read: its mentions are too
  v.readUpTo = Math.max(v.readUpTo, seenUpTo(v));
  if (readTimers.has(v) || v.readUpTo <= (v.info.readSeq || 0)) return;
  readTimers.set(v, setTimeout(() => {
    readTimers.delete(v);
    if (!conn.joined() || rec(v.name) !== v) return;
    const r = channels.markRead(v, v.readUpTo);
    if (r) r.catch(() => {});
  }, READ_DELAY_MS));
}

// A message was added to v. A direct message shows up in the sidebar with its first
// message; the shown channel's new messages are read.
export function arrived(v) {
  if (isDm(v) && !items.has(v.name)) renderList();
  viewed(v);
}

/* ---------- frames from the server (app.js routes them, after the data took them) ---------- */

export function onRead(v) {
  if (v && v !== page.view) renderList();
}

export function onChannel(v) {
  renderList();
  if (v === page.view) renderHeader();
  if (ui.browseDialog.open && browseList) renderBrowse(); // "Join" may now be "Open"
}

// Whether this tab asked to leave that channel (its own answer says so).
export function leaving(name) { return !!reqs.leave && reqs.leave.channel === name; }

// The item goes with renderList, which removes the items of channels no longer held.
export function onChannelLeft(name) {
  renderList();
  renderHeader();
  if (ui.browseDialog.open && browseList) renderBrowse();
}

function onChannels(p) {
  const listed = channels.applyChannels(p);
  renderList();
  renderHeader();
  return listed;
}

export function onTopic(v) {
  renderList(); // the item's tooltip shows the topic
  if (v === page.view) {
    renderHeader();
    list.renderHistoryTop(); // the channel intro shows the topic too
  }
}

// Called for every join and leave. Everyone is in #general for good, so only a join can
// change its count there (someone new), and most joins are just presence: it is
// refreshed less eagerly.
export function onPresence(type, p) {
  const v = channels.get(typeof p.channel === "string" && p.channel ? p.channel : GENERAL);
  if (!v || isDm(v)) return;
  if (v.name === GENERAL && (type !== "join" || p.user === people.user())) return;
  const delay = v.name === GENERAL ? GENERAL_REFRESH_MS : COUNT_REFRESH_MS;
  if (v === page.view) scheduleCountRefresh(delay);
  else v.countStale = true;
}

// The socket went away: nothing in flight will be answered (the requests say so).
export function connectionLost() {
  clearTimeout(countTimer);
  countTimer = 0;
  for (const t of readTimers.values()) clearTimeout(t);
  readTimers.clear();
  if (ui.browseDialog.open) renderBrowse();
  renderHeader();
}

// Signed out: a modal dialog would stay on top of the login screen.
export function signedOut() {
  connectionLost();
  closeDialogs();
  while (ui.toasts.firstChild) dismiss(ui.toasts.firstChild);
}

// The channels a long welcome left out, a page at a time.
channels.changes.on("paged", () => {
  renderList();
  renderHeader();
});

export function welcomed() {
  setRights();
  renderList();
  renderHeader();
}

// Guests do not create channels (nor open direct messages: app.js's online list).
function setRights() {
  const guest = people.isGuest();
  ui.createOpen.hidden = guest;
  ui.browseCreate.hidden = guest;
}

/* ---------- sidebar ---------- */

function byName(a, b) {
  if (a.name === GENERAL || b.name === GENERAL) return a.name === GENERAL ? -1 : 1;
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

// A direct message is listed once it has a message, or while it is shown (just opened).
function listedDm(v) {
  return v.seqs.length > 0 || (v.info.lastSeq || 0) > 0 || v === page.view;
}

// The channels as the sidebar lists them, top to bottom. The Archived group, collapsed,
// still lists the channel shown (as Slack's collapsed sections do); `archivedAll` counts
// them all.
function sidebarOrder() {
  const all = Array.from(channels.all());
  const chans = all.filter((v) => !isDm(v) && !v.info.archived).sort(byName);
  const archivedAll = all.filter((v) => !isDm(v) && v.info.archived).sort(byName);
  const archived = archivedOpen ? archivedAll : archivedAll.filter((v) => v === page.view);
  const dms = all.filter((v) => isDm(v) && listedDm(v))
    .sort((a, b) => title(a).localeCompare(title(b)));
  return { chans, archived, archivedAll, dms };
}

// Updates the lists in place, node by node, so a keyboard user's focus survives the
// re-render that every message in another channel causes.
export function renderList() {
  const { chans, archived, archivedAll, dms } = sidebarOrder();
  const keep = new Set(chans.concat(archived, dms).map((v) => v.name));
  for (const [name, li] of items) if (!keep.has(name)) { li.remove(); items.delete(name); }
  fillList(ui.channelList, chans);
  fillList(ui.archivedList, archived);
  fillList(ui.dmList, dms);
  // Members start direct messages from the "+" (dm_new.js) even before they have one.
  const canStart = channels.canMessage() && !people.isGuest();
  ui.dmSection.hidden = dms.length === 0 && !canStart;
  ui.dmNewOpen.hidden = !canStart;
  ui.archivedGroup.hidden = archivedAll.length === 0;
  ui.archivedCount.textContent = String(archivedAll.length);
  ui.archivedToggle.setAttribute("aria-expanded", String(archivedOpen));
  ui.archivedToggle.title = (archivedOpen ? "Hide" : "Show") + " archived channels";
  if (conn.everJoined()) updateTitle(); // the title counts unread mentions (notify.js)
}

function toggleArchived() {
  archivedOpen = !archivedOpen;
  save(KEY_ARCHIVED_OPEN, archivedOpen ? "1" : "");
  renderList();
}

function fillList(box, views) {
  const cur = page.view;
  views.forEach((v, i) => {
    let li = items.get(v.name);
    if (!li) { li = makeItem(v.name); items.set(v.name, li); }
    fillItem(li.firstChild, v, v === cur);
    if (box.children[i] !== li) box.insertBefore(li, box.children[i] || null);
  });
}

function makeItem(name) {
  const li = el("li");
  const a = el("a", "channel");
  a.href = "#/c/" + encodeURIComponent(name); // router.js: a link that opens it in a new tab too
  a.dataset.testid = "channel-item";
  a.dataset.channel = name;
  a.addEventListener("click", (ev) => {
    ev.preventDefault();
    list.showChannel(name);
    closeSidebar();
  });
  li.append(a);
  return li;
}

function fillItem(a, v, active) {
  const unread = active || notifyUi.muted(v) ? 0 : v.unread; // muted: only mentions show
  const archived = !!v.info.archived;
  a.className = "channel" + (active ? " is-active" : "") + (unread ? " has-unread" : "") +
    (archived ? " is-archived" : "");
  if (active) a.setAttribute("aria-current", "page"); else a.removeAttribute("aria-current");
  a.textContent = "";
  a.append(markFor(v.info.kind, v), el("span", "channel-name", isDm(v) ? title(v) : v.name));
  // Unread mentions (messages.js counts them) outrank the plain count: a red pill.
  const mentions = active ? 0 : v.mentions || 0;
  if (mentions) {
    const pill = el("span", "badge badge-mention", mentions > 99 ? "99+" : String(mentions));
    pill.dataset.testid = "channel-mention";
    pill.title = mentions === 1 ? "1 unread mention" : mentions + " unread mentions";
    a.classList.add("has-unread");
    a.append(pill);
  } else if (unread) {
    const badge = el("span", "badge", unread > 99 ? "99+" : String(unread));
    badge.dataset.testid = "channel-unread";
    badge.title = unread === 1 ? "1 unread message" : unread + " unread messages";
    a.append(badge);
  }
  a.title = (v.info.topic ? title(v) + ": " + v.info.topic : title(v)) + (archived ? " (archived)" : "");
  // Read as "design, 2 unread" rather than "hash design 2".
  a.setAttribute("aria-label", title(v) + (archived ? ", archived" : "") + (unread ? ", " + unread + " unread" : "") +
    (mentions ? ", " + mentions + (mentions === 1 ? " mention" : " mentions") : ""));
  notifyUi.decorate(a, v);
}

// The sidebar's conversations, top to bottom (unread.js walks them with Alt+Shift).
export function sidebarChannels() {
  const { chans, archived, dms } = sidebarOrder();
  return chans.concat(archived, dms);
}

// Alt+Up / Alt+Down walk the sidebar, as in Slack (with Shift: unread.js).
function onKey(ev) {
  if (!ev.altKey || ev.shiftKey || (ev.key !== "ArrowUp" && ev.key !== "ArrowDown")) return;
  if (!conn.joined() || document.querySelector("dialog[open]")) return; // any modal dialog
  const { chans, archived, dms } = sidebarOrder();
  const order = chans.concat(archived, dms);
  const i = order.indexOf(page.view);
  const next = order[(i + (ev.key === "ArrowDown" ? 1 : order.length - 1)) % order.length];
  if (!next) return;
  ev.preventDefault();
  list.showChannel(next.name);
}

/* ---------- header and intro ---------- */

export function renderHeader() {
  const v = page.view;
  if (!v) return;
  const fixed = v.name === GENERAL || isDm(v); // nobody is invited to, or leaves, these
  const guest = people.isGuest();
  const archived = !!v.info.archived; // read-only: no topic, no invites (leaving is fine)
  const mark = markFor(v.info.kind, v);
  ui.headerMark.replaceWith(mark);
  ui.headerMark = mark;
  ui.headerName.textContent = isDm(v) ? title(v) : v.name;
  pins.onHeader(v); // the pinned count (pins.js)
  ui.topic.textContent = v.info.topic;
  const noTopic = (guest || archived) && !v.info.topic; // nothing to show, nothing to set
  ui.topicEdit.hidden = isDm(v) || noTopic;
  ui.topicEdit.title = v.info.topic ? "Edit the topic" : "Add a topic";
  ui.topicEdit.setAttribute("aria-label", v.info.topic ? "Edit the topic: " + v.info.topic : "Add a topic");
  const n = v.info.members;
  ui.members.textContent = Number.isInteger(n) ? membersText(n) : "";
  ui.membersWrap.hidden = !Number.isInteger(n);
  ui.membersWrap.classList.toggle("is-last", isDm(v) || noTopic); // no topic follows
  ui.membersOpen.disabled = fixed; // #general is everyone; a DM shows its people already
  ui.membersOpen.title = fixed ? "" : "Members of #" + v.name;
  ui.topicEdit.disabled = guest || archived; // guests read topics, they do not set them
  if (guest || archived) ui.topicEdit.title = v.info.topic || "";
  ui.inviteOpen.hidden = fixed || guest || archived;
  ui.leave.hidden = fixed;
  ui.inviteOpen.title = "Add people to #" + v.name;
  ui.leave.title = "Leave #" + v.name;
  ui.leave.disabled = !!reqs.leave;
  chanAdmin.render();
  notifyUi.render();
}

// The first lines of a channel, above its oldest message.
export function intro(v) {
  const box = el("div", "intro");
  const priv = v.info.kind === "private";
  const mark = el("div", "intro-icon");
  if (isDm(v)) mark.append(markFor("dm", v));
  else if (priv) mark.append(svg("lock"));
  else mark.textContent = "#";
  let lead;
  if (isDm(v)) lead = "This is the very beginning of your direct messages with " + title(v) + ".";
  else if (v.name === GENERAL) lead = "This is the very beginning of the #general channel. Say hello!";
  else lead = "This is the very beginning of the #" + v.name + " channel." +
    (priv ? " It is private: only people invited can see it." : "");
  box.append(mark, el("h2", "", isDm(v) ? title(v) : "Welcome to #" + v.name), el("p", "", lead));
  if (v.info.topic) box.append(el("p", "intro-topic", "Topic: " + v.info.topic));
  return box;
}

// list.js shows another channel.
export function shown(v) {
  renderList();
  renderHeader();
  if (v.countStale) scheduleCountRefresh();
  viewed(v);
}

/* ---------- direct messages ---------- */

export function openDm(user) { openDmWith([user]); }

// A direct message with these people (1 to 7 others: dm_new.js opens groups).
export function openDmWith(users) {
  if (reqs.dm || people.isGuest()) return;
  // Already there: no need to ask (the server would answer with the same channel).
  const want = users.slice().sort().join("\n");
  for (const v of channels.all()) {
    if (isDm(v) && dmPeople(v).slice().sort().join("\n") === want) {
      list.showChannel(v.name);
      closeSidebar();
      focusComposer(); // whoever opened it means to write
      return;
    }
  }
  ask("dm", channels.openDm(users.length === 1 ? users[0] : users), { users }, opened);
}

/* ---------- dialogs ---------- */

function dialogs() { return [ui.createDialog, ui.browseDialog, ui.inviteDialog, ui.topicDialog]; }

function openDialog(d, focus) {
  closeDialogs();
  d.querySelectorAll(".form-error").forEach(hideError);
  d.showModal();
  if (focus) focus.focus();
}

function closeDialog(d) { if (d.open) d.close(); }

function closeDialogs() { dialogs().forEach(closeDialog); }

const BUSY = {
  create: ["createSubmit", "Create", "Creating…"],
  invite: ["inviteSubmit", "Add", "Adding…"],
  topic: ["topicSave", "Save", "Saving…"],
};

function setBusy(kind, on) {
  const b = BUSY[kind];
  if (!b) return;
  ui[b[0]].disabled = on;
  ui[b[0]].textContent = on ? b[2] : b[1];
}

// Mirrors the server's rule, one reason at a time.
function channelNameProblem(name) {
  if (!name) return "Give the channel a name.";
  if (name.length > MAX_NAME) return "Channel names are at most 80 characters.";
  if (!/^[a-z0-9]/.test(name)) return "Channel names start with a lowercase letter or a digit.";
  if (!NAME_RE.test(name)) return "Use only lowercase letters, digits, hyphens (-) and underscores (_).";
  return "";
}

function topicProblem(topic) {
  const n = charCount(topic);
  return n > MAX_TOPIC ? "Topics are at most 250 characters (this one has " + n + ")." : "";
}

function openCreate() {
  if (people.isGuest()) return;
  ui.createName.value = "";
  ui.createName.setAttribute("aria-invalid", "false");
  ui.createTopic.value = "";
  ui.createPrivate.checked = false;
  setBusy("create", !!reqs.create);
  openDialog(ui.createDialog, ui.createName);
}

// Slack's habit: typing "Plan Budget" gives "plan-budget". Anything else the rule
// refuses is pointed out as it is typed, without waiting for the submit.
function onCreateNameInput() {
  const box = ui.createName;
  const fixed = box.value.toLowerCase().replace(/\s/g, "-");
  if (fixed !== box.value) {
    const at = box.selectionStart;
    box.value = fixed;
    box.setSelectionRange(at, at);
  }
  const problem = fixed ? channelNameProblem(fixed) : "";
  box.setAttribute("aria-invalid", problem ? "true" : "false");
  if (problem) showError(ui.createError, problem); else hideError(ui.createError);
}

function onCreateSubmit(ev) {
  ev.preventDefault();
  if (reqs.create) return;
  const name = ui.createName.value;
  const topic = ui.createTopic.value.trim();
  let problem = channelNameProblem(name) || topicProblem(topic);
  if (!problem && channels.has(name)) problem = "You are already in #" + name + ".";
  if (problem) {
    showError(ui.createError, problem);
    (channelNameProblem(name) || channels.has(name) ? ui.createName : ui.createTopic).focus();
    return;
  }
  hideError(ui.createError);
  ask("create", channels.create(name, ui.createPrivate.checked, topic), { channel: name }, opened);
}

function openBrowse() {
  browseList = null;
  ui.browseFilter.value = "";
  openDialog(ui.browseDialog, ui.browseFilter);
  ask("browse", channels.list(), {}, (p) => {
    browseList = onChannels(p);
    renderBrowse();
  });
  renderBrowse();
}

function renderBrowse() {
  ui.browseList.textContent = "";
  if (!browseList) {
    ui.browseStatus.textContent = reqs.browse ? "Loading channels…" : "";
    return;
  }
  const q = ui.browseFilter.value.trim().toLowerCase().replace(/^#/, "");
  const rows = browseList.filter((c) => c.kind !== "dm" && (!q || c.name.includes(q) ||
    (typeof c.topic === "string" && c.topic.toLowerCase().includes(q))))
    .sort((a, b) => (a.archived === true) - (b.archived === true)); // by name, archived ones last
  if (!rows.length) {
    ui.browseStatus.textContent = q ? "No channel matches “" + q + "”."
      : people.isGuest() ? "No channels yet." : "No channels yet: create the first one.";
  } else {
    ui.browseStatus.textContent = rows.length === 1 ? "1 channel" : rows.length + " channels";
  }
  for (const c of rows) ui.browseList.append(browseRow(c));
}

function browseRow(c) {
  const member = channels.has(c.name);
  const li = el("li", "browse-item");
  li.dataset.testid = "channel-browse-item";
  li.dataset.channel = c.name;
  const main = el("div", "browse-main");
  const head = el("div", "browse-name");
  head.append(markFor(c.kind), el("span", "", c.name));
  if (member) head.append(el("span", "pill", "Joined"));
  const archived = c.archived === true;
  if (archived) {
    const tag = el("span", "pill pill-archived", "Archived");
    tag.dataset.testid = "channel-browse-archived";
    head.append(tag);
    li.classList.add("is-archived");
  }
  const facts = [];
  if (Number.isInteger(c.members)) facts.push(membersText(c.members));
  if (typeof c.topic === "string" && c.topic) facts.push(c.topic);
  main.append(head, el("div", "browse-meta", facts.join(" · ")));
  li.append(main);
  if (archived && !member) { // nobody joins an archived channel
    li.append(el("span", "browse-note", "Read-only"));
    return li;
  }
  const joining = reqs.join && reqs.join.channel === c.name;
  const btn = el("button", member ? "btn-secondary btn-small" : "btn-primary btn-small",
    member ? "Open" : joining ? "Joining…" : "Join");
  btn.type = "button";
  btn.disabled = !!joining;
  if (!member) btn.dataset.testid = "channel-browse-join";
  btn.addEventListener("click", () => (member ? openChannel(c.name) : joinChannel(c.name)));
  li.append(btn);
  return li;
}

function openChannel(name) {
  closeDialogs();
  list.showChannel(name);
  closeSidebar();
}

function joinChannel(name) {
  if (reqs.join) return;
  hideError(ui.browseError);
  ask("join", channels.join(name), { channel: name }, opened);
  renderBrowse();
}

export function openInvite() {
  const v = page.view;
  if (!v || v.name === GENERAL || isDm(v) || people.isGuest()) return;
  ui.inviteTitle.textContent = "Add people to #" + v.name;
  ui.inviteUser.value = "";
  ui.inviteSuggest.textContent = "";
  const names = Array.from(people.onlineSet()).filter((n) => n !== people.user()).sort();
  for (const n of names) {
    const opt = el("option");
    opt.value = n;
    ui.inviteSuggest.append(opt);
  }
  setBusy("invite", !!reqs.invite);
  openDialog(ui.inviteDialog, ui.inviteUser);
}

function onInviteSubmit(ev) {
  ev.preventDefault();
  const v = page.view;
  if (reqs.invite || !v || v.name === GENERAL) return;
  const user = ui.inviteUser.value.trim();
  let problem = "";
  if (!user) problem = "Type the name of the person to add.";
  else if (charCount(user) > MAX_USER) problem = "Names are at most 32 characters.";
  else if (user === people.user()) problem = "You are already in #" + v.name + ".";
  if (problem) { showError(ui.inviteError, problem); ui.inviteUser.focus(); return; }
  hideError(ui.inviteError);
  ask("invite", channels.invite(v.name, user), { channel: v.name, user }, (p) => {
    closeDialog(ui.inviteDialog);
    toast("Added " + p.user + " to #" + p.channel + ".", "info");
    if (rec(p.channel) === page.view) scheduleCountRefresh();
  });
}

function openTopic() {
  const v = page.view;
  if (!v || isDm(v) || people.isGuest()) return;
  ui.topicTitle.textContent = "Topic of #" + v.name;
  ui.topicInput.value = v.info.topic;
  onTopicInput();
  setBusy("topic", !!reqs.topic);
  openDialog(ui.topicDialog, ui.topicInput);
  ui.topicInput.select();
}

function onTopicInput() {
  const n = charCount(ui.topicInput.value.trim());
  ui.topicCounter.textContent = n + " / " + MAX_TOPIC;
  ui.topicCounter.classList.toggle("is-over", n > MAX_TOPIC);
}

function onTopicSubmit(ev) {
  ev.preventDefault();
  const v = page.view;
  if (reqs.topic || !v) return;
  const topic = ui.topicInput.value.trim();
  const problem = topicProblem(topic);
  if (problem) { showError(ui.topicError, problem); return; }
  if (topic === v.info.topic) { closeDialog(ui.topicDialog); return; }
  hideError(ui.topicError);
  ask("topic", channels.setTopic(v.name, topic), { channel: v.name }, () => closeDialog(ui.topicDialog));
}

function leaveCurrent() {
  const v = page.view;
  if (!v || v.name === GENERAL || isDm(v) || reqs.leave) return;
  const name = v.name;
  ask("leave", channels.leave(name), { channel: name }, () => toast("You left #" + name + ".", "info"));
  renderHeader();
}

/* ---------- toasts ---------- */

const toastTimers = new WeakMap();

// Errors never block: a toast shows for a while, and a repeat of the same text
// refreshes the one already shown rather than stacking copies.
export function toast(text, kind) {
  for (const t of ui.toasts.children) {
    if (t.dataset.text === text) { armToast(t); return; }
  }
  const t = el("div", "toast");
  t.dataset.testid = "toast";
  t.dataset.kind = kind || "error";
  t.dataset.text = text;
  t.setAttribute("role", t.dataset.kind === "error" ? "alert" : "status");
  const close = el("button", "toast-close");
  close.type = "button";
  close.setAttribute("aria-label", "Dismiss");
  close.append(svg("close"));
  close.addEventListener("click", () => dismiss(t));
  t.append(el("span", "toast-text", text), close);
  ui.toasts.append(t);
  while (ui.toasts.children.length > MAX_TOASTS) ui.toasts.firstChild.remove();
  armToast(t);
  raiseToasts();
}

function armToast(t) {
  clearTimeout(toastTimers.get(t));
  toastTimers.set(t, setTimeout(() => dismiss(t), TOAST_MS));
}

function dismiss(t) {
  clearTimeout(toastTimers.get(t));
  t.remove();
  if (!ui.toasts.children.length && ui.toasts.hidePopover) {
    try { ui.toasts.hidePopover(); } catch (e) { /* already hidden */ }
  }
}

// An open dialog sits in the browser's top layer, above any z-index. The toast box
// is a manual popover, in that layer too; showing it again puts it on top.
function raiseToasts() {
  const box = ui.toasts;
  if (!box.showPopover) return;
  try {
    if (box.matches(":popover-open")) box.hidePopover();
    box.showPopover();
  } catch (e) { /* no popover support: the fixed box still shows outside dialogs */ }
}

/* ---------- start ---------- */

function bind() {
  const ids = {
    channelList: "channel-list", dmList: "dm-list", dmSection: "dm-section", dmNewOpen: "dm-new-open",
    createOpen: "create-open", browseOpen: "browse-open",
    headerMark: "header-mark", headerName: "header-name", topic: "channel-topic",
    topicEdit: "topic-edit", members: "channel-members", membersWrap: "members-wrap", membersOpen: "members-open",
    inviteOpen: "invite-open", leave: "leave-btn", toasts: "toasts",
    createDialog: "create-dialog", createForm: "create-form", createName: "create-name",
    createTopic: "create-topic", createPrivate: "create-private", createError: "create-error",
    createSubmit: "create-submit", browseDialog: "browse-dialog", browseFilter: "browse-filter",
    browseStatus: "browse-status", browseList: "browse-list", browseError: "browse-error",
    browseCreate: "browse-create", inviteDialog: "invite-dialog", inviteForm: "invite-form",
    inviteTitle: "invite-title", inviteUser: "invite-user", inviteSuggest: "invite-suggest",
    inviteError: "invite-error", inviteSubmit: "invite-submit", topicDialog: "topic-dialog",
    topicForm: "topic-form", topicTitle: "topic-title", topicInput: "topic-input",
    topicCounter: "topic-counter", topicError: "topic-error", topicSave: "topic-save",
    archivedGroup: "archived-group", archivedToggle: "archived-toggle", archivedList: "archived-list",
    archivedCount: "archived-count",
  };
  for (const k in ids) ui[k] = document.getElementById(ids[k]);
  document.querySelectorAll("[data-icon]").forEach((n) => n.replaceWith(svg(n.dataset.icon)));
}

function listen() {
  ui.createOpen.addEventListener("click", openCreate);
  ui.browseOpen.addEventListener("click", openBrowse);
  ui.browseCreate.addEventListener("click", openCreate);
  ui.topicEdit.addEventListener("click", openTopic);
  ui.inviteOpen.addEventListener("click", openInvite);
  ui.leave.addEventListener("click", leaveCurrent);
  ui.archivedToggle.addEventListener("click", toggleArchived);
  ui.createName.addEventListener("input", onCreateNameInput);
  ui.createForm.addEventListener("submit", onCreateSubmit);
  ui.browseFilter.addEventListener("input", renderBrowse);
  ui.inviteForm.addEventListener("submit", onInviteSubmit);
  ui.inviteUser.addEventListener("input", () => hideError(ui.inviteError));
  ui.topicForm.addEventListener("submit", onTopicSubmit);
  ui.topicInput.addEventListener("input", () => { hideError(ui.topicError); onTopicInput(); });
  for (const d of dialogs()) {
    // A click on the dialog element itself is a click on its backdrop: the content
    // fills the box.
    d.addEventListener("click", (ev) => { if (ev.target === d) closeDialog(d); });
    d.querySelectorAll("[data-close]").forEach((b) => b.addEventListener("click", () => closeDialog(d)));
  }
  document.addEventListener("keydown", onKey);
}

export function init() {
  archivedOpen = load(KEY_ARCHIVED_OPEN) === "1";
  bind();
  listen();
  chanAdmin.init();
  notifyUi.init();
}
