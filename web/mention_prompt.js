/*
 * parley web client: "they are not in this channel" (UI).
 *
 * After a message naming @someone who is not a member of the channel it went to (a
 * channel other than #general, where everyone is, and direct messages, whose members are
 * fixed), a bar over the composer says so and offers to add them (`channel_invite`, one
 * per name) or to leave it. The message itself went out as typed: a mention of someone
 * outside notifies nobody, which is why the prompt matters. Only names parley knows (the
 * directory, who is online) are offered; the server decides who may add whom and a
 * refusal is shown in the bar. The member list is asked only for a message that names
 * someone, so a plain message costs nothing.
 */
import { GENERAL, errorText } from "./const.js";
import { el } from "./dom.js";
import * as channels from "./channels_data.js";
import * as msgs from "./messages_data.js";
import * as people from "./people.js";
import { page } from "./page.js";
import { nameLabel } from "./badges.js";

const MAX_OFFERED = 8; // a message names at most 16; more than this reads as a list, not a mistake

let bar = null;   // the prompt, while shown
let shownFor = null; // its channel

// Called after our message went to channel v with text: shows the prompt when it names
// people outside the channel.
export function check(v, text) {
  if (!v || v.name === GENERAL || channels.isDm(v)) return;
  const me = people.user();
  const named = [];
  for (const n of msgs.findMentions(text)) {
    if (n === me || msgs.EVERYONE.includes(n) || named.includes(n)) continue;
    if (people.known(n) || people.onlineSet().has(n)) named.push(n);
  }
  if (!named.length) return;
  channels.members(v.name).then((p) => {
    // A list cut short (`more`: over a thousand members) cannot tell who is outside.
    if (!Array.isArray(p.users) || p.more === true) return;
    const inside = new Set(p.users.map((u) => (u && typeof u.name === "string" ? u.name : "")));
    const outside = named.filter((n) => !inside.has(n)).slice(0, MAX_OFFERED);
    if (outside.length && page.view === v) show(v, outside);
  }, () => {}); // no member list (an older server): no prompt
}

// The prompt goes with its channel: switching conversations closes it.
export function viewChanged(v) { if (bar && shownFor !== v) close(); }

function close() {
  if (bar) bar.remove();
  bar = null;
  shownFor = null;
}

function show(v, names) {
  close();
  bar = el("div", "mention-prompt");
  bar.dataset.testid = "mention-prompt";
  bar.setAttribute("role", "status");
  shownFor = v;
  const text = el("p", "mention-prompt-text");
  names.forEach((n, i) => {
    if (i) text.append(i === names.length - 1 ? " and " : ", ");
    text.append(nameLabel(n, null, "mention-prompt-name"));
  });
  text.append(names.length === 1 ? " is not in #" : " are not in #", v.name,
    names.length === 1 ? " and was not notified. Add them?" : " and were not notified. Add them?");
  const add = el("button", "btn-primary btn-small", names.length === 1 ? "Add to channel" : "Add them");
  add.type = "button";
  add.dataset.testid = "mention-prompt-add";
  const skip = el("button", "btn-secondary btn-small", "Do nothing");
  skip.type = "button";
  skip.dataset.testid = "mention-prompt-dismiss";
  skip.addEventListener("click", close);
  const here = bar;
  add.addEventListener("click", () => {
    add.disabled = skip.disabled = true;
    Promise.allSettled(names.map((n) => channels.invite(v.name, n))).then((res) => {
      if (bar !== here) return;
      const bad = res.find((r) => r.status === "rejected");
      if (!bad) { close(); return; }
      const err = bad.reason && bad.reason.code ? bad.reason : { code: "failed" };
      text.textContent = errorText(err) + " (" + err.code + ")";
      here.classList.add("is-error");
      skip.disabled = false;
      skip.textContent = "Close";
      add.remove();
    });
  });
  const actions = el("div", "mention-prompt-actions");
  actions.append(add, skip);
  bar.append(text, actions);
  const notice = document.getElementById("composer-notice");
  notice.after(bar); // focus stays in the composer: the next message may be on its way
}
