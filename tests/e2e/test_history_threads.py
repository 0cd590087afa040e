"""History beyond the newest page: reading forward with `after` (a client that jumped into
the past), and each thread's reply count and last reply on its parent, whether the answer
comes from the server's memory (a join) or from the store (an older page, after a restart).
"""
import json

from test_channels import error, expect, post, request
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


def fold(events):
    """A channel's visible state from its events in seq order, as a client builds it:
    messages with their text, edited/deleted marks, reactions and reply counts."""
    state, seen = {}, []
    for e in events:
        seen.append(e["seq"])
        kind = e.get("kind", "msg")
        if kind == "msg":
            state[e["seq"]] = {"user": e["user"], "text": e["text"], "thread": e.get("thread"),
                               "edited": False, "deleted": False, "reactions": {},
                               "replies": 0}
            if e.get("thread"):
                state[e["thread"]]["replies"] += 1
        elif kind == "edit":
            state[e["target"]].update(text=e["text"], edited=True)
        elif kind == "delete":
            state[e["target"]].update(text=None, deleted=True)
        elif kind == "react":
            who = state[e["target"]]["reactions"].setdefault(e["emoji"], set())
            (who.add if e["on"] else who.discard)(e["user"])
    assert seen == list(range(seen[0], seen[0] + len(seen))) if seen else True, seen
    for m in state.values():
        m["reactions"] = {k: sorted(v) for k, v in m["reactions"].items() if v}
    return state


def test_a_user_away_for_everything_resumes_the_same_state(server):
    """Carol leaves; alice and bob create, invite, DM, reply, react, edit and delete; the
    server restarts; carol's one resume gives her every channel's events without a gap or
    a duplicate, and folding them gives what the others see."""
    async def ev(c, type_, payload, id):
        await c.send_json(type_, payload, id=id)
        ack = await expect(c, "ack", lambda m: m.get("id") == id)
        return ack["payload"]["seq"]

    async def whole(c, channel):
        await c.send_json("history", {"channel": channel, "after": 0, "limit": 200}, id="w")
        page = (await expect(c, "history", lambda m: m.get("id") == "w"))["payload"]
        assert page["more"] is False
        return page["messages"]

    # accounts (issue 11): creating channels, inviting and DMs are members' rights
    async def away():
        carol, welcome, hist = await Client.joined(server, "carol", account=True)
        await post(carol, "general", "back in a bit", id="c0")
        await carol.close()
        return carol.token

    token = run(away())

    async def meanwhile():
        alice, _, _ = await Client.joined(server, "alice", account=True)
        bob, _, _ = await Client.joined(server, "bob", account=True)
        await request(alice, "channel_create", {"name": "launch"}, "channel")
        await request(alice, "channel_invite", {"channel": "launch", "user": "carol"}, "invited")
        await request(bob, "channel_join", {"channel": "launch"}, "channel")
        root = await ev(alice, "msg", {"channel": "launch", "text": "go/no-go @carol?"}, "a1")
        await ev(bob, "msg", {"channel": "launch", "text": "go", "thread": root}, "b1")
        oops = await ev(bob, "msg", {"channel": "launch", "text": "wrong room"}, "b2")
        await ev(bob, "delete", {"channel": "launch", "seq": oops}, "b3")
        await ev(alice, "edit", {"channel": "launch", "seq": root, "text": "go/no-go?"}, "a2")
        for who, emoji, id in ((bob, "🚀", "r1"), (alice, "🚀", "r2"), (bob, "👀", "r3"),
                               (bob, "👀", "r4")):
            await ev(who, "react", {"channel": "launch", "seq": root, "emoji": emoji}, id)
        g = await ev(alice, "msg", {"text": "all hands at 3"}, "a3")
        await ev(bob, "msg", {"text": "ok", "thread": g}, "b4")
        dm = (await request(alice, "dm_open", {"users": ["carol"]}, "channel"))
        dm = dm["payload"]["channel"]["name"]
        await ev(alice, "msg", {"channel": dm, "text": "can you lead?"}, "a4")
        truth = {ch: fold(await whole(alice, ch)) for ch in ("general", "launch", dm)}
        await alice.close()
        await bob.close()
        return dm, truth

    dm, truth = run(meanwhile())
    # seqs 1 and 2 of launch are the lines "alice added carol" and "bob joined" (issue 14)
    assert truth["launch"][3]["text"] == "go/no-go?" and truth["launch"][3]["edited"]
    assert truth["launch"][3]["reactions"] == {"🚀": ["alice", "bob"]}
    assert truth["launch"][3]["replies"] == 1 and truth["launch"][5]["deleted"]
    server.stop()
    server.restart()

    async def back():
        carol = await Client.connect(server)
        welcome = await carol.join("carol", token=token)
        chans = {c["name"]: c for c in welcome["channels"]}
        assert set(chans) == {"general", "launch", dm}
        # unread counts events but not the channel lines (carol added, bob joined)
        assert chans["launch"]["unread"] == chans["launch"]["last_seq"] - 2 > 0
        hist = (await carol.recv_json("history"))["payload"]["messages"]
        mine = [m for m in hist if m.get("text") == "back in a bit"]
        assert len(mine) == 1
        known = mine[0]["seq"]
        # everything since: one resume over the three channels
        await carol.send_json("resume", {"channels": {"general": known, "launch": 0, dm: 0}},
                              id="res")
        got = {"general": [m for m in hist if m["seq"] <= known], "launch": [], dm: []}
        while True:
            m = await carol.recv_json(skip=("join", "leave", "typing", "mentions"), quiet=False)
            if m["type"] == "resumed":
                break
            assert m["type"] in ("msg", "edit", "delete", "react", "channel_event"), m
            got[m["payload"]["channel"]].append(m["payload"])
        spans = m["payload"]["channels"]
        for ch, events in got.items():
            seqs = [e["seq"] for e in events]
            assert seqs == list(range(1, chans[ch]["last_seq"] + 1)), (ch, seqs)
            assert spans[ch]["recovered"] and spans[ch]["to"] == chans[ch]["last_seq"]
            assert fold(events) == truth[ch], ch
        await carol.close()

    run(back())


