/*
 * parley web client: where the server is.
 *
 * The directory this module was loaded from is the server's root: "/" normally, "/chat/"
 * when parley runs with --base-path /chat behind a reverse proxy that forwards that sub-path.
 * Every request the client makes (the REST API, the WebSocket, files, avatars, links it
 * hands out) goes through here, so that no module names an absolute path.
 */

export const BASE = new URL("./", import.meta.url);

function resolve(path) { return new URL(String(path).replace(/^\/+/, ""), BASE); }

// The page's own path for a path of the server's: "/api/me" -> "/chat/api/me" (and "/api/me"
// at the root), for fetch, src and href.
export function urlOf(path) {
  const u = resolve(path);
  return u.pathname + u.search + u.hash;
}

// The same as a whole URL, for a link handed to someone else ("/#invite=T").
export function linkOf(path) { return resolve(path).href; }

// The WebSocket URL of a path of the server's, ws: or wss: as the page was loaded.
export function wsUrlOf(path) {
  const u = resolve(path);
  u.protocol = u.protocol === "https:" ? "wss:" : "ws:";
  return u.href;
}
