"""Channels in the real web client: two headless Chromium users (docs/protocol.md, "Channels").

Driven only through data-testid hooks:
  sidebar   channel-list, channel-item (data-channel=<name>, one per channel the user is in),
            channel-unread (badge inside its channel-item; absent when nothing is unread),
            channel-create-open, channel-browse-open; dm-list holds the direct messages'
            channel-items; an online-user other than oneself opens their profile card, whose
            card-message opens a direct message
  header    channel-header-name (the name, without "#"), channel-topic, channel-topic-edit,
            channel-members ("N members"), channel-invite-open, channel-leave
  dialogs   channel-create-name / -private / -topic / -submit, channel-browse-item
            (data-channel) with channel-browse-join inside, channel-invite-user / -submit,
            channel-topic-input / -save
  toast     one per shown notice; data-kind="error" for the server's errors
Errors answering a dialog's request are shown in that dialog ([role=alert] inside it).
Guests may not create channels, invite or open direct messages (docs/protocol.md, "Accounts",
"Rights"): the people of these tests sign up accounts, on a server with open registration
(the first one to sign up owns it).
The browser plumbing (User, the Chromium flags, failure dumps) is test_browser.py's.
"""
import re
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

pytest.importorskip("selenium")
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402

# pytestmark: skipped, like test_browser.py, when Chromium or its driver is missing
from test_browser import ACCOUNTS, FAST_HASH, RECONNECT_WAIT, User, pytestmark, tid  # noqa: E402,F401


class ChannelUser(User):
    """A User that also reads and drives the channel UI."""

    # --- reading the page

    def js(self, script, *args):
        return self.d.execute_script(script, *args)

    def channels(self):
        """Names in the sidebar, in their order."""
        return self.js("return Array.from(document.querySelectorAll(arguments[0]),"
                       " e => e.dataset.channel);", tid("channel-item"))

    def unread(self, channel):
        """The unread badge's text for that channel, or None when it has none."""
        return self.js(
            "const it = document.querySelector(arguments[0] + '[data-channel=\"' + arguments[1] + '\"]');"
            "const b = it && it.querySelector(arguments[2]);"
            "return b ? b.textContent.trim() : null;", tid("channel-item"), channel,
            tid("channel-unread"))

    def active(self):
        """The highlighted sidebar channel."""
        return self.js("const a = document.querySelector(arguments[0] + '[aria-current=\"page\"]');"
                       "return a ? a.dataset.channel : null;", tid("channel-item"))

    def header(self, testid):
        found = self.texts(testid)
        return found[0].strip() if found else None

    def members(self):
        m = re.search(r"(\d+)\s+members?", self.header("channel-members") or "")
        return int(m.group(1)) if m else None

    def toasts(self, kind="error"):
        return self.js("return Array.from(document.querySelectorAll(arguments[0]))"
                       ".filter(t => t.dataset.kind === arguments[1]).map(t => t.textContent);",
                       tid("toast"), kind)

    def dialog_error(self, testid):
        """The visible [role=alert] text of the open dialog holding testid, or ''."""
        return self.js(
            "const d = document.querySelector(arguments[0]).closest('dialog');"
            "const e = d && d.open && Array.from(d.querySelectorAll('[role=alert]'))"
            ".find(x => !x.hidden && x.textContent.trim());"
            "return e ? e.textContent.trim() : '';", tid(testid))

    def dialog_open(self, testid):
        return self.js("const d = document.querySelector(arguments[0]).closest('dialog');"
                       "return !!(d && d.open);", tid(testid))

    # --- acting

    def find(self, testid, channel=None):
        sel = tid(testid) + (f'[data-channel="{channel}"]' if channel else "")
        self.wait(lambda: any(e.is_displayed() for e in self.d.find_elements(By.CSS_SELECTOR, sel)),
                  f"{sel} to be shown")
        return next(e for e in self.d.find_elements(By.CSS_SELECTOR, sel) if e.is_displayed())

    def click(self, testid, channel=None):
        el = self.find(testid, channel)
        self.wait(el.is_enabled, f"{testid} to be enabled")
        el.click()

    def type_into(self, testid, text):
        box = self.find(testid)
        box.clear()
        box.send_keys(text)

    def wait_dialog_closed(self, testid, what):
        def closed():
            err = self.dialog_error(testid)
            if "bad_type" in err:
                raise AssertionError(f"{self.name}: the server answered bad_type to {what}: "
                                     "its Channels support has not landed yet")
            return not self.dialog_open(testid)
        self.wait(closed, f"the {what} dialog to close (its error: {self.dialog_error(testid)!r})")

    def open_channel(self, name, header=None):
        """Clicks the channel in the sidebar; header: what channel-header-name should then
        say (a direct message shows the other people, not its name)."""
        self.click("channel-item", name)
        want = header or name
        self.wait(lambda: self.header("channel-header-name") == want and self.active() == name,
                  f"{want} to be shown")

    def create_channel(self, name, private=False, topic=""):
        self.click("channel-create-open")
        self.type_into("channel-create-name", name)
        if topic:
            self.type_into("channel-create-topic", topic)
        box = self.find("channel-create-private")
        if box.is_selected() != private:
            box.click()
        self.click("channel-create-submit")
        self.wait_dialog_closed("channel-create-submit", "channel_create")
        self.wait(lambda: self.header("channel-header-name") == name,
                  f"the new #{name} to be shown")
        assert name in self.channels() and self.active() == name

    def dm_with(self, user):
        """The name of the direct-message channel shown in the sidebar as `user`, or None."""
        return self.js(
            "const it = Array.from(document.querySelectorAll(arguments[0] + ' ' + arguments[1]))"
            ".find(e => e.querySelector('.channel-name').textContent.trim() === arguments[2]);"
            "return it ? it.dataset.channel : null;", tid("dm-list"), tid("channel-item"), user)

    def invite(self, user):
        self.click("channel-invite-open")
        self.type_into("channel-invite-user", user)
        self.click("channel-invite-submit")
        self.wait_dialog_closed("channel-invite-submit", "channel_invite")

    def set_topic(self, topic):
        self.click("channel-topic-edit")
        self.type_into("channel-topic-input", topic)
        self.click("channel-topic-save")
        self.wait_dialog_closed("channel-topic-save", "channel_topic")


