"""History beyond the newest page: reading forward with `after` (a client that jumped into
the past), and each thread's reply count and last reply on its parent, whether the answer
comes from the server's memory (a join) or from the store (an older page, after a restart).
"""
from test_channels import expect, post, request
from wsraw import Client, run


async def history(c, id, **payload):
    await c.send_json("history", {"channel": "general", **payload}, id=id)
    return (await expect(c, "history", lambda m: m.get("id") == id))["payload"]


async def reply(c, parent, text, id):
    """Posts a thread reply; returns its msg payload as its sender received it."""
    await c.send_json("msg", {"text": text, "thread": parent}, id=id)
    ack = await expect(c, "ack", lambda m: m.get("id") == id)
    seq = ack["payload"]["seq"]
    return (await expect(c, "msg", lambda m: m["payload"]["seq"] == seq))["payload"]


def seqs(page):
    return [m["seq"] for m in page["messages"]]


def test_history_after_reads_forward(server):
    async def flow():
        alice, _, _ = await Client.joined(server, "alice")
        for i in range(12):
            await post(alice, "general", f"m{i + 1}", id=f"m{i}")
        page = await history(alice, "a0", after=0, limit=5)
        assert (seqs(page), page["more"]) == ([1, 2, 3, 4, 5], True)
        page = await history(alice, "a5", after=5, limit=5)
        assert (seqs(page), page["more"]) == ([6, 7, 8, 9, 10], True)
        page = await history(alice, "a10", after=10, limit=5)
        assert (seqs(page), page["more"]) == ([11, 12], False)
        assert [m["text"] for m in page["messages"]] == ["m11", "m12"]
        page = await history(alice, "a12", after=12)
        assert (page["messages"], page["more"]) == ([], False)
        # before still pages back; both at once, or a bad after, is refused
        page = await history(alice, "b6", before=6, limit=2)
        assert (seqs(page), page["more"]) == ([4, 5], True)
        for bad in ({"after": 3, "before": 9}, {"after": -1}, {"after": "3"}, {"after": 1.5}):
            await alice.send_json("history", bad, id="bad")
            err = await expect(alice, "error", lambda m: m.get("id") == "bad")
            assert err["code"] == "bad_payload", bad
        await alice.close()

    run(flow())


def test_parents_carry_their_reply_count(server):
    async def flow():
        alice, _, _ = await Client.joined(server, "alice")
        bob, _, _ = await Client.joined(server, "bob")
        root = await post(alice, "general", "ship it?", id="root")
        other = await post(alice, "general", "lunch?", id="other")
        r1 = await reply(bob, root["seq"], "yes", "r1")
        await post(bob, "general", "unrelated", id="u")
        r2 = await reply(alice, r1["seq"], "to the thread", "r2")  # a reply to a reply
        r3 = await reply(bob, root["seq"], "done", "r3")
        assert "replies" not in r3  # live messages never carry it: clients count
        want = {"count": 3, "last_seq": r3["seq"], "last_ts": r3["ts"]}
        assert r2["thread"] == root["seq"]

        def check(page, where):
            by_seq = {m["seq"]: m for m in page["messages"]}
            assert by_seq[root["seq"]]["replies"] == want, where
            for s, m in by_seq.items():
                if s != root["seq"]:
                    assert "replies" not in m, (where, m)

        # a joiner's history comes from memory
        carol, _, hist = await Client.joined(server, "carol")
        check(hist, "join")
        # older pages come from the store, counting replies beyond the page too
        check(await history(carol, "h1", before=r3["seq"] + 1), "store, whole")
        page = await history(carol, "h2", before=other["seq"])
        assert seqs(page) == [root["seq"]]
        check(page, "store, parent alone")
        page = await history(carol, "h3", after=0, limit=2)
        check(page, "store, forward")
        # the thread itself is unchanged
        t = await request(carol, "thread", {"channel": "general", "seq": root["seq"]}, "thread")
        assert [m["text"] for m in t["payload"]["messages"]] == \
            ["ship it?", "yes", "to the thread", "done"]
        for c in (alice, bob, carol):
            await c.close()

        # after a restart the memory is rebuilt from the store: the same counts
        server.stop()
        server.restart()
        dave, _, hist = await Client.joined(server, "dave")
        check(hist, "join after restart")
        r4 = await reply(dave, root["seq"], "late", "r4")
        erin, _, hist = await Client.joined(server, "erin")
        want.update(count=4, last_seq=r4["seq"], last_ts=r4["ts"])
        check(hist, "join after a new reply")
        await dave.close()
        await erin.close()

    run(flow())
