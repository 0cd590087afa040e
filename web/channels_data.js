/*
 * parley web client: channels (data, no DOM).
 *
 * One record per channel the user is in, by name, and the channel requests of
 * docs/protocol.md ("Channels", "Read markers") as promises. A record is shared by the
 * data modules, each owning its own fields:
 *   this module       name, info {kind, topic, members, lastSeq, readSeq, users, creator,
 *                     archived},
 *                     unread, mentions, countStale, readUpTo, seen (names seen in the
 *                     channel: its joins, authors, people we invited; for a server that
 *                     cannot list members)
 *   messages_data.js  the messages (it adds its fields through onCreate)
 * UI modules read records and render them; they learn of changes through `changes`:
 *   "created" (ch), "dropped" (ch), "info" (ch), "empty" (ch: the server says it holds no
 *   message yet), "archived" (ch: it became read-only, or writable again).
 *
 * Features the server may not have are used only once its welcome shows them: channel
 * descriptions with `kind` (member counts, direct messages) and with `read_seq` (read
 * markers). An older server still gets a working #general.
 */
import { GENERAL } from "./const.js";
import * as conn from "./conn.js";
import { emitter } from "./util.js";

export const changes = emitter();
const records = new Map();
const creators = [];
let shown = null;               // the record the reader has open (set by the UI)
let described = false;          // the welcome described channels (kind, members)
let reads = false;              // ... and read markers (read_seq)

export function onCreate(fn) { creators.push(fn); }
export function get(name) { return records.get(typeof name === "string" && name ? name : GENERAL) || null; }
export function has(name) { return records.has(name); }
export function all() { return Array.from(records.values()); }
export function names() { return Array.from(records.keys()); }
export function canMessage() { return described; }
export function hasReadMarkers() { return reads; }
export function setShown(ch) { shown = ch; }
export function isDm(ch) { return ch.info.kind === "dm"; }

export function ensure(name) {
  let ch = records.get(name);
  if (ch) return ch;
  ch = {
    name,
    info: { kind: "public", topic: "", members: null, lastSeq: null, readSeq: 0, users: [], creator: "",
      archived: false, notify: "all" },
    unread: 0,
    mentions: 0,
    countStale: false,    // member count may be out of date (join/leave seen elsewhere)
    readUpTo: 0,          // newest seq seen while shown, for the next read marker
    seen: new Set(),      // people seen in it (joins, authors, invited)
  };
  for (const fn of creators) fn(ch);
  records.set(name, ch);
  changes.emit("created", ch);
  return ch;
}

// The user left the channel (here or in another tab). #general is never left.
export function drop(name) {
  const ch = records.get(name);
  if (!ch || name === GENERAL) return;
  records.delete(name);
  changes.emit("dropped", ch);
}

// Back to one empty #general: a new person signs in, or the old one signs out.
export function reset() {
  for (const ch of Array.from(records.values())) {
    records.delete(ch.name);
    changes.emit("dropped", ch);
  }
  shown = null;
  described = reads = false;
  ensure(GENERAL);
}

// The other people of a direct message (all of them if the list is odd).
export function dmPeople(ch, me) {
  const others = ch.info.users.filter((u) => u !== me);
  return others.length ? others : ch.info.users.slice();
}

/* ---------- what the server says ---------- */

