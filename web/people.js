/*
 * parley web client: people (data, no DOM).
 *
 * Who we are (the name and session token of the last welcome), who is online, and who
 * is typing where. `online` mirrors #general, where everyone is: the workspace's
 * presence. Typing expires by itself after a few seconds, or ends with a message or a
 * leave. Changes are announced through `changes`: "online" and "typing" (channel name).
 */
import { GENERAL } from "./const.js";
import { emitter } from "./util.js";

const TYPING_SHOW_MS = 3000;

export const changes = emitter();
export const me = { user: "", session: "" };
let online = new Set();
const typers = new Map();        // channel name -> Map user -> expiry timer

export function user() { return me.user; }
export function onlineSet() { return online; }

export function welcome(p) {
  if (typeof p.user === "string") me.user = p.user;
  if (typeof p.session === "string") me.session = p.session;
  online = new Set(Array.isArray(p.online) ? p.online.filter((n) => typeof n === "string") : []);
  online.add(me.user);
  changes.emit("online");
}

// A join or leave frame. Only #general's tell presence; a leave ends that user's typing
// (everywhere, for #general, which everyone is in).
export function presence(type, p) {
  if (typeof p.user !== "string") return;
  const channel = typeof p.channel === "string" && p.channel ? p.channel : GENERAL;
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
}
