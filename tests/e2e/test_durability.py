"""Durability: nothing acknowledged is lost, seqs stay gapless, across kill -9 and SIGTERM.

docs/protocol.md, "Ordering and durability": an `ack` is sent only once the message is
committed; `--sync normal` keeps every acknowledged message through a killed process,
`--sync full` too; seqs number the channel from 1 without gaps, across restarts. Shutdown
(SIGTERM) closes WebSockets with 1001 and the process exits 0.

The load and the checks live in tools/killtest.py (also usable by hand); the first test
runs it as a program, the others reuse its pieces against the conftest server.
"""
import asyncio
import json
import random
import subprocess
import sys
import time

import pytest

from accounts import account_token, register
from conftest import ROOT, parley_bin
from wsraw import Client, run

sys.path.insert(0, str(ROOT / "tools"))
import killtest  # noqa: E402

RATE_FLAGS = ("--rate", "1000", "--burst", "1000")


class WsTarget:
    """What killtest's helpers need of a server: .url of the JSON endpoint."""

    def __init__(self, server):
        self.server = server

    @property
    def url(self):
        return self.server.url + "/ws"


def run(coro, timeout=60):
    return asyncio.run(asyncio.wait_for(coro, timeout))


def assert_clean(v):
    assert not v, "durability violations:\n" + "\n".join(v[:30])


# serial: each round's load must get messages acknowledged within its 2 s before the kill
@pytest.mark.serial
@pytest.mark.sqlite_only  # tools/killtest.py starts parley on a SQLite file and reads it
def test_killtest_kill9_rounds():
    """tools/killtest.py: 3 rounds of load + SIGKILL at a random instant on one database."""
    cmd = [sys.executable, str(ROOT / "tools" / "killtest.py"), "--bin", parley_bin(),
           "--rounds", "3", "--clients", "4", "--seconds", "2"]
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                       timeout=180)
    summary = p.stdout.strip().splitlines()[-1] if p.stdout.strip() else ""
    assert p.returncode == 0, f"killtest failed (exit {p.returncode}):\n{p.stdout[-6000:]}"
    assert summary.startswith("killtest: OK"), p.stdout[-3000:]
    acked = int(summary.split("acked=")[1].split()[0])
    assert acked > 100, f"too little load to mean anything: {summary}"


# serial: more than 50 messages acknowledged in a 1.5 s window
@pytest.mark.serial
def test_sigterm_while_sending(make_server):
    """SIGTERM under load: clients get 1001, exit code 0, every ack survives, seq continues."""
    server = make_server(*RATE_FLAGS)
    target = WsTarget(server)
    v = killtest.Violations()
    ledger = killtest.Ledger()
    rng = random.Random(1)

    # server.stop() sends SIGTERM at a random instant and waits for the exit code
    code = run(killtest.load_round(target, 1, 4, 1.5, ledger, v, rng, lambda _t: server.stop()))
    assert code == 0, f"parley exited {code} after SIGTERM:\n{server.logs()[-4000:]}"
    assert len(ledger.acked) > 50, f"only {len(ledger.acked)} messages acknowledged"
    assert ledger.closes == {1001: 4}, f"close codes seen by the clients: {ledger.closes}"
    assert_clean(v)

    # the process is gone: read the store (PostgreSQL names the user column author)
    stored = killtest.read_sqlite(server.db) if not server.store else {
        seq: (user, text) for seq, user, text in server.rows(
            f"SELECT seq, author, text FROM messages WHERE channel = '{killtest.CHANNEL}'")}
    top = killtest.check_store(stored, ledger, v, "the store after SIGTERM")
    assert_clean(v)
    assert top >= max(ledger.acked)

    server.restart()
    top2 = run(killtest.verify_after_restart(target, 1, ledger, v))
    assert_clean(v)
    assert top2 == top


