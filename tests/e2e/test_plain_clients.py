"""Events only for clients that understand them (docs/protocol.md, "Events and plain
clients"): a JSON client that neither chose `parley.v1` nor joined with `"events": true`
(seed 001's, which shows every `messages` row and every `msg` as "user: text") gets the
messages as they stand, in `history`, `resume` and live: an edited message with its latest
text, no reaction, no deleted message, and no edit, react or delete event.
"""
from test_channels import error, expect, request
from wsraw import Client, run

EVENT_KINDS = {"edit", "delete", "react"}


async def plain(server, user, **payload):
    """A seed-001 client: no subprotocol, a join without `events`."""
    c = await Client.connect(server)
    await c.send_json("join", {"user": user, **payload})
    welcome = await c.recv_json("welcome")
    if "resume" in payload:  # no history of a channel the resume names
        return c, welcome["payload"], None
    history = (await c.recv_json("history"))["payload"]
    return c, welcome["payload"], history


async def act(c, type_, payload, id):
    await c.send_json(type_, payload, id=id)
    return (await expect(c, "ack", lambda m: m.get("id") == id,
                         skip=("join", "leave", "typing", "msg", *EVENT_KINDS)))["payload"]


async def say(c, text, id):
    """A msg; returns its seq once the sender's copy arrived (events on the way skipped)."""
    ack = await act(c, "msg", {"channel": "general", "text": text}, id)
    await expect(c, "msg", lambda m: m["payload"]["seq"] == ack["seq"],
                 skip=("join", "leave", "typing", *EVENT_KINDS))
    return ack["seq"]


async def scene(alice):
    """m1 edited, m2 reacted to, m3 deleted, m4 untouched. Returns their seqs."""
    s = [await say(alice, f"m{i}", f"m{i}") for i in range(1, 5)]
    await act(alice, "edit", {"seq": s[0], "text": "m1 as edited"}, "e")
    await act(alice, "react", {"seq": s[1], "emoji": "👍"}, "r")
    await act(alice, "delete", {"seq": s[2]}, "d")
    return s


def folded(rows, s):
    """What a plain client must be shown of scene()'s messages."""
    assert all("kind" not in m for m in rows), rows
    assert not any(m.get("deleted") for m in rows), rows
    by = {m["seq"]: m for m in rows}
    assert set(by) == {s[0], s[1], s[3]}, rows
    assert (by[s[0]]["text"], by[s[0]].get("edited")) == ("m1 as edited", True)
    assert [by[x]["text"] for x in (s[1], s[3])] == ["m2", "m4"]


def test_history_is_folded_for_plain_clients(make_server):
    server = make_server()

    async def flow():
        alice, _, _ = await Client.joined(server, "alice")
        s = await scene(alice)
        # the join's history from memory
        c, _, hist = await plain(server, "bob")
        folded(hist["messages"], s)
        # a history request (from the store)
        p = (await request(c, "history", {"channel": "general"}, "history", id="h"))["payload"]
        folded(p["messages"], s)
        # an events client still gets every event, in its place
        ev, _, hist = await Client.joined(server, "carol")
        kinds = [m.get("kind") for m in hist["messages"]]
        assert kinds.count("edit") == kinds.count("react") == kinds.count("delete") == 1
        await c.close()
        await ev.close()
        await alice.close()

    run(flow())
    # after a restart the join's history comes from the store
    assert server.stop() == 0
    server.restart()

    async def again():
        c, _, hist = await plain(server, "dave")
        folded(hist["messages"], [1, 2, 3, 4])
        await c.close()

    run(again())


def test_resume_is_folded_for_plain_clients(server):
    async def flow():
        alice, _, _ = await Client.joined(server, "alice")
        s = await scene(alice)
        for how in ("request", "join"):
            c, _, _ = await plain(server, "bob", **({"resume": {"general": 0}}
                                                    if how == "join" else {}))
            if how == "request":
                await c.send_json("resume", {"channels": {"general": 0}}, id="res")
            got = []
            while True:
                m = await c.recv_json(skip=("join", "leave", "typing", "history"))
                if m["type"] == "resumed":
                    break
                assert m["type"] == "msg", m
                got.append(m["payload"])
            folded(got, s)
            assert m["payload"]["channels"]["general"]["to"] == 7
            await c.close()
        await alice.close()

    run(flow())


def test_live_events_skip_plain_clients(server):
    async def flow():
        alice, _, _ = await Client.joined(server, "alice")
        c, _, _ = await plain(server, "bob")
        v1 = await Client.connect(server, subprotocols=["parley.v1"])
        await v1.join("carol", events=None)  # parley.v1 alone says it knows events
        await v1.recv_json("history")
        s = await scene(alice)
        await say(alice, "after", "after")
        got = []
        while True:
            m = await c.recv_json(skip=("join", "leave", "typing"))
            got.append(m)
            if m["payload"].get("text") == "after":
                break
        assert all(m["type"] == "msg" for m in got), got
        assert [m["payload"]["seq"] for m in got] == s + [s[3] + 4]
        seen = set()
        while "after" not in seen:
            m = await v1.recv_json(skip=("join", "leave", "typing"))
            seen.add(m["type"] if m["type"] != "msg" else m["payload"]["text"])
        assert EVENT_KINDS <= seen
        # a plain client's own edit is acknowledged; the event is not sent to it
        await act(c, "react", {"seq": s[0], "emoji": "🎉"}, "cr")
        await say(c, "bob here", "b")
        assert await error(c, "history", {"channel": "general", "limit": 0}) == "bad_payload"
        await c.close()
        await v1.close()
        await alice.close()

    run(flow())


def test_join_events_field_is_checked(server):
    async def flow():
        c = await Client.connect(server)
        for bad in ("yes", 1, None, {}):
            await c.send_json("join", {"user": "bob", "events": bad}, id="j")
            m = await expect(c, "error", lambda m: m.get("id") == "j")
            assert m["code"] == "bad_payload", m
        await c.close()

    run(flow())
