/*
 * parley web client: small helpers without the DOM.
 *
 * Used by data and UI modules alike: counting characters as the server does, binary
 * search, the browser's local storage, client keys, and a tiny event emitter through
 * which data modules tell the UI what changed (they never touch the page themselves).
 */

export function charCount(s) {
  return Array.from(s).length; // code points, as the server counts them
}

// Index of the first element of the sorted array arr that is >= x.
export function lowerBound(arr, x) {
  let lo = 0, hi = arr.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (arr[mid] < x) lo = mid + 1; else hi = mid;
  }
  return lo;
}

export function save(key, value) {
  try { localStorage.setItem(key, value); } catch (e) { /* private mode: just forget */ }
}

export function load(key) {
  try { return localStorage.getItem(key) || ""; } catch (e) { return ""; }
}

const KEY_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

// A random key of n characters of A-Za-z0-9_- (64 symbols: 6 bits each). Uses
// crypto.getRandomValues, which every browser has; crypto.randomUUID is missing on
// plain-http origins other than localhost.
export function randomKey(n) {
  const bytes = new Uint8Array(n);
  crypto.getRandomValues(bytes);
  let s = "";
  for (const b of bytes) s += KEY_CHARS[b & 63];
  return s;
}

// A fresh client key (`cid`, docs/protocol.md): 22 characters, 132 random bits.
export function newCid() { return randomKey(22); }

// on(name, fn) -> unsubscribe; emit(name, ...args) calls the listeners in order.
export function emitter() {
  const subs = new Map();
  return {
    on(name, fn) {
      if (!subs.has(name)) subs.set(name, []);
      subs.get(name).push(fn);
      return () => { const l = subs.get(name); const i = l.indexOf(fn); if (i >= 0) l.splice(i, 1); };
    },
    emit(name, ...args) {
      for (const fn of (subs.get(name) || []).slice()) fn(...args);
    },
  };
}