@pytest.fixture
def server(make_server):
    """A server where people sign up (open registration, fast password hashing)."""
    return make_server(*ACCOUNTS, env=FAST_HASH)


@pytest.fixture
def users(server, tmp_path):
    """users(*names) -> ChannelUsers, started in parallel; closed before the server stops.
    On a failure, each one's screenshot, HTML and console are saved in tmp_path."""
    made = []

    def make(*names):
        with ThreadPoolExecutor(len(names)) as pool:
            futures = [pool.submit(ChannelUser, name, tmp_path) for name in names]
        made.extend(f.result() for f in futures if not f.exception())
        for f in futures:
            if f.exception():
                raise f.exception()
        return [f.result() for f in futures]

    yield make
    for u in made:
        u.quit()


def dumping(server, tmp_path, people, run):
    try:
        run()
    except BaseException:
        shots = [u.dump(tmp_path, "failure") for u in people]
        print(f"screenshots: {', '.join(map(str, shots))}\nserver log:\n{server.logs()[-3000:]}")
        raise


def log_in(server, *people):
    """Each one signs up (the first becomes the owner), or signs in again if they have
    an account already."""
    for u in people:
        u.open(server.http)
        if u.password:
            u.login()
        else:
            u.signup()
    names = {u.name for u in people}
    for u in people:
        u.wait(lambda u=u: names <= u.online(), f"{u.name} to see {sorted(names)} online")
        u.wait(lambda u=u: u.channels()[:1] == ["general"], f"{u.name}'s sidebar to list #general")


def test_private_channel_invite_unread_topic_leave(server, users, tmp_path):
    alice, bob = users("alice", "bob")
    dumping(server, tmp_path, (alice, bob), lambda: run_private(server, alice, bob))


