"""The server on PostgreSQL (`--store postgresql://...`, src/store/store_pg.h): what SQLite
keeps, PostgreSQL keeps too, across a restart, and a store whose server went away comes
back by itself once it returns.

The module starts its own throwaway cluster (scripts/pg-test-server; PostgreSQL refuses to
run as root, so as root it runs as the `postgres` user) and stops and removes it at the
end. Each test gets a schema of its own, named in the store URL's search_path. Without
PostgreSQL's server programs the module is skipped, saying so (scripts/deps test installs
them).
"""
import asyncio
import subprocess
import time

import pytest

from backends import PG_SCRIPT as SCRIPT, PgCluster, new_schema, pg_available
from conftest import servers_made
from test_channels import expect, post, request
from wsraw import Client, get, run

FLAGS = ("--rate", "1000", "--burst", "1000")


@pytest.fixture(scope="module")
def cluster():
    """(directory, URL) of a cluster for this module's tests (its own: a test here stops it)."""
    if not pg_available():
        pytest.skip("PostgreSQL's server programs are not installed (scripts/deps test)")
    c = PgCluster().start()
    try:
        yield c.dir, c.url
    finally:
        c.stop()


@pytest.fixture
def pg_store(cluster, request):
    """A store URL on a fresh schema of the module's cluster."""
    _, url = cluster
    schema = "t_" + request.node.name.lower().replace("[", "_").replace("]", "")[:50]
    return new_schema(url, schema)


@pytest.fixture
def pg_server(tmp_path, pg_store):
    """make(*flags) -> a started server on pg_store; each is stopped and checked at the end."""
    yield from servers_made(tmp_path, store=pg_store)


async def search(c, q, id="s"):
    r = await request(c, "search", {"q": q}, "results", id=id)
    return [(m["channel"], m["user"], m["text"]) for m in r["payload"]["messages"]]


async def history(c, channel, id="h", **payload):
    r = await request(c, "history", {"channel": channel, "limit": 50, **payload}, "history", id=id)
    return r["payload"]["messages"]


def test_history_channels_and_search_survive_a_restart(pg_server):
    """Posts, an edit, a delete, a thread reply and a channel with a member, on PostgreSQL;
    after a restart every answer comes from the database: history (gapless, with the edit and
    the delete applied and the reply counted), the channel and its member, search (a phrase,
    from:, in:), and new messages take the next seqs."""
    server = pg_server(*FLAGS)
    log = []

    async def before():
        alice, _, _ = await Client.joined(server, "alice", account=True)
        bob, _, _ = await Client.joined(server, "bob", account=True)
        fox = await post(alice, "general", "the quick brown fox", id="a1")
        await post(bob, "general", "lazy dog-days of summer", id="b1")
        oops = await post(alice, "general", "a secret I regret", id="a2")
        await alice.send_json("edit", {"seq": fox["seq"], "text": "the quick brown fox jumps"},
                              id="e1")
        await expect(alice, "ack", lambda m: m.get("id") == "e1")
        await alice.send_json("delete", {"seq": oops["seq"]}, id="d1")
        await expect(alice, "ack", lambda m: m.get("id") == "d1")
        await alice.send_json("msg", {"text": "why a fox?", "thread": fox["seq"]}, id="r1")
        await expect(alice, "ack", lambda m: m.get("id") == "r1")
        await request(alice, "channel_create", {"name": "launch", "topic": "go"}, "channel")
        await request(bob, "channel_join", {"channel": "launch"}, "channel")
        await post(bob, "launch", "countdown at noon", id="b2")
        log.extend([fox["seq"], oops["seq"]])
        for c in (alice, bob):
            await c.close()

    run(before())
    assert server.stop() == 0
    server.restart()
    fox, oops = log

    async def after():
        carol, _, hist = await Client.joined(server, "carol", account=True)
        msgs = await history(carol, "general", before=10**6)
        seqs = [m["seq"] for m in msgs]
        assert seqs == list(range(1, len(seqs) + 1)), seqs
        by = {m["seq"]: m for m in msgs}
        assert by[fox]["text"] == "the quick brown fox jumps" and by[fox].get("edited")
        assert by[fox]["replies"]["count"] == 1
        assert by[oops]["text"] == "" and by[oops].get("deleted")
        assert "regret" not in str(msgs)
        jumps = [("general", "alice", "the quick brown fox jumps")]
        assert await search(carol, '"brown fox"') == jumps
        assert await search(carol, '"fox brown"') == []  # a phrase is its words in order
        assert await search(carol, "fox brown") == jumps  # words are each
        assert await search(carol, "dog days") == [("general", "bob", "lazy dog-days of summer")]
        assert await search(carol, "regret") == []
        assert await search(carol, "quick from:alice") != []
        assert await search(carol, "quick from:bob") == []
        await request(carol, "channel_join", {"channel": "launch"}, "channel")
        launch = await history(carol, "launch", id="hl")
        assert [m["text"] for m in launch if "kind" not in m] == ["countdown at noon"]
        # the channel lines (issue 14): bob joined before the restart, carol now
        assert [(m["kind"], m["member"]) for m in launch if "kind" in m] == \
            [("joined", "bob"), ("joined", "carol")]
        assert await search(carol, "countdown in:#launch") == [("launch", "bob",
                                                                 "countdown at noon")]
        new = await post(carol, "general", "after the restart", id="c1")
        assert new["seq"] == len(seqs) + 1
        await carol.close()

    run(after())


async def send(c, text, id):
    """A msg; returns ("ack", seq) or ("error", code)."""
    await c.send_json("msg", {"text": text}, id=id)
    while True:
        m = await c.recv_json(skip=())
        if m.get("id") == id and m["type"] in ("ack", "error"):
            return ("ack", m["payload"]["seq"]) if m["type"] == "ack" else ("error", m["code"])


def test_writes_come_back_with_postgresql(pg_server, cluster):
    """PostgreSQL stops under a running server: writes are answered `unavailable` (no exit,
    no seq used) and /readyz says so; once PostgreSQL is back, the store's probe starts a
    new session and writes resume by themselves, with the next seq; reads work again too."""
    server = pg_server(*FLAGS)
    d, _ = cluster

    async def flow():
        alice, _, _ = await Client.joined(server, "alice")
        for i in range(3):
            assert await send(alice, f"before {i}", f"b{i}") == ("ack", i + 1)
        subprocess.run([SCRIPT, "pause", d], check=True, timeout=60)
        try:
            assert await send(alice, "while away", "w1") == ("error", "unavailable")
            assert get(server.port, "/readyz").status == 503
            assert server.proc.poll() is None, "the server exited"
        finally:
            subprocess.run([SCRIPT, "resume", d], check=True, timeout=60)
        deadline = time.monotonic() + 30
        while get(server.port, "/readyz").status != 200:
            assert time.monotonic() < deadline, "the store never came back"
            await asyncio.sleep(0.2)
        assert await send(alice, "back", "a1") == ("ack", 4)
        msgs = await history(alice, "general", before=10**6)
        assert [m["text"] for m in msgs] == ["before 0", "before 1", "before 2", "back"]
        await alice.close()

    run(flow(), timeout=120)
    assert "postgresql" in server.logs()
