"""Channel lines and away in the real web client (issue 14, items 7 and 9): two headless
Chromium users.

Hooks: channel-line (a quiet row of the message list: data-kind joined, left or topic,
data-seq); presence-toggle (the sidebar's "Set yourself away" / "Set yourself active":
its label says what a click does, data-status what one is); every avatar's .presence dot
carries data-user and data-status (active, away, offline). localStorage["parley.idleMs"] (read once when the page starts) shortens
the 10 minutes of auto-away, for tests only.
"""
import uuid

import pytest

pytest.importorskip("selenium")
from selenium.webdriver.common.by import By  # noqa: E402

# pytestmark: skipped, like test_browser.py, when Chromium or its driver is missing
from test_browser import pytestmark, tid  # noqa: E402,F401
from test_browser_channels import dumping, log_in, server, users  # noqa: E402,F401


def lines(u):
    """The channel lines shown, as (kind, text) pairs, top to bottom."""
    return [(e.get_attribute("data-kind"), " ".join(e.text.split()))
            for e in u.d.find_elements(By.CSS_SELECTOR, tid("channel-line"))]


def dot(u, who):
    """The status of the first presence dot of who in the online list."""
    return u.js("const d = document.querySelector('#online-list .presence[data-user=\"' + "
                "arguments[0] + '\"]'); return d ? d.dataset.status : null;", who)


def test_join_and_topic_lines_live_and_away_dots(server, users, tmp_path):
    alice, bob = users("alice", "bob")
    dumping(server, tmp_path, (alice, bob), lambda: run_lines(server, alice, bob))


def run_lines(server, alice, bob):
    tag = uuid.uuid4().hex[:6]
    chan = f"design-{tag}"
    log_in(server, alice, bob)
    alice.create_channel(chan)
    first = f"first in design {tag}"
    alice.say(first)
    alice.wait_message("alice", first)

    # --- bob joins through Browse and sets the topic: alice sees both lines live
    bob.click("channel-browse-open")
    bob.find("channel-browse-item", chan).find_element(
        By.CSS_SELECTOR, tid("channel-browse-join")).click()
    bob.wait_dialog_closed("channel-browse-item", "channel_join")
    bob.wait(lambda: bob.active() == chan, f"bob in #{chan}")
    alice.wait(lambda: ("joined", f"bob joined #{chan}") in [
        (k, t.split(" ", 1)[1].rsplit(" ", 1)[0]) for k, t in lines(alice)],
        "alice to see \"bob joined\"")
    topic = f"Ship the {tag} mockups"
    bob.set_topic(topic)
    alice.wait(lambda: any(k == "topic" and topic in t and "changed the topic" in t
                           for k, t in lines(alice)), "alice to see the topic line")
    got = lines(alice)
    assert [k for k, _ in got] == ["joined", "topic"], got
    # quiet rows: not messages with an author group, no actions, not an unread badge
    assert sum(first in m for m in alice.messages()) == 1
    assert not any(tag in m and "joined" in m for m in alice.messages())  # not a message
    row = alice.d.find_elements(By.CSS_SELECTOR, tid("channel-line"))[0]
    assert row.find_elements(By.CSS_SELECTOR, ".msg-actions, .msg-author") == []
    bob.wait(lambda: [k for k, _ in lines(bob)] == ["joined", "topic"], "bob's own lines")
    # and they stay in place after a reload (history)
    alice.d.refresh()
    alice.login()
    alice.open_channel(chan)
    alice.wait(lambda: [k for k, _ in lines(alice)] == ["joined", "topic"], "the lines again")
    alice.wait_message("alice", first)

    # --- bob leaves while alice reads #general: the line is no unread message for her
    alice.open_channel("general")
    bob.click("channel-leave")
    bob.wait(lambda: bob.header("channel-header-name") == "general", "bob back in #general")
    said = f"left design {tag}"
    bob.say(said)
    alice.wait_message("bob", said)  # after the line: one order out of the server
    assert alice.unread(chan) is None, alice.unread(chan)
    alice.open_channel(chan)
    alice.wait(lambda: [k for k, _ in lines(alice)] == ["joined", "topic", "left"],
               "alice to see \"bob left\"")
    assert f"bob left #{chan}" in lines(alice)[-1][1], lines(alice)

    # --- bob sets himself away by hand: alice sees the away dot, then active again
    alice.wait(lambda: dot(alice, "bob") == "active", "bob's green dot")
    bob.click("presence-toggle")
    alice.wait(lambda: dot(alice, "bob") == "away", "bob's away dot at alice's")
    toggle = bob.find("presence-toggle")
    assert toggle.get_attribute("data-status") == "away"
    assert toggle.get_attribute("textContent").strip() == "Set yourself active"  # its label
    bob.click("presence-toggle")
    alice.wait(lambda: dot(alice, "bob") == "active", "bob active again at alice's")

    # --- auto-away: bob's page idle past its (shortened) delay goes away, input brings it back
    bob.js("localStorage.setItem('parley.idleMs', '1500');")
    bob.d.refresh()
    bob.login()
    alice.wait(lambda: dot(alice, "bob") == "away", "bob away after 1.5 s without input",
               timeout=20)
    assert bob.find("presence-toggle").get_attribute("data-status") == "away"
    bob.find("composer").send_keys("x")
    alice.wait(lambda: dot(alice, "bob") == "active", "bob active after typing")
    bob.js("localStorage.removeItem('parley.idleMs');")

    # --- offline: grey
    bob.quit()
    alice.wait(lambda: dot(alice, "bob") in (None, "offline"), "bob gone from the online list")
