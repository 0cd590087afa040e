/*
 * parley web client: the start, the screens, and the server-events dispatcher.
 *
 * The modules (native ES modules, no build step), lowest first:
 *   const.js, util.js     shared constants; helpers without the DOM
 *   auth_data.js          data: the REST calls of accounts, and who is signed in
 *   conn.js               the socket: join, heartbeat, reconnect, resume, request() -> Promise
 *   people.js             data: who we are, who is online and typing, names, roles, guests
 *   channels_data.js      data: channel records and the channel requests
 *   messages_data.js      data: messages, threads, edits, reactions on the records; the outbox
 *   dom.js, page.js       element builders; the page's shared elements and reading state
 *   badges.js             UI: a person's name as shown, with display name and badges
 *   auth_ui.js            UI: the first page (sign in, sign up, the owner, a reset, guests)
 *   list.js               UI: the message lists (rows, the bounded window, jumps, scrolling)
 *   composer.js           UI: the message box, pending rows, the typing line
 *   channels.js           UI: sidebar, header, dialogs, read markers, toasts
 *   channel_admin.js      UI: archiving and deleting channels (header menu, dialogs, the
 *                         archived bar)
 *   members.js            UI: a channel's members, removing them
 *   messages.js           UI: a row's reactions, edits, deletes; the picker and the editor
 *   threads.js            UI: the thread panel
 *   mentions.js           UI: @mentions, mention badges, notifications, the @-list
 *   search.js             UI: the search box and results
 *   unread.js             UI: opening a channel at its first unread message, the "New"
 *                         line and bar, reading as the reader scrolls, Alt+Shift+Up/Down
 *   router.js             UI: addresses (#/c/NAME/SEQ...), Back and Forward, "Copy link"
 *   switcher.js           UI: the conversation switcher (Ctrl+K)
 *   shortcuts.js          UI: page-wide keys and their help (Ctrl+/)
 *   profile.js, admin.js  UI: one's account; people and invites (owners and admins)
 *   app.js                this file: which screen shows (loading, the first page, the
 *                         chat), the two ways in (an account, a guest) and out (signing
 *                         out, a session the server ended), the status line, people
 *                         online, and the dispatch of server events (frames no request of
 *                         ours waits for) to the data modules first, then to the UI
 *                         modules that show them.
 * Data modules know nothing of the DOM; UI modules put text from the network in the page
 * only through textContent and element builders (or as a link's href after checking its
 * scheme): never as HTML.
 */
import { GENERAL, KEY_NAME, KEY_SESSION, KEY_GUEST_BACK, KEY_CHANNEL, ERROR_TEXT, errorText, authErrorText } from "./const.js";
import { el, avatar, paintAvatar } from "./dom.js";
import { save, load } from "./util.js";
import * as auth from "./auth_data.js";
import * as conn from "./conn.js";
import * as people from "./people.js";
import * as channels from "./channels_data.js";
import * as msgs from "./messages_data.js";
import { ui, page, bind } from "./page.js";
import { badges, refreshNames } from "./badges.js";
import * as authUi from "./auth_ui.js";
import * as list from "./list.js";
import * as composer from "./composer.js";
import * as files from "./files.js";
import * as chansUi from "./channels.js";
import * as chanAdmin from "./channel_admin.js";
import * as hooksUi from "./hooks.js";
import * as members from "./members.js";
import * as mx from "./messages.js";
import * as mentions from "./mentions.js";
import * as notifyUi from "./notify.js";
import * as search from "./search.js";
import * as profile from "./profile.js";
import * as admin from "./admin.js";
import * as botsAdmin from "./bots_admin.js";
import * as drafts from "./drafts.js";
import * as router from "./router.js";
import * as unread from "./unread.js";
import * as presence from "./presence.js";
import * as switcher from "./switcher.js";
import * as pins from "./pins.js";
import * as shortcuts from "./shortcuts.js";
import * as personCard from "./person_card.js";
import * as directory from "./directory.js";
import * as dmNew from "./dm_new.js";