def test_deleted_and_replaced_text_is_never_served(make_server):
    """Issue 12, item 5: once a delete commits no answer carries the deleted text, and an
    edited message is served with its current text: to a later joiner, from the ring and
    (after 300 more messages and a restart) from the store; a deleted message is
    no_such_message to edit, react and reply to wherever it is, and search never finds it."""
    server = make_server("--rate", "100000", "--burst", "100000")

    async def ev(c, type_, payload, id):
        """An edit or delete, once its own event came back (so nothing is left unread)."""
        await c.send_json(type_, payload, id=id)
        seq = (await expect(c, "ack", lambda m: m.get("id") == id))["payload"]["seq"]
        await expect(c, type_, lambda m: m["payload"]["seq"] == seq)

    def check(messages, m1, m2):
        raw = json.dumps(messages)
        assert "first draft" not in raw and "regret this" not in raw, raw
        by = {m["seq"]: m for m in messages}
        assert by[m1]["text"] == "final words" and by[m1].get("edited") is True
        assert by[m2]["text"] == "" and by[m2].get("deleted") is True

    async def refused(c, m2):
        for t, p in (("edit", {"seq": m2, "text": "back again"}),
                     ("react", {"seq": m2, "emoji": "+1"}),
                     ("msg", {"text": "a reply", "thread": m2})):
            assert await error(c, t, p, id=t) == "no_such_message", t
        r = await request(c, "search", {"q": "regret"}, "results", id="s")
        assert r["payload"]["messages"] == []

    async def flow():
        alice, _, _ = await Client.joined(server, "alice", account=True)
        m1 = (await alice.msg("first draft"))["payload"]["seq"]
        await ev(alice, "edit", {"seq": m1, "text": "final words"}, "e1")
        m2 = (await alice.msg("I regret this"))["payload"]["seq"]
        await ev(alice, "edit", {"seq": m2, "text": "I regret this a lot"}, "e2")
        await ev(alice, "delete", {"seq": m2}, "d2")
        bob, _, hist = await Client.joined(server, "bob", account=True)
        check(hist["messages"], m1, m2)  # the join's page, from the ring
        t = await request(bob, "thread", {"seq": m2}, "thread", id="t")
        assert t["payload"]["messages"][0]["text"] == ""
        await refused(bob, m2)
        for i in range(300):  # the two leave the ring
            await alice.send_json("msg", {"text": f"filler {i}"}, id=f"f{i}")
        await expect(alice, "ack", lambda m: m.get("id") == "f299")
        h = await request(bob, "history", {"before": m2 + 1, "limit": 10}, "history", id="h")
        check(h["payload"]["messages"], m1, m2)  # from the store
        await refused(alice, m2)
        for c in (alice, bob):
            await c.close()
        return m1, m2

    m1, m2 = run(flow())
    assert server.stop() == 0
    server.restart()

    async def after():
        carol, _, _ = await Client.joined(server, "carol", account=True)
        h = await request(carol, "history", {"before": m2 + 1, "limit": 10}, "history", id="h")
        check(h["payload"]["messages"], m1, m2)
        await refused(carol, m2)
        await carol.close()

    run(after())