def run_private(server, alice, bob):
    tag = uuid.uuid4().hex[:6]
    chan = f"design-{tag}"
    log_in(server, alice, bob)
    assert alice.header("channel-header-name") == "general" and alice.active() == "general"

    # --- the name rule is checked before anything is sent
    alice.click("channel-create-open")
    alice.type_into("channel-create-name", "-starts-with-a-dash")
    alice.click("channel-create-submit")
    alice.wait(lambda: alice.dialog_error("channel-create-submit"), "a client-side name error")
    assert alice.dialog_open("channel-create-submit")
    alice.find("channel-create-name").send_keys(Keys.ESCAPE)
    alice.wait(lambda: not alice.dialog_open("channel-create-submit"), "Escape to close the dialog")

    # --- alice creates a private channel and invites bob
    alice.create_channel(chan, private=True, topic=f"first topic {tag}")
    assert alice.header("channel-topic") == f"first topic {tag}"
    assert alice.members() == 1
    assert chan not in bob.channels()
    alice.invite("bob")
    bob.wait(lambda: chan in bob.channels(), f"#{chan} in bob's sidebar")
    assert bob.channels()[0] == "general" and bob.active() == "general"
    alice.wait(lambda: alice.members() == 2, "alice's header to count 2 members")

    # --- a message in the channel bob is not looking at: a badge, not a message
    hello = f"hello design {tag}"
    alice.say(hello)
    alice.wait_message("alice", hello)
    bob.wait(lambda: bob.unread(chan) == "1", f"an unread badge of 1 on #{chan} for bob")
    assert bob.unread("general") is None
    assert not any(hello in m for m in bob.messages()), "a #design message shown in #general"

    # --- bob opens it: the message, the header, no badge
    bob.open_channel(chan)
    bob.wait_message("alice", hello)
    assert bob.unread(chan) is None
    assert bob.header("channel-topic") == f"first topic {tag}"
    bob.wait(lambda: bob.members() == 2, "bob's header to count 2 members")

    # --- messages stay in their channel, both ways
    alice.open_channel("general")
    in_general = f"meanwhile in general {tag}"
    alice.say(in_general)
    bob.wait(lambda: bob.unread("general") == "1", "an unread badge on #general for bob")
    assert not any(in_general in m for m in bob.messages())
    reply = f"reply in design {tag}"
    bob.say(reply)
    alice.wait(lambda: alice.unread(chan) == "1", f"an unread badge on #{chan} for alice")
    alice.open_channel(chan)
    alice.wait_message("bob", reply)
    assert not any(in_general in m for m in alice.messages()), "a #general message in #design"
    bob.open_channel("general")
    bob.wait_message("alice", in_general)
    bob.open_channel(chan)

    # --- a new topic shows in both headers
    topic = f"shipping the redesign {tag}"
    bob.set_topic(topic)
    for u in (alice, bob):
        u.wait(lambda u=u: u.header("channel-topic") == topic, f"{u.name}'s header to show the topic")

    # --- bob leaves: gone from his sidebar, back in #general; alice sees one member
    bob.click("channel-leave")
    bob.wait(lambda: chan not in bob.channels(), f"#{chan} to leave bob's sidebar")
    bob.wait(lambda: bob.header("channel-header-name") == "general", "bob back in #general")
    alice.wait(lambda: alice.members() == 1, "alice's header to count 1 member")

    # --- the name is taken: the server's error is shown in the create dialog
    bob.click("channel-create-open")
    bob.type_into("channel-create-name", chan)
    bob.click("channel-create-submit")
    bob.wait(lambda: "channel_exists" in bob.dialog_error("channel-create-submit"),
             "the server's channel_exists in the create dialog")
    bob.find("channel-create-name").send_keys(Keys.ESCAPE)

    # --- #general cannot be left
    assert not bob.js("return document.querySelector(arguments[0]).offsetParent !== null;",
                      tid("channel-leave")), "a leave button shown in #general"
    for u in (alice, bob):
        assert u.toasts("error") == [], f"{u.name}: error toasts {u.toasts('error')}"
        assert u.connected()


def test_public_channel_browse_join_and_restart(server, users, tmp_path):
    alice, bob = users("alice", "bob")
    dumping(server, tmp_path, (alice, bob), lambda: run_public(server, alice, bob))


