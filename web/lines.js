/*
 * parley web client: channel lines (issue 14, item 9): "bob joined #design", "alice added
 * carol", "carol left #design", "alice changed the topic to: …".
 *
 * The server keeps them as events of kind joined, left and topic at their seq in the
 * channel (`channel_event` live; rows with that kind in history and resume pages). Here a
 * line is a row of the message list at its seq (so paging, resume and the read marker go
 * past it as past any message), drawn as a quiet system row: no author group, no actions,
 * never counted unread, never edited. Text goes in through textContent only.
 */
import { el, hhmm } from "./dom.js";
import { nameLabel } from "./badges.js";

export const KINDS = ["joined", "left", "topic"];

export function isLine(raw) {
  return !!raw && KINDS.includes(raw.kind);
}

// A message record (messages_data.js) for a line payload: the fields rows need.
export function decorate(msg, raw) {
  msg.line = raw.kind;
  msg.member = typeof raw.member === "string" ? raw.member : msg.user;
  msg.text = typeof raw.text === "string" ? raw.text : "";
  return msg;
}

// The sentence of a line, as nodes: names as labels (display names, badges).
function sentence(msg) {
  const who = nameLabel(msg.user, msg, "line-name");
  const t = (s) => document.createTextNode(s);
  const chan = "#" + msg.channel;
  if (msg.line === "topic") {
    if (!msg.text) return [who, t(" cleared the topic")];
    return [who, t(" changed the topic to: "), el("q", "line-topic", msg.text)];
  }
  const self = msg.member === msg.user;
  const member = self ? null : nameLabel(msg.member, null, "line-name");
  if (msg.line === "joined") return self ? [who, t(" joined " + chan)] : [who, t(" added "), member, t(" to " + chan)];
  return self ? [who, t(" left " + chan)] : [who, t(" removed "), member, t(" from " + chan)];
}

const ICONS = { joined: "→", left: "←", topic: "✎" };

// The row of a line: a .msg (the list windows, pages and marks it like any) of its own look.
export function row(msg) {
  const r = el("div", "msg msg-line");
  r.dataset.testid = "channel-line";
  r.dataset.kind = msg.line;
  r.dataset.seq = msg.seq;
  r.dataset.channel = msg.channel || "";
  const mark = el("span", "line-icon", ICONS[msg.line] || "·");
  mark.setAttribute("aria-hidden", "true");
  const text = el("span", "line-text");
  text.append(...sentence(msg));
  const time = el("time", "line-time", hhmm(msg.ts));
  time.title = new Date(msg.ts).toLocaleString();
  time.dateTime = new Date(msg.ts).toISOString();
  r.append(mark, text, time);
  return r;
}