// fromWelcome: the server's unread count applies even to the channel shown now (the
// welcome may be followed by a switch to the channel the reader was last in).
function updateInfo(ch, c, fromWelcome) {
  if (["public", "private", "dm"].includes(c.kind)) ch.info.kind = c.kind;
  if (typeof c.topic === "string") ch.info.topic = c.topic;
  if (Number.isInteger(c.members)) ch.info.members = c.members;
  if (Array.isArray(c.users)) ch.info.users = c.users.filter((u) => typeof u === "string");
  // Who created it, when the server says (it manages a private channel's members).
  const creator = typeof c.creator === "string" ? c.creator : typeof c.created_by === "string" ? c.created_by : null;
  if (creator !== null) ch.info.creator = creator;
  // Every description says it: a channel without the flag is not archived (any more).
  const archived = c.archived === true;
  if (archived !== ch.info.archived) {
    ch.info.archived = archived;
    changes.emit("archived", ch);
  }
  if (Number.isInteger(c.read_seq)) ch.info.readSeq = Math.max(ch.info.readSeq || 0, c.read_seq);
  // A description for this user (it has read_seq) gives the level, absent for "all" (notify.js).
  if (Number.isInteger(c.read_seq)) ch.info.notify = ["mentions", "muted"].includes(c.notify) ? c.notify : "all";
  // The server's count wins over ours: it knows what other tabs read.
  if (Number.isInteger(c.unread) && (fromWelcome || ch !== shown)) ch.unread = c.unread;
  if (fromWelcome && Number.isInteger(c.mentions) && c.mentions >= 0) ch.mentions = c.mentions;
  ch.countStale = false;
  if (Number.isInteger(c.last_seq)) {
    ch.info.lastSeq = c.last_seq;
    if (c.last_seq === 0) changes.emit("empty", ch);
  }
}

// The welcome's channel list is the server's word: channels left from another tab while
// we were away disappear, channels joined meanwhile appear. A user in very many channels
// gets part of them (more: true): the rest come a page at a time (pageMembers), and only
// once the last page is in do the channels nobody listed disappear.
let welcomed = null; // the names listed since the welcome, while pages are coming

export function welcome(list, more) {
  const listed = new Set([GENERAL]);
  for (const ch of records.values()) ch.mentions = 0; // the welcome counts them again
  const good = (Array.isArray(list) ? list : []).filter((c) => c && typeof c.name === "string" && c.name);
  for (const c of good) {
    listed.add(c.name);
    updateInfo(ensure(c.name), c, true);
  }
  ensure(GENERAL);
  described = good.some((c) => typeof c.kind === "string");
  reads = good.some((c) => Number.isInteger(c.read_seq));
  if (more === true) {
    welcomed = listed;
    pageMembers("");
    return;
  }
  welcomed = null;
  for (const name of names()) if (!listed.has(name)) drop(name);
}

const PAGE = 500; // channels per channel_list page (the server's most)

function pageMembers(after) {
  const mine = welcomed;
  conn.request("channel_list", { member: true, after, limit: PAGE, archived: true }).then((p) => {
    if (welcomed !== mine) return; // a newer welcome took over
    const good = (Array.isArray(p.channels) ? p.channels : []).filter((c) => c && typeof c.name === "string" && c.name);
    for (const c of good) {
      mine.add(c.name);
      const ch = ensure(c.name);
      updateInfo(ch, c, !ch.seqs.length);
      changes.emit("info", ch);
    }
    if (p.more === true && good.length) {
      changes.emit("paged", null);
      pageMembers(good[good.length - 1].name);
      return;
    }
    welcomed = null;
    for (const name of names()) if (!mine.has(name)) drop(name);
    changes.emit("paged", null);
  }, () => { if (welcomed === mine) welcomed = null; });
}

// `channel`: the user is in this channel now (or its description changed).
export function applyChannel(p) {
  const c = p.channel;
  if (!c || typeof c !== "object" || typeof c.name !== "string" || !c.name) return null;
  const ch = ensure(c.name);
  updateInfo(ch, c, false);
  changes.emit("info", ch);
  return ch;
}

// `channel_left`: returns the name left, or null.
export function applyLeft(p) {
  const name = typeof p.channel === "string" ? p.channel : p.channel && p.channel.name;
  if (typeof name !== "string" || !records.has(name) || name === GENERAL) return null;
  drop(name);
  return name;
}

// `channels`: refreshes what we hold; returns the list (for the browse dialog).
export function applyChannels(p) {
  const list = (Array.isArray(p.channels) ? p.channels : [])
    .filter((c) => c && typeof c.name === "string" && c.name);
  for (const c of list) {
    const ch = records.get(c.name);
    if (ch && c.member !== false) { updateInfo(ch, c, false); changes.emit("info", ch); }
  }
  return list;
}

