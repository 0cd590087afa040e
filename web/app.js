/*
 * parley web client: the start, the screens, and the server-events dispatcher.
 *
 * The modules (native ES modules, no build step), lowest first:
 *   const.js, util.js     shared constants; helpers without the DOM
 *   conn.js               the socket: join, heartbeat, reconnect, resume, request() -> Promise
 *   people.js             data: who we are, who is online, who is typing
 *   channels_data.js      data: channel records and the channel requests
 *   messages_data.js      data: messages, threads, edits, reactions on the records; the outbox
 *   dom.js, page.js       element builders; the page's shared elements and reading state
 *   list.js               UI: the message lists (rows, the bounded window, jumps, scrolling)
 *   composer.js           UI: the message box, pending rows, the typing line
 *   channels.js           UI: sidebar, header, dialogs, read markers, toasts
 *   messages.js           UI: a row's reactions, edits, deletes; the picker and the editor
 *   threads.js            UI: the thread panel
 *   mentions.js           UI: @mentions, mention badges, notifications, the @-list
 *   search.js             UI: the search box and results
 *   app.js                this file: login, status, people online, and the dispatch of
 *                         server events (frames no request of ours waits for) to the data
 *                         modules first, then to the UI modules that show them.
 * Data modules know nothing of the DOM; UI modules put text from the network in the page
 * only through textContent and element builders (or as a link's href after checking its
 * scheme): never as HTML.
 */
import { GENERAL, KEY_NAME, KEY_SESSION, KEY_CHANNEL, ERROR_TEXT, errorText } from "./const.js";
import { el, avatar, initials, hueOf } from "./dom.js";
import { charCount, save, load } from "./util.js";
import * as conn from "./conn.js";
import * as people from "./people.js";
import * as channels from "./channels_data.js";
import * as msgs from "./messages_data.js";
import { ui, page, bind } from "./page.js";
import * as list from "./list.js";
import * as composer from "./composer.js";
import * as chansUi from "./channels.js";
import * as mx from "./messages.js";
import * as mentions from "./mentions.js";
import * as search from "./search.js";

let signingIn = false;

/* ---------- shared with the UI modules ---------- */

export function updateTitle() {
  const name = page.view ? chansUi.title(page.view) : "#" + GENERAL;
  document.title = (page.unreadHidden ? "(" + page.unreadHidden + ") " : "") + name + " · parley";
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
  signingIn = false;
  list.expectJoinPage(channels.ensure(GENERAL)); // the join's own history page follows
  // The membership list is the server's word: channels left from another tab while we
  // were away disappear here, channels joined meanwhile appear.
  channels.welcome(p.channels);
  people.welcome(p);
  save(KEY_NAME, people.me.user);
  save(KEY_SESSION, people.me.session);
  chansUi.welcomed();
  mx.welcome();
  showApp();
  composer.setComposerEnabled(true);
  const last = load(KEY_CHANNEL);
  if (!reconnecting && last && channels.has(last)) list.showChannel(last);
  else list.showChannel(page.view && channels.has(page.view.name) ? page.view.name : GENERAL);
});

// One `resumed` reports every channel. A channel the server could not replay whole (gap
// too long, or its data is not what we saw) starts over from its newest page.
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
  composer.setComposerEnabled(false);
});

conn.onLink("refused", (code, message) => loginFailed(ERROR_TEXT[code] || message || "Sign-in failed."));
conn.onLink("unreachable", () => loginFailed("Can't reach the server. Check the address and try again."));

/* ---------- server events ---------- */

function channelOf(p) {
  const name = typeof p.channel === "string" && p.channel ? p.channel : GENERAL;
  return channels.has(name) ? channels.get(name) : null;
}

function onMsg(p) {
  const v = channelOf(p);
  if (!v) return;
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
  if (document.hidden) {
    page.unreadHidden++;
    updateTitle();
  }
}

// An edit, delete or reaction: folded onto its target even in a list showing the past.
const onEvent = (kind) => (p) => {
  const v = channelOf(p);
  if (!v || !Number.isInteger(p.seq)) return;
  if (msgs.claim(v, Object.assign({}, p, { kind }))) chansUi.viewed(v);
};

function onPresence(type) {
  return (p) => {
    people.presence(type, p);
    chansUi.onPresence(type, p);
  };
}

const dispatch = {
  history: (p) => list.unaskedPage(p),
  msg: onMsg,
  edit: onEvent("edit"),
  delete: onEvent("delete"),
  react: onEvent("react"),
  join: onPresence("join"),
  leave: onPresence("leave"),
  typing: (p) => { const v = channelOf(p); if (v) people.typing(v.name, p.user); },
  channel: (p) => { const ch = channels.applyChannel(p); if (ch) chansUi.onChannel(ch); },
  channel_left: (p) => { const name = channels.applyLeft(p); if (name) chansUi.onChannelLeft(name); },
  topic: (p) => { const ch = channels.applyTopic(p); if (ch) chansUi.onTopic(ch); },
  read: (p) => {
    const ch = channels.has(p.channel) ? channels.get(p.channel) : null;
    if (ch) chansUi.onRead(channels.applyRead(p, msgs.maxSeq(ch)));
  },
  mentions: (p) => mentions.onMentions(p),
  error: (p) => showError({ code: typeof p.code === "string" ? p.code : "error", message: p.message }),
};

