"""Pins and edit history through the JSON protocol (docs/protocol.md, "Pins and edit
history"): `pin` is an event like a reaction (ordered, stored, replayed, relayed), the server
keeps each channel's pinned set (rebuilt at start-up) and answers `pins` with the pinned
messages as they stand, newest pin first; `edits` answers a message's first text and its
edits, oldest first. Only members; not in an archived channel; not a thread reply nor a
deleted message; at most 100 pins a channel. Plain JSON clients and the text modes never
see a pin event."""
from accounts import account_token
from test_channels import expect, post
from test_plain_clients import plain
from test_postgres import cluster, pg_store  # noqa: F401 (fixtures)
from test_shared import pair, redis  # noqa: F401 (fixtures)
from wsraw import Client, run

SKIP = ("join", "leave", "typing", "topic", "channel", "msg", "history", "edit", "delete",
        "react", "pin")
FAST = ("--rate", "1000", "--burst", "1000")


async def act(c, type_, payload, id):
    """A write; its ack payload."""
    await c.send_json(type_, payload, id=id)
    return (await expect(c, "ack", lambda m: m.get("id") == id, skip=SKIP))["payload"]


async def request(c, type_, payload, answer, id="r"):
    await c.send_json(type_, payload, id=id)
    return await expect(c, answer, lambda m: m.get("id") == id, skip=SKIP)


async def pins(c, channel, id="p"):
    return (await request(c, "pins", {"channel": channel}, "pins", id=id))["payload"]


async def edits(c, channel, seq, id="h"):
    return (await request(c, "edits", {"channel": channel, "seq": seq}, "edits", id=id))["payload"]


async def refused(c, type_, payload, id="x"):
    await c.send_json(type_, payload, id=id)
    return (await expect(c, "error", lambda m: m.get("id") == id, skip=SKIP))["code"]


