"""Unread landing in the real web client (issue 14, item 4), driven through headless Chromium.

A channel with unread messages opens at the first of them: a "New" line above it
(data-testid unread-divider, inside that message's row), and a bar at the top of the pane
(unread-bar: "N new messages", unread-mark-read). The read marker (docs/protocol.md, "Read
markers") moves only once the reader has scrolled the newest message into view: the tests
ask the server itself, through a second connection of the same account, what it holds.
Alt+Shift+Down / Up go to the next / previous conversation with something unread.

The writer is a raw WebSocket client (tests/e2e/wsraw.py) with an account: its 120
messages are stored like any other, through a server without a rate limit.
"""
import asyncio
import json
import time
import uuid

import pytest

pytest.importorskip("selenium")
from selenium.webdriver.common.keys import Keys  # noqa: E402

# pytestmark: skipped, like test_browser.py, when Chromium or its driver is missing
from test_browser import FAST_HASH, PASSWORD, pytestmark, tid  # noqa: E402,F401
from test_browser_channels import dumping, log_in  # noqa: E402
from test_browser_search import FAST, MAX_ROWS, people  # noqa: E402,F401
from test_channels import request  # noqa: E402
from accounts import account_token  # noqa: E402
from wsraw import Client, run  # noqa: E402

READ_DELAY = 0.5   # s: channels.js READ_DELAY_MS, how long a read marker may wait to go out


@pytest.fixture
def server(make_server):
    """Open registration, fast hashing, no rate limit (120 messages at once)."""
    return make_server(*FAST, env=FAST_HASH)


async def post_all(server, user, channel, texts):
    """Posts texts in order as the account `user`, pipelined; returns their seqs."""
    c, _, _ = await Client.joined(server, user, account=True)
    seqs = {}

    async def read():
        while len(seqs) < len(texts):
            m = json.loads(await asyncio.wait_for(c.ws.recv(), 30))
            assert m.get("type") != "error", m
            if m.get("type") == "ack":
                seqs[m["id"]] = m["payload"]["seq"]

    reader = asyncio.create_task(read())
    for i, text in enumerate(texts):
        await c.ws.send(json.dumps({"type": "msg", "id": i, "payload": {"channel": channel, "text": text}}))
    await reader
    await c.close()
    return [seqs[i] for i in range(len(texts))]


def marker(server, user, channel):
    """(read_seq, unread) of `channel` in a welcome of the account `user`, as stored."""
    async def ask():
        c, welcome, _ = await Client.joined(server, user, token=account_token(server, user, password=PASSWORD))
        await c.close()
        ch = next(ch for ch in welcome["channels"] if ch["name"] == channel)
        return ch["read_seq"], ch["unread"]
    return run(ask())


def landing_state(u):
    """What the shown list says about its landing: the row with the New line, the bar,
    where the pane is scrolled."""
    return u.js(
        "const s = document.getElementById('scroller');"
        "const line = document.querySelector('#scroller ' + arguments[0]);"
        "const row = line && line.closest('.msg');"
        "const bar = document.querySelector(arguments[1]);"
        "const sr = s.getBoundingClientRect();"
        "const rr = row && row.getBoundingClientRect();"
        "return {divider: row ? +row.dataset.seq : null,"
        " dividers: document.querySelectorAll('#scroller ' + arguments[0]).length,"
        " inView: !!rr && rr.top >= sr.top && rr.bottom <= sr.bottom,"
        " bar: bar && !bar.hidden ? bar.textContent : null,"
        " atBottom: s.scrollHeight - s.scrollTop - s.clientHeight < 80,"
        " rows: document.querySelectorAll('#scroller .msg').length};",
        tid("unread-divider"), tid("unread-bar"))


def test_channel_opens_at_first_unread_and_reads_only_at_the_bottom(server, people, tmp_path):
    (bob,) = people("bob")
    dumping(server, tmp_path, (bob,), lambda: run_landing(server, bob))


