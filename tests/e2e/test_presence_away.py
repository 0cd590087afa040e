"""Away and active (issue 14, item 7; docs/protocol.md, "Away"): a connection says
`presence` away or active; a user is away while every connection of theirs says away; a
change is told to #general's members that take events as {"type":"presence","payload":
{"user","status"}}; `welcome` lists who is away; a bad status is a bad_payload; going
offline stays `leave`."""
from test_channels import error, request
from test_plain_clients import plain
from wsraw import Client, run


async def status(c, user):
    """The next presence frame about user: its status."""
    while True:
        m = await c.recv_json("presence", skip=("join", "leave", "typing", "msg", "history"))
        if m["payload"]["user"] == user:
            assert set(m["payload"]) == {"user", "status", "ts"}, m
            return m["payload"]["status"]


async def say(c, st, id):
    return (await request(c, "presence", {"status": st}, "presence", id=id))["payload"]


def test_away_when_every_connection_says_so(server):
    async def flow():
        bob, _, _ = await Client.joined(server, "bob", account=True)
        a1, _, _ = await Client.joined(server, "alice", account=True)
        a2, _, _ = await Client.joined(server, "alice", account=True)
        m = await bob.recv_json("join", skip=("typing",))
        assert m["payload"]["user"] == "alice"  # once: her second tab is no news
        # one tab of two away: alice is still active, nobody is told
        assert await say(a1, "away", "p1") == {"user": "alice", "status": "active"}
        await bob.expect_silence(0.3)
        # the other too: alice is away, #general hears it (her first tab too)
        assert await say(a2, "away", "p2") == {"user": "alice", "status": "away"}
        assert await status(bob, "alice") == "away"
        assert await status(a1, "alice") == "away"
        # a newcomer's welcome lists her
        carol, w, _ = await Client.joined(server, "carol", account=True)
        assert w["away"] == ["alice"] and "alice" in w["online"], w
        m = await bob.recv_json("join", skip=("typing",))
        assert m["payload"]["user"] == "carol"
        # saying it twice changes nothing
        assert await say(a2, "away", "p3") == {"user": "alice", "status": "away"}
        await bob.expect_silence(0.3)
        # one tab back: active
        assert await say(a1, "active", "p4") == {"user": "alice", "status": "active"}
        assert await status(bob, "alice") == "active"
        assert await say(a1, "away", "p5") == {"user": "alice", "status": "away"}
        assert await status(bob, "alice") == "away"
        # a new connection is active, so she is; when it goes, she is away again
        a3, w3, _ = await Client.joined(server, "alice", account=True)
        assert await status(bob, "alice") == "active"
        assert w3["away"] == [], w3
        await a3.close()
        assert await status(bob, "alice") == "away"
        # offline stays `leave`
        await a1.close()
        await a2.close()
        m = await bob.recv_json("leave", skip=("join", "typing", "presence"))
        assert m["payload"]["user"] == "alice"
        back, w, _ = await Client.joined(server, "alice", account=True)
        assert w["away"] == [], w
        for c in (back, bob, carol):
            await c.close()

    run(flow())


def test_bad_status_and_plain_clients(server):
    async def flow():
        bob, _, _ = await Client.joined(server, "bob", account=True)
        old, _, _ = await plain(server, "olga")
        for payload in ({"status": "busy"}, {"status": 1}, {}, None):
            assert await error(bob, "presence", payload, id="b") == "bad_payload"
        # before a join
        raw = await Client.connect(server)
        await raw.send_json("presence", {"status": "away"}, id="n")
        m = await raw.recv_json("error")
        assert m["code"] == "not_joined"
        await raw.close()
        # a plain JSON client (seed 001) is not told: it knows join and leave only
        assert await say(bob, "away", "a") == {"user": "bob", "status": "away"}
        assert await say(bob, "active", "b2") == {"user": "bob", "status": "active"}
        await old.send_json("ping", id="ping")
        m = await old.recv_json(skip=("join", "leave"), quiet=False)
        assert m["type"] == "pong", m
        await old.close()
        await bob.close()

    run(flow())