def run_public(server, alice, bob):
    tag = uuid.uuid4().hex[:6]
    chan = f"random-{tag}"
    log_in(server, alice, bob)

    alice.create_channel(chan)
    before = f"posted before bob joined {tag}"
    alice.say(before)
    alice.wait_message("alice", before)
    assert chan not in bob.channels()

    # --- bob finds it through Browse and joins
    bob.click("channel-browse-open")
    row = bob.find("channel-browse-item", chan)
    general_row = bob.find("channel-browse-item", "general")
    assert general_row.find_elements(By.CSS_SELECTOR, tid("channel-browse-join")) == [], \
        "a Join button on a channel bob is already in"
    row.find_element(By.CSS_SELECTOR, tid("channel-browse-join")).click()
    bob.wait_dialog_closed("channel-browse-item", "channel_join")
    bob.wait(lambda: chan in bob.channels() and bob.active() == chan, f"bob in #{chan}")
    assert bob.header("channel-header-name") == chan
    bob.wait_message("alice", before)           # its history came with the join
    alice.wait(lambda: alice.members() == 2, "alice's header to count 2 members")

    joined = f"bob joined and says hi {tag}"
    bob.say(joined)
    alice.wait_message("bob", joined)

    # --- typing shows in the channel it happens in, and only there
    def typing_line(u):
        return u.js("return document.getElementById('typing').textContent;")
    # one burst of keys: it must come after the server's one-typing-a-second window of
    # the typing sent with bob's last message, or it is dropped (docs/protocol.md)
    time.sleep(1.2)
    bob.find("composer").send_keys("thinking")
    alice.wait(lambda: "bob is typing" in typing_line(alice), "bob's typing in alice's #random")
    alice.open_channel("general")
    assert "typing" not in typing_line(alice), "#random's typing shown in #general"
    alice.open_channel(chan)
    bob.find("composer").clear()

    # --- the server restarts: each page resumes every channel it holds
    code = server.stop()
    assert code == 0, f"parley exited {code} on SIGTERM:\n{server.logs()[-3000:]}"
    alice.wait(lambda: not alice.connected(), "alice's status to leave \"connected\"")
    server.restart()
    alice.wait_connected(RECONNECT_WAIT)
    bob.wait_connected(RECONNECT_WAIT)
    after = f"after the restart {tag}"
    alice.say(after)
    bob.wait_message("alice", after)
    assert bob.active() == chan and chan in bob.channels()
    for u in (alice, bob):
        msgs = u.messages()
        for text in (before, joined, after):
            assert sum(text in m for m in msgs) == 1, f"{u.name}: {text!r} shown in {msgs}"
    bob.open_channel("general")
    assert not any(tag in m for m in bob.messages()), "channel messages shown in #general"
    for u in (alice, bob):
        assert u.toasts("error") == [], f"{u.name}: error toasts {u.toasts('error')}"


def test_reinvite_and_unread_across_reloads(server, users, tmp_path):
    alice, bob = users("alice", "bob")
    dumping(server, tmp_path, (alice, bob), lambda: run_reload(server, alice, bob))


def run_reload(server, alice, bob):
    tag = uuid.uuid4().hex[:6]
    chan = f"ops-{tag}"
    log_in(server, alice, bob)
    alice.create_channel(chan, private=True)
    alice.invite("bob")
    bob.wait(lambda: chan in bob.channels(), f"#{chan} in bob's sidebar")
    alice.invite("bob")                 # already a member: answered at once, nothing changes
    alice.wait(lambda: alice.members() == 2, "alice's header to count 2 members")
    assert alice.toasts("error") == []

    # --- unread counts are the server's: they survive a reload (read markers)
    for i in range(2):
        alice.say(f"unread {i} {tag}")
    bob.wait(lambda: bob.unread(chan) == "2", f"an unread badge of 2 on #{chan}")
    bob.d.refresh()
    bob.login()
    bob.wait(lambda: chan in bob.channels(), f"#{chan} back in bob's sidebar")
    bob.wait(lambda: bob.unread(chan) == "2", "the badge of 2 to come back after the reload")

    # --- read once, read everywhere: after another reload there is no badge
    bob.open_channel(chan)
    bob.wait_message("alice", f"unread 1 {tag}")
    bob.open_channel("general")         # the marker is sent within half a second of reading
    time.sleep(1.2)
    bob.d.refresh()
    bob.login()
    bob.wait(lambda: chan in bob.channels(), f"#{chan} back in bob's sidebar")
    assert bob.unread(chan) is None, f"a badge of {bob.unread(chan)} after reading #{chan}"
    assert bob.unread("general") is None


