"""Search, jumping to a message and long channels in the real web client (docs/protocol.md,
"Search" and `history`), driven through headless Chromium.

Hooks (data-testid): search-input (Enter searches), search-submit, search-panel,
search-result (data-channel, data-seq; shows channel, author, time, text with <mark>ed
words), search-empty, search-error, search-close, jump-latest (the "Jump to recent
messages" bar of a list that shows a stretch of the past). Message rows carry data-seq and
data-channel; the one a result opened has data-highlight for a moment.

The long-channel tests seed their messages through the server with raw WebSocket clients
(tests/e2e/wsraw.py), so they are stored and searchable like any other: guests, who may post
in #general. The browser user signs up (test_browser_channels.log_in), and a raw client that
creates channels is an account (account=True).
"""
import asyncio
import json
import time
import uuid
from pathlib import Path
from concurrent.futures import ThreadPoolExecutor

import pytest

pytest.importorskip("selenium")
from selenium.webdriver.common.keys import Keys  # noqa: E402

# pytestmark: skipped, like test_browser.py, when Chromium or its driver is missing
from test_browser import ACCOUNTS, FAST_HASH, RECONNECT_WAIT, pytestmark, tid  # noqa: E402,F401
from test_browser_channels import ChannelUser, dumping, log_in, server  # noqa: E402,F401
from test_channels import expect, request  # noqa: E402
from wsraw import Client, run  # noqa: E402

MAX_ROWS = 400   # app.js MAX_ROWS: message rows a list keeps in the document
FAST = ("--rate", "1000000", "--burst", "1000000", "--max-outbound", str(256 << 20), *ACCOUNTS)


class SearchUser(ChannelUser):
    """A ChannelUser that also searches and reads the shown message list."""

    def search(self, q, click=False):
        """Types q into the search box and submits it with Enter (or search-submit)."""
        box = self.find("search-input")
        box.clear()
        box.send_keys(q)
        if click:
            self.click("search-submit")
        else:
            box.send_keys(Keys.ENTER)

    def panel_open(self):
        return self.js("const p = document.querySelector(arguments[0]); return !!p && !p.hidden;",
                       tid("search-panel"))

    def results(self):
        """[(channel, seq, textContent, [highlighted words])] of the shown results."""
        return [tuple(r) for r in self.js(
            "return Array.from(document.querySelectorAll(arguments[0]), r => [r.dataset.channel,"
            " +r.dataset.seq, r.textContent, Array.from(r.querySelectorAll('mark'),"
            " m => m.textContent)]);", tid("search-result"))]

    def search_for(self, q, what, click=False):
        """Searches and waits for the answer: results, "no results" or an error."""
        self.search(q, click)
        self.wait(lambda: self.panel_open() and not self.js(
            "return document.getElementById('search-status').textContent.includes('Searching');"),
            f"the answer to the search {q!r} ({what})")
        return self.results()

    def panel_text(self, testid):
        found = [t.strip() for t in self.texts(testid) if t.strip()]
        return found[0] if found else ""

    def visible(self, testid):
        return self.js("const e = document.querySelector(arguments[0]);"
                       "return !!e && !e.hidden && e.getClientRects().length > 0;", tid(testid))

    def seqs(self):
        """data-seq of the shown list's message rows, in document order."""
        return self.js("return Array.from(document.querySelectorAll('#scroller .msg[data-seq]'),"
                       " e => +e.dataset.seq);")

    def rows(self):
        """Every message row in the document."""
        return self.js("return document.querySelectorAll('.msg').length;")

    def highlighted(self):
        return self.js("const e = document.querySelector('.msg[data-highlight]');"
                       "return e ? [e.dataset.channel, +e.dataset.seq, e.textContent] : null;")

    def day_separators(self):
        return self.js("return document.querySelectorAll('#scroller .day-sep').length;")

    def scroll(self, where):
        self.js("const s = document.getElementById('scroller');"
                "s.scrollTop = arguments[0] === 'top' ? 0 : s.scrollHeight;", where)


