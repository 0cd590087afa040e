/*
 * parley web client: unsent text that outlives a reload.
 *
 * One draft per person, conversation and thread ("general", "general/42"), kept in the
 * browser's local storage as the person types, so a reload, a crash or a closed tab does
 * not lose a half-written message. Bounded: the newest DRAFTS_KEPT drafts stay (an index
 * lists them, oldest first); text past MAX_TEXT is the server's to refuse, not ours to keep.
 * Private mode or a full storage: drafts live as long as the page, as before.
 */
import { MAX_TEXT } from "./const.js";
import { save, load } from "./util.js";
import * as people from "./people.js";

const PREFIX = "parley.draft:";
const INDEX = "parley.drafts";
const DRAFTS_KEPT = 50;

const memory = new Map(); // full key -> text, for when storage refuses

function fullKey(key) { return PREFIX + (people.user() || "") + ":" + key; }

function readIndex() {
  try {
    const v = JSON.parse(load(INDEX) || "[]");
    return Array.isArray(v) ? v.filter((k) => typeof k === "string" && k.startsWith(PREFIX)) : [];
  } catch (e) { return []; }
}

function drop(k) {
  memory.delete(k);
  try { localStorage.removeItem(k); } catch (e) { /* nothing kept */ }
}

function get(key) {
  const k = fullKey(key);
  return memory.has(k) ? memory.get(k) : load(k);
}

function set(key, text) {
  if (!text) { remove(key); return; }
  const k = fullKey(key);
  const t = Array.from(text).length > 2 * MAX_TEXT ? Array.from(text).slice(0, 2 * MAX_TEXT).join("") : text;
  memory.set(k, t);
  save(k, t);
  const index = readIndex().filter((x) => x !== k);
  index.push(k);
  while (index.length > DRAFTS_KEPT) drop(index.shift());
  save(INDEX, JSON.stringify(index));
}

function remove(key) {
  const k = fullKey(key);
  drop(k);
  const index = readIndex();
  if (index.includes(k)) save(INDEX, JSON.stringify(index.filter((x) => x !== k)));
}

// get(key) -> "" when none; set(key, text) ("" removes); delete(key).
export const drafts = { get, set, delete: remove };

// Signing out (or leaving as a guest) forgets the person's drafts on this device: the
// next person at this browser must not find them.
export function forgetUser() {
  const mine = PREFIX + (people.user() || "") + ":";
  const index = readIndex();
  for (const k of index) if (k.startsWith(mine)) drop(k);
  for (const k of Array.from(memory.keys())) if (k.startsWith(mine)) memory.delete(k);
  save(INDEX, JSON.stringify(index.filter((k) => !k.startsWith(mine))));
}

// The main composer's draft of a conversation, and of a thread's reply box.
export function channelKey(name) { return name; }
export function threadKey(name, seq) { return name + "/" + seq; }