const DIRECTORY_GAP_MS = 5000;   // the people directory is read at most this often

// Why someone is on the first page again (the server closed the socket with this code).
const NOTICES = {
  4001: { text: "You were signed out: this session was ended from another device or tab, or the password changed. Sign in again to continue.", kind: "warn" },
  4003: { text: "Your account has been banned from this server.", kind: "danger" },
  4004: { text: "Your account has been deactivated. Ask an admin of this server to reactivate it.", kind: "danger" },
};
const GUEST_NOTICES = {
  4001: { text: "Your guest session was ended. Join again to continue.", kind: "warn" },
  4003: { text: "This guest name has been banned from this server.", kind: "danger" },
  4004: { text: "This guest name has been deactivated on this server.", kind: "danger" },
};

let entering = "";               // "account" or "guest": a join is on its way, no welcome yet
let directoryTimer = 0;
let directoryAt = 0;

/* ---------- shared with the UI modules ---------- */

export function updateTitle() {
  const name = page.view ? chansUi.title(page.view) : "#" + GENERAL;
  const n = notifyUi.titleCount(); // unread mentions, direct messages counting as mentions
  document.title = (n ? "(" + n + ") " : "") + name + " · parley";
}

// A request of ours the server refused, when nothing closer to it shows errors.
export function showError(err) {
  if (err.code === "stopped" || err.code === "disconnected") return;
  chansUi.toast(errorText(err) + " (" + err.code + ")", "error");
}

export function closeSidebar() { toggleSidebar(false); }

function toggleSidebar(open) {
  ui.app.classList.toggle("sidebar-open", open);
  ui.backdrop.hidden = !open;
  ui.menuBtn.setAttribute("aria-expanded", String(open));
}

/* ---------- the connection's life ---------- */

conn.onLink("status", (kind, text) => {
  ui.status.dataset.state = kind;
  ui.status.textContent = text;
});

conn.onLink("up", (p, how) => {
  const reconnecting = how.reconnected || channels.all().some((ch) => ch.seqs.length);
  entering = "";
  list.expectJoinPage(channels.ensure(GENERAL)); // the join's own history page follows
  // The membership list is the server's word: channels left from another tab while we
  // were away disappear here, channels joined meanwhile appear.
  channels.welcome(p.channels, p.channels_more);
  people.welcome(p);
  presence.welcome(p);
  if (!people.me.account) { // a guest keeps its name and token on this device
    save(KEY_NAME, people.me.user);
    save(KEY_SESSION, people.me.session);
    save(KEY_GUEST_BACK, "1");
  }
  chansUi.welcomed();
  mx.welcome();
  showApp();
  composer.setComposerEnabled(true);
  composer.setOffline(false);
  loadDirectory(true);
  const last = load(KEY_CHANNEL);
  if (!reconnecting && last && channels.has(last)) list.showChannel(last);
  else list.showChannel(page.view && channels.has(page.view.name) ? page.view.name : GENERAL);
});

conn.onLink("resumed", (p) => {
  const report = p.channels && typeof p.channels === "object" ? p.channels : {};
  for (const name of Object.keys(report)) {
    if (!channels.has(name) || !report[name] || report[name].recovered !== false) continue;
    list.reload(channels.get(name));
  }
});

conn.onLink("down", () => {
  list.connectionLost();
  people.clearTypers();
  composer.renderTyping();
  chansUi.connectionLost();
  composer.setOffline(true); // the box stays usable: what is sent waits for the connection
});

// The join was refused: a guest's name (taken, banned, guests off), or an account's
// session that ended while we were away.
conn.onLink("refused", (code, message) => {
  if (people.me.account) {
    const text = "The chat did not accept this session (" + code + "). Sign in again.";
    if (entering && authUi.visible()) { entering = ""; authUi.failed(text); return; }
    leaveChat({ notice: { text: "Your session has ended. Sign in again to continue.", kind: "warn" }, fresh: true });
    return;
  }
  const text = code === "rate_limited" ? "Too many guests joined from your address just now. Wait a minute and try again."
    : ERROR_TEXT[code] || message || "Sign-in failed.";
  if (entering && entering !== "auto") { entering = ""; authUi.failed(text, true); return; }
  leaveChat({ error: text, guest: true });
});

