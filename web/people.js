/*
 * parley web client: people (data, no DOM).
 *
 * Who we are (the identity of the last welcome: name, guest token, user id, display
 * name, role), who is online, who is typing where, and what we know of everyone else: the
 * directory of accounts (GET /api/users: display names and roles) and the names the
 * server marked as guests (`"guest": true` on msg and join). `online` mirrors #general,
 * where everyone is: the workspace's presence. Typing expires by itself after a few
 * seconds, or ends with a message or a leave. Changes are announced through `changes`:
 * "online", "typing" (channel name), "people" (the directory or someone's marks changed),
 * "me" (our own identity changed), "profile" (name: that person's display name, title,
 * time zone or avatar changed, live by a `profile` event or by our own account dialog).
 */
import { GENERAL } from "./const.js";
import { emitter } from "./util.js";

const TYPING_SHOW_MS = 3000;

export const changes = emitter();
// account: signed in with an account (else a guest joined by name); session: a guest's
// token from its welcome ("" for accounts: their cookie is the credential).
export const me = { user: "", session: "", id: 0, display: "", role: "", guest: true, account: false,
  title: "", tz: "", avatar: "" };
let online = new Set();
const typers = new Map();        // channel name -> Map user -> expiry timer
let directory = new Map();       // name -> {id, display, role, guest, state, title, tz, avatar} (accounts)
let listed = false;              // the directory was read since the welcome
const guests = new Set();        // names the server marked as guests

export function user() { return me.user; }
export function onlineSet() { return online; }

export function welcome(p) {
  if (typeof p.user === "string") me.user = p.user;
  if (typeof p.session === "string") me.session = p.session;
  if (Number.isInteger(p.user_id)) me.id = p.user_id;
  if (typeof p.display_name === "string") me.display = p.display_name;
  takeProfile(me, p);
  // A server from before accounts says nothing of roles: everyone was a guest there, with
  // every right a member has now.
  me.role = typeof p.role === "string" ? p.role : me.account ? "member" : "legacy";
  me.guest = typeof p.guest === "boolean" ? p.guest : me.role === "guest";
  if (me.guest) guests.add(me.user); else guests.delete(me.user);
  online = new Set(Array.isArray(p.online) ? p.online.filter((n) => typeof n === "string") : []);
  online.add(me.user);
  listed = false;
  changes.emit("me");
  changes.emit("online");
}

/* ---------- what we know of people ---------- */

// Our rights, as the server decides them (docs/protocol.md, "WebSocket with accounts"): the page only
// hides what would be refused.
export function isGuest() { return me.guest && me.role !== "legacy"; }
export function isStaff() { return me.role === "owner" || me.role === "admin"; }

// GET /api/users: every active account (owners and admins also get the others).
export function setDirectory(list) {
  directory = new Map();
  for (const u of list) {
    if (!u || typeof u.name !== "string") continue;
    directory.set(u.name, {
      id: Number.isInteger(u.id) ? u.id : 0,
      display: typeof u.display_name === "string" ? u.display_name : "",
      role: typeof u.role === "string" ? u.role : "member",
      guest: u.guest === true || u.role === "guest",
      state: typeof u.state === "string" ? u.state : "active",
      bot: u.bot === true,
    });
    takeProfile(directory.get(u.name), u);
  }
  listed = true;
  // Everyone online who is not an account is a guest (or a text-mode client, one too).
  for (const name of online) if (!directory.has(name) && name !== me.user) guests.add(name);
  changes.emit("people");
}

export function directoryRead() { return listed; }
export function known(name) { return directory.has(name); }
// The accounts one may message (deactivated and banned ones are listed to staff too).
export function directoryNames() {
  return Array.from(directory.entries()).filter(([, d]) => d.state === "active").map(([name]) => name);
}

/* ---------- profiles ---------- */

const AVATAR_ID = /^[0-9a-f]{64}$/;

// title, tz and avatar of a user object, a welcome or a profile event (what is malformed
// is left as it was: an avatar id goes into a URL).
function takeProfile(into, p) {
  if (typeof p.title === "string") into.title = p.title;
  if (typeof p.tz === "string") into.tz = p.tz;
  if (typeof p.avatar === "string") into.avatar = AVATAR_ID.test(p.avatar) ? p.avatar : "";
}

