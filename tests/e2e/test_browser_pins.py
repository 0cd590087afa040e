"""Pins and edit history in the real web client, two people in headless Chromium
(docs/team-chat.md, "Pins and edit history").

Driven only through data-testid hooks:
  pins      msg-pin (a row's toolbar: "Pin to channel" / "Unpin from channel", aria-pressed),
            msg-pinned (the "Pinned by NAME" mark on a pinned row), pins-open (the header's
            button; pins-count inside it), pins-dialog holding pins-item rows (data-seq;
            a click opens the message, lit as a search result is) or pins-empty
  edits     msg-edited ("(edited)", a button) opens edits-dialog: edits-original, then an
            edits-item per edit, oldest first
The browser plumbing is test_browser_messages.py's (MsgUser) and test_browser_channels.py's.
"""
import uuid

import pytest

pytest.importorskip("selenium")
from selenium.webdriver.common.keys import Keys  # noqa: E402

from test_browser import pytestmark, tid  # noqa: E402,F401
from test_browser_channels import dumping, log_in, server, users  # noqa: E402,F401
from test_browser_messages import MsgUser, musers  # noqa: E402,F401


class PinUser(MsgUser):
    def pinned_mark(self, seq):
        return self.js("const r = document.querySelector(arguments[0] + '[data-seq=\"' + "
                       "arguments[1] + '\"]');"
                       "const m = r && r.querySelector(arguments[2]);"
                       "return m ? m.textContent : null;", tid("message"), seq, tid("msg-pinned"))

    def pin_count(self):
        return self.js("const c = document.querySelector(arguments[0]);"
                       "return c ? c.textContent : null;", tid("pins-count"))

    def dialog_rows(self, testid, row):
        return self.js("const d = document.querySelector(arguments[0]);"
                       "if (!d || !d.open) return null;"
                       "return Array.from(d.querySelectorAll(arguments[1])).map(e => "
                       "[+(e.dataset.seq || 0), e.textContent.replace(/\\s+/g, ' ').trim()]);",
                       tid(testid), row)

    def highlighted(self):
        return self.js("const e = document.querySelector('.msg[data-highlight]');"
                       "return e ? +e.dataset.seq : null;")

    def in_view(self, seq):
        return self.js("const r = document.querySelector(arguments[0] + '[data-seq=\"' + "
                       "arguments[1] + '\"]'); const s = document.getElementById('scroller');"
                       "if (!r || !s) return false; const a = r.getBoundingClientRect(), "
                       "b = s.getBoundingClientRect(); return a.bottom > b.top && a.top < b.bottom;",
                       tid("message"), seq)


def test_pins_in_the_header_and_edit_history(server, musers, tmp_path):
    alice, bob = musers("alice", "bob")
    for u in (alice, bob):
        u.__class__ = PinUser
    dumping(server, tmp_path, (alice, bob), lambda: run_pins(alice, bob, server))


def run_pins(alice, bob, server):
    tag = uuid.uuid4().hex[:6]
    log_in(server, alice, bob)
    key = f"the launch checklist is here {tag}"
    alice.say(key)
    bob.wait_message("alice", key)
    seq = alice.seq_of(key)
    bob.wait(lambda: bob.pin_count() == "", "bob's header: nothing pinned")

    # alice pins it: bob sees the mark and the header's count live
    alice.action(seq, "msg-pin")
    alice.wait(lambda: (alice.pinned_mark(seq) or "") == "Pinned by alice", "alice's mark")
    bob.wait(lambda: (bob.pinned_mark(seq) or "") == "Pinned by alice", "the mark at bob's")
    bob.wait(lambda: bob.pin_count() == "1", "bob's header to count one pin")

    # enough chatter to push it out of view; bob opens the list and clicks through
    for i in range(30):
        alice.say(f"chatter {i} {tag}")
    bob.wait_message("alice", f"chatter 29 {tag}")
    bob.wait(lambda: not bob.in_view(seq), "the pinned message to scroll out of view")
    bob.click("pins-open")
    bob.wait(lambda: (bob.dialog_rows("pins-dialog", tid("pins-item")) or [[0, ""]])[0][0] == seq,
             "the pinned message in bob's list")
    row = bob.dialog_rows("pins-dialog", tid("pins-item"))[0][1]
    assert key in row and "Pinned by alice" in row, row
    bob.click("pins-item")
    bob.wait(lambda: bob.dialog_rows("pins-dialog", tid("pins-item")) is None, "the list to close")
    bob.wait(lambda: bob.highlighted() == seq and bob.in_view(seq), "the pinned message shown")

    # alice edits it twice; bob opens its history
    for text in (f"the launch checklist v2 {tag}", f"the launch checklist v3 {tag}"):
        alice.action(seq, "msg-edit")
        box = alice.find("edit-input")
        box.send_keys(Keys.CONTROL, "a")
        box.send_keys(text + Keys.ENTER)
        bob.wait_row(seq, lambda r, t=text: t in r["text"] and r["edited"], "the edit at bob's")
    again = bob.row_el(seq)
    again.find_element("css selector", tid("msg-edited")).click()
    bob.wait(lambda: len(bob.dialog_rows("edits-dialog", "li") or []) == 3, "the edit history")
    rows = [t for _, t in bob.dialog_rows("edits-dialog", "li")]
    assert rows[0].startswith("Original") and key in rows[0], rows
    assert "v2" in rows[1] and "v3" in rows[2] and rows[2].startswith("Current"), rows
    bob.find("edits-dialog").send_keys(Keys.ESCAPE)
    bob.wait(lambda: bob.dialog_rows("edits-dialog", "li") is None, "the history to close")

    # bob unpins it: the mark and the count go at alice's
    bob.action(seq, "msg-pin")
    alice.wait(lambda: alice.pinned_mark(seq) is None, "the mark to go at alice's")
    alice.wait(lambda: alice.pin_count() == "", "alice's count to go")
    alice.click("pins-open")
    alice.wait(lambda: alice.js("const d = document.querySelector(arguments[0]);"
                                "return !!d && d.open && !!d.querySelector(arguments[1]);",
                                tid("pins-dialog"), tid("pins-empty")), "an empty list")