conn.onLink("unreachable", () => {
  const was = entering;
  entering = "";
  if (was === "guest") authUi.failed("Can't reach the server. Check the address and try again.", true);
  else showBoot("Can't reach the chat server.", true);
});

// The server ended the session: signed out elsewhere (4001), banned (4003), deactivated
// (4004). Nothing reconnects; the first page says why.
conn.onLink("revoked", (code) => {
  const notices = people.me.account ? NOTICES : GUEST_NOTICES;
  auth.forget();
  leaveChat({ notice: notices[code] || notices[4001], fresh: true });
});

/* ---------- server events ---------- */

function channelOf(p) {
  const name = typeof p.channel === "string" && p.channel ? p.channel : GENERAL;
  return channels.has(name) ? channels.get(name) : null;
}

function onMsg(p) {
  const v = channelOf(p);
  if (!v) return;
  people.noteEvent(p);
  channels.noteMember(v.name, p.user);
  if (p.guest !== true && !people.known(p.user)) loadDirectory(false); // someone new
  people.stopTyping(v.name, p.user);
  mentions.live(v, p); // mentions and notifications, before it counts as seen
  let added = false;
  list.inView(v, () => { added = list.addMessage(v, p); }, false);
  if (added) chansUi.arrived(v);
  if (!added || p.user === people.user()) return;
  if (v !== page.view) {
    v.unread++;
    chansUi.renderList();
  } else if (!list.isNearBottom()) {
    page.unseenBelow++;
    ui.newPill.hidden = false;
    ui.newPill.textContent = page.unseenBelow === 1 ? "1 new message" : page.unseenBelow + " new messages";
  }
  if (document.hidden && v === page.view && channels.isDm(v)) {
    page.unreadHidden++;
    updateTitle();
  }
}

// A channel line ("bob joined", lines.js): a row at its seq, never unread, no notification.
function onLine(p) {
  const v = channelOf(p);
  if (!v || !Number.isInteger(p.seq)) return;
  if (p.kind === "joined" && typeof p.member === "string") channels.noteMember(v.name, p.member);
  let added = false;
  list.inView(v, () => { added = list.addMessage(v, p); }, false);
  if (added) chansUi.arrived(v);
}

// An edit, delete or reaction: folded onto its target even in a list showing the past.
const onEvent = (kind) => (p) => {
  const v = channelOf(p);
  if (!v || !Number.isInteger(p.seq)) return;
  if (msgs.claim(v, Object.assign({}, p, { kind }))) chansUi.viewed(v);
};

function onPresence(type) {
  return (p) => {
    if (type === "leave" && p.channel === GENERAL) presence.onLeave(p);
    people.presence(type, p);
    if (type === "join" && typeof p.channel === "string") channels.noteMember(p.channel, p.user);
    chansUi.onPresence(type, p);
    members.onPresence(p);
    if (type === "join" && p.guest !== true && !people.known(p.user)) loadDirectory(false);
  };
}

