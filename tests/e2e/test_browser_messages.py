"""Threads, reactions, edits, deletes and mentions in the real web client: headless Chromium
users (docs/protocol.md, "Threads, edits, deletes, reactions", "Read markers", mentions).

Driven only through data-testid hooks:
  rows        message (main list) and thread-msg (thread panel), each with data-seq and
              data-channel; msg-actions is a row's hover toolbar: msg-react-open,
              msg-reply (main list only), msg-edit and msg-delete (own messages only)
  reactions   reaction-chip (data-emoji; its text is the emoji and the count;
              aria-pressed="true" when the reader is among those who reacted),
              reaction-add (next to the chips), reaction-picker holding reaction-option
              (data-emoji)
  threads     thread-open (under a parent; text "N replies · hh:mm"), thread-panel,
              thread-close, thread-composer (Enter sends), thread-send, thread-msg,
              thread-pending (a reply sent but not acknowledged yet)
  edits       edit-input (in place of the text; Enter saves, Escape cancels), edit-save,
              edit-cancel, msg-edited ("(edited)" after the text)
  deletes     msg-delete opens a dialog whose delete-confirm deletes; msg-deleted is the
              tombstone ("This message was deleted.")
  mentions    mention (an @name in a text; the row gets class is-mention when it names
              the reader, @channel or @here), channel-mention (the red badge of unread
              mentions in a channel-item, instead of channel-unread), notify-enable (asks
              for desktop notifications; shown while the browser has not been asked),
              mention-suggest (the @-autocomplete over a composer) holding mention-option
              (data-name; arrows move, Enter or Tab takes the highlighted one)
Keyboard: Up in an empty composer (or thread composer) edits one's last message there;
Escape closes the reaction picker, then the editor, then the thread panel.
The browser plumbing is test_browser.py's, the channel helpers test_browser_channels.py's.
"""
import json
import re
import time
import uuid

import pytest

pytest.importorskip("selenium")
from selenium.common.exceptions import StaleElementReferenceException  # noqa: E402
from selenium.webdriver.common.action_chains import ActionChains  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402

from test_browser import RECONNECT_WAIT, pytestmark, tid  # noqa: E402,F401
from test_browser_channels import ChannelUser, dumping, log_in, server, users  # noqa: E402,F401

# The state of one row, read through its hooks only.
ROW_STATE = """
const row = document.querySelector('[data-testid="' + arguments[0] + '"][data-seq="' + arguments[1] + '"]');
if (!row) return null;
const q = (t) => Array.from(row.querySelectorAll('[data-testid="' + t + '"]'));
const chips = {}, mine = [];
for (const c of q('reaction-chip')) {
  chips[c.dataset.emoji] = parseInt(c.textContent.replace(c.dataset.emoji, '').trim(), 10);
  if (c.getAttribute('aria-pressed') === 'true') mine.push(c.dataset.emoji);
}
const thread = q('thread-open')[0];
return {channel: row.dataset.channel, text: row.textContent, chips, mine,
        thread: thread ? thread.textContent.replace(/\\s+/g, ' ').trim() : null,
        edited: q('msg-edited').length > 0, deleted: q('msg-deleted').length > 0,
        shown: row.getClientRects().length > 0,
        mention: row.classList.contains('is-mention'), mentions: q('mention').map(m => m.textContent)};
"""

# A stand-in for the browser's Notification: records what the page shows.
FAKE_NOTIFICATION = """
window.__notes = [];
class FakeNotification {
  constructor(title, opts) { window.__notes.push({title: title, body: (opts || {}).body || ''}); }
  close() {}
}
FakeNotification.permission = arguments[0];
FakeNotification.requestPermission = function () {
  FakeNotification.permission = 'granted';
  return Promise.resolve('granted');
};
window.Notification = FakeNotification;
document.dispatchEvent(new Event('visibilitychange'));
"""


def again_if_stale(act, tries=5):
    """Runs act(); a row is drawn anew when an event about it arrives, so a button found
    a moment ago may be gone: find it again."""
    for i in range(tries):
        try:
            return act()
        except StaleElementReferenceException:
            if i == tries - 1:
                raise
            time.sleep(0.1)


def replies(r):
    """The reply count a row's thread-open says ("2 replies · 14:02"), or 0."""
    m = re.search(r"(\d+) repl(?:y|ies)\b", (r or {}).get("thread") or "")
    return int(m.group(1)) if m else 0


