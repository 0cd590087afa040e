"""parley-cli's full-screen interface (src/tui), driven under tmux: keys typed with
`send-keys`, the screen read with `capture-pane`, against a real server.

Each test runs its own tmux server (`-L` a socket of its own, no user configuration), one
session per person, 120x40, and kills it at the end. Every wait polls the screen with a
bound, so a client that never shows what it should fails the test instead of hanging it.
The backend does not matter to a terminal client: sqlite_only keeps make test's time.
"""
import os
import re
import shutil
import subprocess
import time
import uuid
from pathlib import Path

import pytest

from accounts import account_token
from conftest import parley_bin
from wsraw import Client, run

pytestmark = [pytest.mark.sqlite_only,
              pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")]

WAIT = 20  # seconds for any screen to appear (a loaded machine); ends as soon as it does


def cli_bin():
    path = os.environ.get("PARLEY_CLI_BIN") or str(Path(parley_bin()).parent / "parley-cli")
    if not Path(path).exists():
        pytest.skip(f"no {path}: build the parley-cli target")
    return path


class Tmux:
    """One tmux server; session(name, ...) starts parley-cli in a session of its own."""

    def __init__(self, tmp):
        self.sock = f"parley-tui-{uuid.uuid4().hex[:12]}"
        self.tmp = tmp

    def tmux(self, *args, check=True):
        env = dict(os.environ, LANG="C.UTF-8", LC_ALL="C.UTF-8")
        return subprocess.run(["tmux", "-L", self.sock, "-f", "/dev/null", *args], env=env,
                              capture_output=True, text=True, timeout=10, check=check)

    def session(self, server, name, token=None):
        home = self.tmp / f"home-{name}"
        home.mkdir(exist_ok=True)
        env = {"LANG": "C.UTF-8", "LC_ALL": "C.UTF-8", "HOME": str(home),
               "XDG_CONFIG_HOME": str(home / ".config"), "TZ": "UTC"}
        who = ["--token", token] if token else ["--name", name]
        cmd = " ".join(["env", *(f"{k}={v}" for k, v in env.items()), cli_bin(), server.http,
                        *who])
        # An exit stays on screen with its code (and so in a failure's message) instead of
        # closing the session; kill() ends the wait.
        cmd += '; echo "[parley-cli exited $?]"; sleep 600'
        self.tmux("new-session", "-d", "-s", name, "-x", "120", "-y", "40", cmd)
        return Screen(self, name)

    def kill(self):
        self.tmux("kill-server", check=False)


class Screen:
    def __init__(self, tmux, name):
        self.t, self.name = tmux, name

    def text(self):
        return self.t.tmux("capture-pane", "-p", "-t", self.name).stdout

    def keys(self, *keys):
        self.t.tmux("send-keys", "-t", self.name, *keys)

    def type(self, text, enter=True):
        self.t.tmux("send-keys", "-t", self.name, "-l", text)
        if enter:
            self.keys("Enter")

    def wait(self, pred, what):
        """Polls the screen until pred(text) holds; returns that screen."""
        deadline = time.monotonic() + WAIT
        while True:
            s = self.text()
            if pred(s):
                return s
            if time.monotonic() > deadline:
                raise AssertionError(f"{self.name}'s screen never showed {what}:\n{s}")
            time.sleep(0.1)

    def wait_for(self, needle):
        return self.wait(lambda s: needle in s, repr(needle))


def main_pane(screen):
    """The message pane's text: what is right of the conversation list."""
    return "\n".join(line.split("│", 1)[1] if "│" in line else "" for line in screen.splitlines())


@pytest.fixture
def tmux(tmp_path):
    t = Tmux(tmp_path)
    yield t
    t.kill()


def connected(screen, name):
    screen.wait_for(f"● connected as {name}")


def test_two_clients_chat_grouped_by_author(server, tmux):
    alice, bob = tmux.session(server, "alice"), tmux.session(server, "bob")
    connected(alice, "alice")
    connected(bob, "bob")
    bob.type("a draft", enter=False)  # the typing line, in the other's status line
    alice.wait_for("bob is typing…")
    bob.keys("C-u")
    alice.type("hello from alice")
    alice.type("and a second line, wide: 日本語 👍")
    s = bob.wait_for("and a second line, wide: 日本語 👍")
    pane = main_pane(s)
    # One group: the name and HH:MM once, both texts under it, indented.
    assert len(re.findall(r"alice  \d\d:\d\d", pane)) == 1, s
    lines = pane.splitlines()
    head = next(i for i, l in enumerate(lines) if re.search(r"alice  \d\d:\d\d", l))
    assert "hello from alice" in lines[head + 1] and "日本語" in lines[head + 2], s
    # bob answers: a new group under his name; alice sees it and her own messages once.
    bob.type("hi alice")
    s = alice.wait_for("hi alice")
    assert len(re.findall(r"bob  \d\d:\d\d", main_pane(s))) == 1, s
    assert main_pane(s).count("hello from alice") == 1, s


def test_thread_and_reaction(server, tmux):
    alice, bob = tmux.session(server, "alice"), tmux.session(server, "bob")
    connected(alice, "alice")
    connected(bob, "bob")
    alice.type("ship it?")
    bob.wait_for("ship it?")
    bob.type("/thread")  # the newest message's thread, in the side pane
    bob.wait_for("Thread (Esc closes)")
    bob.wait_for("reply>")
    bob.type("yes, ship it")
    s = alice.wait_for("↳ 1 reply")
    assert "yes, ship it" not in main_pane(s), s  # a reply is no row of the channel
    alice.keys("C-t")  # alice opens the thread with a key
    s = alice.wait(lambda s: "Thread (Esc closes)" in s and "yes, ship it" in s, "the thread")
    bob.keys("Escape")
    bob.wait(lambda s: "Thread (Esc" not in s, "the thread pane closed")
    bob.type("/react 👍")
    alice.wait_for("👍 1")
    s = bob.wait_for("👍 1")
    assert "↳ 1 reply" in s, s


def test_command_errors(server, tmux):
    alice = tmux.session(server, "alice")
    connected(alice, "alice")
    alice.type("/frobnicate now")
    alice.wait_for("unknown command /frobnicate: try /help")
    alice.type("/join")
    alice.wait_for("usage: /join #channel")
    alice.type("/join #nosuch")  # refused by the server: its code in the status line
    alice.wait_for("no_such_channel")
    alice.type("/create design")  # guests may not: the server's reason, shown
    alice.wait_for("forbidden: guests cannot create channels")
    alice.type("/edit fixed")  # nothing of hers to edit yet
    alice.wait_for("no such message of yours; usage: /edit [N] TEXT")


def test_server_restart_resumes_without_gap_or_duplicate(server, tmux):
    alice, bob = tmux.session(server, "alice"), tmux.session(server, "bob")
    connected(alice, "alice")
    connected(bob, "bob")
    alice.type("before the restart")
    bob.wait_for("before the restart")
    assert server.stop() == 0
    alice.wait_for("reconnecting")
    server.restart()

    async def carol():  # another client writes while alice is away
        c, _, _ = await Client.joined(server, "carol")
        await c.send_json("msg", {"text": "written during the outage"}, id="m1")
        await c.recv_json("ack", skip=("msg", "join", "leave", "typing", "presence"))
        await c.ws.close()

    run(carol())
    for who, name in ((alice, "alice"), (bob, "bob")):
        s = who.wait(lambda s: "written during the outage" in s and "● connected" in s,
                     "the outage's message after a resume")
        pane = main_pane(s)
        assert pane.count("written during the outage") == 1, s
        assert pane.count("before the restart") == 1, s
    alice.type("after the restart")
    s = bob.wait_for("after the restart")
    assert main_pane(s).count("after the restart") == 1, s
    assert main_pane(s).count("written during the outage") == 1, s


def test_channels_unread_counts_and_switching(server, tmux):
    """Accounts (guests may not create channels): a channel made in the terminal, its
    unread count in the other's list, Alt+number and the Ctrl-K filter to switch."""
    alice = tmux.session(server, "alice", token=account_token(server, "alice"))
    bob = tmux.session(server, "bob", token=account_token(server, "bob"))
    connected(alice, "alice")
    connected(bob, "bob")
    alice.type("/create design the new logo")
    alice.wait_for("#design>")  # created and shown
    alice.type("/invite @bob")
    bob.wait_for("#design")
    alice.type("logo v2 is in the drive")
    s = bob.wait(lambda s: re.search(r"2 #design +1 │", s), "#design with 1 unread")
    assert "logo v2" not in s, s  # bob still shows #general
    bob.keys("M-2")
    s = bob.wait_for("logo v2 is in the drive")
    assert "#design>" in s and not re.search(r"#design +1 │", s), s
    bob.keys("M-1")
    bob.wait_for("#general>")
    bob.keys("C-k")
    bob.wait_for("go to:")
    bob.type("desi")
    bob.wait_for("#design>")
    bob.keys("C-k")
    bob.type("nosuch")
    bob.wait_for('no conversation matches "nosuch"')