const dispatch = {
  history: (p) => list.unaskedPage(p),
  msg: onMsg,
  edit: onEvent("edit"),
  delete: onEvent("delete"),
  react: onEvent("react"),
  pin: onEvent("pin"),
  join: onPresence("join"),
  leave: onPresence("leave"),
  presence: (p) => presence.onPresence(p),
  channel_event: onLine,
  typing: (p) => { const v = channelOf(p); if (v) people.typing(v.name, p.user); },
  channel: (p) => { const ch = channels.applyChannel(p); if (ch) chansUi.onChannel(ch); },
  channel_left: (p) => {
    const shown = page.view;
    const name = channels.applyLeft(p);
    if (!name) return;
    chansUi.onChannelLeft(name);
    chanAdmin.onChannelLeft(name, shown && shown.name === name ? shown : null);
  },
  topic: (p) => { const ch = channels.applyTopic(p); if (ch) chansUi.onTopic(ch); },
  read: (p) => {
    const ch = channels.has(p.channel) ? channels.get(p.channel) : null;
    const r = ch ? channels.applyRead(p, msgs.maxSeq(ch)) : null;
    if (r && r !== page.view) r.unread = Math.max(0, r.unread - msgs.linesAfter(r, r.info.readSeq)); // lines.js
    if (ch) chansUi.onRead(r);
  },
  mentions: (p) => mentions.onMentions(p),
  notify: (p) => notifyUi.onEvent(p),
  profile: (p) => people.applyProfile(p),
  error: (p) => showError({ code: typeof p.code === "string" ? p.code : "error", message: p.message }),
};

for (const type of Object.keys(dispatch)) conn.onFrame(type, dispatch[type]);

/* ---------- people ---------- */

function renderOnline() {
  const me = people.user();
  const names = Array.from(people.onlineSet()).sort((a, b) =>
    (a === me ? -1 : b === me ? 1 : a.localeCompare(b)));
  ui.onlineList.textContent = "";
  // Another person is a button when we may open direct messages: click to talk.
  const dm = channels.canMessage() && !people.isGuest();
  for (const name of names) {
    const li = el("li");
    const row = el(dm && name !== me ? "button" : "div", "person");
    const face = avatar(name, "avatar-sm"); // with its presence dot (presence.js)
    const text = el("span", "person-text");
    const display = people.displayOf(name);
    if (display && display !== name) text.append(el("span", "person-display", display));
    const label = el("span", "person-name" + (display && display !== name ? " is-handle" : ""), name);
    label.dataset.testid = "online-user";
    text.append(label);
    row.append(face, text, ...badges(name));
    if (name === me) row.append(el("span", "you", "you"));
    if (row.tagName === "BUTTON") {
      row.type = "button";
      row.title = "Profile of " + (display || name);
      row.setAttribute("aria-haspopup", "dialog");
      row.addEventListener("click", () => personCard.open(name)); // its Message button opens the DM
    }
    li.append(row);
    ui.onlineList.append(li);
  }
  ui.onlineCount.textContent = String(names.length);
}

people.changes.on("online", renderOnline);
people.changes.on("me", renderMe);
people.changes.on("people", () => {
  renderOnline();
  list.refreshNames();
  refreshNames(ui.threadPanel);
  refreshNames(ui.searchPanel);
});

// The directory of accounts (display names, roles), for everyone but guests: read after
// each welcome, and again (not too often) when someone we do not know shows up.
function loadDirectory(now) {
  if (!people.me.account || people.isGuest() || directoryTimer) return;
  const wait = now ? 0 : Math.max(0, directoryAt + DIRECTORY_GAP_MS - Date.now());
  directoryTimer = setTimeout(() => {
    directoryAt = Date.now();
    auth.users().then((list) => {
      directoryTimer = 0;
      if (people.me.account) people.setDirectory(list);
    }, () => { directoryTimer = 0; });
  }, wait);
}

// The sidebar's own line: who we are, as what; the admin page for owners and admins.
function renderMe() {
  const name = people.user();
  const m = people.me;
  ui.meName.textContent = m.display || name;
  paintAvatar(ui.meAvatar, name || "?");
  const role = m.role === "legacy" ? "" : m.role;
  ui.meSub.textContent = people.isGuest() || !m.account ? "guest" : m.display ? "@" + name + " · " + role : role;
  ui.profileOpen.disabled = !m.account;
  ui.profileOpen.title = m.account ? "Your profile, password and sessions" : "Guests have no account";
  ui.signout.hidden = m.account;
  ui.adminOpen.hidden = !m.account || !people.isStaff();
}

/* ---------- screens ---------- */

