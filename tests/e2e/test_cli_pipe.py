"""parley-cli's scripting mode (issue 16, docs/cli.md) against a real server: `send` (an
argument, stdin lines past the rate limit's burst, a DM target), `tail` (JSON lines, following,
resuming across a server restart with no gap and no duplicate), `history --since/--limit`,
the exit codes a script reads (refusals, unknown channels, unreachable servers, bad URLs),
`login` (a 0600 token file in a 0700 directory under XDG_CONFIG_HOME, then used by `send`),
guests by --name, and wss:// against a TLS server.

The binary is $PARLEY_CLI_BIN, else parley-cli beside the server's binary. The backend does
not matter to a client: the file runs once (sqlite_only)."""
import asyncio
import json
import os
import queue
import signal
import stat
import subprocess
import threading
import time
from pathlib import Path

import pytest

from accounts import account_token, password_for, register
from conftest import parley_bin
from test_tls import make_cert
from wsraw import Client, run

pytestmark = pytest.mark.sqlite_only

TIMEOUT = 20


def cli_bin():
    env = os.environ.get("PARLEY_CLI_BIN")
    if env:
        return env
    return str(Path(parley_bin()).parent / "parley-cli")


def cli_env(tmp_path, **extra):
    env = dict(os.environ, XDG_CONFIG_HOME=str(tmp_path / "config"), HOME=str(tmp_path),
               USER="unixuser", **extra)
    env.pop("PARLEY_TOKEN", None)
    env.setdefault("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=0")
    return env


def cli(tmp_path, *args, stdin=None, env=None, timeout=TIMEOUT):
    """Runs parley-cli to its end: CompletedProcess (text)."""
    return subprocess.run([cli_bin(), *map(str, args)], input=stdin, capture_output=True,
                          text=True, timeout=timeout, env=env or cli_env(tmp_path))