def test_pins_and_edit_history(make_server):
    server = make_server(*FAST)
    s = {}

    async def flow():
        alice, _, _ = await Client.joined(server, "alice", account=True)
        bob, _, _ = await Client.joined(server, "bob", account=True)
        carol, _, _ = await Client.joined(server, "carol", account=True)
        await request(alice, "channel_create", {"name": "launch"}, "channel", id="c")
        await request(bob, "channel_join", {"channel": "launch"}, "channel", id="j")
        for i in (1, 2, 3):
            s[i] = (await post(alice, "launch", f"m{i}", id=f"m{i}"))["seq"]

        # bob pins m1: an event to every member, like a reaction
        ack = await act(bob, "pin", {"channel": "launch", "seq": s[1], "on": True}, "p1")
        ev = (await expect(alice, "pin", lambda m: m["payload"]["seq"] == ack["seq"]))["payload"]
        assert ev["target"] == s[1] and ev["user"] == "bob" and ev["on"] is True, ev
        assert ev["channel"] == "launch" and ev["kind"] == "pin" and "text" not in ev, ev

        # refusals
        pin = {"channel": "launch", "on": True}
        assert await refused(bob, "pin", {**pin, "seq": s[1]}) == "no_change"
        assert await refused(bob, "pin", {**pin, "seq": s[3], "on": False}) == "no_change"
        assert await refused(bob, "pin", {"channel": "launch", "seq": s[2]}) == "bad_payload"
        assert await refused(bob, "pin", {**pin, "seq": s[2], "on": "yes"}) == "bad_payload"
        assert await refused(bob, "pin", {**pin, "seq": 999}) == "no_such_message"
        assert await refused(bob, "pin", {**pin, "seq": ack["seq"]}) == "no_such_message"
        reply = (await act(alice, "msg", {"channel": "launch", "text": "r", "thread": s[1]},
                           "r"))["seq"]
        assert await refused(bob, "pin", {**pin, "seq": reply}) == "forbidden"
        # carol is not in #launch: she can neither pin nor read its pins or edits
        assert await refused(carol, "pin", {**pin, "seq": s[2]}) in ("forbidden",
                                                                     "no_such_channel")
        assert await refused(carol, "pins", {"channel": "launch"}) in ("forbidden",
                                                                     "no_such_channel")
        assert await refused(carol, "edits", {"channel": "launch", "seq": s[1]}) in (
            "forbidden", "no_such_channel")
        assert await refused(carol, "edits", {"channel": "launch"}) == "bad_payload"

        # alice pins m2 and m3; the list is newest pin first, with who and when
        await act(alice, "pin", {**pin, "seq": s[2]}, "p2")
        await act(alice, "pin", {**pin, "seq": s[3]}, "p3")
        got = await pins(bob, "launch")
        assert [m["seq"] for m in got["messages"]] == [s[3], s[2], s[1]], got
        assert [m["pinned_by"] for m in got["messages"]] == ["alice", "alice", "bob"]
        assert all(m["pinned_ts"] > 0 and "kind" not in m for m in got["messages"])

        # edits: the pinned row carries the latest text; the history the first and each edit
        await act(alice, "edit", {"channel": "launch", "seq": s[1], "text": "m1 v2"}, "e1")
        await act(alice, "edit", {"channel": "launch", "seq": s[1], "text": "m1 v3"}, "e2")
        got = await pins(bob, "launch")
        row = [m for m in got["messages"] if m["seq"] == s[1]][0]
        assert (row["text"], row.get("edited")) == ("m1 v3", True), row
        h = await edits(bob, "launch", s[1])
        assert (h["seq"], h["user"], h["original"]) == (s[1], "alice", "m1"), h
        assert [e["text"] for e in h["edits"]] == ["m1 v2", "m1 v3"], h
        assert h["edits"][0]["ts"] <= h["edits"][1]["ts"] and h["more"] is False
        h = await edits(bob, "launch", s[2])
        assert (h["original"], h["edits"]) == ("m2", []), h
        assert await refused(bob, "edits", {"channel": "launch", "seq": 999}) == "no_such_message"

        # unpin m2; delete m3 (pinned): both leave the list; a deleted msg has no history
        ack = await act(bob, "pin", {**pin, "seq": s[2], "on": False}, "u2")
        ev = (await expect(alice, "pin", lambda m: m["payload"]["seq"] == ack["seq"]))["payload"]
        assert (ev["target"], ev["on"], ev["kind"]) == (s[2], False, "pin"), ev
        await act(alice, "delete", {"channel": "launch", "seq": s[3]}, "d3")
        got = await pins(bob, "launch")
        assert [m["seq"] for m in got["messages"]] == [s[1]], got
        assert await refused(bob, "edits", {"channel": "launch", "seq": s[3]}) == "no_such_message"
        assert await refused(bob, "pin", {**pin, "seq": s[3]}) == "no_such_message"
        assert (await pins(carol, "general"))["messages"] == []
        for c in (alice, bob, carol):
            await c.close()

    run(flow())
    assert server.stop() == 0
    server.restart()

    async def again():
        # the pinned set is rebuilt from the stored events; the history still reads
        bob, _, hist = await Client.joined(server, "bob", account=True)
        got = await pins(bob, "launch")
        assert [(m["seq"], m["text"], m["pinned_by"]) for m in got["messages"]] == \
            [(s[1], "m1 v3", "bob")], got
        h = await edits(bob, "launch", s[1])
        assert h["original"] == "m1" and [e["text"] for e in h["edits"]] == ["m1 v2", "m1 v3"]
        # an events client gets the pin events in history, in their place
        rows = (await request(bob, "history", {"channel": "launch"}, "history", id="hh"))
        kinds = [m.get("kind") for m in rows["payload"]["messages"]]
        assert kinds.count("pin") == 4, kinds
        # unpinned after the restart: gone, and still gone after one more
        await act(bob, "pin", {"channel": "launch", "seq": s[1], "on": False}, "u1")
        assert (await pins(bob, "launch"))["messages"] == []
        await bob.close()

    run(again())