export function applyTopic(p) {
  const ch = records.get(p.channel);
  if (!ch || typeof p.topic !== "string") return null;
  ch.info.topic = p.topic;
  changes.emit("info", ch);
  return ch;
}

// `read`: the user's marker moved (here or in another tab). latest: the newest seq we hold.
export function applyRead(p, latestHeld) {
  const ch = records.get(p.channel);
  if (!ch || !Number.isInteger(p.seq)) return null;
  ch.info.readSeq = Math.max(ch.info.readSeq || 0, p.seq);
  if (ch === shown) return ch;
  const latest = Math.max(ch.info.lastSeq || 0, latestHeld || 0);
  ch.unread = Math.max(0, latest - ch.info.readSeq);
  if (!ch.unread) ch.mentions = 0; // read up to the end in another tab
  return ch;
}

/* ---------- requests ---------- */

export function create(name, isPrivate, topic) {
  const payload = { name, private: !!isPrivate };
  if (topic) payload.topic = topic;
  return conn.request("channel_create", payload);
}

// Someone showed up in a channel (a join, a message, our invite), or was removed from it.
export function noteMember(name, user, present) {
  const ch = records.get(name);
  if (!ch || typeof user !== "string") return;
  if (present === false) ch.seen.delete(user); else ch.seen.add(user);
}

export function join(name) { return conn.request("channel_join", { channel: name }); }
export function leave(name) { return conn.request("channel_leave", { channel: name }); }
export function invite(name, user) {
  return conn.request("channel_invite", { channel: name, user }).then((p) => { noteMember(name, user); return p; });
}
// One person (a name) or several (an array: a group DM).
export function openDm(users) { return conn.request("dm_open", { users: Array.isArray(users) ? users : [users] }); }
// Every channel one may see, archived ones too, all pages (at most the server's 4,096
// channels: 9 pages).
export function list() {
  const all = [];
  const page = (after) => conn.request("channel_list", { after, limit: PAGE, archived: true }).then((p) => {
    const got = Array.isArray(p.channels) ? p.channels : [];
    all.push(...got);
    const last = got.length ? got[got.length - 1] : null;
    if (p.more === true && last && typeof last.name === "string") return page(last.name);
    return { channels: all };
  });
  return page("");
}
// One channel's description, for a fresh member count.
export function describe(name) { return conn.request("channel_list", { channel: name }); }

// Who is in a channel: answered with {channel, users: [...], creator?}. The creator is
// kept: a private channel's creator manages it.
export function members(name) {
  return conn.request("channel_members", { channel: name }).then((p) => {
    const ch = records.get(name);
    if (ch && typeof p.creator === "string") ch.info.creator = p.creator;
    return p;
  });
}

// Archiving makes a channel read-only for everyone in it; each answer is the `channel`
// every member gets (its `archived` flag is the news). Deleting answers
// `channel_deleted`, after the `channel_left` every member gets.
export function archive(name) { return conn.request("channel_archive", { channel: name }); }
export function unarchive(name) { return conn.request("channel_unarchive", { channel: name }); }
export function remove(name) { return conn.request("channel_delete", { channel: name }); }

// Removes someone from a channel. Members get a `leave`; the server may answer with the
// request id, or only with that event: either settles the request.
export function kick(name, user) {
  return conn.request("channel_kick", { channel: name, user }, {
    answer: (m) => m.type === "leave" && !!m.payload && m.payload.channel === name && m.payload.user === user,
  }).then((p) => { noteMember(name, user, false); return p; });
}

// Today's server answers with the `topic` every member gets, without the id: the first
// one of that channel settles the request (the UI sends one at a time).
export function setTopic(name, topic) {
  return conn.request("channel_topic", { channel: name, topic }, {
    answer: (m) => m.type === "topic" && !!m.payload && m.payload.channel === name,
  });
}

// Moves the read marker forward (only forward: the server keeps the highest).
export function markRead(ch, seq) {
  if (!reads || seq <= (ch.info.readSeq || 0)) return null;
  ch.info.readSeq = seq;
  return conn.request("read", { channel: ch.name, seq });
}