// Everything we know of a person, for the profile card and the directory. known: an
// account we have a profile of (else only the name, and guest/online marks).
export function profileOf(name) {
  const d = name === me.user ? me : directory.get(name);
  const info = infoOf(name);
  return {
    name, known: !!d, id: d && Number.isInteger(d.id) ? d.id : 0,
    display: info.display, role: info.role, guest: info.guest,
    title: d && d.title || "", tz: d && d.tz || "", avatar: d && d.avatar || "",
    online: online.has(name),
  };
}

// The avatar id of name, "" for the generated one.
export function avatarOf(name) {
  const d = name === me.user ? me : directory.get(name);
  return d && d.avatar || "";
}

// A `profile` event, or our own saved profile (a user object of /api/me): someone's
// display name, title, time zone or avatar changed.
export function applyProfile(p) {
  if (!p || typeof p.user !== "string" && typeof p.name !== "string") return;
  const name = typeof p.user === "string" ? p.user : p.name;
  let d = directory.get(name);
  if (!d && name !== me.user) {
    // Someone registered since the directory was read: an account all the same.
    d = { id: Number.isInteger(p.user_id) ? p.user_id : 0, display: "", role: "member", guest: false,
      state: "active", title: "", tz: "", avatar: "" };
    directory.set(name, d);
  }
  for (const who of name === me.user ? [me, d] : [d]) {
    if (!who) continue;
    if (typeof p.display_name === "string") who.display = p.display_name;
    takeProfile(who, p);
  }
  if (name === me.user) changes.emit("me");
  changes.emit("people");
  changes.emit("profile", name);
}

// A msg or join payload: the server marks guests' events.
export function noteEvent(p) {
  if (!p || typeof p.user !== "string") return;
  if (p.guest === true && !guests.has(p.user)) {
    guests.add(p.user);
    changes.emit("people");
  }
}

// {display, role, guest} of a name, as far as we know ("" and false when we do not).
export function infoOf(name) {
  if (name === me.user) return { display: me.display, role: me.role, guest: isGuest() };
  const d = directory.get(name);
  if (d) return { display: d.display, role: d.role, guest: d.guest, bot: d.bot === true };
  return { display: "", role: "", guest: guests.has(name) };
}

export function displayOf(name) { return infoOf(name).display; }

// Our display name changed (the profile saved it).
export function setMyDisplay(display) {
  me.display = display;
  const d = directory.get(me.user);
  if (d) d.display = display;
  changes.emit("me");
  changes.emit("people");
}

export function forgetPeople() {
  directory = new Map();
  listed = false;
  guests.clear();
}

// A join or leave frame. Only #general's tell presence; a leave ends that user's typing
// (everywhere, for #general, which everyone is in).
export function presence(type, p) {
  if (typeof p.user !== "string") return;
  const channel = typeof p.channel === "string" && p.channel ? p.channel : GENERAL;
  if (type === "join") noteEvent(p);
  if (channel === GENERAL) {
    if (type === "join") online.add(p.user);
    else if (p.user !== me.user) online.delete(p.user);
    changes.emit("online");
  }
  if (type === "leave") {
    if (channel === GENERAL) for (const name of Array.from(typers.keys())) stopTyping(name, p.user);
    else stopTyping(channel, p.user);
  }
}

export function typing(channel, who) {
  if (typeof who !== "string" || who === me.user) return;
  let m = typers.get(channel);
  if (!m) { m = new Map(); typers.set(channel, m); }
  clearTimeout(m.get(who));
  m.set(who, setTimeout(() => stopTyping(channel, who), TYPING_SHOW_MS));
  changes.emit("typing", channel);
}

export function stopTyping(channel, who) {
  const m = typers.get(channel);
  if (!m || !m.has(who)) return;
  clearTimeout(m.get(who));
  m.delete(who);
  changes.emit("typing", channel);
}

export function typersOf(channel) {
  const m = typers.get(channel);
  return m ? Array.from(m.keys()).sort() : [];
}

export function clearTypers(channel) {
  for (const [name, m] of Array.from(typers)) {
    if (channel !== undefined && name !== channel) continue;
    for (const t of m.values()) clearTimeout(t);
    typers.delete(name);
    changes.emit("typing", name);
  }
}

export function reset() {
  clearTypers();
  online = new Set();
  forgetPeople();
  Object.assign(me, { user: "", session: "", id: 0, display: "", role: "", guest: true, account: false,
    title: "", tz: "", avatar: "" });
  changes.emit("online");
}
