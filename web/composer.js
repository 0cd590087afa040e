/*
 * parley web client: the composer (UI).
 *
 * The message box (its height, character counter, Enter to send, the notice above it),
 * the rows of our pending messages in the main list, and the typing line under the box
 * with the `typing` frames we send while the user types.
 *
 * Sending goes through messages_data.js's outbox: a pending message is a row after all
 * confirmed ones of its list until the outbox says it was stored (the row gives way to
 * the stored message) or refused (the row offers Retry and Discard). Across a reconnect
 * it stays pending: the outbox sends it again, with the same client key, after the
 * resume, so it is stored once. While the connection is down (once the chat has been
 * joined) the box stays usable: what is sent then waits, shown "Waiting for connection",
 * and goes out the same way. What is typed and not sent is a draft (drafts.js): it
 * outlives a reload.
 */
import { GENERAL, MAX_TEXT, errorText } from "./const.js";
import { el } from "./dom.js";
import { charCount } from "./util.js";
import * as conn from "./conn.js";
import * as channels from "./channels_data.js";
import * as msgs from "./messages_data.js";
import * as people from "./people.js";
import { ui, page } from "./page.js";
import * as list from "./list.js";
import * as chansUi from "./channels.js";
import { toast } from "./channels.js";
import { drafts, channelKey } from "./drafts.js";
import * as files from "./files.js";
import * as mentionPrompt from "./mention_prompt.js";

const COUNTER_FROM = 3500;         // show the counter only when it starts to matter
const TYPING_SEND_EVERY_MS = 2000;
const TYPING_SERVER_GAP_MS = 1100; // the server relays one typing a second per connection
const NOTICE_MS = 6000;
const DRAFT_SAVE_MS = 300;         // typing is saved as a draft this long after it pauses

const rows = new Map();            // cid -> the pending row of a main-list message

/* ---------- sending ---------- */

export function sendComposer() {
  const text = ui.composer.value.replace(/\s+$/, "");
  if (files.uploading()) { showNotice("Your files are still uploading: send once they are done."); return; }
  if (!text.trim() && !files.hasReady()) return;
  if (charCount(text) > MAX_TEXT) {
    showNotice("That message is too long: " + charCount(text) + " of " + MAX_TEXT + " characters.");
    return;
  }
  if (!conn.everJoined()) {
    showNotice("Not connected: your message was not sent. It is still in the box.");
    return;
  }
  const v = page.view;
  if (v.info.archived) return; // read-only: the archived bar stands in for the composer
  if (v.detached || !list.windowAtEnd(v)) list.goToPresent(v); // a message goes to the present
  msgs.send(v, text, 0, files.take()); // offline: held, sent with its cid after the resume
  mentionPrompt.check(v, text); // @someone outside the channel: offer to add them
  ui.composer.value = "";
  saveDraftNow();
  composerChanged();
  page.typingNews = true; // the next burst of typing is news again
  list.scrollToBottom();
}

msgs.changes.on("pending", (p) => {
  if (p.thread) return;
  const v = channels.get(p.channel);
  if (!v || v.name !== p.channel) return;
  let row = rows.get(p.cid);
  if (!row) {
    row = list.renderMessage({ user: p.user, text: p.text, ts: p.ts, files: p.files }, p);
    rows.set(p.cid, row);
  }
  if (!row.parentNode) {
    list.uiOf(v).box.append(row);
    list.decorate(row);
  }
  row.classList.remove("is-failed");
  setStatus(p, row, conn.joined() ? "Sending…" : "Waiting for connection…");
});

// Back online: what waited is on its way now.
conn.onLink("up", () => {
  for (const row of rows.values()) if (!row.classList.contains("is-failed")) setStatus(null, row, "Sending…");
});

msgs.changes.on("confirmed", (p, raw) => {
  if (p.thread) return;
  const row = rows.get(p.cid);
  rows.delete(p.cid);
  if (row) list.removeMessageEl(row);
  const v = channels.get(p.channel);
  if (!v || v.name !== p.channel) return;
  // The ack tells us everything the msg echo will: show it confirmed right away.
  if (raw) list.inView(v, () => list.addMessage(v, raw), false);
  chansUi.arrived(v);
});

msgs.changes.on("failed", (p) => {
  const tooLong = p.error === "too_large";
  toast((tooLong ? "That message is too long (" + MAX_TEXT + " characters at most)."
    : errorText({ code: p.error })) + " (" + p.error + ")", "error");
  if (p.thread) return;
  const row = rows.get(p.cid);
  if (!row) return;
  row.classList.add("is-failed");
  setStatus(p, row, p.error === "rate_limited" ? "Not sent: too fast" : tooLong ? "Not sent: too long" : "Not sent", true);
});

channels.changes.on("dropped", (ch) => {
  for (const [cid, row] of Array.from(rows)) if (row.dataset.channel === ch.name) rows.delete(cid);
});

