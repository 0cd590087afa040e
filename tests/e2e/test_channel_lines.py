"""Channel lines (issue 14, item 9; docs/protocol.md, "Channel lines"): joining, being
added, leaving, being removed and a topic change leave an event in the channel's timeline,
of kind joined, left or topic, at the channel's next seq. Clients that take events get them
live (`channel_event`) and in history and resume, also after a restart; plain JSON clients
and the text modes never see them; search never finds them; unread counts do not count
them; #general and direct messages have none."""
from accounts import account_token
from test_channels import error, expect, post, request
from test_plain_clients import plain
from wsraw import Client, TextClient, run


async def line(c, pred=lambda p: True):
    """The next channel_event (passing over the rest) whose payload satisfies pred."""
    while True:
        m = await c.recv_json("channel_event", skip=("join", "leave", "typing", "topic",
                                                     "channel", "channel_left", "invited",
                                                     "kicked", "msg", "history", "ack",
                                                     "presence", "read"))
        if pred(m["payload"]):
            return m["payload"]


async def whole(c, channel, id="w"):
    p = (await request(c, "history", {"channel": channel, "after": 0, "limit": 200}, "history",
                       id=id))["payload"]
    return p["messages"]


def lines_of(rows):
    return [(r["kind"], r["user"], r.get("member"), r.get("text")) for r in rows
            if r.get("kind") in ("joined", "left", "topic")]


EXPECTED = [("joined", "bob", "bob", None),
            ("topic", "bob", None, "zebra crossings"),
            ("joined", "alice", "carol", None),
            ("left", "mod", "carol", None),
            ("left", "bob", "bob", None)]


def test_lines_live_in_history_and_after_a_restart(server):
    account_token(server, "mod", role="admin")

    async def flow():
        alice, _, _ = await Client.joined(server, "alice", account=True)
        mod, _, _ = await Client.joined(server, "mod", account=True)
        bob, _, _ = await Client.joined(server, "bob", account=True)
        carol, _, _ = await Client.joined(server, "carol", account=True)
        await request(alice, "channel_create", {"name": "design"}, "channel")
        first = await post(alice, "design", "hello design")
        await request(bob, "channel_join", {"channel": "design"}, "channel", id="j")
        p = await line(alice)
        assert p == {"channel": "design", "seq": first["seq"] + 1, "user": "bob",
                     "ts": p["ts"], "kind": "joined", "member": "bob"}, p
        assert (await line(bob))["seq"] == p["seq"]  # the joiner sees its own line too
        await request(bob, "channel_topic", {"channel": "design", "topic": "zebra crossings"},
                      "topic", id="t")
        p = await line(alice)
        assert (p["kind"], p["user"], p["text"]) == ("topic", "bob", "zebra crossings")
        assert "member" not in p
        await request(alice, "channel_invite", {"channel": "design", "user": "carol"},
                      "invited", id="i")
        p = await line(carol)
        assert (p["kind"], p["user"], p["member"]) == ("joined", "alice", "carol")
        await request(mod, "channel_kick", {"channel": "design", "user": "carol"}, "kicked",
                      id="k")
        p = await line(bob, lambda p: p["kind"] == "left")
        assert (p["user"], p["member"]) == ("mod", "carol")
        await request(bob, "channel_leave", {"channel": "design"}, "channel_left", id="l")
        p = await line(alice, lambda p: p["kind"] == "left" and p["member"] == "bob")
        assert p["user"] == "bob"
        rows = await whole(alice, "design")
        assert [r["seq"] for r in rows] == list(range(1, len(rows) + 1))
        assert lines_of(rows) == EXPECTED
        # a refused change leaves no line
        assert await error(alice, "channel_topic", {"channel": "design", "topic": "t" * 251}) \
            == "too_large"
        assert await error(carol, "channel_leave", {"channel": "design"}) == "forbidden"
        assert lines_of(await whole(alice, "design", id="w2")) == EXPECTED
        # #general and direct messages keep no lines
        dm = (await request(alice, "dm_open", {"users": ["bob"]}, "channel", id="d"))
        dm = dm["payload"]["channel"]["name"]
        await post(alice, dm, "psst")
        assert lines_of(await whole(alice, "general", id="g")) == []
        assert lines_of(await whole(alice, dm, id="dm")) == []
        for c in (alice, bob, carol, mod):
            await c.close()

    run(flow())
    server.stop()
    server.restart()

    async def after():
        alice, _, _ = await Client.joined(server, "alice", account=True)
        assert lines_of(await whole(alice, "design")) == EXPECTED
        # and a resume replays them in their place
        await alice.send_json("resume", {"channels": {"design": 0}}, id="res")
        kinds = []
        while True:
            m = await alice.recv_json(skip=("join", "leave", "typing"), quiet=False)
            if m["type"] == "resumed":
                break
            if m["payload"].get("channel") == "design":
                kinds.append(m["type"] if m["type"] != "channel_event" else m["payload"]["kind"])
        assert kinds == ["msg", "joined", "topic", "joined", "left", "left"], kinds
        await alice.close()

    run(after())