@pytest.fixture
def people(tmp_path):
    """people(server, *names) -> SearchUsers, started in parallel, closed at the end."""
    made = []

    def make(*names):
        with ThreadPoolExecutor(len(names)) as pool:
            made.extend(pool.map(lambda n: SearchUser(n, tmp_path), names))
        return made[-len(names):]

    yield make
    for u in made:
        u.quit()


def contiguous(seqs):
    return all(b == a + 1 for a, b in zip(seqs, seqs[1:]))


async def seed(server, user, channel, texts):
    """Posts texts in order through one connection, pipelined; returns after every ack."""
    c, _, _ = await Client.joined(server, user)
    acks = 0

    async def read():
        nonlocal acks
        while acks < len(texts):
            raw = await asyncio.wait_for(c.ws.recv(), 30)
            if raw.startswith('{"type":"ack"'):
                acks += 1
            assert not raw.startswith('{"type":"error"'), raw

    reader = asyncio.create_task(read())
    for i, text in enumerate(texts):
        await c.ws.send(json.dumps({"type": "msg", "id": i,
                                    "payload": {"channel": channel, "text": text}}))
    await reader
    await c.close()


# ------------------------------------------------------------------------ search


def test_search_result_opens_channel_at_message(server, people, tmp_path):
    alice, bob = people("alice", "bob")
    dumping(server, tmp_path, (alice, bob), lambda: run_hit(server, alice, bob))


def run_hit(server, alice, bob):
    tag = uuid.uuid4().hex[:6]
    chan = f"launch-{tag}"
    log_in(server, alice, bob)
    alice.create_channel(chan)
    alice.invite("bob")
    alice.say("The rocket launch moved to Friday")
    alice.say("unrelated chatter")
    alice.open_channel("general")
    alice.say("general news")

    # bob stays in #general and searches
    assert bob.header("channel-header-name") == "general"
    found = bob.search_for("Rocket", "one hit")
    assert len(found) == 1, found
    channel, seq, text, marks = found[0]
    assert channel == chan and seq == 2  # seq 1: the line "alice added bob"
    assert f"#{chan}" in text and "alice" in text and "moved to Friday" in text
    assert marks == ["rocket"]

    bob.click("search-result")
    bob.wait(lambda: bob.header("channel-header-name") == chan, f"#{chan} to open")
    bob.wait(lambda: (bob.highlighted() or [None])[:2] == [chan, 2], "the result's row to light up")
    assert "rocket launch" in bob.highlighted()[2]
    # every row says which message it shows
    assert bob.js("return Array.from(document.querySelectorAll('#scroller .msg'))"
                  ".every(e => e.dataset.channel === arguments[0] && +e.dataset.seq > 0);", chan)
    assert not bob.visible("jump-latest")


def test_search_syntax_errors_and_escape(server, people, tmp_path):
    (bob,) = people("bob")
    dumping(server, tmp_path, (bob,), lambda: run_syntax(server, bob))


