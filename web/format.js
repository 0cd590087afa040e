/*
 * parley web client: message formatting (Slack's rules), parsed and drawn in our own code.
 *
 * The text stored and sent is what the user typed; this only decides how a row shows it.
 *
 *   parse(text, names) -> Block[]     pure: no DOM, no data (unit-tested under node)
 *   render(parent, text, opts)        appends the blocks to parent, built with
 *                                     createElement and text nodes only: never HTML
 *
 * Blocks:  {t:"p", c}  {t:"pre", text}  {t:"quote", c: Block[]}
 *          {t:"ul", items: Inline[][]}  {t:"ol", start, items: Inline[][]}
 * Inlines: a string (plain text, may hold "\n"), {t:"b"|"i"|"s", c: Inline[]},
 *          {t:"code", text}, {t:"link", href}, {t:"mention", name}, {t:"emoji", code}
 *
 * The rules (Slack's): ``` fences a code block, even on one line; `code` spans one line;
 * *bold*, _italic_ and ~strike~ hug their words (a marker opens before a non-space and not
 * after a letter or digit, and closes after a non-space and not before one: `a * b *` and
 * snake_case_names stay literal), do not cross lines, and nest inside each other. Nothing
 * is formatted inside code, links, @mentions or :shortcodes:. Lines starting "> " are a
 * quote, "- ", "* " or "• " a bulleted list, "1. " or "1) " a numbered one. Links are http
 * and https only (as before: dom.js's appendLinkified). names are the @mentions the server
 * found; only those are drawn as mentions. A :shortcode: is an emoji when emoji.js knows it;
 * until the emoji data has loaded it shows as typed and is replaced in place when it has.
 */
import * as emoji from "./emoji.js";

