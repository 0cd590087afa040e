/*
 * parley web client: accounts (data, no DOM).
 *
 * The REST side of docs/protocol.md ("REST: /api") as promises, and who
 * is signed in. The session itself is the HttpOnly cookie `parley_session`: the page
 * never sees the token, the browser sends it with every request here and with the
 * WebSocket upgrade, and the server sets and clears it.
 *
 *   state.server   {name, ownerExists, registration, guests, legacy} from GET /api/server
 *                  (legacy: a server from before accounts, guests only)
 *   state.user     the signed-in USER {id, name, display_name, role, guest}, or null
 *   state.session  the current session {id, created, seen, expires}, or null
 *
 * Every call settles with the answer's JSON, or rejects with an ApiError: .status (0
 * when the server could not be reached), .code (the server's `error`, or "network"),
 * .message, .retryAfter (seconds, from Retry-After on 429s). Changes to the signed-in
 * user are announced through `changes`: "user" (the user, or null).
 */
import { BASE, linkOf, urlOf } from "./base.js";
import { emitter } from "./util.js";

export const ROLES = ["guest", "member", "admin", "owner"];   // lowest first
export const changes = emitter();
export const state = { server: null, user: null, session: null };

const LEGACY = { name: "parley", ownerExists: true, registration: "closed", guests: true, legacy: true };

export class ApiError extends Error {
  constructor(status, code, message, retryAfter) {
    super(message || code);
    this.status = status;
    this.code = code;
    this.retryAfter = retryAfter || 0;
  }
}

export function rank(role) { return Math.max(0, ROLES.indexOf(role)); }
export function isStaff(role) { return role === "owner" || role === "admin"; }

// An absolute link from the path the server gives ("/#invite=TOKEN"), under the page's base.
export function linkFor(path) {
  try { return linkOf(path); } catch (e) { return BASE.href; }
}

const BUSY_TRIES = 3;            // a `busy` answer (password hashing is saturated) is retried

// One request; a `busy` answer is asked again after its Retry-After, a few times.
async function api(method, path, body) {
  for (let i = 1; ; i++) {
    try {
      return await once(method, path, body);
    } catch (e) {
      if (e.code !== "busy" || i >= BUSY_TRIES) throw e;
      await new Promise((ok) => setTimeout(ok, Math.min(5, e.retryAfter || 1) * 1000));
    }
  }
}

async function once(method, path, body) {
  const init = { method, headers: { Accept: "application/json" }, credentials: "same-origin", cache: "no-store" };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(urlOf("/api" + path), init);
  } catch (e) {
    throw new ApiError(0, "network", "Can't reach the server.", 0);
  }
  let data = null;
  try { data = await res.json(); } catch (e) { data = null; }
  if (res.ok) return data && typeof data === "object" ? data : {};
  const wait = parseInt(res.headers.get("Retry-After") || "", 10);
  const code = data && typeof data.error === "string" ? data.error
    : res.status === 404 ? "not_found" : "http_" + res.status;
  const message = data && typeof data.message === "string" ? data.message : "";
  throw new ApiError(res.status, code, message, Number.isFinite(wait) && wait > 0 ? wait : 0);
}

function setUser(user, session) {
  state.user = user && typeof user === "object" && typeof user.name === "string" ? user : null;
  if (session !== undefined) state.session = session && typeof session === "object" ? session : null;
  changes.emit("user", state.user);
  return state.user;
}

/* ---------- who we are ---------- */

// GET /api/server. A server without /api (from before accounts) is a guests-only one.
export async function loadServer() {
  try {
    const p = await api("GET", "/server");
    state.server = {
      name: typeof p.name === "string" && p.name ? p.name : "parley",
      ownerExists: p.owner_exists !== false,
      registration: ["open", "invite", "closed"].includes(p.registration) ? p.registration : "closed",
      guests: p.guests !== false,
      legacy: false,
    };
  } catch (e) {
    if (e.status !== 404 && e.status !== 405) throw e;
    state.server = Object.assign({}, LEGACY);
  }
  return state.server;
}

// GET /api/me: the signed-in user, or null (no session, or a server without accounts).
export async function loadMe() {
  try {
    const p = await api("GET", "/me");
    return setUser(p.user, p.session || null);
  } catch (e) {
    if (e.status === 401 || e.status === 403 || e.status === 404 || e.status === 405) return setUser(null, null);
    throw e;
  }
}

export function signedIn() { return !!state.user; }

/* ---------- signing in and out ---------- */

export async function signIn(name, password) {
  const p = await api("POST", "/login", { name, password });
  return setUser(p.user, null);
}