def run_syntax(server, bob):
    tag = uuid.uuid4().hex[:6]
    ops, secret = f"ops-{tag}", f"secret-{tag}"
    log_in(server, bob)

    async def setup():
        alice, _, _ = await Client.joined(server, "alice", account=True)  # guests create no channels
        carol, _, _ = await Client.joined(server, "carol")
        await request(alice, "channel_create", {"name": ops}, "channel")
        await request(alice, "channel_invite", {"channel": ops, "user": "bob"}, "invited")
        await request(alice, "channel_create", {"name": secret, "private": True}, "channel")
        for c, channel, text in ((alice, "general", "red apple pie"),
                                 (alice, "general", "apple red pie"),
                                 (carol, "general", "apple crumble pie"),
                                 (alice, ops, "apple deploy tonight"),
                                 (alice, secret, "apple secret")):
            await c.send_json("msg", {"channel": channel, "text": text}, id="m")
            await expect(c, "ack", lambda m: m.get("id") == "m")
        await alice.close()
        await carol.close()

    run(setup())
    bob.wait(lambda: ops in bob.channels(), f"#{ops} in bob's sidebar")
    assert bob.visible("search-input") and not bob.panel_open()

    # Ctrl+G focuses the box (Ctrl+K is the conversation switcher's)
    bob.find("composer").send_keys(Keys.CONTROL, "g")
    bob.wait(lambda: bob.js("return document.activeElement.dataset.testid;") == "search-input",
             "Ctrl+G to focus the search box")

    got = bob.search_for('"red apple"', "a phrase")
    assert [r[2].count("red apple pie") for r in got] == [1], got
    assert sorted(got[0][3]) == ["apple", "red"]

    got = bob.search_for("pie from:carol", "from:")
    assert len(got) == 1 and "carol" in got[0][2] and "apple crumble pie" in got[0][2], got

    got = bob.search_for(f"apple in:#{ops}", "in:")
    # seq 1 of #ops is the channel line of bob's arrival
    assert [(r[0], r[1]) for r in got] == [(ops, 2)] and f"#{ops}" in got[0][2], got

    got = bob.search_for("apple", "everything bob may read", click=True)
    assert {r[0] for r in got} == {"general", ops} and len(got) == 4, got

    assert bob.search_for("zebra", "no results") == []
    assert "No results" in bob.panel_text("search-empty")
    assert not bob.visible("search-error")

    bob.search_for(f"apple in:{secret}", "a channel bob is not in")
    # a private channel one is not in is answered as one that does not exist
    assert "no_such_channel" in bob.panel_text("search-error")
    assert not bob.texts("search-empty") and bob.results() == []

    # from: alone is a search (alice's messages bob may read), in: alone is not
    got = bob.search_for("from:alice", "from: alone")
    assert sorted((r[0], r[1]) for r in got) == [("general", 1), ("general", 2), (ops, 2)], got
    assert not bob.visible("search-error")
    bob.search_for("in:general", "no words")
    assert "bad_payload" in bob.panel_text("search-error")
    bob.search_for("apple before:2026-02-30", "a day that does not exist")
    assert "bad_payload" in bob.panel_text("search-error")

    # Esc closes the panel; the close button too
    bob.find("search-input").send_keys(Keys.ESCAPE)
    bob.wait(lambda: not bob.panel_open(), "Esc to close the search panel")
    bob.search_for("apple", "again")
    bob.click("search-close")
    bob.wait(lambda: not bob.panel_open(), "search-close to close the panel")


def test_search_reply_opens_its_thread_and_more_results_load(make_server, people, tmp_path):
    server = make_server(*FAST, env=FAST_HASH)
    (bob,) = people("bob")
    dumping(server, tmp_path, (bob,), lambda: run_reply(server, bob))