for (const type of Object.keys(dispatch)) conn.onFrame(type, dispatch[type]);

/* ---------- people ---------- */

function renderOnline() {
  const me = people.user();
  const names = Array.from(people.onlineSet()).sort((a, b) =>
    (a === me ? -1 : b === me ? 1 : a.localeCompare(b)));
  ui.onlineList.textContent = "";
  const dm = channels.canMessage();
  for (const name of names) {
    const li = el("li");
    // Another person is a button when the server has direct messages: click to talk.
    const row = el(dm && name !== me ? "button" : "div", "person");
    const face = avatar(name, "avatar-sm");
    face.append(el("span", "presence"));
    const label = el("span", "person-name", name);
    label.dataset.testid = "online-user";
    row.append(face, label);
    if (name === me) row.append(el("span", "you", "you"));
    if (row.tagName === "BUTTON") {
      row.type = "button";
      row.title = "Message " + name;
      row.addEventListener("click", () => chansUi.openDm(name));
    }
    li.append(row);
    ui.onlineList.append(li);
  }
  ui.onlineCount.textContent = String(names.length);
}

people.changes.on("online", renderOnline);

/* ---------- screens ---------- */

function showApp() {
  ui.login.hidden = true;
  ui.app.hidden = false;
  ui.meName.textContent = people.user();
  ui.meAvatar.textContent = initials(people.user());
  ui.meAvatar.style.setProperty("--h", hueOf(people.user()));
  updateTitle();
  if (!ui.composer.value) ui.composer.focus();
}

function showLogin(error) {
  ui.app.hidden = true;
  ui.login.hidden = false;
  ui.loginSubmit.disabled = false;
  ui.loginSubmit.textContent = "Join #general";
  ui.loginError.hidden = !error;
  ui.loginError.textContent = error || "";
  ui.loginName.setAttribute("aria-invalid", error ? "true" : "false");
  ui.loginName.focus();
  ui.loginName.select();
  document.title = "parley";
}

function loginFailed(text) {
  signingIn = false;
  showLogin(text);
}

// Mirrors the server's name rule so the common mistakes are caught without a round trip.
function nameProblem(name) {
  const n = charCount(name);
  if (n === 0) return "Enter a name to join.";
  if (n > 32) return "Names can be at most 32 characters.";
  if (/[\u0000-\u001f\u007f-\u009f]/.test(name)) return "Names can't contain control characters.";
  return "";
}

function onLoginSubmit(ev) {
  ev.preventDefault();
  if (signingIn) return;
  const name = ui.loginName.value.trim(); // the server refuses surrounding spaces anyway
  const problem = nameProblem(name);
  if (problem) { showLogin(problem); return; }
  if (name !== people.user()) list.resetViews(); // another person's view starts fresh
  people.me.user = name;
  signingIn = true;
  ui.loginError.hidden = true;
  ui.loginSubmit.disabled = true;
  ui.loginSubmit.textContent = "Joining…";
  // The token lets a second tab (or this one, again) reclaim our own name.
  conn.start(name, load(KEY_NAME) === name ? people.me.session : "");
}

function signOut() {
  conn.stop();
  people.clearTypers();
  chansUi.signedOut();
  search.reset(); // the next person's searches are their own
  list.resetViews();
  showLogin("");
}

/* ---------- start ---------- */

function init() {
  bind({
    login: "login", loginForm: "login-form", loginName: "login-name", loginSubmit: "login-submit",
    loginError: "login-error", app: "app", status: "connection-status", scroller: "scroller",
    historyTop: "history-top", newPill: "new-pill", composer: "composer",
    composerForm: "composer-form", composerLabel: "composer-label", counter: "composer-counter",
    sendBtn: "send-btn", notice: "composer-notice", typing: "typing", onlineList: "online-list",
    onlineCount: "online-count", meName: "me-name",
    meAvatar: "me-avatar", signout: "signout", menuBtn: "menu-btn", backdrop: "backdrop",
    jumpLatest: "jump-latest",
  });
  chansUi.init();
  search.init();
  mx.init();
  people.me.user = load(KEY_NAME);
  people.me.session = load(KEY_SESSION);
  ui.loginName.value = people.me.user;
  ui.loginForm.addEventListener("submit", onLoginSubmit);
  ui.loginName.addEventListener("input", () => { ui.loginError.hidden = true; });
  ui.composerForm.addEventListener("submit", (ev) => { ev.preventDefault(); composer.sendComposer(); });
  ui.composer.addEventListener("input", composer.onComposerInput);
  ui.composer.addEventListener("keydown", composer.onComposerKey);
  ui.scroller.addEventListener("scroll", list.onScroll, { passive: true });
  if (window.ResizeObserver) new ResizeObserver(list.onPaneResize).observe(ui.scroller);
  ui.newPill.addEventListener("click", () => list.goToPresent(page.view));
  ui.jumpLatest.addEventListener("click", () => list.goToPresent(page.view));
  ui.signout.addEventListener("click", signOut);
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
  list.resetViews();
  showLogin("");
}

init();
