"""Navigation in the real web client (issue 14, item 6), driven through headless Chromium.

Addresses (router.js): #/c/NAME for a channel, #/c/NAME/SEQ for a message, #/d/A,B for a
direct message, #/c/NAME/SEQ/thread for a thread. Switching pushes an address, so Back and
Forward walk the conversations; a message's toolbar has "Copy link" (msg-copy-link, its
address in data-href); a page opened at an address lands there once signed in.
Ctrl+K opens the conversation switcher (switcher, switcher-input, switcher-item with
data-kind channel / dm / person and data-channel or data-user); Ctrl+/ the shortcuts
(shortcuts); Ctrl+G focuses the search box.

The other people are raw WebSocket clients with accounts (tests/e2e/wsraw.py); carol has
an account and never comes online.
"""
import uuid

import pytest

pytest.importorskip("selenium")
from selenium.webdriver.common.keys import Keys  # noqa: E402

# pytestmark: skipped, like test_browser.py, when Chromium or its driver is missing
from test_browser import FAST_HASH, pytestmark, tid  # noqa: E402,F401
from test_browser_channels import dumping, log_in  # noqa: E402
from test_browser_search import FAST, SearchUser, people  # noqa: E402,F401
from test_browser_unread import post_all  # noqa: E402
from test_channels import request  # noqa: E402
from accounts import register  # noqa: E402
from wsraw import Client, run  # noqa: E402


@pytest.fixture
def server(make_server):
    return make_server(*FAST, env=FAST_HASH)


def route(u):
    return u.js("return location.hash;")


def shown_channel(u):
    return u.js("const a = document.querySelector(arguments[0] + '[aria-current=\"page\"]');"
                "return a ? a.dataset.channel : null;", tid("channel-item"))


def dialog_open(u, testid):
    return u.js("const d = document.querySelector(arguments[0]); return !!d && d.open;", tid(testid))


def switcher_items(u):
    return u.js("return Array.from(document.querySelectorAll(arguments[0]), e =>"
                " [e.dataset.kind, e.dataset.channel || e.dataset.user, e.getAttribute('aria-selected')]);",
                tid("switcher-item"))


def keys(u, *k):
    """Keys sent where the reader types (the composer), as a person would."""
    u.find("composer").send_keys(*k)


def test_addresses_back_forward_and_links(server, people, tmp_path):
    (bob,) = people("bob")
    who = [bob]  # dumped on a failure, with the second page once it is open
    dumping(server, tmp_path, who, lambda: run_addresses(server, bob, people, who))


def run_addresses(server, bob, people, who):
    tag = uuid.uuid4().hex[:6]
    chan = f"roadmap-{tag}"
    log_in(server, bob)

    async def setup():
        alice, _, _ = await Client.joined(server, "alice", account=True)
        await request(alice, "channel_create", {"name": chan}, "channel")
        await request(alice, "channel_invite", {"channel": chan, "user": "bob"}, "invited")
        await alice.close()
    run(setup())
    # 80 messages: the 10th is older than the page a channel opens with (50)
    seqs = run(post_all(server, "alice", chan, [f"roadmap item {i}" for i in range(1, 81)]))
    bob.wait(lambda: chan in bob.channels(), f"#{chan} in bob's sidebar")
    bob.wait(lambda: route(bob) == "#/c/general", "the address of #general")

    # --- switching pushes addresses; Back and Forward walk them
    bob.open_channel(chan)
    bob.wait(lambda: route(bob) == f"#/c/{chan}", f"the address of #{chan}")
    bob.open_channel("general")
    bob.wait(lambda: route(bob) == "#/c/general", "the address of #general again")
    bob.d.back()
    bob.wait(lambda: shown_channel(bob) == chan and route(bob) == f"#/c/{chan}", f"Back to #{chan}")
    bob.d.forward()
    bob.wait(lambda: shown_channel(bob) == "general", "Forward to #general")
    bob.d.back()
    bob.wait(lambda: shown_channel(bob) == chan, f"Back to #{chan} once more")

    # --- "Copy link" on a message gives its address
    bob.scroll("bottom")
    row = bob.message_with("roadmap item 80")
    link = bob.js("const b = arguments[0].querySelector(arguments[1]); return b && b.dataset.href;",
                  row, tid("msg-copy-link"))
    assert link == f"{server.http}/#/c/{chan}/{seqs[-1]}", link
    target = seqs[9]

    # --- a fresh page at a message's address lands there after signing in
    (bob2,) = people("bob")
    who.append(bob2)
    bob2.label = "bob-2"
    bob2.password = bob.password
    bob2.d.get(f"{server.http}/#/c/{chan}/{target}")
    bob2.wait(lambda: bob2.shown("signin-name"), "the sign-in form")
    bob2.signin()
    bob2.wait(lambda: shown_channel(bob2) == chan, f"the link to open #{chan}")
    bob2.wait(lambda: (bob2.highlighted() or [None])[:2] == [chan, target], "the linked message lit up")
    assert "roadmap item 10" in bob2.highlighted()[2]
    assert bob2.js("const r = document.querySelector('.msg[data-highlight]').getBoundingClientRect();"
                   "const s = document.getElementById('scroller').getBoundingClientRect();"
                   "return r.top >= s.top && r.bottom <= s.bottom;"), "the linked message is not in view"
    assert route(bob2) == f"#/c/{chan}/{target}"
    # ... and a link pasted into the address bar of an open chat
    bob2.open_channel("general")
    bob2.d.get(f"{server.http}/#/c/{chan}/{seqs[2]}")
    bob2.wait(lambda: (bob2.highlighted() or [None])[:2] == [chan, seqs[2]], "the pasted link followed")
    bob2.d.back()
    bob2.wait(lambda: shown_channel(bob2) == "general", "Back from the pasted link")

    # --- a thread's address opens its channel and the thread panel
    async def reply():
        alice, _, _ = await Client.joined(server, "alice", account=True)
        await alice.send_json("msg", {"channel": chan, "text": f"a reply {tag}", "thread": seqs[4]}, id="t")
        await alice.recv_json("ack", skip=("msg", "join", "leave", "typing", "history", "read"))
        await alice.close()
    run(reply())
    bob2.d.get(f"{server.http}/#/c/{chan}/{seqs[4]}/thread")
    bob2.wait(lambda: shown_channel(bob2) == chan and bob2.js(
        "const p = document.querySelector(arguments[0]); return !!p && !p.hidden && p.textContent;",
        tid("thread-panel")) and f"a reply {tag}" in bob2.js(
        "return document.querySelector(arguments[0]).textContent;", tid("thread-panel")),
        "the thread panel with the reply")
    link = bob2.js("const r = Array.from(document.querySelectorAll('#thread-panel .msg'))"
                   ".find(e => e.textContent.includes(arguments[0]));"
                   "const b = r && r.querySelector(arguments[1]); return b && b.dataset.href;",
                   f"a reply {tag}", tid("msg-copy-link"))
    assert link == f"{server.http}/#/c/{chan}/{seqs[4]}/thread", link


