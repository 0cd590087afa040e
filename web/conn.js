/*
 * parley web client: the connection.
 *
 * Owns the one WebSocket to /ws (JSON protocol, docs/protocol.md): the join, the
 * heartbeat, reconnecting with backoff, the resume after a reconnect, and the matching of
 * answers to requests. Nothing else in the client reads the socket.
 *
 *   request(type, payload, opts) -> Promise
 *       Sends {type, id, payload} with a fresh id. The answer carrying that id resolves
 *       the promise with its payload; an `error` carrying it rejects it with a
 *       RequestError (.code is the server's code, .message its text). When the
 *       connection drops first the promise rejects with code "disconnected", unless
 *       opts.retry: then the request waits for the next connection and is sent again,
 *       with a new id and the same payload (so the same `cid`), after that connection's
 *       resume has been answered. Sent while offline it rejects with code "offline"
 *       (or, with opts.retry once signed in, waits for the connection the same way).
 *       opts.answer(frame): for a reply some servers send without the id (the `topic`
 *       that answers `channel_topic`, the `leave` that follows `channel_kick`): a frame
 *       without an id that it accepts answers the request, and still goes to its
 *       subscribers (it is an event for everyone).
 *   send(type, payload) -> bool: fire and forget (`typing`).
 *   onFrame(type, fn(payload, frame)): frames that answer none of our requests (server
 *       events: msg, join, leave, typing, topic, channel, read, edit, ...), by type. The
 *       answers that also change state for every tab (`channel`, `channel_left`, `read`)
 *       go to these subscribers too, before the request's promise settles.
 *   onLink(event, fn): "status" (kind, text) for the status line; "up" (welcome payload,
 *       {reconnected}) once joined; "resumed" (payload) after the resume of a reconnect;
 *       "down" (close code) when a joined connection is lost (a reconnect is scheduled);
 *       "refused" (code, text) when the server refused the join (a name taken, a session
 *       that ended); "unreachable" when the first connection failed before any welcome;
 *       "revoked" (close code) when the server ended the session: 4001 signed out, 4003
 *       banned, 4004 deactivated (docs/protocol.md, "Accounts"): nothing reconnects.
 *   setResumeState(fn): fn() -> {channel: last seq seen} for the resume, or null.
 *
 * Request ids carry a random prefix of this page, so an id another tab or user chose can
 * never settle one of our requests (some answers also reach other members).
 */
import { wsUrlOf } from "./base.js";
import { GENERAL } from "./const.js";
import { emitter, randomKey } from "./util.js";

const PING_EVERY_MS = 25000;
const PONG_TIMEOUT_MS = 10000;
const BACKOFF_MIN_MS = 500;
const BACKOFF_MAX_MS = 15000;
const BACKOFF_JITTER = 0.3;
const RESTART_DELAY_MS = 300;      // close 1001: the server is restarting, come back fast
const REFUSALS = ["name_taken", "bad_name", "auth_failed", "auth_required", "banned"];
export const REVOKED = [4001, 4003, 4004]; // signed out, banned, deactivated: never come back
// Answers that are also news for every tab of the user (each of them gets a copy without
// the id): their subscribers keep the state, the requester learns it is done.
const SHARED_ANSWERS = new Set(["channel", "channel_left", "read", "topic"]);

export class RequestError extends Error {
  constructor(code, message) {
    super(message || code);
    this.code = code;
  }
}

const frames = emitter();
const link = emitter();
const prefix = randomKey(6) + ".";
let nextId = 1;
let order = 0;
const inflight = new Map();   // id -> request sent on this connection, not answered yet
let held = [];                // retry requests waiting for the next connection
let resumeState = () => null;

const s = {
  user: "",
  session: "",
  account: false,         // join as the account of the session cookie, not by name
  ws: null,
  joinId: "",
  joined: false,          // the current socket got its welcome
  everJoined: false,      // a welcome arrived since start(): failures now mean "reconnect"
  attempt: 0,
  reconnectTimer: 0,
  countdownTimer: 0,
  reconnectAt: 0,
  pingTimer: 0,
  pongTimer: 0,
};

export function onFrame(type, fn) { return frames.on(type, fn); }
export function onLink(event, fn) { return link.on(event, fn); }
export function setResumeState(fn) { resumeState = fn; }
export function joined() { return s.joined; }
export function everJoined() { return s.everJoined; }
// How HTTP requests prove who we are (files.js): the session cookie of an account, or a
// guest's session token as a Bearer.
export function credentials() { return { account: s.account, session: s.session }; }

