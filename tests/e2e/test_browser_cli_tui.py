"""Issue 16's "done when": one person in the web client (headless Chromium) and one in
parley-cli's full-screen interface (under tmux) hold a conversation with a thread and
reactions, each seeing the other's side live. The browser plumbing is
test_browser_messages.py's, the terminal's test_cli_tui.py's."""
import pytest

pytest.importorskip("selenium")

from test_browser import pytestmark as browser_marks  # noqa: E402
from test_browser_channels import dumping, log_in, server, users  # noqa: E402,F401
from test_browser_messages import musers, replies  # noqa: E402,F401
from test_cli_tui import connected, main_pane, tmux  # noqa: E402,F401

pytestmark = browser_marks


def test_web_and_terminal_chat_with_a_thread_and_reactions(server, musers, tmux, tmp_path):
    (alice,) = musers("alice")
    dumping(server, tmp_path, [alice], lambda: run_pair(server, alice, tmux))


def run_pair(server, alice, tmux):
    log_in(server, alice)
    bob = tmux.session(server, "bob")  # a guest in the terminal
    connected(bob, "bob")
    alice.say("hello terminal")
    bob.wait_for("hello terminal")
    bob.type("hello browser")
    alice.wait_message("bob", "hello browser")
    pseq = alice.seq_of("hello terminal")

    # A thread started in the terminal on alice's message (the second newest), answered
    # in the browser's panel.
    bob.type("/thread 2")
    bob.wait_for("reply>")
    bob.type("from the terminal's thread")
    alice.wait_row(pseq, lambda r: replies(r) == 1, "the terminal's reply counted on the parent")
    alice.action(pseq, "msg-reply")
    alice.wait(alice.panel_open, "alice's thread panel")
    alice.wait(lambda: any("from the terminal's thread" in t for t in alice.panel_texts()),
               "the terminal's reply in the panel")
    alice.reply("from the browser's panel")
    s = bob.wait_for("from the browser's panel")
    assert "Thread (Esc closes)" in s, s

    # Reactions both ways.
    bob.keys("Escape")
    bob.wait_for("↳ 2 replies")
    bseq = alice.seq_of("hello browser")
    alice.pick(bseq, "👀")
    bob.wait_for("👀 1")
    bob.type("/react 2 👍")
    alice.wait_row(pseq, lambda r: r["chips"] == {"👍": 1}, "the terminal's 👍 on alice's message")
    s = bob.wait_for("👍 1")
    assert main_pane(s).count("hello terminal") == 1, s
