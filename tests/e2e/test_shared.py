"""Several parley processes on one store, sharing channels through a bus (--bus redis://).

docs/protocol.md, "Several processes": the store orders each channel (seq assigned at commit,
gapless), each process delivers its own commits and those the others publish, in seq order,
filling from the store what the bus lost; a client whose process dies reconnects to another
one and resumes with no gap and no duplicate, its retries (same `cid`) answered with the
original. The bus is a real redis-server started here; the store is one SQLite file both
processes open, and a PostgreSQL schema (a throwaway cluster, as test_postgres.py starts).
"""
import asyncio
import signal
import time

import pytest

from backends import Redis, free_port  # noqa: F401 (test_cluster.py imports them from here)
from test_postgres import cluster, pg_store  # noqa: F401 (fixtures)
from wsraw import Client, run


@pytest.fixture
def redis(tmp_path):
    r = Redis(tmp_path).start()
    yield r
    r.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def pair(request, make_server, redis, tmp_path):
    """Two processes on one database (a SQLite file, or a PostgreSQL schema) and one bus. A
    guest's hold outlives its connection (a client moving to the other process keeps its
    name by its session token)."""
    if request.param == "sqlite":
        where = {"db": tmp_path / "shared.db"}
    else:
        where = {"store": request.getfixturevalue("pg_store")}
    flags = ("--bus", redis.url, "--rate", "1000", "--burst", "1000", "--guest-ttl", "3600")
    a = make_server(*flags, **where)
    b = make_server(*flags, **where)
    return a, b


async def collect(c, channel, want, timeout=15):
    """msg seqs c receives on channel until it has seen seq `want` (in arrival order)."""
    got = []
    deadline = time.monotonic() + timeout
    while not got or got[-1] < want:
        left = deadline - time.monotonic()
        assert left > 0, f"only got {got[-5:]} of {want}"
        m = await c.recv_json("msg", skip=("join", "leave", "typing", "ack", "resumed"),
                              timeout=left)
        if m["payload"]["channel"] == channel:
            got.append(m["payload"]["seq"])
    return got


def test_two_processes_write_one_channel_in_one_order(pair):
    a, b = pair

    async def go():
        alice, _, _ = await Client.joined(a, "alice")
        bob, _, _ = await Client.joined(b, "bob")
        for i in range(20):
            await alice.send_json("msg", {"text": f"a{i}", "cid": f"a-{i}"}, id=f"a{i}")
            await bob.send_json("msg", {"text": f"b{i}", "cid": f"b-{i}"}, id=f"b{i}")
        got_a = await collect(alice, "general", 40)
        got_b = await collect(bob, "general", 40)
        assert got_a == list(range(1, 41))
        assert got_b == list(range(1, 41))
        await alice.send_json("history", {"channel": "general", "limit": 100}, id="h")
        h = await alice.recv_json("history", skip=("join", "leave", "typing", "ack", "msg"))
        texts = sorted(m["text"] for m in h["payload"]["messages"])
        assert texts == sorted([f"a{i}" for i in range(20)] + [f"b{i}" for i in range(20)])
        await alice.close()
        await bob.close()

    run(go(), 60)


def test_killed_process_client_resumes_on_the_other(pair):
    """alice writes on A with client keys; A is killed -9 mid-stream; alice reconnects to B,
    resumes from the last seq she saw and retries what was not acked: bob (on B) and alice
    end with one gapless sequence holding each of her messages exactly once."""
    a, b = pair

    async def go():
        bob, _, _ = await Client.joined(b, "bob")
        alice, welcome, _ = await Client.joined(a, "alice")
        # The guest's session is in the store; B reads accounts again within a second.
        await asyncio.sleep(1.5)
        seen, acked = [], set()
        for i in range(30):
            await alice.send_json("msg", {"text": f"m{i}", "cid": f"k-{i}"}, id=f"m{i}")
        # Read until some are acked, then kill A at once.
        while len(acked) < 10:
            m = await alice.recv_json("ack", "msg", skip=("join", "leave", "typing"))
            if m["type"] == "ack":
                acked.add(m["payload"]["cid"])
            else:
                seen.append(m["payload"]["seq"])
        a.kill9()
        last = max(seen) if seen else 0
        alice2, _, _ = await Client.joined(b, "alice", session=welcome["session"])
        await alice2.send_json("resume", {"channels": {"general": last}}, id="r")
        for i in range(30):
            await alice2.send_json("msg", {"text": f"m{i}", "cid": f"k-{i}"}, id=f"m{i}")
        acks = {}
        while len(acks) < 30:
            m = await alice2.recv_json("ack", "msg", "resumed", skip=("join", "leave", "typing"))
            if m["type"] == "ack":
                acks[m["payload"]["cid"]] = m["payload"]["seq"]
            elif m["type"] == "msg":
                seen.append(m["payload"]["seq"])
        assert len(set(acks.values())) == 30, "two keys answered with one seq"
        top = max(acks.values())
        while max(seen) < top:
            m = await alice2.recv_json("msg", skip=("join", "leave", "typing", "ack", "resumed"))
            seen.append(m["payload"]["seq"])
        assert seen == list(range(1, top + 1)), f"alice saw a gap or a duplicate: {seen}"
        got_b = await collect(bob, "general", top)
        assert got_b == list(range(1, top + 1)), "bob saw a gap or a duplicate"
        await alice2.send_json("history", {"channel": "general", "limit": 200}, id="h")
        h = await alice2.recv_json("history", skip=("join", "leave", "typing", "ack", "msg"))
        texts = [m["text"] for m in h["payload"]["messages"]]
        assert sorted(texts) == sorted(f"m{i}" for i in range(30)), "a message twice or lost"
        await bob.close()
        await alice2.close()

    run(go(), 90)