def run_reply(server, bob):
    tag = uuid.uuid4().hex[:6]

    async def setup():
        alice, _, _ = await Client.joined(server, "alice")
        for i, (text, thread) in enumerate([("where is the deploy guide?", None),
                                            (f"answer{tag} it is in the wiki", 1)]):
            await alice.send_json("msg", {"text": text, **({"thread": thread} if thread else {})},
                                  id=f"t{i}")
            await expect(alice, "ack", lambda m, i=i: m.get("id") == f"t{i}")
        await alice.close()

    run(setup())
    run(seed(server, "carol", "general", [f"bulk{tag} line {i}" for i in range(60)]))
    log_in(server, bob)
    bob.wait(lambda: (bob.seqs() or [0])[-1] == 62, "the newest page of #general")

    # a thread reply: its parent opens in the list, the thread beside it, the reply lit
    got = bob.search_for(f"answer{tag}", "a thread reply")
    assert [(r[0], r[1]) for r in got] == [("general", 2)], got
    assert bob.js("return document.querySelector(arguments[0]).dataset.thread;",
                  tid("search-result")) == "1"
    bob.click("search-result")
    bob.wait(lambda: bob.visible("thread-panel"), "the reply's thread to open")
    bob.wait(lambda: bob.js(
        "return !!document.querySelector('#thread-parent .msg[data-seq=\"1\"]') &&"
        " !!document.querySelector('#thread-replies .msg[data-seq=\"2\"][data-highlight]');"),
        "the thread's parent, and the reply lit")
    assert "it is in the wiki" in bob.js(
        "return document.querySelector('#thread-replies .msg[data-seq=\"2\"]').textContent;")
    # no row of the main list lights up in the reply's stead
    lit = bob.js("return Array.from(document.querySelectorAll('#scroller .msg[data-highlight]'),"
                 " e => +e.dataset.seq);")
    assert lit in ([], [1]), lit
    assert not bob.panel_open()  # the thread took the search panel's place

    # past the newest 50: "Load more results"
    got = bob.search_for(f"bulk{tag}", "more than a page")
    assert len(got) == 50 and got[0][1] == 62 and got[-1][1] == 13, [r[1] for r in got]
    assert "newest 50" in bob.js("return document.getElementById('search-status').textContent;")
    bob.click("search-more")
    bob.wait(lambda: len(bob.results()) == 60, "the next page of results")
    assert [r[1] for r in bob.results()] == list(range(62, 2, -1))
    assert not bob.visible("search-more")
    assert "60 results" in bob.js("return document.getElementById('search-status').textContent;")


# ------------------------------------------------------------- jumps, long channels


def test_jump_to_old_message_then_scroll_to_present(make_server, people, tmp_path):
    server = make_server(*FAST, env=FAST_HASH)
    (bob,) = people("bob")
    dumping(server, tmp_path, (bob,), lambda: run_jump(server, bob))


def run_jump(server, bob):
    tag = uuid.uuid4().hex[:6]
    texts = [f"filler {i}" for i in range(1, 601)]
    texts[19] = f"needle{tag} number twenty"
    run(seed(server, "alice", "general", texts))
    log_in(server, bob)
    bob.wait(lambda: (bob.seqs() or [0])[-1] == 600, "the newest page of #general")

    got = bob.search_for(f"needle{tag}", "the old message")
    assert [(r[0], r[1]) for r in got] == [("general", 20)], got
    bob.click("search-result")
    bob.wait(lambda: (bob.highlighted() or [None])[:2] == ["general", 20],
             "message 20 to be shown and highlighted")
    assert f"needle{tag}" in bob.highlighted()[2]
    bob.wait(lambda: bob.visible("jump-latest"), "the jump-to-recent bar")
    seqs = bob.seqs()
    assert 20 in seqs and seqs[0] == 1 and contiguous(seqs) and seqs[-1] < 600, seqs

    # a message posted meanwhile is not shown out of place
    carol = {}  # a guest comes back with the token of its last welcome, as the web client does

    async def post_live():
        c, welcome, _ = await Client.joined(server, "carol", **carol)
        carol["session"] = welcome["session"]
        await c.msg("live while away", channel="general")
        await c.close()
    run(post_live())
    time.sleep(0.3)
    assert contiguous(bob.seqs()) and 601 not in bob.seqs()

    # scrolling down pages forward (history `after`) to the present
    deadline = time.monotonic() + 30
    while bob.visible("jump-latest") or (bob.seqs() or [0])[-1] != 601:
        assert time.monotonic() < deadline, f"never reached the present: {bob.seqs()[-5:]}"
        bob.scroll("bottom")
        time.sleep(0.05)
        seqs = bob.seqs()
        assert contiguous(seqs) and bob.rows() <= MAX_ROWS, (len(seqs), seqs[:3], seqs[-3:])
    bob.wait_message("carol", "live while away")
    # live again: a new message shows at the bottom
    run(post_live())
    bob.wait(lambda: bob.seqs()[-1] == 602, "a live message once back at the present")
    assert contiguous(bob.seqs())

    # back into the past, held in memory now: the window is drawn there again; a message
    # sent from there brings the list back to the present
    bob.search_for(f"needle{tag}", "the old message again")
    bob.click("search-result")
    bob.wait(lambda: (bob.highlighted() or [None])[:2] == ["general", 20], "the jump again")
    bob.wait(lambda: bob.visible("jump-latest"), "the jump-to-recent bar, far from the end")
    assert contiguous(bob.seqs()) and bob.seqs()[-1] < 600 and bob.rows() <= MAX_ROWS
    bob.say("sent from the past")
    bob.wait(lambda: not bob.visible("jump-latest") and bob.seqs()[-1:] == [603],
             "the present with bob's message last")
    assert contiguous(bob.seqs()) and "sent from the past" in bob.messages()[-1]