export async function signUp(fields) {
  const body = { name: fields.name, password: fields.password };
  if (fields.display_name) body.display_name = fields.display_name;
  if (fields.invite) body.invite = fields.invite;
  const p = await api("POST", "/register", body);
  return setUser(p.user, null);
}

// A reset link's token sets a new password and signs in.
export async function resetPassword(token, password) {
  const p = await api("POST", "/reset", { token, password });
  return setUser(p.user, null);
}

export async function signOut() {
  await api("POST", "/logout");
  setUser(null, null);
}

export async function signOutEverywhere() {
  await api("POST", "/logout-all");
  setUser(null, null);
}

// The server closed our sockets (4001, 4003, 4004): the session is gone already.
export function forget() { setUser(null, null); }

/* ---------- the account ---------- */

export async function saveDisplayName(display) {
  const p = await api("PATCH", "/me", { display_name: display });
  return setUser(p.user || Object.assign({}, state.user, { display_name: display }));
}

// PATCH /api/me with any of display_name, title, tz (only those given change).
export async function saveProfile(fields) {
  const p = await api("PATCH", "/me", fields);
  return setUser(p.user || Object.assign({}, state.user, fields));
}

// POST /api/me/avatar: the image's bytes as they are (the server checks what they are).
export async function uploadAvatar(file) {
  let res;
  try {
    res = await fetch(urlOf("/api/me/avatar"), { method: "POST", body: file, credentials: "same-origin",
      cache: "no-store", headers: { Accept: "application/json", "Content-Type": "application/octet-stream" } });
  } catch (e) {
    throw new ApiError(0, "network", "Can't reach the server.", 0);
  }
  let data = null;
  try { data = await res.json(); } catch (e) { data = null; }
  if (res.ok && data && data.user) return setUser(data.user);
  const code = data && typeof data.error === "string" ? data.error
    : res.status === 413 ? "too_large" : "http_" + res.status;
  throw new ApiError(res.status, code, data && typeof data.message === "string" ? data.message : "", 0);
}

export async function removeAvatar() {
  const p = await api("DELETE", "/me/avatar");
  return setUser(p.user || Object.assign({}, state.user, { avatar: "" }));
}

export function changePassword(password, newPassword) {
  return api("POST", "/password", { password, new_password: newPassword });
}

export async function sessions() {
  const p = await api("GET", "/sessions");
  return Array.isArray(p.sessions) ? p.sessions.filter((x) => x && typeof x === "object") : [];
}

export function revokeSession(id) { return api("DELETE", "/sessions/" + encodeURIComponent(id)); }

/* ---------- people and administration ---------- */

export async function users() {
  const p = await api("GET", "/users");
  return Array.isArray(p.users) ? p.users.filter((u) => u && typeof u.name === "string") : [];
}

export function setRole(id, role) { return api("POST", "/users/" + encodeURIComponent(id) + "/role", { role }); }

// action: "ban", "unban", "deactivate" or "activate".
export function setState(id, action) { return api("POST", "/users/" + encodeURIComponent(id) + "/" + action); }

// A one-use reset link for someone: {token, link, expires}.
export function resetLink(id) { return api("POST", "/users/" + encodeURIComponent(id) + "/reset"); }

export async function invites() {
  const p = await api("GET", "/invites");
  return Array.isArray(p.invites) ? p.invites.filter((x) => x && typeof x === "object") : [];
}

// {role, max_uses, expires_in} -> {invite, token, link}
export function createInvite(opts) { return api("POST", "/invites", opts); }

export function revokeInvite(id) { return api("DELETE", "/invites/" + encodeURIComponent(id)); }

// Bots (owners and admins): the list, a new bot with its first token, a new token (the
// others end), every token ended. A token is in the answer this once.
export async function bots() {
  const p = await api("GET", "/bots");
  return Array.isArray(p.bots) ? p.bots : [];
}
export function createBot(name) { return api("POST", "/bots", { name }); }
export function botToken(id) { return api("POST", "/bots/" + encodeURIComponent(id) + "/token"); }
export function revokeBot(id) { return api("DELETE", "/bots/" + encodeURIComponent(id) + "/token"); }

/* ---------- incoming webhooks (docs/api.md, "Incoming webhooks") ---------- */

// The live webhooks of a channel one may manage.
export async function hooks(channel) {
  const p = await api("GET", "/hooks?channel=" + encodeURIComponent(channel));
  return Array.isArray(p.hooks) ? p.hooks.filter((x) => x && typeof x === "object") : [];
}

// {hook, token, path, url}: the token and its URL are given this once.
export function createHook(channel, name) { return api("POST", "/hooks", { channel, name }); }

export function deleteHook(id) { return api("DELETE", "/hooks/" + encodeURIComponent(id)); }