def test_plain_clients_see_no_pin_events(server):
    async def flow():
        alice, _, _ = await Client.joined(server, "alice")
        dana, _, _ = await plain(server, "dana")
        first = (await act(alice, "msg", {"channel": "general", "text": "g1"}, "g1"))["seq"]
        await act(alice, "pin", {"channel": "general", "seq": first, "on": True}, "p")
        last = (await act(alice, "msg", {"channel": "general", "text": "g2"}, "g2"))["seq"]
        seen = []
        while True:
            m = await dana.recv_json(skip=("join", "leave", "typing"))
            seen.append(m["type"])
            if m["type"] == "msg" and m["payload"]["seq"] == last:
                break
        assert "pin" not in seen, seen
        hist = (await request(dana, "history", {"channel": "general"}, "history"))["payload"]
        assert [m["text"] for m in hist["messages"]] == ["g1", "g2"], hist
        # but a plain client may ask for the pinned list
        got = await pins(dana, "general")
        assert [m["seq"] for m in got["messages"]] == [first]
        await alice.close()
        await dana.close()

    run(flow())


def test_at_most_100_pins_and_none_in_an_archived_channel(make_server):
    server = make_server(*FAST)

    async def flow():
        boss, _, _ = await Client.joined(server, "boss",
                                         token=account_token(server, "boss", role="admin"))
        alice, _, _ = await Client.joined(server, "alice", account=True)
        await request(alice, "channel_create", {"name": "wall"}, "channel", id="c")
        seqs = [(await act(alice, "msg", {"channel": "wall", "text": f"n{i}"}, f"m{i}"))["seq"]
                for i in range(101)]
        for i, seq in enumerate(seqs[:100]):
            await act(alice, "pin", {"channel": "wall", "seq": seq, "on": True}, f"p{i}")
        assert await refused(alice, "pin", {"channel": "wall", "seq": seqs[100],
                                            "on": True}) == "too_many"
        assert len((await pins(alice, "wall"))["messages"]) == 100
        await act(alice, "pin", {"channel": "wall", "seq": seqs[0], "on": False}, "u")
        await act(alice, "pin", {"channel": "wall", "seq": seqs[100], "on": True}, "p100")
        await request(boss, "channel_archive", {"channel": "wall"}, "channel", id="a")
        assert await refused(alice, "pin", {"channel": "wall", "seq": seqs[1],
                                            "on": False}) == "forbidden"
        got = await pins(alice, "wall")  # reading stays allowed
        assert got["messages"][0]["seq"] == seqs[100] and len(got["messages"]) == 100
        await alice.close()
        await boss.close()

    run(flow())


def test_pins_cross_processes(pair):
    """A pin on one process reaches the members on the other, whose pinned set (the `pins`
    answer, the limit's count) follows it; an unpin too."""
    a, b = pair

    async def go():
        alice, _, _ = await Client.joined(a, "alice")
        bob, _, _ = await Client.joined(b, "bob")
        seq = (await act(alice, "msg", {"channel": "general", "text": "shared"}, "m"))["seq"]
        ack = await act(alice, "pin", {"channel": "general", "seq": seq, "on": True}, "p")
        ev = (await expect(bob, "pin", lambda m: m["payload"]["seq"] == ack["seq"]))["payload"]
        assert (ev["target"], ev["on"], ev["user"]) == (seq, True, "alice"), ev
        got = await pins(bob, "general")
        assert [(m["seq"], m["pinned_by"]) for m in got["messages"]] == [(seq, "alice")], got
        assert await refused(bob, "pin", {"channel": "general", "seq": seq,
                                          "on": True}) == "no_change"
        ack = await act(bob, "pin", {"channel": "general", "seq": seq, "on": False}, "u")
        await expect(alice, "pin", lambda m: m["payload"]["seq"] == ack["seq"])
        assert (await pins(alice, "general"))["messages"] == []
        await alice.close()
        await bob.close()

    run(go(), 60)