/* ---------- requests ---------- */

export function request(type, payload, opts) {
  const o = opts || {};
  return new Promise((resolve, reject) => {
    const r = { type, payload: payload || {}, resolve, reject, retry: !!o.retry, answer: o.answer || null,
      order: order++ };
    if (s.joined) transmit(r);
    else if (r.retry && s.everJoined) held.push(r);
    else reject(new RequestError("offline", "not connected"));
  });
}

export function send(type, payload) {
  return sendRaw(payload === undefined ? { type } : { type, payload });
}

function transmit(r) {
  r.id = prefix + nextId++;
  inflight.set(r.id, r);
  sendRaw({ type: r.type, id: r.id, payload: r.payload });
}

function sendRaw(obj) {
  const ws = s.ws;
  if (!ws || ws.readyState !== WebSocket.OPEN) return false;
  ws.send(JSON.stringify(obj));
  return true;
}

// Sends what waited for a connection, in the order it was first asked.
function flushHeld() {
  if (!s.joined) return;
  const list = held.sort((a, b) => a.order - b.order);
  held = [];
  for (const r of list) transmit(r);
}

function failAll(code, withHeld) {
  const all = Array.from(inflight.values());
  inflight.clear();
  if (withHeld) { all.push(...held); held = []; }
  for (const r of all) r.reject(new RequestError(code, code === "stopped" ? "signed out" : "not connected"));
}

/* ---------- the socket ---------- */

// Joins as user, a guest (with the token of an earlier welcome, if any), or, with
// account, as the signed-in account: the browser sends its session cookie with the
// upgrade, and the join names nobody.
export function start(user, session, account) {
  dropSocket();
  failAll("stopped", true);
  s.user = user;
  s.session = session || "";
  s.account = !!account;
  s.everJoined = false;
  s.attempt = 0;
  connect();
}

// Signs out: nothing in flight will be answered, nothing reconnects.
export function stop() {
  s.everJoined = false;
  s.joined = false;
  dropSocket();
  clearReconnect();
  stopHeartbeat();
  failAll("stopped", true);
  link.emit("status", "offline", "signed out");
}

export function reconnectNow() {
  if (s.everJoined && !s.ws) { s.attempt = 0; connect(); }
}

function connect() {
  clearReconnect();
  link.emit("status", "connecting", "connecting…");
  let ws;
  try {
    ws = new WebSocket(wsUrlOf("/ws"), "parley.v1");
  } catch (e) {
    socketGone(0);
    return;
  }
  s.ws = ws;
  ws.onopen = () => {
    const payload = s.account ? { channel: GENERAL } : { user: s.user, channel: GENERAL };
    // The token lets a second tab (or this one, reconnecting) reclaim our own name.
    if (!s.account && s.session) payload.session = s.session;
    s.joinId = prefix + nextId++;
    sendRaw({ type: "join", id: s.joinId, payload });
  };
  ws.onmessage = (ev) => onData(ev.data);
  ws.onclose = (ev) => { if (s.ws === ws) socketGone(ev.code); };
}

// Forget the socket without waiting for its close event: a dead link may take minutes
// to report it, and a refused login should not look like a dropped connection.
function dropSocket() {
  const ws = s.ws;
  s.ws = null;
  s.joined = false;
  if (!ws) return;
  ws.onopen = ws.onmessage = ws.onclose = null;
  try { ws.close(1000); } catch (e) { /* already closing */ }
}

function socketGone(code) {
  s.ws = null;
  s.joined = false;
  stopHeartbeat();
  if (REVOKED.includes(code)) { revoked(code); return; }
  for (const r of inflight.values()) if (r.retry) held.push(r);
  const lost = Array.from(inflight.values()).filter((r) => !r.retry);
  inflight.clear();
  if (!s.everJoined) {
    failAll("stopped", true);
    for (const r of lost) r.reject(new RequestError("disconnected", "the connection dropped"));
    link.emit("unreachable");
    return;
  }
  link.emit("down", code);
  for (const r of lost) r.reject(new RequestError("disconnected", "the connection dropped"));
  scheduleReconnect(code === 1001);
}

function scheduleReconnect(restarting) {
  clearReconnect();
  if (navigator.onLine === false) {
    link.emit("status", "offline", "offline");
    return; // the "online" event reconnects
  }
  let delay = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * Math.pow(2, s.attempt));
  if (restarting && s.attempt === 0) delay = RESTART_DELAY_MS;
  delay *= 1 + (Math.random() * 2 - 1) * BACKOFF_JITTER;
  s.attempt++;
  s.reconnectAt = Date.now() + delay;
  s.reconnectTimer = setTimeout(connect, delay);
  const tick = () => {
    const secs = Math.max(1, Math.ceil((s.reconnectAt - Date.now()) / 1000));
    link.emit("status", "reconnecting", "reconnecting in " + secs + " s");
  };
  tick();
  s.countdownTimer = setInterval(tick, 250);
}

