"""Search beyond words and the first page (docs/protocol.md, "Search"): thread replies carry
their `thread`, `from:` works alone, `after:` and `before:` bound the dates, and `next` pages
on past the newest 50, on SQLite and (PARLEY_TEST_BACKEND=shared) PostgreSQL alike.
"""
import asyncio
import json
import time

from test_channels import error, expect, post, request
from wsraw import Client, run

FAST = ("--rate", "1000000", "--burst", "1000000")


async def search(c, q, id="s", **kw):
    return (await request(c, "search", {"q": q, **kw}, "results", id=id))["payload"]


async def pipelined(c, texts, channel="general"):
    """Posts texts in order on one connection; returns once every one is acknowledged."""
    for i, text in enumerate(texts):
        await c.ws.send(json.dumps({"type": "msg", "id": f"p{i}",
                                    "payload": {"channel": channel, "text": text}}))
    acks = 0
    while acks < len(texts):
        m = json.loads(await asyncio.wait_for(c.ws.recv(), 30))
        assert m["type"] != "error", m
        acks += m["type"] == "ack"


async def all_pages(c, q, limit=50):
    """Every page of a search, following `next`: [[(channel, seq)], ...]."""
    pages, cursor = [], None
    while True:
        kw = {"limit": limit, **({"cursor": cursor} if cursor else {})}
        p = await search(c, q, id=f"pg{len(pages)}", **kw)
        pages.append([(m["channel"], m["seq"]) for m in p["messages"]])
        assert ("next" in p) == p["more"], p
        if not p["more"]:
            return pages
        cursor = p["next"]
        assert len(pages) < 20


def day(offset=0):
    return time.strftime("%Y-%m-%d", time.gmtime(time.time() + offset * 86400))


def test_search_rows_carry_thread_and_edited(server):
    async def flow():
        alice, _, _ = await Client.joined(server, "alice")
        parent = (await post(alice, "general", "release plan thread"))["seq"]
        await alice.send_json("msg", {"text": "the release notes reply", "thread": parent},
                              id="r")
        reply = (await expect(alice, "ack", lambda m: m.get("id") == "r"))["payload"]["seq"]
        await post(alice, "general", "release typo", id="t")
        await request(alice, "edit", {"seq": reply + 1, "text": "release fixed"}, "ack", id="ed")
        got = {m["seq"]: m for m in (await search(alice, "release"))["messages"]}
        assert set(got) == {parent, reply, reply + 1}
        assert got[reply]["thread"] == parent  # the client opens the thread with it
        assert "thread" not in got[parent]
        assert got[reply + 1]["text"] == "release fixed" and got[reply + 1]["edited"] is True
        # from: alone finds the reply with its thread too
        got = {m["seq"]: m for m in (await search(alice, "from:alice"))["messages"]}
        assert got[reply]["thread"] == parent and got[reply + 1]["edited"] is True
        await alice.close()

    run(flow())


def test_search_from_alone_dates_and_pages(make_server):
    server = make_server(*FAST)

    async def flow():
        alice, _, _ = await Client.joined(server, "alice")
        bob, _, _ = await Client.joined(server, "bob")
        await pipelined(alice, [f"ping number {i}" for i in range(120)])
        await pipelined(bob, [f"ping from bob {i}" for i in range(7)])
        gone = await post(alice, "general", "ping that goes away", id="g")
        await request(alice, "delete", {"seq": gone["seq"]}, "ack", id="del")

        # from: alone: alice's 120 (the deleted one is not found), newest first, in pages
        pages = await all_pages(bob, "from:alice")
        assert [len(p) for p in pages] == [50, 50, 20], pages
        flat = [s for p in pages for _, s in p]
        assert flat == list(range(120, 0, -1))
        assert (await search(bob, "from:@bob", limit=50))["more"] is False
        assert len((await search(bob, "from:bob", limit=50))["messages"]) == 7
        assert (await search(bob, "from:nobody"))["messages"] == []
        # words page the same way, across both authors
        pages = await all_pages(bob, "ping", limit=30)
        flat = [s for p in pages for _, s in p]
        assert len(flat) == 127 and flat == sorted(flat, reverse=True), flat
        pages = await all_pages(bob, "ping from:alice in:general", limit=50)
        assert sum(map(len, pages)) == 120

        # dates: UTC days; after: is from the next day on, before: up to that day
        assert len((await search(bob, f"from:bob after:{day(-1)}"))["messages"]) == 7
        assert (await search(bob, f"from:bob after:{day(0)}"))["messages"] == []
        assert (await search(bob, f"from:bob before:{day(0)}"))["messages"] == []
        assert len((await search(bob, f"ping before:{day(1)}", limit=50))["messages"]) == 50
        assert (await search(bob, f"ping after:{day(1)}"))["messages"] == []

        # what is refused
        for q in ("in:general", f"after:{day(-1)}", "from:alice after:2026-02-30",
                  "ping before:yesterday", "ping after:1969-12-31"):
            assert await error(bob, "search", {"q": q}) == "bad_payload", q
        for cur in ("", "x", "1.2", "1.0.general", "-5.3.general", 7, "1.2." + "c" * 81):
            assert await error(bob, "search", {"q": "ping", "cursor": cur}) == "bad_payload", cur
        await alice.close()
        await bob.close()

    run(flow())


def test_search_pages_only_the_readers_channels(make_server):
    """A cursor names a channel, but the page after it still holds only the reader's."""
    server = make_server(*FAST)

    async def flow():
        alice, _, _ = await Client.joined(server, "alice", account=True)
        bob, _, _ = await Client.joined(server, "bob")
        await request(alice, "channel_create", {"name": "hidden", "private": True}, "channel")
        await pipelined(alice, [f"secret ping {i}" for i in range(30)], channel="hidden")
        await pipelined(alice, [f"open ping {i}" for i in range(30)])
        pages = await all_pages(bob, "from:alice", limit=20)
        assert [len(p) for p in pages] == [20, 10]
        assert {c for p in pages for c, _ in p} == {"general"}
        forged = "99999999999999.5.hidden"
        p = await search(bob, "ping", cursor=forged)
        assert {m["channel"] for m in p["messages"]} == {"general"}
        await alice.close()
        await bob.close()

    run(flow())