function showApp() {
  authUi.done();
  authUi.hide();
  ui.boot.hidden = true;
  ui.app.hidden = false;
  renderMe();
  updateTitle();
  if (!ui.composer.value) ui.composer.focus();
}

// The loading screen; with retry, a failure with a button to try again.
function showBoot(text, retry) {
  ui.app.hidden = true;
  authUi.hide();
  ui.boot.hidden = false;
  ui.bootText.textContent = text || "Loading parley…";
  ui.boot.setAttribute("aria-busy", retry ? "false" : "true");
  ui.bootRetry.hidden = !retry;
  if (retry) ui.bootRetry.focus();
}

function showFirstPage(opts) {
  ui.app.hidden = true;
  ui.boot.hidden = true;
  ui.loginName.value = load(KEY_NAME);
  document.title = "parley";
  return authUi.show(opts);
}

/* ---------- the ways in ---------- */

// Someone signed in (a form, or the session cookie on load): join as that account.
function enterAccount(user) {
  authUi.clearLinks();
  const another = user.name !== people.user() || !people.me.account;
  people.me.user = user.name;
  people.me.account = true;
  if (another) list.resetViews(); // another person starts fresh (with their own drafts)
  people.me.display = typeof user.display_name === "string" ? user.display_name : "";
  entering = "account";
  conn.start(user.name, "", true);
}

// The guest form (or a reload, auto): join by name, with this device's token when the
// name is ours.
function enterGuest(name, auto) {
  const another = name !== people.user() || people.me.account;
  const token = load(KEY_NAME) === name ? load(KEY_SESSION) : "";
  people.me.user = name;
  people.me.session = token;
  people.me.account = false;
  if (another) list.resetViews();
  entering = auto ? "auto" : "guest";
  conn.start(name, token, false); // the token lets a second tab (or this one) reclaim the name
}

/* ---------- the ways out ---------- */

// Everything of this person goes; the first page shows (opts: see auth_ui.show).
function leaveChat(opts) {
  entering = "";
  save(KEY_GUEST_BACK, ""); // the next load asks who is there
  conn.stop();
  people.clearTypers();
  chansUi.signedOut();
  members.reset();
  chanAdmin.reset();
  profile.close();
  admin.reset();
  botsAdmin.reset();
  search.reset(); // the next person's searches are their own
  drafts.forgetUser(); // ... and this device keeps nothing they had typed
  unread.reset();
  router.reset();
  list.resetViews();
  clearTimeout(directoryTimer);
  directoryTimer = 0;
  const guestName = people.me.account ? "" : people.user();
  if (people.me.account) opts = Object.assign({ name: people.user() }, opts || {});
  people.reset();
  people.me.user = guestName;
  return showFirstPage(opts || {});
}

// A guest leaves (the sidebar's Leave): nothing to tell the server but closing.
function leaveAsGuest() { leaveChat({}); }

// Signs the account out here (or everywhere). The socket is closed first, so that the
// server closing it (4001) is not taken for a sign-out from elsewhere; if the server
// cannot be told, the chat comes back and says so.
export function signOutAccount(everywhere) {
  const user = auth.state.user || { name: people.user(), display_name: people.me.display };
  conn.stop();
  composer.setComposerEnabled(false);
  (everywhere ? auth.signOutEverywhere() : auth.signOut()).then(() => {
    leaveChat(everywhere ? { notice: { text: "You signed out on every device.", kind: "info" }, fresh: true } : { fresh: true });
  }, (err) => {
    if (err.status === 401) { leaveChat({ fresh: true }); return; } // signed out already
    chansUi.toast("Couldn't sign out: " + authErrorText(err), "error");
    people.me.account = true;
    entering = "";
    conn.start(user.name, "", true);
  });
}