function clearReconnect() {
  clearTimeout(s.reconnectTimer);
  clearInterval(s.countdownTimer);
  s.reconnectTimer = s.countdownTimer = 0;
}

// Application pings catch links that died without a close (sleeping laptops, NAT
// timeouts); the browser exposes no WebSocket-level ping.
function startHeartbeat() {
  stopHeartbeat();
  s.pingTimer = setInterval(() => {
    if (!sendRaw({ type: "ping" })) return;
    if (!s.pongTimer) {
      s.pongTimer = setTimeout(() => { dropSocket(); socketGone(0); }, PONG_TIMEOUT_MS);
    }
  }, PING_EVERY_MS);
}

function stopHeartbeat() {
  clearInterval(s.pingTimer);
  clearTimeout(s.pongTimer);
  s.pingTimer = s.pongTimer = 0;
}

window.addEventListener("online", reconnectNow);
window.addEventListener("offline", () => { if (s.reconnectTimer) scheduleReconnect(false); });

/* ---------- incoming frames ---------- */

function onData(data) {
  let m;
  try { m = JSON.parse(data); } catch (e) { return; }
  if (!m || typeof m !== "object" || typeof m.type !== "string") return;
  // Any frame proves the link is alive, even a pong stuck behind a burst of messages.
  clearTimeout(s.pongTimer);
  s.pongTimer = 0;
  const p = m.payload && typeof m.payload === "object" ? m.payload : {};
  if (m.type === "welcome") { onWelcome(p); return; }
  if (m.type === "pong") return;
  const id = m.id !== undefined && m.id !== null ? String(m.id) : null;
  if (m.type === "error" && !s.joined &&
      (id === s.joinId || (id === null && REFUSALS.includes(m.code)))) {
    refused(m);
    return;
  }
  let r = id !== null ? inflight.get(id) : null;
  let event = false;     // an event that also answers a request: its subscribers get it too
  if (!r && id === null && m.type !== "error") {
    for (const q of inflight.values()) if (q.answer && q.answer(m)) { r = q; event = true; break; }
  }
  if (!r) {
    if (m.type === "error") frames.emit("error", { code: m.code, message: m.message }, m);
    else frames.emit(m.type, p, m);
    return;
  }
  inflight.delete(r.id);
  if (m.type === "error") {
    const code = typeof m.code === "string" ? m.code : "error";
    r.reject(new RequestError(code, typeof m.message === "string" ? m.message : ""));
    return;
  }
  if (event || SHARED_ANSWERS.has(m.type)) frames.emit(m.type, p, m);
  r.resolve(p);
}

function onWelcome(p) {
  const reconnected = s.everJoined;
  s.joined = true;
  s.everJoined = true;
  s.attempt = 0;
  clearReconnect();
  if (typeof p.user === "string") s.user = p.user;
  if (typeof p.session === "string") s.session = p.session;
  startHeartbeat();
  link.emit("status", "connected", "connected");
  link.emit("up", p, { reconnected });
  // The welcome's history is only the newest page: the resume fills whatever we missed
  // (duplicates are dropped by seq). Messages that were in flight go again after it.
  const channels = resumeState();
  if (!channels || !Object.keys(channels).length) { flushHeld(); return; }
  request("resume", { channels }).then((rp) => {
    link.emit("resumed", rp);
    flushHeld();
  }, flushHeld);
}

// The server ended the session (signed out elsewhere, banned, deactivated): whatever was
// asked or waits is dropped, and nothing reconnects.
function revoked(code) {
  const lost = Array.from(inflight.values());
  inflight.clear();
  s.everJoined = false;
  clearReconnect();
  failAll("stopped", true);
  for (const r of lost) r.reject(new RequestError("stopped", "signed out"));
  link.emit("status", "offline", "signed out");
  link.emit("revoked", code);
}

function refused(m) {
  const code = typeof m.code === "string" ? m.code : "error";
  s.everJoined = false;
  dropSocket();
  clearReconnect();
  stopHeartbeat();
  failAll("stopped", true);
  link.emit("status", "offline", "not joined");
  link.emit("refused", code, typeof m.message === "string" ? m.message : "");
}