const MARKS = { "*": "b", "_": "i", "~": "s" };
const TAGS = { b: "strong", i: "em", s: "del" };
const WORD = /[\p{L}\p{N}]/u;
const SPACE = /\s/u;
const URL_RE = /\bhttps?:\/\/[^\s<>"']+/g;
const URL_TAIL = /[.,;:!?)\]*_~]+$/;      // punctuation after a link is not part of it
const CODE_RE = /(?<!`)`([^`\n]*[^`\s][^`\n]*)`(?!`)/g;  // not blank, not in a run of backticks
const EMOJI_RE = /:([a-z0-9_+-]+):/gi;
const QUOTE = /^> ?(.*)$/;
const BULLET = /^\s*[-*•] +(\S.*)$/;
const NUMBER = /^\s*(\d{1,9})[.)] +(\S.*)$/;

function escapeRe(s) { return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"); }

/* ---------- inline: atoms (code, links, mentions, emoji), then emphasis around them ---------- */

// Finds re's matches in the gaps between the atoms found so far; make(m) gives
// [start, end, node] or null (no atom there).
function refine(s, atoms, re, make) {
  const out = [];
  let from = 0;
  const gaps = atoms.map((a) => [a.start, a]).concat([[s.length, null]]);
  for (const [to, atom] of gaps) {
    re.lastIndex = from;
    let m;
    while ((m = re.exec(s)) !== null && m.index < to) {
      const got = make(m);
      if (!got || got[1] > to) { re.lastIndex = m.index + 1; continue; }
      out.push({ start: got[0], end: got[1], node: got[2] });
      re.lastIndex = got[1];
    }
    if (atom) { out.push(atom); from = atom.end; }
  }
  return out;
}

function atomsOf(s, names) {
  let atoms = refine(s, [], CODE_RE, (m) => [m.index, m.index + m[0].length, { t: "code", text: m[1] }]);
  atoms = refine(s, atoms, URL_RE, (m) => {
    const url = m[0].replace(URL_TAIL, "");
    return url.length > m[0].indexOf("//") + 2 ? [m.index, m.index + url.length, { t: "link", href: url }] : null;
  });
  if (names.length) {
    const alts = Array.from(new Set(names)).sort((a, b) => b.length - a.length).map(escapeRe);
    // The server's rule (messages_data.js findMentions): @name not inside a word.
    const re = new RegExp("(^|[^\\p{L}\\p{N}_])@(" + alts.join("|") + ")(?=$|[\\s!-/:-@[-^`{-~])", "gu");
    atoms = refine(s, atoms, re, (m) => {
      const at = m.index + m[1].length;
      return [at, at + 1 + m[2].length, { t: "mention", name: m[2] }];
    });
  }
  return refine(s, atoms, EMOJI_RE, (m) =>
    m.index > 0 && WORD.test(s[m.index - 1]) ? null : [m.index, m.index + m[0].length, { t: "emoji", code: m[1].toLowerCase() }]);
}

function canOpen(s, i, c) {
  const prev = i > 0 ? s[i - 1] : "";
  const next = s[i + 1];
  return next !== undefined && next !== c && !SPACE.test(next) && prev !== c && !(prev && WORD.test(prev));
}

// The marker closing the one at i, before b and not inside an atom, or -1.
function closer(s, i, b, c, atomAt) {
  for (let j = i + 1; j < b; j++) {
    const a = atomAt.get(j);
    if (a) { j = a.end - 1; continue; }
    if (s[j] === "\n") return -1;
    if (j === i + 1 || s[j] !== c || SPACE.test(s[j - 1])) continue;
    const next = s[j + 1];
    if (next === undefined || (next !== c && !WORD.test(next))) return j;
  }
  return -1;
}

function emphasis(s, a, b, atomAt, open) {
  const out = [];
  let text = a;
  const flush = (to) => { if (to > text) out.push(s.slice(text, to)); };
  for (let i = a; i < b;) {
    const atom = atomAt.get(i);
    if (atom) {
      flush(i);
      out.push(atom.node);
      i = text = atom.end;
      continue;
    }
    const c = s[i];
    if (MARKS[c] && !open.includes(c) && canOpen(s, i, c)) {
      const j = closer(s, i, b, c, atomAt);
      if (j > 0) {
        flush(i);
        out.push({ t: MARKS[c], c: emphasis(s, i + 1, j, atomAt, open + c) });
        i = text = j + 1;
        continue;
      }
    }
    i++;
  }
  flush(b);
  return out;
}

export function parseInline(s, names = []) {
  const atomAt = new Map();
  for (const a of atomsOf(s, names)) atomAt.set(a.start, a);
  return emphasis(s, 0, s.length, atomAt, "");
}

/* ---------- blocks ---------- */

function lineBlocks(seg, names, depth) {
  const out = [];
  let run = null; // the block lines are being added to: { kind, lines, start }
  const end = () => {
    if (!run) return;
    if (run.kind === "p") {
      const t = run.lines.join("\n").replace(/^\n+|\n+$/g, "");
      if (t) out.push({ t: "p", c: parseInline(t, names) });
    } else if (run.kind === "quote") {
      out.push({ t: "quote", c: lineBlocks(run.lines.join("\n"), names, depth + 1) });
    } else {
      const b = { t: run.kind, items: run.lines.map((l) => parseInline(l, names)) };
      if (run.kind === "ol") b.start = run.start;
      out.push(b);
    }
    run = null;
  };
  for (const line of seg.split("\n")) {
    let kind = "p", body = line, m, start = 1;
    if (depth === 0 && (m = QUOTE.exec(line))) { kind = "quote"; body = m[1]; }
    else if ((m = BULLET.exec(line))) { kind = "ul"; body = m[1]; }
    else if ((m = NUMBER.exec(line))) { kind = "ol"; body = m[2]; start = parseInt(m[1], 10); }
    if (!run || run.kind !== kind) { end(); run = { kind, lines: [], start }; }
    run.lines.push(body);
  }
  end();
  return out;
}

export function parse(text, names = []) {
  const out = [];
  let i = 0, from = 0;  // text[i..] is not drawn yet; fences are looked for from `from`
  for (;;) {
    const k = text.indexOf("```", from);
    const e = k < 0 ? -1 : text.indexOf("```", k + 3);
    if (e < 0) break;
    const code = text.slice(k + 3, e).replace(/^[ \t]*\n/, "").replace(/\n$/, "");
    from = e + 3;
    if (!code.trim()) continue; // an empty fence stays text
    out.push(...lineBlocks(text.slice(i, k).replace(/\n$/, ""), names, 0));
    out.push({ t: "pre", text: code });
    i = from = text[e + 3] === "\n" ? e + 4 : e + 3;
  }
  out.push(...lineBlocks(text.slice(i), names, 0));
  return out;
}

/* ---------- drawing ---------- */

function node(tag, cls, text) {
  const n = document.createElement(tag);
  if (cls) n.className = cls;
  if (text !== undefined) n.textContent = text;
  return n;
}

function emojiNode(code) {
  const e = emoji.byCode(code);
  if (e) {
    const span = node("span", "emoji", e.char);
    span.title = ":" + code + ":";
    span.dataset.testid = "emoji";
    return span;
  }
  if (emoji.loaded()) return document.createTextNode(":" + code + ":");
  const span = node("span", "emoji-pending", ":" + code + ":");
  span.dataset.code = code;
  emoji.load().then(fillPending, () => {});
  return span;
}

// The emoji data arrived: every :shortcode: drawn before it becomes its emoji.
function fillPending() {
  for (const span of document.querySelectorAll("span.emoji-pending")) span.replaceWith(emojiNode(span.dataset.code));
}

function inlineDom(parent, items, opts) {
  for (const it of items) {
    if (typeof it === "string") { parent.append(it); continue; }
    if (TAGS[it.t]) {
      const n = node(TAGS[it.t], "fmt-" + it.t);
      inlineDom(n, it.c, opts);
      parent.append(n);
    } else if (it.t === "code") {
      parent.append(node("code", "fmt-code", it.text));
    } else if (it.t === "link") {
      const a = node("a", "", it.href);
      a.href = it.href;  // http(s) only: URL_RE
      a.target = "_blank";
      a.rel = "noopener noreferrer nofollow";
      parent.append(a);
    } else if (it.t === "mention") {
      const span = node("span", "mention" + (opts.isMe && opts.isMe(it.name) ? " is-me" : ""), "@" + it.name);
      span.dataset.testid = "mention";
      parent.append(span);
    } else if (it.t === "emoji") {
      parent.append(emojiNode(it.code));
    }
  }
}

async function copy(text, button) {
  try {
    await navigator.clipboard.writeText(text);
  } catch (e) {
    // No clipboard API (a page served over plain http): copy the selected block instead.
    const sel = window.getSelection();
    sel.selectAllChildren(button.parentNode.querySelector("pre"));
    document.execCommand("copy");
    sel.removeAllRanges();
  }
  button.textContent = "Copied";
  setTimeout(() => { button.textContent = "Copy"; }, 1500);
}

function blockDom(b, opts) {
  if (b.t === "p") {
    const p = node("div", "fmt-p");
    inlineDom(p, b.c, opts);
    return p;
  }
  if (b.t === "pre") {
    const wrap = node("div", "fmt-pre-wrap");
    const pre = node("pre", "fmt-pre");
    pre.tabIndex = 0; // scrollable by keyboard
    pre.append(node("code", "", b.text));
    const btn = node("button", "fmt-copy", "Copy");
    btn.type = "button";
    btn.dataset.testid = "code-copy";
    btn.setAttribute("aria-label", "Copy the code");
    btn.addEventListener("click", () => copy(b.text, btn));
    wrap.append(pre, btn);
    return wrap;
  }
  if (b.t === "quote") {
    const q = node("blockquote", "fmt-quote");
    for (const c of b.c) q.append(blockDom(c, opts));
    return q;
  }
  const list = node(b.t, "fmt-list");
  if (b.t === "ol" && b.start !== 1) list.start = b.start;
  for (const item of b.items) {
    const li = node("li");
    inlineDom(li, item, opts);
    list.append(li);
  }
  return list;
}

// opts: { mentions: the names the server found, isMe(name): draws that mention as ours }.
// A text that is one paragraph is drawn as inline nodes straight into parent, as before.
export function render(parent, text, opts = {}) {
  const blocks = parse(text, opts.mentions || []);
  if (blocks.length === 1 && blocks[0].t === "p") { inlineDom(parent, blocks[0].c, opts); return; }
  for (const b of blocks) parent.append(blockDom(b, opts));
}