def run_landing(server, bob):
    tag = uuid.uuid4().hex[:6]
    chan, other1, other2 = f"launch-{tag}", f"misc-{tag}", f"ops-{tag}"
    log_in(server, bob)  # bob owns the server

    async def setup():
        alice, _, _ = await Client.joined(server, "alice", account=True)
        for name in (chan, other1, other2):
            await request(alice, "channel_create", {"name": name}, "channel")
            await request(alice, "channel_invite", {"channel": name, "user": "bob"}, "invited")
        await alice.close()
    run(setup())
    old = run(post_all(server, "alice", chan, [f"old message {i}" for i in range(1, 6)]))

    # bob reads the first five: they fit the pane, so the newest is in view and read
    bob.wait(lambda: chan in bob.channels(), f"#{chan} in bob's sidebar")
    bob.open_channel(chan)
    bob.wait_message("alice", "old message 5")
    bob.wait(lambda: marker(server, "bob", chan)[0] == old[-1], "bob's marker at the fifth message")

    # bob goes elsewhere; 120 messages come meanwhile
    bob.open_channel("general")
    new = run(post_all(server, "alice", chan, [f"new message {i}" for i in range(1, 121)]))
    bob.wait(lambda: bob.unread(chan) == "99+", f"the unread badge on #{chan}")

    # --- opening lands at the first unread, with the line and the bar
    bob.open_channel(chan)
    bob.wait(lambda: landing_state(bob)["divider"] == new[0], "the New line above the first unread")
    bob.wait(lambda: landing_state(bob)["inView"], "the first unread message in view")
    st = landing_state(bob)
    assert st["dividers"] == 1, st
    assert st["bar"] and "120 new messages" in st["bar"] and "Mark as read" in st["bar"], st
    assert not st["atBottom"], st
    row = bob.message_with("new message 1")
    assert "new message 1" in bob.js("return arguments[0].textContent;", row)
    assert st["rows"] <= MAX_ROWS, st

    # --- nothing is read while the newest message is not in view
    time.sleep(READ_DELAY * 3)
    assert marker(server, "bob", chan) == (old[-1], 120), "opening the channel moved the marker"
    assert bob.unread(chan) is None  # the channel shown has no badge

    # leaving it unread: the badge comes back (the server still counts 120)
    bob.open_channel("general")
    bob.wait(lambda: bob.unread(chan) == "99+", f"the badge on #{chan} again")
    bob.open_channel(chan)
    bob.wait(lambda: landing_state(bob)["divider"] == new[0], "the New line again")

    # --- scrolling to the bottom (paging forward) reads everything
    def scrolled_to_end():
        bob.js("const s = document.getElementById('scroller'); s.scrollTop = s.scrollHeight;")
        st = landing_state(bob)
        return st["atBottom"] and any("new message 120" in m for m in bob.messages()[-3:])
    bob.wait(scrolled_to_end, "the newest message at the bottom")
    bob.wait(lambda: marker(server, "bob", chan) == (new[-1], 0), "the marker at the newest message")
    bob.wait(lambda: landing_state(bob)["bar"] is None, "the bar to go")
    assert landing_state(bob)["rows"] <= MAX_ROWS

    # --- Alt+Shift+Down / Up: the conversations with unread messages, in sidebar order
    run(post_all(server, "alice", other1, ["one for misc"]))
    run(post_all(server, "alice", other2, ["one for ops"]))
    bob.wait(lambda: bob.unread(other1) == "1" and bob.unread(other2) == "1", "two unread badges")
    bob.open_channel("general")
    # sidebar: general, launch, misc, ops; launch is read, so Down skips it
    bob.find("composer").send_keys(Keys.ALT, Keys.SHIFT, Keys.ARROW_DOWN)
    bob.wait(lambda: bob.active() == other1, f"Alt+Shift+Down to open #{other1}")
    bob.wait_message("alice", "one for misc")
    bob.find("composer").send_keys(Keys.ALT, Keys.SHIFT, Keys.ARROW_DOWN)
    bob.wait(lambda: bob.active() == other2, f"Alt+Shift+Down to open #{other2}")
    bob.wait_message("alice", "one for ops")
    # nothing unread left: Alt+Shift+Up stays; plain Alt+Up still walks the sidebar
    bob.wait(lambda: bob.unread(other1) is None, f"#{other1} read")
    bob.find("composer").send_keys(Keys.ALT, Keys.SHIFT, Keys.ARROW_UP)
    time.sleep(0.3)
    assert bob.active() == other2
    bob.find("composer").send_keys(Keys.ALT, Keys.ARROW_UP)
    bob.wait(lambda: bob.active() == other1, "Alt+Up to open the channel above")