def test_fifty_thousand_messages_keep_the_dom_bounded(make_server, people, tmp_path):
    server = make_server(*FAST, env=FAST_HASH)
    (bob,) = people("bob")
    dumping(server, tmp_path, (bob,), lambda: run_large(server, bob))


def run_large(server, bob):
    n = 50_000
    run(seed(server, "alice", "general", [f"bulk message {i}" for i in range(1, n + 1)]),
        timeout=120)
    log_in(server, bob)
    bob.wait(lambda: (bob.seqs() or [0])[-1] == n, "the newest page of #general")
    perf = {"load_ms": page_load_to_first_message(bob)}
    bob.create_channel("quiet")
    bob.open_channel("general")
    perf["switch_ms"] = channel_switch_ms(bob, "quiet", "general")

    # up through 16 pages of 50: the list keeps loading, the document stays small
    most = 0
    for _ in range(16):
        top = bob.seqs()[0]
        deadline = time.monotonic() + 10
        while bob.seqs()[0] >= top:
            assert time.monotonic() < deadline, f"no older page past seq {top}"
            bob.scroll("top")
            time.sleep(0.05)
        seqs = bob.seqs()
        most = max(most, bob.rows())
        assert contiguous(seqs) and bob.rows() <= MAX_ROWS, (len(seqs), seqs[:2], seqs[-2:])
    assert bob.seqs()[0] <= n - 16 * 50 and most > 300, (bob.seqs()[0], most)
    assert bob.seqs()[-1] < n  # the newest rows left the document

    # back down: the rows come back from memory, up to the newest
    deadline = time.monotonic() + 20
    while bob.seqs()[-1] != n:
        assert time.monotonic() < deadline, f"never back at the newest: {bob.seqs()[-3:]}"
        bob.scroll("bottom")
        time.sleep(0.05)
        assert contiguous(bob.seqs()) and bob.rows() <= MAX_ROWS
    # all of today, and the window starts past the oldest message held: its first row
    # continues the day (and the group) of the message before it, so no separator shows
    assert bob.day_separators() == 0
    bob.scroll("bottom")
    assert bob.message_with(f"bulk message {n}") is not None
    assert not bob.visible("jump-latest")
    # and the pill's world still works: bob's own message lands at the bottom
    bob.say("made it back")
    bob.wait(lambda: bob.seqs()[-1] == n + 1, "bob's message after the newest")
    perf["heap_mb"] = js_heap_mb(bob)
    perf_log("50,000 messages in #general: page load to the first message {load_ms:.0f} ms, "
             "channel switch {switch_ms:.0f} ms (median of 5 there and back), JS heap after "
             "paging through 800 of them and back {heap_mb:.1f} MB".format(**perf))


# ---- the web client's speed, measured (logged, not asserted: issue 14 asks that it stays
# as fast as it is, and a timing assertion would fail on a loaded machine, not on a slow
# client)