def test_direct_message_from_the_online_list(server, users, tmp_path):
    alice, bob = users("alice", "bob")
    dumping(server, tmp_path, (alice, bob), lambda: run_dm(server, alice, bob))


def run_dm(server, alice, bob):
    tag = uuid.uuid4().hex[:6]
    log_in(server, alice, bob)
    # bob's profile card (person_card.js), whose Message opens the DM; found and clicked in
    # one script, since the online list is drawn again as presence changes arrive
    alice.wait(lambda: alice.js(
        "const e = Array.from(document.querySelectorAll(arguments[0]))"
        ".find(e => e.textContent.trim() === 'bob'); if (e) e.click(); return !!e;",
        tid("online-user")), "bob in the online list")
    alice.click("card-message")
    alice.wait(lambda: alice.header("channel-header-name") == "bob", "a direct message with bob")
    assert not alice.js("return document.querySelector(arguments[0]).offsetParent !== null;",
                        tid("channel-leave")), "a leave button in a direct message"
    assert bob.dm_with("alice") is None, "an empty direct message listed for bob"
    hi = f"psst {tag}"
    alice.say(hi)
    alice.wait_message("alice", hi)
    bob.wait(lambda: bob.dm_with("alice"), "the direct message in bob's sidebar")
    dm = bob.dm_with("alice")
    bob.wait(lambda: bob.unread(dm) == "1", "an unread badge on the direct message")
    bob.open_channel(dm, header="alice")
    bob.wait_message("alice", hi)
    assert alice.dm_with("bob") == dm
    bob.open_channel("general")
    assert not any(hi in m for m in bob.messages()), "a direct message shown in #general"


def test_mentioning_someone_outside_the_channel_offers_to_add_them(server, users, tmp_path):
    alice, bob = users("alice", "bob")
    dumping(server, tmp_path, (alice, bob), lambda: run_outsider(server, alice, bob))


def run_outsider(server, alice, bob):
    tag = uuid.uuid4().hex[:6]
    chan = f"plans-{tag}"
    log_in(server, alice, bob)

    def prompt():
        return alice.js("const p = document.querySelector(arguments[0]);"
                        "return p && p.getClientRects().length ? p.textContent : null;",
                        tid("mention-prompt"))

    # #general has everyone: never a prompt there
    alice.say(f"@bob hello in general {tag}")
    alice.wait_message("alice", f"hello in general {tag}")
    time.sleep(0.5)
    assert prompt() is None, "a prompt in #general"

    alice.create_channel(chan, private=True)
    first = f"@bob can you review this {tag}"
    alice.say(first)
    alice.wait(lambda: prompt() and "bob" in prompt() and f"#{chan}" in prompt(),
               "the prompt naming bob and the channel")
    assert alice.js("return document.activeElement === arguments[0];", alice.find("composer")), \
        "the prompt took the focus from the composer"
    alice.click("mention-prompt-dismiss")
    alice.wait(lambda: prompt() is None, "Do nothing to close the prompt")
    assert chan not in bob.channels()

    alice.say(f"@bob really, please {tag}")
    alice.wait(lambda: prompt() is not None, "the prompt again")
    alice.click("mention-prompt-add")
    alice.wait(lambda: prompt() is None, "the prompt to close once bob is added")
    bob.wait(lambda: chan in bob.channels(), f"#{chan} in bob's sidebar")
    bob.open_channel(chan)
    bob.wait_message("alice", f"really, please {tag}")

    # bob is a member now: naming him asks nothing
    alice.say(f"@bob thanks {tag}")
    bob.wait_message("alice", f"thanks {tag}")
    time.sleep(0.5)
    assert prompt() is None, "a prompt for a member"