class Tail:
    """A `parley-cli tail` running in the background; its stdout lines are parsed as JSON."""

    def __init__(self, tmp_path, *args):
        self.proc = subprocess.Popen([cli_bin(), "tail", *map(str, args)],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                     env=cli_env(tmp_path))
        self.lines = queue.Queue()
        self.err = []
        threading.Thread(target=self._read, daemon=True).start()
        threading.Thread(target=lambda: self.err.extend(self.proc.stderr), daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            self.lines.put(line)

    def wait_ready(self, timeout=TIMEOUT):
        """Until the tail says it follows its channel (it joined, the target is known)."""
        deadline = time.monotonic() + timeout
        while not any("following" in line for line in self.err):
            assert self.proc.poll() is None, "".join(self.err)
            assert time.monotonic() < deadline, "".join(self.err)
            time.sleep(0.02)
        return self

    def next(self, timeout=TIMEOUT):
        try:
            return json.loads(self.lines.get(timeout=timeout))
        except queue.Empty:
            raise AssertionError(f"tail printed nothing; stderr: {''.join(self.err)}")

    def msgs(self, n, timeout=TIMEOUT):
        out = []
        deadline = time.monotonic() + timeout
        while len(out) < n:
            m = self.next(max(0.1, deadline - time.monotonic()))
            if m["type"] == "msg":
                out.append(m["payload"])
        return out

    def silent(self, seconds=0.5):
        time.sleep(seconds)
        assert self.lines.empty(), self.lines.get()

    def stop(self, sig=signal.SIGINT):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        return self.proc.wait(TIMEOUT)


async def watcher(server, name="watcher"):
    c, _, _ = await Client.joined(server, name)
    return c


async def await_join(c, user):
    while True:
        m = await c.recv_json("join", skip=("leave", "typing"), timeout=TIMEOUT)
        if m["payload"]["user"] == user:
            return


async def await_msgs(c, n):
    out = []
    while len(out) < n:
        m = await c.recv_json("msg", skip=("join", "leave", "typing", "ack"), timeout=TIMEOUT)
        out.append(m["payload"])
    return out


def start_tail(server, tmp_path, channel, name, *extra):
    """A tail, once the server has it (its join reached a watcher in #general)."""
    async def go():
        c = await watcher(server, f"w-{name}")
        t = Tail(tmp_path, server.http, channel, "--name", name, *extra)
        await await_join(c, name)
        await c.close()
        return t
    return run(go())


# ---------------------------------------------------------------- send


def test_send_as_a_guest_is_seen_by_a_websocket_client(server, tmp_path):
    async def go():
        c = await watcher(server)
        r = cli(tmp_path, "send", server.http, "#general", "hello", "from the shell",
                "--name", "shelly")
        assert r.returncode == 0, r.stderr
        m = (await await_msgs(c, 1))[0]
        assert m["user"] == "shelly" and m["text"] == "hello from the shell"
        assert m.get("guest") is True and m.get("cid")
        assert r.stdout.split() == [str(m["seq"])]
        # Without --name the guest is $USER; "general" without '#' is the same channel.
        r = cli(tmp_path, "send", server.url, "general", "second", "--quiet")
        assert r.returncode == 0 and r.stdout == "", r.stderr
        m = (await await_msgs(c, 1))[0]
        assert m["user"] == "unixuser" and m["text"] == "second"
    run(go())


def test_send_from_stdin_one_message_a_line_past_the_burst(server, tmp_path):
    """50 lines: more than the rate limit's burst (40), so some writes are answered
    rate_limited and go again later, with their client key; every one is stored once, in
    order, and the command exits 0 only when all are acknowledged."""
    lines = [f"line {i}" for i in range(50)]
    stdin = "\n".join(lines[:25]) + "\n\n\r\n" + "\r\n".join(lines[25:])  # no final newline
    async def go():
        c = await watcher(server)
        r = cli(tmp_path, "send", server.http, "#general", "--name", "piper", stdin=stdin,
                timeout=60)
        assert r.returncode == 0, r.stderr
        got = await await_msgs(c, 50)
        assert [m["text"] for m in got] == lines
        seqs = [m["seq"] for m in got]
        assert seqs == list(range(seqs[0], seqs[0] + 50))
        assert sorted(map(int, r.stdout.split())) == seqs
        with pytest.raises((AssertionError, asyncio.TimeoutError)):  # none stored twice
            await c.recv_json("msg", skip=("join", "leave", "typing"), timeout=0.5)
    run(go())


def test_send_refusals_and_their_exit_codes(server, tmp_path):
    # A channel the user is not in (nor anyone: it does not exist): 4, before any write.
    r = cli(tmp_path, "send", server.http, "#nowhere", "hi", "--name", "eve")
    assert r.returncode == 4 and "not_member" in r.stderr, r
    r = cli(tmp_path, "history", server.http, "#nowhere", "--name", "eve")
    assert r.returncode == 4, r
    # A direct message with nobody (nor may guests open one): the server's code, 4.
    r = cli(tmp_path, "send", server.http, "@nobody", "hi", "--name", "eve")
    assert r.returncode == 4 and "no_such_user" in r.stderr, r
    # The server refuses the write itself: its code on stderr, 1.
    r = cli(tmp_path, "send", server.http, "#general", "x" * 4001, "--name", "eve")
    assert r.returncode == 1 and "too_large" in r.stderr, r
    # A name the server will not give a guest: cannot sign in, 3.
    r = cli(tmp_path, "send", server.http, "#general", "hi", "--name", " bad")
    assert r.returncode == 3 and "bad_name" in r.stderr, r


def test_unreachable_servers_and_bad_command_lines(server, tmp_path):
    free_port = server.port  # a port nothing listens on: this server's, stopped
    other = server.http
    server.stop()
    r = cli(tmp_path, "send", f"http://127.0.0.1:{free_port}", "#general", "hi")
    assert r.returncode == 3 and "unreachable" in r.stderr, r
    server.restart()
    # Not parley's WebSocket (a base path the server does not have): 3, saying why.
    r = cli(tmp_path, "send", other + "/nope", "#general", "hi")
    assert r.returncode == 3 and "404" in r.stderr, r
    for args in (["send", "localhost:1", "#general", "hi"], ["send", "ftp://h", "#g", "x"],
                 ["send", server.http], ["tail"], ["history", server.http, "#g", "--since", "x"],
                 ["send", server.http, "#general", "hi", "--bogus"]):
        r = cli(tmp_path, *args)
        assert r.returncode == 2, (args, r)
        assert r.stderr, args
    r = cli(tmp_path, "--help")
    assert r.returncode == 0 and "exit codes" in r.stdout
    r = cli(tmp_path, "--version")
    assert r.returncode == 0 and r.stdout.startswith("parley-cli ")


# ---------------------------------------------------------------- tail and history


def test_tail_prints_json_lines_and_follows(server, tmp_path):
    t = start_tail(server, tmp_path, "#general", "tailer")
    try:
        async def go():
            c = await watcher(server, "writer")
            acks = [await c.msg(f"news {i}") for i in range(3)]
            got = t.msgs(3)
            assert [m["text"] for m in got] == ["news 0", "news 1", "news 2"]
            assert [m["seq"] for m in got] == [a["payload"]["seq"] for a in acks]
            assert all(m["user"] == "writer" and m["channel"] == "general" for m in got)
            # Events come as the server's frames too: a reaction, an edit.
            seq = acks[0]["payload"]["seq"]
            await c.send_json("react", {"seq": seq, "emoji": "👍"}, id="r1")
            await c.send_json("edit", {"seq": seq, "text": "news zero"}, id="e1")
            kinds = [t.next(), t.next()]
            assert [k["type"] for k in kinds] == ["react", "edit"], kinds
            assert kinds[0]["payload"]["emoji"] == "👍" and kinds[0]["payload"]["target"] == seq
            assert kinds[1]["payload"]["text"] == "news zero"
        run(go())
    finally:
        assert t.stop() == 0, "".join(t.err)


def test_tail_resumes_across_a_server_restart_without_gap_or_duplicate(server, tmp_path):
    """In #news (not #general, whose newest page a join brings anyway): what was written
    while the tail was away comes only through the resume its join carries."""
    token = account_token(server, "tom")

    async def make():
        c, _, _ = await Client.joined(server, "tom", token=token)
        await c.send_json("channel_create", {"name": "news"}, id="c1")
        await c.recv_json("channel", skip=("join", "leave", "typing", "history"))
        await c.close()
    run(make())
    t = Tail(tmp_path, server.http, "#news", "--token", token)
    try:
        async def write(prefix, n):
            c, _, _ = await Client.joined(server, "tom", token=token)
            for i in range(n):
                await c.msg(f"{prefix} {i}", channel="news")
            await c.close()
        t.wait_ready()
        run(write("before", 3))
        seen = t.msgs(3)
        server.stop()
        server.restart()
        run(write("after", 4))  # at once: most likely before the tail is back
        seen += t.msgs(4)
        seqs = [m["seq"] for m in seen]
        assert seqs == list(range(seqs[0], seqs[0] + 7)), seqs
        assert [m["text"] for m in seen[3:]] == [f"after {i}" for i in range(4)]
        t.silent(1.0)  # nothing twice
        assert any("connection lost" in line for line in t.err), t.err
    finally:
        assert t.stop(signal.SIGTERM) == 0, "".join(t.err)


def test_tail_since_replays_then_follows(server, tmp_path):
    async def go():
        c = await watcher(server, "writer")
        acks = [await c.msg(f"old {i}") for i in range(4)]
        first = acks[0]["payload"]["seq"]
        t = Tail(tmp_path, server.http, "#general", "--name", "late", "--since", first + 1)
        try:
            got = t.msgs(2)
            assert [m["text"] for m in got] == ["old 2", "old 3"]
            await await_join(c, "late")
            await c.msg("new")
            assert [m["text"] for m in t.msgs(1)] == ["new"]
        finally:
            assert t.stop() == 0
    run(go())


def test_history_since_and_limit(server, tmp_path):
    async def go():
        c = await watcher(server, "writer")
        acks = [await c.msg(f"h{i}") for i in range(6)]
        return [a["payload"]["seq"] for a in acks]
    seqs = run(go())

    def rows(*args):
        r = cli(tmp_path, "history", server.http, "#general", "--name", "reader", *args)
        assert r.returncode == 0, r.stderr
        return [json.loads(line) for line in r.stdout.splitlines()]

    got = rows("--since", seqs[2])
    assert [m["payload"]["seq"] for m in got] == seqs[3:]
    assert all(m["type"] == "msg" for m in got)
    got = rows("--since", seqs[0], "--limit", 2)
    assert [m["payload"]["text"] for m in got] == ["h1", "h2"]
    got = rows("--limit", 3)  # the newest page
    assert [m["payload"]["text"] for m in got] == ["h3", "h4", "h5"]
    assert rows("--since", seqs[-1]) == []


# ---------------------------------------------------------------- accounts and TLS


def test_login_keeps_a_private_token_that_send_uses(server, tmp_path):
    assert register(server, "owner1").status == 201  # the first account is the owner
    assert register(server, "carol").status == 201
    r = cli(tmp_path, "login", server.http, "--name", "carol", stdin=password_for("carol") + "\n")
    assert r.returncode == 0, r.stderr
    d = tmp_path / "config" / "parley"
    f = d / "tokens"
    assert stat.S_IMODE(d.stat().st_mode) == 0o700
    assert stat.S_IMODE(f.stat().st_mode) == 0o600
    (key, token), = [line.split(" ") for line in f.read_text().splitlines()]
    assert key == f"http://127.0.0.1:{server.port}" and len(token) == 64
    assert password_for("carol") not in f.read_text()

    async def go():
        c = await watcher(server)
        # The saved token, found by another spelling of the URL; a DM to an account.
        r = cli(tmp_path, "send", server.url + "/ws", "#general", "signed in")
        assert r.returncode == 0, r.stderr
        m = (await await_msgs(c, 1))[0]
        assert m["user"] == "carol" and "guest" not in m
        r = cli(tmp_path, "send", server.http, "@owner1", "psst")
        assert r.returncode == 0, r.stderr
        r = cli(tmp_path, "history", server.http, "@owner1")
        assert [json.loads(x)["payload"]["text"] for x in r.stdout.splitlines()] == ["psst"]
        # --guest ignores the token.
        r = cli(tmp_path, "send", server.http, "#general", "as a guest", "--guest")
        assert r.returncode == 0, r.stderr
        m = (await await_msgs(c, 1))[0]
        assert m["user"] == "unixuser" and m.get("guest") is True
    run(go())
    # A wrong password: 3, the server's code; the saved token stays.
    r = cli(tmp_path, "login", server.http, "--name", "carol", stdin="wrong\n")
    assert r.returncode == 3 and "bad_credentials" in r.stderr, r
    assert token in f.read_text()
    # logout forgets it.
    assert cli(tmp_path, "logout", server.http).returncode == 0
    assert f.read_text() == ""


def test_wss_against_a_tls_server(make_server, tmp_path):
    cert, key = make_cert(tmp_path, "a")
    s = make_server("--tls-cert", str(cert), "--tls-key", str(key))
    url = f"https://127.0.0.1:{s.port}"
    r = cli(tmp_path, "send", url, "#general", "over tls", "--ca-file", cert, "--name", "tls1")
    assert r.returncode == 0, r.stderr
    r = cli(tmp_path, "history", f"wss://127.0.0.1:{s.port}", "#general", "--ca-file", cert,
            "--name", "tls2")
    assert r.returncode == 0, r.stderr
    assert [json.loads(x)["payload"]["text"] for x in r.stdout.splitlines()] == ["over tls"]
    # Not trusted: refused, saying why; --insecure goes through.
    r = cli(tmp_path, "send", url, "#general", "no", "--name", "tls3")
    assert r.returncode == 3 and "certificate" in r.stderr, r
    r = cli(tmp_path, "send", url, "#general", "yes", "--insecure", "--name", "tls3")
    assert r.returncode == 0, r.stderr