FIRST_MESSAGE_PROBE = """
new MutationObserver(function (_, obs) {
  if (document.querySelector('[data-testid="message"][data-seq]')) {
    window.__firstMessageMs = performance.now();
    obs.disconnect();
  }
}).observe(document, {childList: true, subtree: true});
"""


def page_load_to_first_message(u):
    """A reload (the session stays), timed from navigation start to the first message
    row in the document, by the page's own clock."""
    probe = u.d.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument",
                                {"source": FIRST_MESSAGE_PROBE})
    try:
        u.d.refresh()
        u.wait(lambda: u.js("return window.__firstMessageMs || null;"), "the first message row")
        u.wait(u.connected, "the reloaded page to be connected")
        return u.js("return window.__firstMessageMs;")
    finally:
        u.d.execute_cdp_cmd("Page.removeScriptToEvaluateOnNewDocument",
                            {"identifier": probe["identifier"]})


SWITCH = """
const [item, name, done] = [arguments[0], arguments[1], arguments[arguments.length - 1]];
const t0 = performance.now();
item.click();
(function check() {
  const h = document.querySelector('[data-testid="channel-header-name"]');
  if (!h || h.textContent.trim() !== name) { requestAnimationFrame(check); return; }
  // the frame holding the switch is painted once the next one starts
  requestAnimationFrame(() => done(performance.now() - t0));
})();
"""


def channel_switch_ms(u, a, b):
    """Median time from the click on a sidebar channel to the painted frame showing it."""
    times = []
    for _ in range(5):
        for name in (a, b):
            item = u.find("channel-item", name)
            times.append(u.d.execute_async_script(SWITCH, item, name))
    return sorted(times)[len(times) // 2]


def js_heap_mb(u):
    u.d.execute_cdp_cmd("HeapProfiler.collectGarbage", {})
    return u.d.execute_cdp_cmd("Runtime.getHeapUsage", {})["usedSize"] / 1e6


def perf_log(line):
    """Printed (pytest -s shows it) and appended to build/web-perf.log when that directory
    exists (docs/benchmarks.md quotes it)."""
    print(line)
    out = Path(__file__).resolve().parents[2] / "build"
    if out.is_dir():
        with open(out / "web-perf.log", "a") as f:
            f.write(time.strftime("%Y-%m-%d %H:%M:%S ") + line + "\n")


def test_detached_list_pages_on_after_a_restart(make_server, people, tmp_path):
    server = make_server(*FAST, env=FAST_HASH)
    (bob,) = people("bob")
    dumping(server, tmp_path, (bob,), lambda: run_restart(server, bob))


def run_restart(server, bob):
    tag = uuid.uuid4().hex[:6]
    texts = [f"old {i}" for i in range(1, 301)]
    texts[9] = f"marker{tag} ten"
    run(seed(server, "alice", "general", texts))
    log_in(server, bob)
    bob.search_for(f"marker{tag}", "the old message")
    bob.click("search-result")
    bob.wait(lambda: (bob.highlighted() or [None])[:2] == ["general", 10], "message 10")
    bob.wait(lambda: bob.visible("jump-latest"), "the jump-to-recent bar")

    # the server goes away and comes back; meanwhile more is said
    assert server.stop() == 0
    server.restart()
    run(seed(server, "carol", "general", ["said during the outage"]))
    bob.wait_connected(RECONNECT_WAIT)
    # the newest page that follows the rejoin does not land in the stretch of the past
    time.sleep(0.3)
    seqs = bob.seqs()
    assert contiguous(seqs) and seqs[-1] < 300 and bob.visible("jump-latest"), seqs[-3:]

    deadline = time.monotonic() + 30
    while bob.visible("jump-latest") or (bob.seqs() or [0])[-1] != 301:
        assert time.monotonic() < deadline, f"never reached the present: {bob.seqs()[-5:]}"
        bob.scroll("bottom")
        time.sleep(0.05)
        assert contiguous(bob.seqs())
    bob.wait_message("carol", "said during the outage")