class MsgUser(ChannelUser):
    """A ChannelUser that also drives threads, reactions, edits and deletes."""

    def seq_of(self, text, testid="message"):
        """data-seq of the row whose text contains text (waits for it)."""
        def find():
            return self.js("const r = Array.from(document.querySelectorAll(arguments[0]))"
                           ".find(e => e.textContent.includes(arguments[1]));"
                           "return r ? parseInt(r.dataset.seq, 10) : null;", tid(testid), text)
        self.wait(lambda: find() is not None, f"a {testid} row with {text!r}")
        return find()

    def row(self, seq, testid="message"):
        return self.js(ROW_STATE, testid, seq)

    def row_el(self, seq, testid="message"):
        sel = f'{tid(testid)}[data-seq="{seq}"]'
        self.wait(lambda: self.d.find_elements(By.CSS_SELECTOR, sel), f"row {sel}")
        return self.d.find_element(By.CSS_SELECTOR, sel)

    def wait_row(self, seq, cond, what, testid="message"):
        self.wait(lambda: (lambda r: r is not None and cond(r))(self.row(seq, testid)),
                  f"{what} (row {seq}: {self.row(seq, testid)})")

    def action(self, seq, testid, place="message"):
        """Hovers the row and clicks one of its actions."""
        def act():
            row = self.row_el(seq, place)
            self.js("arguments[0].scrollIntoView({block: 'center'});", row)
            ActionChains(self.d).move_to_element(row).perform()
            btn = row.find_element(By.CSS_SELECTOR, tid(testid))
            self.wait(btn.is_displayed, f"{testid} on row {seq}")
            btn.click()
        again_if_stale(act)

    def panel_open(self):
        return self.js("const p = document.querySelector(arguments[0]);"
                       "return !!p && !p.hidden && p.getClientRects().length > 0;", tid("thread-panel"))

    def panel_texts(self):
        return [" ".join(t.split()) for t in self.texts("thread-msg")]

    def reply(self, text):
        box = self.find("thread-composer")
        box.send_keys(text)
        box.send_keys(Keys.ENTER)
        self.wait(lambda: box.get_attribute("value") == "", "the thread composer to clear")

    def pick(self, seq, emoji, place="message"):
        self.action(seq, "msg-react-open", place)
        picker = self.find("reaction-picker")
        picker.find_element(By.CSS_SELECTOR, f'{tid("reaction-option")}[data-emoji="{emoji}"]').click()
        self.wait(lambda: not self.texts("reaction-picker"), "the picker to close")

    def chip(self, seq, emoji):
        again_if_stale(lambda: self.row_el(seq).find_element(
            By.CSS_SELECTOR, f'{tid("reaction-chip")}[data-emoji="{emoji}"]').click())

    def mention_badge(self, channel):
        return self.js(
            "const it = document.querySelector(arguments[0] + '[data-channel=\"' + arguments[1] + '\"]');"
            "const b = it && it.querySelector(arguments[2]);"
            "return b ? b.textContent.trim() : null;", tid("channel-item"), channel,
            tid("channel-mention"))

    def notes(self):
        return self.js("return window.__notes || [];")


@pytest.fixture
def musers(users, tmp_path):
    """musers(*names) -> MsgUsers (the users fixture's browsers, with this class)."""
    def make(*names):
        made = users(*names)
        for u in made:
            u.__class__ = MsgUser
        return made
    return make


def test_threads_reactions_edits_deletes_and_a_late_reader(server, musers, tmp_path):
    alice, bob = musers("alice", "bob")
    people = [alice, bob]
    dumping(server, tmp_path, people, lambda: run_team(server, musers, alice, bob, people))


