"""Changes of channels that the bus lost reach the other processes all the same (issue 13).

Channel changes (made, deleted, joined, left, topics) travel on the bus's "changes" topic;
when that subscription is (again) in place, a process re-reads channels, members and read
markers from the store and applies what it missed (docs/protocol.md, "Several processes").
Here the bus is down while one process changes things; the other's clients hear of every
change once the bus is back.
"""
import asyncio
import re
import time
import urllib.request

import websockets

from accounts import account_token, logout
from test_shared import redis  # noqa: F401 (fixture)
from wsraw import Client, run

SKIP = ("join", "leave", "typing", "history", "presence", "msg", "read")


async def joined(server, token):
    """A client of the account of token on server, once the server knows the account (a
    process re-reads accounts within a second of a change elsewhere)."""
    for _ in range(50):
        c = await Client.connect(server)
        await c.send_json("join", {"token": token, "events": True})
        m = await c.recv_json("welcome", "error")
        if m["type"] == "welcome":
            return c, m["payload"]
        await c.close()
        await asyncio.sleep(0.1)
    raise AssertionError("the account never reached the process")


def metric(server, name):
    with urllib.request.urlopen(server.http + "/metrics", timeout=5) as r:
        text = r.read().decode()
    m = re.search(rf"^{name} (\d+)$", text, re.M)
    assert m, f"{name} not in /metrics"
    return int(m.group(1))


async def until(c, pred, timeout, skip=SKIP):
    """The first event pred accepts, within timeout seconds."""
    deadline = time.monotonic() + timeout
    while True:
        m = await c.recv_json(skip=skip, timeout=max(0.1, deadline - time.monotonic()))
        if pred(m):
            return m


def test_changes_lost_on_the_bus_are_resynced(make_server, redis, tmp_path):
    flags = ("--bus", redis.url)
    db = tmp_path / "shared.db"
    a = make_server(*flags, db=db)
    b = make_server(*flags, db=db)
    amy, bob = account_token(a, "amy", role="admin"), account_token(a, "bob")

    async def go():
        ca, _ = await joined(a, amy)
        cb, _ = await joined(b, bob)
        # before the outage: a channel both know, bob a member of it (through b)
        await ca.send_json("channel_create", {"name": "doomed"}, id="c1")
        await ca.recv_json("channel", skip=SKIP)
        await ca.send_json("channel_invite", {"channel": "doomed", "user": "bob"}, id="i1")
        await ca.recv_json("invited", skip=SKIP + ("channel",))
        await until(cb, lambda m: m["type"] == "channel"
                    and m["payload"]["channel"]["name"] == "doomed", 10)

        redis.stop()
        await asyncio.sleep(0.5)
        # while the bus is down: a new channel bob is invited to, a topic, a delete
        await ca.send_json("channel_create", {"name": "quiet"}, id="c2")
        await ca.recv_json("channel", skip=SKIP)
        await ca.send_json("channel_invite", {"channel": "quiet", "user": "bob"}, id="i2")
        await ca.recv_json("invited", skip=SKIP + ("channel",))
        await ca.send_json("channel_delete", {"channel": "doomed"},
                           id="d1")
        # bob's process heard nothing of them
        try:
            m = await until(cb, lambda m: m["type"] in ("channel", "channel_left"), 1.5)
        except (AssertionError, asyncio.TimeoutError):
            m = None
        assert m is None, f"heard while the bus was down: {m}"
        assert metric(b, "parley_bus_up") == 0
        redis.start()  # empty, on the same port: the processes reconnect by themselves

        got = {}
        deadline = time.monotonic() + 20
        while len(got) < 2 and time.monotonic() < deadline:
            m = await until(cb, lambda m: m["type"] in ("channel", "channel_left"),
                            deadline - time.monotonic())
            name = m["payload"]["channel"]
            name = name["name"] if isinstance(name, dict) else name
            got[(m["type"], name)] = m
        assert ("channel", "quiet") in got, got
        assert ("channel_left", "doomed") in got, got
        # and a new client of b sees the store's truth
        c2, welcome = await joined(b, bob)
        names = {ch["name"] for ch in welcome["channels"]}
        assert "quiet" in names and "doomed" not in names, names
        assert metric(b, "parley_bus_up") == 1
        assert metric(b, "parley_bus_reconnects_total") >= 1
        assert metric(b, "parley_bus_topics") >= 3  # changes, presence, #general, quiet
        for c in (ca, cb, c2):
            await c.close()

    run(go(), 60)


def test_reactions_read_markers_and_sign_out_cross_processes(make_server, redis, tmp_path):
    """A reaction made on one process reaches the author on the other; a read marker moved in
    one tab reaches the user's tab on the other process; a sign-out on one process closes the
    session's sockets on the other within a few seconds (4001)."""

    flags = ("--bus", redis.url)
    db = tmp_path / "shared.db"
    a = make_server(*flags, db=db)
    b = make_server(*flags, db=db)
    amy, bob = account_token(a, "amy"), account_token(a, "bob")

    async def go():
        ca, _ = await joined(a, amy)
        cb, _ = await joined(b, amy)  # amy's second tab, on the other process
        bb, _ = await joined(b, bob)
        await ca.send_json("msg", {"channel": "general", "text": "hello", "cid": "h1"}, id="m")
        seq = (await ca.recv_json("ack", skip=SKIP))["payload"]["seq"]
        await until(bb, lambda m: m["type"] == "msg" and m["payload"]["seq"] == seq, 10, skip=())

        await bb.send_json("react", {"channel": "general", "seq": seq, "emoji": "👍"}, id="r")
        r = await until(ca, lambda m: m["type"] == "react", 10)
        assert r["payload"]["user"] == "bob" and r["payload"]["on"] is True, r
        assert r["payload"]["target"] == seq, r

        await ca.send_json("read", {"channel": "general", "seq": seq}, id="rd")
        rd = await cb.recv_json("read", skip=("join", "leave", "typing", "msg", "react", "history"),
                                timeout=10)
        assert rd["payload"] == {"channel": "general", "seq": seq}, rd

        assert (await asyncio.to_thread(logout, a, amy)).status == 200
        t0 = time.monotonic()
        try:
            while True:
                await cb.recv_raw(10)
        except websockets.ConnectionClosed:
            pass
        assert cb.ws.close_code == 4001, cb.ws.close_code
        assert time.monotonic() - t0 < 10
        for c in (ca, bb):
            await c.close()

    run(go(), 60)
