/*
 * parley web client: the numbers and words every module shares.
 *
 * One place for the server's limits and the client's own constants, so that no module
 * keeps a copy that could drift (docs/protocol.md gives the server's side).
 */

export const GENERAL = "general";          // exists from the start; every user is in it for good
export const MAX_TEXT = 4000;              // --max-text default; the server counts code points
export const MAX_USER = 32;                // --max-name default
export const PAGE_SIZE = 50;               // messages per history page
export const GROUP_GAP_MS = 5 * 60 * 1000; // an author's messages closer than this form a group
export const NEAR_BOTTOM_PX = 80;          // a reader this close to the bottom is "at the bottom"

export const KEY_NAME = "parley.name";
export const KEY_SESSION = "parley.session";
export const KEY_GUEST_BACK = "parley.guestBack"; // a guest is in the chat here: a reload goes straight back
export const KEY_CHANNEL = "parley.channel";
export const KEY_ARCHIVED_OPEN = "parley.archivedOpen"; // the sidebar's Archived group is expanded

// The server's error codes, as the reader is told them.
export const ERROR_TEXT = {
  name_taken: "That name is taken by someone else. Pick another one, or sign in if it is yours.",
  auth_required: "This server doesn't allow guests. Sign in or create an account.",
  banned: "That name is banned from this server.",
  bad_name: "Names are 1-32 characters, without control characters or surrounding spaces.",
  rate_limited: "You're going too fast for the server. Wait a moment and retry.",
  too_large: "That is too long for the server.",
  bad_payload: "The server rejected that request as malformed.",
  bad_type: "This server does not know that request (it may be older than this page).",
  not_joined: "Not joined yet. Reconnecting should fix this.",
  no_such_channel: "That channel does not exist.",
  no_such_message: "That message is not there any more.",
  no_such_user: "There is nobody by that name.",
  forbidden: "You are not allowed to do that here.",
  bad_channel: "Channel names are 1-80 lowercase letters, digits, hyphens or underscores.",
  channel_exists: "A channel with that name already exists.",
  auth_failed: "Sign-in failed.",
  internal: "The server had a problem; nothing was changed. Try again.",
  offline: "Not connected: try again once parley has reconnected.",
  disconnected: "The connection dropped before the server answered. Try again once parley is back.",
};

export function errorText(err) {
  return ERROR_TEXT[err.code] || err.message || "Something went wrong.";
}

// The REST errors of docs/protocol.md, "Accounts", as the reader is told them.
export const AUTH_TEXT = {
  bad_credentials: "Wrong name or password.",
  name_taken: "That name is taken. Pick another one.",
  bad_name: "Names are 1-32 characters, without control characters or surrounding spaces, and some names are reserved.",
  weak_password: "Passwords need at least 8 characters.",
  bad_password: "That password is too long.",
  bad_invite: "This invite link doesn't work any more: it expired, was used up or was revoked. Ask for a new one.",
  registration_closed: "This server doesn't take new accounts. Ask an admin for an invite link.",
  banned: "This account is banned from this server.",
  deactivated: "This account has been deactivated. Ask an admin to reactivate it.",
  busy: "The server is busy. Try again in a moment.",
  bad_origin: "The server does not accept requests from this address.",
  unauthorized: "Your session has ended. Sign in again.",
  forbidden: "You are not allowed to do that.",
  last_owner: "The server needs at least one owner: make someone else owner first.",
  not_found: "That is not there any more.",
  unavailable: "The server can't save right now. Try again in a moment.",
  network: "Can't reach the server. Check your connection and try again.",
};

// "in 40 seconds", "in 12 minutes".
export function waitText(secs) {
  if (secs < 60) return "in " + secs + (secs === 1 ? " second" : " seconds");
  const mins = Math.ceil(secs / 60);
  return "in " + mins + (mins === 1 ? " minute" : " minutes");
}

export function authErrorText(err) {
  if (err.code === "rate_limited") {
    return "Too many attempts. " + (err.retryAfter ? "Try again " + waitText(err.retryAfter) + "." : "Wait a while and try again.");
  }
  if (err.code === "busy" && err.retryAfter > 1) return "The server is busy. Try again " + waitText(err.retryAfter) + ".";
  return AUTH_TEXT[err.code] || err.message || "Something went wrong (" + err.code + ").";
}
