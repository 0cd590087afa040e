"""Notification levels in the real web client (issue 14, item 8): two headless Chromium users
and a second browser of one of them (docs/protocol.md, "Notification levels").

Driven only through data-testid hooks:
  header    notify-level-open (the bell; data-level says the shown channel's level) opens
            notify-level-menu, whose items notify-level-all / -mentions / -muted are
            menuitemradio (aria-checked); arrows move, Enter picks, Escape closes
  sidebar   channel-muted (the muted bell inside a muted channel's channel-item); a muted
            channel shows no channel-unread, only channel-mention when mentioned
The page's visibility is stubbed (document.hidden) to see which messages make desktop
notifications (a stand-in Notification records them, as in test_browser_messages.py).
"""
import uuid

import pytest

pytest.importorskip("selenium")
from selenium.webdriver.common.keys import Keys  # noqa: E402

from test_browser import pytestmark, tid  # noqa: E402,F401
from test_browser_channels import dumping, log_in, server, users  # noqa: E402,F401
from test_browser_messages import FAKE_NOTIFICATION, MsgUser, musers  # noqa: E402,F401

# The page believes it is hidden (arguments[0] true) or shown, and hears of it.
HIDE = """
Object.defineProperty(document, 'hidden', {configurable: true, get: () => arguments[0]});
document.dispatchEvent(new Event('visibilitychange'));
"""


class NotifyUser(MsgUser):
    def level(self):
        return self.js("const b = document.querySelector(arguments[0]);"
                       "return b ? b.dataset.level : null;", tid("notify-level-open"))

    def muted_mark(self, channel):
        return self.js("const it = document.querySelector(arguments[0] + '[data-channel=\"' +"
                       " arguments[1] + '\"]');"
                       "return !!(it && it.querySelector(arguments[2]));",
                       tid("channel-item"), channel, tid("channel-muted"))

    def bold(self, channel):
        return self.js("const it = document.querySelector(arguments[0] + '[data-channel=\"' +"
                       " arguments[1] + '\"]');"
                       "return !!it && getComputedStyle(it).fontWeight >= 600;",
                       tid("channel-item"), channel)

    def checked(self):
        return self.js("return Array.from(document.querySelectorAll(arguments[0] + ' ' +"
                       " '[role=menuitemradio][aria-checked=\"true\"]'), e => e.dataset.level);",
                       tid("notify-level-menu"))

    def focused(self):
        return self.js("const a = document.activeElement; return a ? a.dataset.testid : null;")

    def title(self):
        return self.d.title


def test_muted_channel_mentions_title_and_a_second_browser(server, musers, tmp_path):
    alice, bob = musers("alice", "bob")
    for u in (alice, bob):
        u.__class__ = NotifyUser
    people = [alice, bob]
    dumping(server, tmp_path, people, lambda: run_notify(server, alice, bob, tmp_path, people))


def run_notify(server, alice, bob, tmp_path, people):
    tag = uuid.uuid4().hex[:6]
    chan = f"noisy-{tag}"
    log_in(server, alice, bob)
    alice.create_channel(chan)
    alice.invite("bob")
    bob.wait(lambda: chan in bob.channels(), f"#{chan} in bob's sidebar")

    # --- bob mutes it from the header's bell, with the keyboard alone
    bob.open_channel(chan)
    assert bob.level() == "all"
    bob.find("notify-level-open").send_keys(Keys.ARROW_DOWN)
    bob.wait(lambda: bob.focused() == "notify-level-all", "the menu open on the checked level")
    assert bob.checked() == ["all"]
    bob.d.switch_to.active_element.send_keys(Keys.ARROW_DOWN)
    bob.d.switch_to.active_element.send_keys(Keys.ARROW_DOWN)
    assert bob.focused() == "notify-level-muted"
    bob.d.switch_to.active_element.send_keys(Keys.ENTER)
    bob.wait(lambda: bob.level() == "muted", "the bell to say muted")
    assert bob.focused() == "notify-level-open", "the focus back on the bell"
    bob.wait(lambda: bob.muted_mark(chan), f"#{chan} marked muted in the sidebar")
    assert not bob.muted_mark("general")

    # --- bob reads #general with the page in the background, notifications allowed
    bob.open_channel("general")
    bob.js(FAKE_NOTIFICATION, "granted")
    bob.js(HIDE, True)
    quiet = f"nothing for bob here {tag}"
    alice.open_channel(chan)
    alice.say(quiet)
    hello = f"hello general {tag}"
    alice.open_channel("general")
    alice.say(hello)  # "all" in #general: a notification while hidden, after the muted one
    bob.wait(lambda: any(hello in n["body"] for n in bob.notes()), "a notification for #general")
    assert not any(quiet in n["body"] for n in bob.notes()), bob.notes()
    assert bob.unread(chan) is None and bob.mention_badge(chan) is None, "a badge on a muted channel"
    assert not bob.bold(chan), "a muted channel's name in bold"
    assert not bob.title().startswith("("), bob.title()

    # --- a mention in the muted channel: the mention badge and the title, no notification
    alice.open_channel(chan)
    ping = f"@bob the numbers please {tag}"
    alice.say(ping)
    bob.wait(lambda: bob.mention_badge(chan) == "1", f"a mention badge on the muted #{chan}")
    assert not any(ping in n["body"] for n in bob.notes()), "a muted channel notified"
    bob.wait(lambda: bob.title().startswith("(1) "), "the title to count 1 mention")
    assert bob.unread(chan) is None
    alice.say(f"@bob and another {tag}")
    bob.wait(lambda: bob.mention_badge(chan) == "2", "a mention badge of 2")
    bob.wait(lambda: bob.title().startswith("(2) "), "the title to count 2 mentions")

    # --- a second browser of bob's: the level is the server's, and travels back
    bob2 = NotifyUser("bob", tmp_path, label="bob-2")
    people.append(bob2)
    try:
        bob2.password = bob.password
        log_in(server, bob2)
        bob2.wait(lambda: bob2.muted_mark(chan), f"#{chan} muted in bob's second browser")
        bob2.wait(lambda: bob2.mention_badge(chan) == "2", "the server's mention count there")
        bob2.open_channel(chan)
        assert bob2.level() == "muted"
        bob2.click("notify-level-open")
        bob2.wait(lambda: bob2.checked() == ["muted"], "the menu to check muted")
        bob2.click("notify-level-mentions")
        bob2.wait(lambda: bob2.level() == "mentions", "the bell to say mentions only")
        # the first browser follows at once: no muted mark any more
        bob.wait(lambda: not bob.muted_mark(chan), f"#{chan} unmuted in the first browser")
        bob.js(HIDE, False)
        bob.open_channel(chan)
        assert bob.level() == "mentions"
        bob.wait(lambda: not bob.title().startswith("("), "the title without a count once read")
        for u in (alice, bob, bob2):
            assert u.toasts("error") == [], f"{u.name}: error toasts {u.toasts('error')}"
    finally:
        bob2.quit()
        people.remove(bob2)