def test_the_store_fills_what_the_bus_lost(pair, redis):
    """With the bus gone, B's reader still gets A's messages, from the store's position
    check; once it is back, live again."""
    a, b = pair

    async def go():
        alice, _, _ = await Client.joined(a, "alice")
        bob, _, _ = await Client.joined(b, "bob")
        await alice.msg("before")
        assert await collect(bob, "general", 1) == [1]
        redis.proc.send_signal(signal.SIGSTOP)
        try:
            await alice.msg("while the bus is stuck")
            got = await collect(bob, "general", 2, timeout=10)
            assert got == [2]
        finally:
            redis.proc.send_signal(signal.SIGCONT)
        await asyncio.sleep(0.5)
        await alice.msg("after")
        assert await collect(bob, "general", 3, timeout=10) == [3]
        await alice.close()
        await bob.close()

    run(go(), 60)


@pytest.fixture
def quick_pair(make_server, redis, tmp_path):
    """Two processes whose lists of who is online live 3 s (PARLEY_TEST_PRESENCE_TTL_MS;
    20 s by default), and whose guests hold their names only while online (--guest-ttl 0),
    so that a hold lapsing on the wrong process shows at once."""
    db = tmp_path / "shared.db"
    flags = ("--bus", redis.url, "--rate", "1000", "--burst", "1000", "--guest-ttl", "0")
    env = {"PARLEY_TEST_PRESENCE_TTL_MS": "3000"}
    return make_server(*flags, db=db, env=env), make_server(*flags, db=db, env=env)


async def presence(c, kind, user, timeout=10):
    """The next `kind` (join or leave) event about user that c receives."""
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        assert left > 0, f"no {kind} of {user}"
        m = await c.recv_json(kind, skip=("join", "leave", "typing", "msg", "ack"),
                              timeout=left)
        if m["payload"]["user"] == user:
            return m


def test_presence_and_typing_cross_processes(quick_pair):
    """alice on A is online for bob on B: his `join` when she connects, carol's welcome,
    her typing, his `leave` when she goes; her guest name is held on B while she is on A;
    A killed -9: bob hears her `leave` once A's list expires."""
    a, b = quick_pair

    async def go():
        bob, _, _ = await Client.joined(b, "bob")
        alice, _, _ = await Client.joined(a, "alice")
        await presence(bob, "join", "alice")
        carol, welcome, _ = await Client.joined(b, "carol")
        assert "alice" in welcome["online"] and welcome["online_count"] == 3
        await alice.send_json("typing", {"channel": "general"})
        m = await bob.recv_json("typing", skip=("join", "leave", "msg"))
        assert m["payload"] == {"user": "alice", "channel": "general"}
        await alice.close()
        await presence(bob, "leave", "alice")
        alice, _, _ = await Client.joined(a, "alice")
        await presence(bob, "join", "alice")
        # B's accounts tick every second: alice's hold must not lapse there.
        await asyncio.sleep(2.5)
        intruder = await Client.connect(b)
        assert (await intruder.error("join", {"user": "alice"}))["code"] == "name_taken"
        a.kill9()
        t0 = time.monotonic()
        await presence(bob, "leave", "alice", timeout=25)
        assert time.monotonic() - t0 < 25
        await bob.close()
        await carol.close()

    run(go(), 60)