async def send_acked(url, user, n, tag):
    """Joins and sends n messages one window at a time; returns {seq: (user, text)}."""
    ws, _ = await killtest.join(url, user)
    acked = {}
    try:
        for start in range(0, n, 20):
            ids = {}
            for k in range(start, min(n, start + 20)):
                rid = f"m{k}"
                ids[rid] = f"full sync {tag} {k} ✓"
                await ws.send(json.dumps({"type": "msg", "id": rid,
                                          "payload": {"channel": "general", "text": ids[rid]}}))
            while ids:
                m = await killtest.wait_for(ws, lambda m: m.get("id") in ids, what="ack")
                assert m["type"] == "ack", m
                acked[m["payload"]["seq"]] = (user, ids.pop(m["id"]))
    finally:
        await ws.close()
    return acked


def test_sync_full_kill9(make_server):
    """--sync full smoke: acked messages are there after kill -9, seq continues after them."""
    server = make_server("--sync", "full", *RATE_FLAGS)
    target = WsTarget(server)
    assert "sync full" in server.logs(), server.logs()[-2000:]
    acked = run(send_acked(target.url, "fsync", 120, "a"))
    assert sorted(acked) == list(range(1, 121))

    server.kill9()
    server.restart()
    ledger = killtest.Ledger()
    ledger.acked = dict(acked)
    ledger.sent_texts = {t for _, t in acked.values()}
    v = killtest.Violations()
    top = run(killtest.verify_after_restart(target, 1, ledger, v))
    assert_clean(v)
    assert top == 120

    # once more, so the second process's commits are checked too
    acked2 = run(send_acked(target.url, "fsync", 30, "b"))
    assert sorted(acked2) == list(range(122, 152))
    server.kill9()
    server.restart()
    ledger.acked.update(acked2)
    ledger.sent_texts |= {t for _, t in acked2.values()}
    top = run(killtest.verify_after_restart(target, 2, ledger, v))
    assert_clean(v)
    assert top == 151


def test_kill9_never_leaves_half_a_request(make_server):
    """Issue 12, item 4: one request's store operations commit together or not at all. A
    storm of eight-person DMs and channel creations is killed (-9) at a random instant,
    three times: every stored DM has all eight members and every stored channel its
    creator (before, a DM was found with 4 of its 8 members, and a channel with none)."""
    server = make_server("--rate", "100000", "--burst", "100000")
    people = [f"p{i}" for i in range(12)]
    account_token(server, "owner")  # the first account is the owner's
    # registrations are limited per address: each person comes from an address of its own
    tokens = {p: register(server, p, source=f"127.0.0.{20 + i}").json()["token"]
              for i, p in enumerate(people)}
    rnd = random.Random(12)

    async def storm(stop_after, joined):
        clients = []
        for p in people[:3]:
            c, _, _ = await Client.joined(server, p, token=tokens[p])
            clients.append((p, c))
        joined.set()  # the kill comes from here on, not while joining (a slow machine)
        n = 0
        deadline = time.monotonic() + stop_after
        try:
            while time.monotonic() < deadline:
                for p, c in clients:
                    others = rnd.sample([q for q in people if q != p], 7)
                    await c.send_json("dm_open", {"users": others}, id=f"d{n}")
                    await c.send_json("channel_create", {"name": f"c{n}-{p}"}, id=f"c{n}")
                    n += 1
                await asyncio.sleep(0.002)
        except Exception:
            pass  # the server was killed under us
        return n

    for round_ in range(3):
        async def go():
            joined = asyncio.Event()
            task = asyncio.ensure_future(storm(3.0, joined))
            await asyncio.wait_for(joined.wait(), 30)
            await asyncio.sleep(0.3 + rnd.random())
            server.kill9()
            return await task
        sent = run(go())
        assert sent > 0
        dms = server.rows("SELECT c.name, count(m.user_id) FROM channels c LEFT JOIN members m "
                          "ON m.channel = c.name WHERE c.kind = 'dm' GROUP BY c.name")
        chans = server.rows("SELECT c.name, count(m.user_id) FROM channels c LEFT JOIN members "
                            "m ON m.channel = c.name WHERE c.kind <> 'dm' AND c.name <> "
                            "'general' GROUP BY c.name")
        assert dms and chans, (round_, dms, chans)
        assert [d for d in dms if d[1] != 8] == [], round_
        assert [c for c in chans if c[1] < 1] == [], round_
        server.restart()