def test_plain_and_text_clients_never_see_lines(server):
    async def flow():
        alice, _, _ = await Client.joined(server, "alice", account=True)
        await request(alice, "channel_create", {"name": "design"}, "channel")
        await post(alice, "design", "before")
        # a seed-001 JSON client (no parley.v1, no "events") in #design, and a seed-003 one
        old, _, _ = await plain(server, "olga")
        await old.send_json("channel_join", {"channel": "design"}, id="j")
        hist = await old.recv_json("history", skip=("channel", "join", "leave", "typing"),
                                   quiet=False)
        assert [m["text"] for m in hist["payload"]["messages"]] == ["before"]
        text = await TextClient.connect(server, "/ws/7")
        assert await text.recv() == "Client #7 has entered the chat"
        bob, _, _ = await Client.joined(server, "bob", account=True)
        await request(bob, "channel_join", {"channel": "design"}, "channel", id="bj")
        await request(bob, "channel_topic", {"channel": "design", "topic": "new"}, "topic",
                      id="bt")
        await request(bob, "channel_leave", {"channel": "design"}, "channel_left", id="bl")
        await line(alice, lambda p: p["kind"] == "left")
        await post(alice, "design", "after")
        # the plain client: the messages only, live and in history and resume
        seen = []
        while True:
            m = await old.recv_json(skip=(), quiet=False)
            assert m["type"] != "channel_event", m
            if m["type"] == "msg":
                seen.append(m["payload"]["text"])
                if seen[-1] == "after":
                    break
        rows = (await request(old, "history", {"channel": "design"}, "history",
                              id="h"))["payload"]["messages"]
        assert [m["text"] for m in rows] == ["before", "after"]
        assert all("kind" not in m and "member" not in m for m in rows), rows
        await old.send_json("resume", {"channels": {"design": 0}}, id="r")
        got = []
        while True:
            m = await old.recv_json(skip=("join", "leave", "typing", "topic"), quiet=False)
            if m["type"] == "resumed":
                break
            assert m["type"] == "msg", m
            got.append(m["payload"]["text"])
        assert got == ["before", "after"]
        # the text client heard bob arrive in #general and nothing of #design
        assert await text.recv() == "bob has entered the chat"
        await text.expect_silence(0.3)
        for c in (alice, bob, old, text):
            await c.close()

    run(flow())


def test_search_never_finds_lines(server):
    async def flow():
        alice, _, _ = await Client.joined(server, "alice", account=True)
        bob, _, _ = await Client.joined(server, "bob", account=True)
        await request(alice, "channel_create", {"name": "design"}, "channel")
        await request(bob, "channel_join", {"channel": "design"}, "channel", id="j")
        await request(alice, "channel_topic", {"channel": "design", "topic": "quokka plans"},
                      "topic", id="t")
        await line(alice, lambda p: p["kind"] == "topic")
        await post(alice, "design", "one quokka message")
        for terms, want in (("quokka", 1), ("plans", 0), ("from:bob", 0)):
            r = await request(alice, "search", {"q": terms}, "results", id="s-" + terms)
            got = r["payload"]["messages"]
            assert len(got) == want, (terms, got)
            assert all("kind" not in m for m in got)
        await alice.close()
        await bob.close()

    run(flow())


def test_lines_are_not_unread(server):
    async def flow():
        alice, _, _ = await Client.joined(server, "alice", account=True)
        carol, _, _ = await Client.joined(server, "carol", account=True)
        await request(alice, "channel_create", {"name": "design"}, "channel")
        await request(carol, "channel_join", {"channel": "design"}, "channel", id="j")
        m = await post(alice, "design", "read this")
        await request(carol, "read", {"channel": "design", "seq": m["seq"]}, "read", id="rd")
        await carol.close()
        bob, _, _ = await Client.joined(server, "bob", account=True)
        await request(bob, "channel_join", {"channel": "design"}, "channel", id="bj")
        await request(bob, "channel_topic", {"channel": "design", "topic": "t2"}, "topic",
                      id="bt")
        await request(bob, "channel_leave", {"channel": "design"}, "channel_left", id="bl")
        await line(alice, lambda p: p["kind"] == "left")
        back = await Client.connect(server)
        w = await back.join("carol", token=carol.token)
        design = next(c for c in w["channels"] if c["name"] == "design")
        assert design["last_seq"] == m["seq"] + 3
        assert design["unread"] == 0, design
        await post(alice, "design", "now one", id="m2")
        await back.close()
        again = await Client.connect(server)
        w = await again.join("carol", token=carol.token)
        design = next(c for c in w["channels"] if c["name"] == "design")
        assert design["unread"] == 1, design
        # the channel list says the same
        listed = await request(again, "channel_list", None, "channels", id="cl")
        design = next(c for c in listed["payload"]["channels"] if c["name"] == "design")
        assert design.get("unread", 1) == 1
        await again.close()
        await alice.close()
        await bob.close()

    run(flow())