def test_switcher_and_shortcut_help(server, people, tmp_path):
    (bob,) = people("bob")
    dumping(server, tmp_path, [bob], lambda: run_switcher(server, bob))


def run_switcher(server, bob):
    tag = uuid.uuid4().hex[:6]
    plans, zeta = f"quarterly-plans-{tag}", f"zeta-{tag}"
    log_in(server, bob)
    assert register(server, "carol").status in (200, 201)  # carol never comes online

    async def setup():
        alice, _, _ = await Client.joined(server, "alice", account=True)
        for name in (plans, zeta):
            await request(alice, "channel_create", {"name": name}, "channel")
            await request(alice, "channel_invite", {"channel": name, "user": "bob"}, "invited")
        await alice.close()
    run(setup())
    run(post_all(server, "alice", zeta, ["news in zeta"]))
    bob.wait(lambda: bob.unread(zeta) == "1", f"an unread badge on #{zeta}")

    # --- Ctrl+K: with nothing typed, the unread conversation first
    keys(bob, Keys.CONTROL, "k")
    bob.wait(lambda: dialog_open(bob, "switcher"), "Ctrl+K to open the switcher")
    assert bob.js("return document.activeElement.dataset.testid;") == "switcher-input"
    # the people of the directory, read again on opening (carol signed up after bob came in)
    bob.wait(lambda: ["person", "carol", "false"] in switcher_items(bob), "carol in the switcher")
    items = switcher_items(bob)
    assert items[0][:2] == ["channel", zeta] and items[0][2] == "true", items
    # fuzzy: letters in order, not together
    bob.find("switcher-input").send_keys("qrtplns")
    bob.wait(lambda: switcher_items(bob)[:1] and switcher_items(bob)[0][:2] == ["channel", plans],
             f"#{plans} first for 'qrtplns'")
    assert all(i[1] != "general" for i in switcher_items(bob))
    bob.find("switcher-input").send_keys(Keys.ENTER)
    bob.wait(lambda: shown_channel(bob) == plans and not dialog_open(bob, "switcher"), f"#{plans} opened")
    bob.wait(lambda: route(bob) == f"#/c/{plans}", "the address follows the switcher")

    # --- arrows and Esc
    keys(bob, Keys.CONTROL, "k")
    bob.wait(lambda: dialog_open(bob, "switcher"), "the switcher again")
    bob.find("switcher-input").send_keys(Keys.ARROW_DOWN)
    assert switcher_items(bob)[1][2] == "true"
    bob.find("switcher-input").send_keys(Keys.ESCAPE)
    bob.wait(lambda: not dialog_open(bob, "switcher"), "Esc to close the switcher")
    assert shown_channel(bob) == plans

    # --- a person who is offline: a direct message with them
    keys(bob, Keys.CONTROL, "k")
    bob.wait(lambda: dialog_open(bob, "switcher"), "the switcher once more")
    bob.find("switcher-input").send_keys("crl")
    bob.wait(lambda: switcher_items(bob)[:1] and switcher_items(bob)[0][:2] == ["person", "carol"],
             "carol first for 'crl'")
    bob.find("switcher-input").send_keys(Keys.ENTER)
    bob.wait(lambda: bob.header("channel-header-name") == "carol", "the direct message with carol")
    bob.wait(lambda: route(bob) in ("#/d/bob,carol",), "the direct message's address")
    bob.say(f"hello carol {tag}")
    bob.wait_message("bob", f"hello carol {tag}")
    bob.wait(lambda: bob.dm_with("carol"), "the direct message in the sidebar")

    # --- Ctrl+/ lists the shortcuts; Ctrl+G is search's
    keys(bob, Keys.CONTROL, "/")
    bob.wait(lambda: dialog_open(bob, "shortcuts"), "Ctrl+/ to show the shortcuts")
    text = bob.js("return document.querySelector(arguments[0]).textContent;", tid("shortcuts"))
    for want in ("Keyboard shortcuts", "Switch to a channel", "Search messages", "Alt", "Shift", "Esc"):
        assert want in text, (want, text)
    bob.d.switch_to.active_element.send_keys(Keys.ESCAPE)
    bob.wait(lambda: not dialog_open(bob, "shortcuts"), "Esc to close the shortcuts")
    keys(bob, Keys.CONTROL, "g")
    bob.wait(lambda: bob.js("return document.activeElement.dataset.testid;") == "search-input",
             "Ctrl+G to focus the search box")
    assert not dialog_open(bob, "switcher")