// The first thing: who are we? A session cookie opens the chat at once (unless the
// address carries a reset link: that page is what was asked for); else the first page.
async function boot() {
  showBoot("Loading parley…", false);
  const links = authUi.readLinks();
  let user = null;
  try {
    user = await auth.loadMe();
  } catch (e) {
    showBoot(authErrorText(e), true);
    return;
  }
  if (user && !links.reset) { enterAccount(user); return; }
  // A guest who was in the chat on this device comes straight back with its token (the
  // server still holds its name for it); a refusal shows the first page and says why.
  const name = load(KEY_NAME);
  if (!user && !links.reset && !links.invite && load(KEY_GUEST_BACK) === "1" && name && load(KEY_SESSION)) {
    enterGuest(name, true);
    return;
  }
  showFirstPage({ fresh: true });
}

/* ---------- start ---------- */

function init() {
  bind({
    boot: "boot", bootText: "boot-text", bootRetry: "boot-retry", loginName: "login-name",
    app: "app", status: "connection-status", scroller: "scroller",
    historyTop: "history-top", newPill: "new-pill", composer: "composer",
    composerForm: "composer-form", composerLabel: "composer-label", counter: "composer-counter",
    sendBtn: "send-btn", notice: "composer-notice", typing: "typing", onlineList: "online-list",
    onlineCount: "online-count", meName: "me-name", meSub: "me-sub", profileOpen: "profile-open",
    adminOpen: "admin-open", meAvatar: "me-avatar", signout: "signout", menuBtn: "menu-btn",
    backdrop: "backdrop", jumpLatest: "jump-latest", threadPanel: "thread-panel",
    searchPanel: "search-panel",
  });
  pins.init();
  hooksUi.init();
  chansUi.init();
  search.init();
  mx.init();
  authUi.init();
  profile.init();
  admin.init();
  botsAdmin.init();
  members.init();
  unread.init();
  presence.init();
  switcher.init();
  shortcuts.init();
  personCard.init();
  directory.init();
  dmNew.init();
  router.init(); // after the "up" handler above: a link is followed once the chat is in
  authUi.events.on("account", enterAccount);
  authUi.events.on("guest", enterGuest);
  ui.bootRetry.addEventListener("click", boot);
  ui.composerForm.addEventListener("submit", (ev) => { ev.preventDefault(); composer.sendComposer(); });
  ui.composer.addEventListener("input", composer.onComposerInput);
  files.init(composer.composerChanged);
  ui.composer.addEventListener("keydown", composer.onComposerKey);
  ui.scroller.addEventListener("scroll", list.onScroll, { passive: true });
  if (window.ResizeObserver) new ResizeObserver(list.onPaneResize).observe(ui.scroller);
  ui.newPill.addEventListener("click", () => list.goToPresent(page.view));
  ui.jumpLatest.addEventListener("click", () => list.goToPresent(page.view));
  ui.signout.addEventListener("click", leaveAsGuest);
  ui.menuBtn.addEventListener("click", () => toggleSidebar(!ui.app.classList.contains("sidebar-open")));
  ui.backdrop.addEventListener("click", () => toggleSidebar(false));
  ui.status.addEventListener("click", conn.reconnectNow);
  document.addEventListener("keydown", (ev) => { if (ev.key === "Escape") toggleSidebar(false); });
  document.addEventListener("visibilitychange", () => {
    if (document.hidden) return;
    page.unreadHidden = 0;
    if (!ui.app.hidden) updateTitle();
    if (page.view) chansUi.viewed(page.view); // read now that someone is looking
    conn.reconnectNow(); // a phone waking up should not sit out the rest of a long backoff
  });
  // A link opened in a tab that is in the chat changes only the address's hash: a reset
  // link starts the page over on its form; an invite is for people without an account.
  window.addEventListener("hashchange", () => {
    if (ui.app.hidden) return; // the first page reads it (auth_ui.js)
    const links = authUi.readLinks();
    if (links.reset) { location.reload(); return; }
    if (!links.invite) return;
    authUi.clearLinks();
    chansUi.toast("You are signed in as " + people.user() + ": sign out first to use that invite.", "info");
  });
  list.resetViews();
  boot();
}

init();