def run_team(server, musers, alice, bob, people):
    tag = uuid.uuid4().hex[:6]
    log_in(server, alice, bob)

    # --- a thread: alice replies in it, the reply stays out of the channel's list
    parent = f"shall we ship friday {tag}"
    alice.say(parent)
    bob.wait_message("alice", parent)
    pseq = alice.seq_of(parent)
    assert bob.seq_of(parent) == pseq
    assert alice.row(pseq)["channel"] == "general"
    alice.action(pseq, "msg-reply")
    alice.wait(alice.panel_open, "alice's thread panel to open")
    alice.wait(lambda: any(parent in t for t in alice.panel_texts()), "the parent in the panel")
    first = f"yes after the freeze {tag}"
    alice.reply(first)
    alice.wait(lambda: any(first in t for t in alice.panel_texts()), "alice's reply in her panel")
    bob.wait_row(pseq, lambda r: replies(r) == 1,
                 "bob to see 1 reply on the parent")
    assert re.search(r"1 reply\s*· \d\d:\d\d", bob.row(pseq)["thread"]), bob.row(pseq)["thread"]
    for u in people:
        assert not any(first in m for m in u.messages()), f"{u.name}: a reply in the main list"

    # --- bob opens it from the count and answers; alice's open panel gets it live
    bob.click("thread-open")
    bob.wait(bob.panel_open, "bob's thread panel to open")
    bob.wait(lambda: any(first in t for t in bob.panel_texts()), "alice's reply in bob's panel")
    second = f"i will write the notes {tag}"
    bob.find("thread-composer").send_keys(second)
    bob.click("thread-send")
    alice.wait(lambda: any(second in t for t in alice.panel_texts()), "bob's reply live in alice's panel")
    alice.wait_row(pseq, lambda r: replies(r) == 2, "alice to count 2 replies")
    bob.wait_row(pseq, lambda r: replies(r) == 2, "bob to count 2 replies")
    assert sum(second in t for t in bob.panel_texts()) == 1, bob.panel_texts()

    # --- the panel has the same tools: a reaction on a reply, Up edits one's last reply
    fseq = bob.seq_of(first, "thread-msg")
    bob.pick(fseq, "👀", "thread-msg")
    alice.wait_row(fseq, lambda r: r["chips"] == {"👀": 1}, "bob's 👀 on the reply in alice's panel",
                   "thread-msg")
    assert bob.row(fseq, "thread-msg")["mine"] == ["👀"]
    sseq = bob.seq_of(second, "thread-msg")
    bob.find("thread-composer").send_keys(Keys.ARROW_UP)
    box = bob.find("edit-input")
    assert box.get_attribute("value") == second
    second = f"i will write the release notes {tag}"
    box.send_keys(Keys.CONTROL, "a")
    box.send_keys(second + Keys.ENTER)
    alice.wait_row(sseq, lambda r: second in r["text"] and r["edited"],
                   "bob's edited reply in alice's panel", "thread-msg")
    assert alice.row(pseq)["chips"] == {}, "the reply's reaction shown on the parent"

    # --- Escape closes the panel
    alice.find("thread-composer").send_keys(Keys.ESCAPE)
    alice.wait(lambda: not alice.panel_open(), "Escape to close alice's panel")
    bob.click("thread-close")
    bob.wait(lambda: not bob.panel_open(), "thread-close to close bob's panel")

    # --- reactions: the picker, chips for both, toggling
    bob.pick(pseq, "🎉")
    for u in people:
        u.wait_row(pseq, lambda r: r["chips"] == {"🎉": 1}, f"{u.name} to see 🎉 1")
    assert bob.row(pseq)["mine"] == ["🎉"] and alice.row(pseq)["mine"] == []
    alice.chip(pseq, "🎉")
    for u in people:
        u.wait_row(pseq, lambda r: r["chips"] == {"🎉": 2}, f"{u.name} to see 🎉 2")
    alice.chip(pseq, "🎉")
    bob.chip(pseq, "🎉")
    for u in people:
        u.wait_row(pseq, lambda r: r["chips"] == {}, f"{u.name}: toggled off, no chip left")
    bob.pick(pseq, "👍")
    alice.wait_row(pseq, lambda r: r["chips"] == {"👍": 1}, "alice to see 👍 1")

    # --- the picker closes with Escape, without reacting
    alice.action(pseq, "msg-react-open")
    alice.find("reaction-picker")
    alice.find("reaction-option").send_keys(Keys.ESCAPE)
    alice.wait(lambda: not alice.texts("reaction-picker"), "Escape to close the picker")

    # --- edit through the hover action
    typo = f"the relase is friday {tag}"
    fixed = f"the release is friday {tag}"
    alice.say(typo)
    bob.wait_message("alice", typo)
    eseq = alice.seq_of(typo)
    alice.action(eseq, "msg-edit")
    box = alice.find("edit-input")
    assert box.get_attribute("value") == typo
    box.send_keys(Keys.CONTROL, "a")
    box.send_keys(fixed + Keys.ENTER)
    for u in people:
        u.wait_row(eseq, lambda r: fixed in r["text"] and r["edited"] and typo not in r["text"],
                   f"{u.name} to see the edited text and (edited)")
    assert not bob.row(eseq)["deleted"]

    # --- Up in the empty composer edits the last own message; Escape cancels
    last = f"one more thing {tag}"
    alice.say(last)
    bob.wait_message("alice", last)
    lseq = alice.seq_of(last)
    alice.find("composer").send_keys(Keys.ARROW_UP)
    box = alice.find("edit-input")
    assert box.get_attribute("value") == last
    assert alice.js("return document.activeElement === arguments[0];", box), "the editor has no focus"
    box.send_keys(Keys.ESCAPE)
    alice.wait(lambda: not alice.texts("edit-input"), "Escape to cancel the edit")
    assert not alice.row(lseq)["edited"]
    alice.find("composer").send_keys(Keys.ARROW_UP)
    box = alice.find("edit-input")
    box.send_keys(Keys.CONTROL, "a")
    box.send_keys(f"one more thing, really {tag}")
    alice.click("edit-save")
    bob.wait_row(lseq, lambda r: f"one more thing, really {tag}" in r["text"] and r["edited"],
                 "bob to see the Up-arrow edit")

    # --- delete, with a confirmation: a message without replies leaves no tombstone (Slack)
    doomed = f"wrong channel sorry {tag}"
    alice.say(doomed)
    bob.wait_message("alice", doomed)
    dseq = alice.seq_of(doomed)
    alice.action(dseq, "msg-delete")
    alice.click("delete-confirm")
    for u in people:
        u.wait_row(dseq, lambda r: r["deleted"] and doomed not in r["text"] and not r["shown"],
                   f"{u.name} to see the message go")
    assert not any(doomed in m for m in bob.messages())
    assert alice.js("return arguments[0].querySelector(arguments[1]) === null;",
                    alice.row_el(dseq), tid("msg-actions")), "actions on a deleted message"

    # --- the server restarts; a third person arrives afterwards and sees the same state
    code = server.stop()
    assert code == 0, f"parley exited {code} on SIGTERM:\n{server.logs()[-3000:]}"
    server.restart()
    for u in people:
        u.wait_connected(RECONNECT_WAIT)
    (carol,) = musers("carol")
    people.append(carol)
    carol.open(server.http)
    carol.login()  # a guest: reading needs no account
    carol.wait_message("alice", parent)
    assert carol.seq_of(parent) == pseq
    carol.wait_row(pseq, lambda r: replies(r) == 2
                   and r["chips"] == {"👍": 1} and r["mine"] == [], "carol: 2 replies and 👍 1")
    carol.wait_row(eseq, lambda r: fixed in r["text"] and r["edited"], "carol: the edited text")
    carol.wait_row(lseq, lambda r: f"really {tag}" in r["text"] and r["edited"], "carol: the Up edit")
    carol.wait(lambda: (lambda r: r is None or not r["shown"])(carol.row(dseq)),
               "carol: no trace of the deleted message")
    msgs = carol.messages()
    for text in (first, second, typo, doomed):
        assert not any(text in m for m in msgs), f"carol: {text!r} in {msgs}"
    carol.click("thread-open")
    carol.wait(lambda: any(second in t for t in carol.panel_texts()), "carol: the replies in the panel")
    texts = carol.panel_texts()
    assert parent in texts[0] and first in texts[1] and second in texts[2], texts
    carol.wait_row(fseq, lambda r: r["chips"] == {"👀": 1}, "carol: 👀 on the first reply", "thread-msg")
    carol.wait_row(sseq, lambda r: r["edited"], "carol: the edited reply", "thread-msg")
    # and the two who were there still agree after their resume
    for u in (alice, bob):
        u.wait_row(pseq, lambda r: replies(r) == 2 and r["chips"] == {"👍": 1},
                   f"{u.name}: the same state after the restart")
        assert not u.row(dseq)["shown"] and u.row(eseq)["edited"]
        assert sum(parent in m for m in u.messages()) == 1

    # --- a deleted message that holds replies stays, as a tombstone with its thread
    alice.action(pseq, "msg-delete")
    alice.click("delete-confirm")
    for u in (alice, bob):
        u.wait_row(pseq, lambda r: r["deleted"] and r["shown"] and parent not in r["text"]
                   and replies(r) == 2, f"{u.name}: the parent's tombstone with its 2 replies")
    assert "This message was deleted." in bob.row(pseq)["text"]
    for u in people:
        assert u.toasts("error") == [], f"{u.name}: error toasts {u.toasts('error')}"


