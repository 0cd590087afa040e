"""Faults of the disk under the store (issue 12, item 7): no exit, no crash loop.

docs/protocol.md, "Ordering and durability": when the store cannot commit, writes are
answered `error` `unavailable` without using a seq, `/readyz` is 503 (`/healthz`, alive, 200) and `/metrics` shows
`parley_store_available 0`, reads and presence go on, and writes resume by themselves once
the store can commit again. A database that can never be written is refused at start.

A full disk is made with RLIMIT_FSIZE on the server process (a write past the limit fails
with EFBIG, which the store treats like ENOSPC; the server ignores SIGXFSZ): it needs no
mount and can be lifted from outside with prlimit(2), as the owner of the process may.
"""
import asyncio
import os
import resource
import shutil
import signal
import stat
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from conftest import parley_bin
from test_channels import expect
from wsraw import Client, get, metric, run

FLAGS = ("--rate", "1000", "--burst", "1000")
TEXT = "disk " * 800  # 4 kB: a few pages of the WAL per message


def fsize_limit(pid, limit):
    """Sets the soft RLIMIT_FSIZE of process pid (None: no limit), keeping the hard one."""
    _, hard = resource.prlimit(pid, resource.RLIMIT_FSIZE)
    resource.prlimit(pid, resource.RLIMIT_FSIZE,
                     (resource.RLIM_INFINITY if limit is None else limit, hard))


def can_limit():
    try:
        fsize_limit(os.getpid(), None)
        return True
    except (OSError, AttributeError):
        return False


def biggest_file(server):
    """The size of the largest file the server writes: the database, its WAL, its log."""
    paths = [server.db, server.db + "-wal", server.db + "-shm", str(server.log)]
    return max(os.path.getsize(p) for p in paths if os.path.exists(p))


async def send(c, text, id):
    """A msg; returns ("ack", seq) or ("error", code)."""
    await c.send_json("msg", {"text": text}, id=id)
    while True:
        m = await c.recv_json(skip=())
        if m.get("id") == id and m["type"] in ("ack", "error"):
            break
    return ("ack", m["payload"]["seq"]) if m["type"] == "ack" else ("error", m["code"])


async def wait_healthy(server, want, seconds=15):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if get(server.port, "/readyz").status == want:
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"/readyz never answered {want}")


async def fill_until_refused(c, last, limit=200):
    """Sends until the store refuses one; returns the last acknowledged seq (last: the one
    before)."""
    for i in range(limit):
        kind, v = await send(c, TEXT, f"f{i}")
        if kind == "error":
            assert v == "unavailable", v
            return last
        last = v
    raise AssertionError("the store never refused a write")


async def check_refusing(server, alice, bob, last):
    """The failed state as a client and an operator see it."""
    assert await send(alice, "still?", "x1") == ("error", "unavailable")
    r = get(server.port, "/readyz")
    assert (r.status, r.json()) == (503, {"status": "unavailable"})
    assert get(server.port, "/healthz").status == 200  # alive all the same
    assert metric(get(server.port, "/metrics").body.decode(), "parley_store_available") == 0
    # reads go on: a page of history, with the last acknowledged message at its end
    await bob.send_json("history", {"channel": "general", "limit": 5}, id="h")
    page = await expect(bob, "history", lambda m: m.get("id") == "h")
    assert page["payload"]["messages"][-1]["seq"] == last
    # and presence: a newcomer is told who is here, and they are told of it
    carol, welcome, _ = await Client.joined(server, "carol")
    assert {"alice", "bob", "carol"} <= set(welcome["online"])
    await expect(alice, "join", lambda m: m["payload"]["user"] == "carol")
    await carol.close()


@pytest.mark.skipif(not can_limit(), reason="cannot set RLIMIT_FSIZE with prlimit(2) here")
@pytest.mark.sqlite_only  # the SQLite file's disk fills
def test_disk_full_refuses_writes_serves_reads_and_recovers(make_server):
    server = make_server(*FLAGS)

    async def flow():
        alice, _, _ = await Client.joined(server, "alice")
        bob, _, _ = await Client.joined(server, "bob")
        for i in range(3):
            assert await send(alice, f"before {i}", f"b{i}") == ("ack", i + 1)
        fsize_limit(server.pid, biggest_file(server) + 16384)
        last = await fill_until_refused(alice, 3)
        await check_refusing(server, alice, bob, last)
        assert server.proc.poll() is None, "the server exited"

        fsize_limit(server.pid, None)  # space is back: the server notices by itself
        await wait_healthy(server, 200)
        assert metric(get(server.port, "/metrics").body.decode(), "parley_store_available") == 1
        assert await send(alice, "back", "a1") == ("ack", last + 1)  # no seq was used
        assert await send(bob, "again", "a2") == ("ack", last + 2)
        for c in (alice, bob):
            await c.close()

    run(flow(), timeout=90)
    assert "disk is full" in server.logs() or "I/O error" in server.logs()