function setStatus(p, row, text, withActions) {
  const status = row.querySelector(".msg-status");
  status.textContent = text;
  if (!withActions) return;
  const retry = el("button", "link-btn", "Retry");
  retry.type = "button";
  retry.addEventListener("click", () => retryPending(p, row));
  const discard = el("button", "link-btn", "Discard");
  discard.type = "button";
  discard.addEventListener("click", () => {
    msgs.discard(p);
    rows.delete(p.cid);
    list.removeMessageEl(row);
  });
  status.append(" · ", retry, " · ", discard);
}

function retryPending(p, row) {
  if (!conn.joined()) { showNotice("Still offline: retry once parley has reconnected."); return; }
  const v = channels.get(p.channel);
  if (!v || v.name !== p.channel) return; // left the channel meanwhile
  list.removeMessageEl(row); // goes to the end of its list again
  msgs.retry(p);
  if (v === page.view) list.scrollToBottom();
}

/* ---------- composer ---------- */

export function composerChanged() {
  const c = ui.composer;
  c.style.height = "auto";
  c.style.height = Math.min(c.scrollHeight, 200) + "px";
  const n = charCount(c.value);
  const over = n > MAX_TEXT;
  ui.counter.hidden = n < COUNTER_FROM;
  ui.counter.textContent = over ? (n - MAX_TEXT) + " over the limit" : (MAX_TEXT - n) + " left";
  ui.counter.classList.toggle("is-over", over);
  ui.sendBtn.disabled = !conn.everJoined() || over || (!c.value.trim() && !files.hasReady());
  files.syncTray(); // the tray shows the shown channel's attachments
}

let draftTimer = 0;

// The shown conversation's draft, saved now (sending, switching, leaving the page).
export function saveDraftNow() {
  clearTimeout(draftTimer);
  draftTimer = 0;
  if (page.view && !ui.composer.disabled) drafts.set(channelKey(page.view.name), ui.composer.value);
}

window.addEventListener("pagehide", saveDraftNow);

export function onComposerInput() {
  composerChanged();
  clearTimeout(draftTimer);
  draftTimer = setTimeout(saveDraftNow, DRAFT_SAVE_MS);
  const now = Date.now();
  // Right after a message (or a channel switch) typing is sent as soon as the server
  // would relay it; a typing inside its one-second window would be dropped unseen.
  const wait = page.typingNews ? TYPING_SERVER_GAP_MS : TYPING_SEND_EVERY_MS;
  if (conn.joined() && ui.composer.value && now - page.lastTypingSent >= wait && !page.view.info.archived) {
    page.lastTypingSent = now;
    page.typingNews = false;
    conn.send("typing", { channel: page.view.name });
  }
}

export function onComposerKey(ev) {
  // isComposing: Enter that confirms an IME candidate must not send.
  if (ev.key === "Enter" && !ev.shiftKey && !ev.isComposing) {
    ev.preventDefault();
    sendComposer();
  }
}

export function updateComposerLabel() {
  const label = "Message " + (page.view ? chansUi.title(page.view) : "#" + GENERAL);
  ui.composerLabel.textContent = label;
  ui.composer.placeholder = ui.composer.disabled ? "Offline"
    : !conn.joined() ? label + " (offline: sent when parley reconnects)" : label;
}

// The connection went down (on) or came back: the box stays usable, its messages wait.
export function setOffline(on) {
  ui.app.classList.toggle("is-offline", on); // presence is stale until we are back
  ui.composerForm.classList.toggle("is-waiting", on);
  updateComposerLabel();
  composerChanged();
}

export function setComposerEnabled(on) {
  const hadFocus = document.activeElement === ui.composer;
  ui.composer.disabled = !on;
  updateComposerLabel();
  ui.composerForm.classList.toggle("is-disabled", !on);
  ui.app.classList.toggle("is-offline", !on); // presence is stale until we are back
  composerChanged();
  if (on) {
    hideNotice();
    if (ui.composer.dataset.refocus) { ui.composer.focus(); delete ui.composer.dataset.refocus; }
  } else if (hadFocus) {
    ui.composer.dataset.refocus = "1";
  }
}

function showNotice(text) {
  ui.notice.textContent = text;
  ui.notice.hidden = false;
  clearTimeout(page.noticeTimer);
  page.noticeTimer = setTimeout(hideNotice, NOTICE_MS);
}

function hideNotice() { ui.notice.hidden = true; }

/* ---------- typing ---------- */

people.changes.on("typing", (name) => { if (page.view && page.view.name === name) renderTyping(); });

export function renderTyping() {
  const names = page.view ? people.typersOf(page.view.name) : [];
  ui.typing.textContent = "";
  if (!names.length) return;
  let text;
  if (names.length === 1) text = names[0] + " is typing…";
  else if (names.length === 2) text = names[0] + " and " + names[1] + " are typing…";
  else text = "Several people are typing…";
  const dots = el("span", "typing-dots");
  dots.setAttribute("aria-hidden", "true");
  dots.append(el("i"), el("i"), el("i"));
  ui.typing.append(dots, el("span", "", text));
}
