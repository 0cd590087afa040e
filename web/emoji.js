/*
 * parley web client: the emoji set (data), loaded on first need.
 *
 * emoji_data.js is generated at build time (tools/emoji/gen.py, from Unicode's
 * emoji-test.txt and python3-emoji's shortcodes) and fetched only when a :shortcode: is
 * drawn or the picker opens: most pages never need its 75 KB.
 *
 *   load()          -> Promise, resolved once the set is here (one fetch, shared)
 *   loaded()        whether it is
 *   byCode(code)    {char, group, name, codes} for a shortcode ("coffee"), or null
 *   byChar(char)    the same for an emoji, or null
 *   all()           every emoji in Unicode's order; groups() their group names
 *   search(query)   emoji whose shortcodes or name match, best first
 *   recent() / used(char)   the reader's recently used emoji (this browser), newest first
 */
const RECENT_KEY = "parley.emoji.recent";
const RECENT_MAX = 24;

let list = null;
let groupNames = [];
let codes = new Map();
let chars = new Map();
let loading = null;

function unpack(mod) {
  groupNames = mod.GROUPS;
  list = [];
  for (const line of mod.DATA.split("\n")) {
    const [char, g, name, cs] = line.split("\t");
    const e = { char, group: parseInt(g, 10), codes: cs.split(" ") };
    e.name = name || e.codes[e.codes.length - 1].replace(/_/g, " ");
    list.push(e);
    for (const c of e.codes) codes.set(c, e);
    chars.set(char, e);
    chars.set(char.replace(/\uFE0F/g, ""), e);
  }
}

export function load() {
  if (!loading) {
    loading = import("./emoji_data.js").then(unpack, (err) => { loading = null; throw err; });
  }
  return loading;
}

export function loaded() { return list !== null; }
export function byCode(code) { return codes.get(code) || null; }
export function byChar(char) { return chars.get(char) || chars.get(char.replace(/\uFE0F/g, "")) || null; }
export function all() { return list || []; }
export function groups() { return groupNames; }

// Ranks: a shortcode equal to the query, one starting with it, a word of the name or a
// shortcode starting with it, anything containing it. Unicode's order within a rank.
export function search(query, limit = 200) {
  const q = query.trim().toLowerCase().replace(/^:|:$/g, "");
  if (!q || !list) return [];
  const ranks = [[], [], [], []];
  for (const e of list) {
    let r = -1;
    if (e.codes.includes(q)) r = 0;
    else if (e.codes.some((c) => c.startsWith(q))) r = 1;
    else if (e.name.toLowerCase().split(/[\s_:-]+/).some((w) => w.startsWith(q)) ||
             e.codes.some((c) => c.split("_").some((w) => w.startsWith(q)))) r = 2;
    else if (e.name.toLowerCase().includes(q) || e.codes.some((c) => c.includes(q))) r = 3;
    if (r >= 0) ranks[r].push(e);
  }
  return ranks.flat().slice(0, limit);
}

export function recent() {
  try {
    const v = JSON.parse(localStorage.getItem(RECENT_KEY) || "[]");
    return Array.isArray(v) ? v.filter((c) => typeof c === "string").slice(0, RECENT_MAX) : [];
  } catch (e) { return []; }
}

export function used(char) {
  const next = [char].concat(recent().filter((c) => c !== char)).slice(0, RECENT_MAX);
  try { localStorage.setItem(RECENT_KEY, JSON.stringify(next)); } catch (e) { /* private mode */ }
}