@pytest.mark.skipif(not can_limit(), reason="cannot set RLIMIT_FSIZE with prlimit(2) here")
@pytest.mark.sqlite_only  # the SQLite file's disk fills
def test_restart_on_a_full_disk_starts_refusing_writes(make_server):
    """The crash loop: started (again, after a kill -9) on a disk with no room for one more
    transaction, the server comes up refusing writes, not exiting at the first one, and
    recovers once there is room."""
    server = make_server(*FLAGS)

    async def fill():
        alice, _, _ = await Client.joined(server, "alice")
        for i in range(10):
            assert await send(alice, TEXT, f"f{i}") == ("ack", i + 1)
        await alice.close()

    run(fill(), timeout=60)
    server.kill9()  # no checkpoint: the WAL keeps its frames, and a write must append
    wal = os.path.getsize(server.db + "-wal")
    assert wal > 65536, wal  # room for the -shm file (32 kB) and the log under the limit
    server.preexec_fn = lambda: resource.setrlimit(
        resource.RLIMIT_FSIZE, (wal, resource.getrlimit(resource.RLIMIT_FSIZE)[1]))
    server.restart()
    assert "the first write failed" in server.log.read_text()

    async def flow():
        r = get(server.port, "/readyz")
        assert (r.status, r.json()) == (503, {"status": "unavailable"})
        alice, _, hist = await Client.joined(server, "alice")
        bob, _, _ = await Client.joined(server, "bob")
        assert hist["messages"][-1]["seq"] == 10
        await check_refusing(server, alice, bob, 10)
        fsize_limit(server.pid, None)
        await wait_healthy(server, 200)
        assert await send(alice, "back", "a1") == ("ack", 11)
        await alice.close()
        await bob.close()

    run(flow(), timeout=90)


# ---- a database that can never be written


def as_other_user():
    """Popen arguments that run the server as someone the file modes bind: root passes any
    mode, so as root the server runs as nobody."""
    if os.geteuid() != 0:
        return {}
    return {"user": 65534, "group": 65534, "extra_groups": []}


def start_refused(db, tmp):
    """Runs the server on db; returns (exit code, output). It must not start."""
    cmd = [parley_bin(), "--host", "127.0.0.1", "--port", "0", "--db", str(db)]
    env = dict(os.environ, ASAN_OPTIONS="detect_leaks=1")
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                       timeout=20, env=env, cwd=tmp, **as_other_user())
    return p.returncode, p.stdout


@pytest.fixture
def open_dir():
    """A directory the server's user may use (pytest's tmp_path is private to root)."""
    d = Path(tempfile.mkdtemp(prefix="parley-faults-"))
    d.chmod(0o777)
    yield d
    d.chmod(0o755)
    shutil.rmtree(d)


def make_db(make_server, d):
    """A parley database at d/p.db, closed cleanly, owned by the server's user."""
    s = make_server(db=d / "p.db")
    assert s.stop() == 0
    ids = as_other_user()
    for p in d.iterdir():
        if ids:
            os.chown(p, ids["user"], ids["group"])
    return d / "p.db"


@pytest.mark.sqlite_only  # a read-only SQLite file
def test_read_only_database_is_refused_at_start(make_server, open_dir):
    db = make_db(make_server, open_dir)
    db.chmod(stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
    code, out = start_refused(db, open_dir)
    assert code == 1, out
    lines = [l for l in out.splitlines() if " E " in l]
    assert len(lines) == 1, out
    assert f"cannot write {db}: Permission denied" in lines[0], out
    assert "listening" not in out


@pytest.mark.sqlite_only  # the SQLite file's read-only directory
def test_read_only_directory_is_refused_at_start(make_server, open_dir):
    db = make_db(make_server, open_dir)
    open_dir.chmod(0o555)
    code, out = start_refused(db, open_dir)
    assert code == 1, out
    assert f"cannot write {db}: its directory {open_dir}: Permission denied" in out, out
    assert "-wal" in out and "listening" not in out
    # nor can one be created there
    code, out = start_refused(open_dir / "new.db", open_dir)
    assert code == 1 and "its directory" in out, out
    assert not (open_dir / "new.db").exists()


def test_sigxfsz_does_not_kill(make_server):
    """The file size limit's signal is ignored: the write fails instead (checked above); here,
    that the signal itself does not end the process."""
    server = make_server()
    os.kill(server.pid, signal.SIGXFSZ)
    time.sleep(0.2)
    assert server.proc.poll() is None
    assert get(server.port, "/readyz").status == 200