def test_mentions_badge_and_desktop_notification(server, musers, tmp_path):
    alice, bob = musers("alice", "bob")
    dumping(server, tmp_path, (alice, bob), lambda: run_mentions(server, alice, bob))


def run_mentions(server, alice, bob):
    tag = uuid.uuid4().hex[:6]
    chan = f"launch-{tag}"
    log_in(server, alice, bob)
    alice.create_channel(chan)
    alice.invite("bob")
    bob.wait(lambda: chan in bob.channels(), f"#{chan} in bob's sidebar")

    # --- bob turns desktop notifications on (the browser's prompt stubbed: it says yes)
    bob.js(FAKE_NOTIFICATION, "default")
    bob.click("notify-enable")
    bob.wait(lambda: not bob.js("return document.querySelector(arguments[0]).offsetParent !== null;",
                                tid("notify-enable")), "notify-enable to go once allowed")

    # --- a mention in the channel bob is not reading: a mention badge and a notification
    plain = f"no names here {tag}"
    alice.say(plain)
    bob.wait(lambda: bob.unread(chan) == "1", "a plain unread badge first")
    assert bob.mention_badge(chan) is None and bob.notes() == []
    # alice takes bob from the @-autocomplete (Tab takes the highlighted name)
    box = alice.find("composer")
    box.send_keys("@bo")
    alice.wait(lambda: alice.js("return Array.from(document.querySelectorAll(arguments[0]),"
                                " e => e.dataset.name);", tid("mention-option")) == ["bob"],
               "bob, and only bob, in the @-suggestions")
    box.send_keys(Keys.TAB)
    alice.wait(lambda: box.get_attribute("value") == "@bob ", "the composer to say '@bob '")
    assert not alice.texts("mention-suggest")
    ping = f"@bob can you check the numbers {tag}"
    alice.say(f"can you check the numbers {tag}")
    bob.wait(lambda: bob.mention_badge(chan) == "1", f"a mention badge of 1 on #{chan}")
    assert bob.unread(chan) is None, "the plain badge shown next to the mention badge"
    assert bob.mention_badge("general") is None
    bob.wait(lambda: any(ping in n["body"] for n in bob.notes()), "a desktop notification")
    note = next(n for n in bob.notes() if ping in n["body"])
    assert "alice" in note["title"] and chan in note["title"], note
    everyone = f"@channel launch at noon {tag}"
    alice.say(everyone)
    bob.wait(lambda: bob.mention_badge(chan) == "2", "a mention badge of 2 after @channel")
    assert len(bob.notes()) == 2, bob.notes()

    # --- opening the channel clears it; the mentions are highlighted there
    bob.open_channel(chan)
    assert bob.mention_badge(chan) is None
    for text in (ping, everyone):
        seq = bob.seq_of(text)
        bob.wait_row(seq, lambda r: r["mention"], f"the row {text!r} highlighted")
    assert bob.row(bob.seq_of(ping))["mentions"] == ["@bob"]
    assert not bob.row(bob.seq_of(plain))["mention"]
    # a mention in the channel being read is neither counted nor notified
    here = f"@bob while you are here {tag}"
    alice.say(here)
    bob.wait_message("alice", here)
    assert bob.mention_badge(chan) is None and len(bob.notes()) == 2, bob.notes()

    # --- unread mentions come back from the server after a reload (the `mentions` frame)
    bob.open_channel("general")
    later = f"@bob one last question {tag}"
    alice.say(later)
    bob.wait(lambda: bob.mention_badge(chan) == "1", "a mention badge of 1 again")
    bob.d.refresh()
    bob.login()
    bob.wait(lambda: chan in bob.channels(), f"#{chan} back in bob's sidebar")
    bob.wait(lambda: bob.mention_badge(chan) == "1", "the server's mention count after the reload")
    bob.open_channel(chan)
    bob.wait_message("alice", later)
    assert bob.mention_badge(chan) is None
    for u in (alice, bob):
        assert u.toasts("error") == [], f"{u.name}: error toasts {u.toasts('error')}"
    assert json.dumps(bob.notes())  # plain data


def test_thread_panel_on_a_phone(server, musers, tmp_path):
    (dana,) = musers("dana")
    dumping(server, tmp_path, (dana,), lambda: run_phone(server, dana))


def run_phone(server, dana):
    tag = uuid.uuid4().hex[:6]
    dana.d.set_window_size(390, 800)
    log_in(server, dana)
    text = f"phones have threads too {tag}"
    dana.say(text)
    seq = dana.seq_of(text)
    dana.action(seq, "msg-reply")
    dana.wait(dana.panel_open, "the thread panel")
    # it covers the screen rather than squeezing the messages
    width = dana.js("return [document.querySelector(arguments[0]).getBoundingClientRect().width,"
                    " document.documentElement.clientWidth];", tid("thread-panel"))
    assert abs(width[0] - width[1]) <= 1, width
    dana.reply(f"from my phone {tag}")
    dana.wait(lambda: any(f"from my phone {tag}" in t for t in dana.panel_texts()), "the reply")
    dana.click("thread-close")
    dana.wait(lambda: not dana.panel_open(), "the panel to close")
    dana.wait_row(seq, lambda r: replies(r) == 1, "1 reply on the parent")
