"""Channels through the JSON protocol: create, list, join, leave, invite, topic; membership
that decides who receives what; per-channel seqs; and all of it kept across a restart, with
one resume covering several channels.

Since accounts (issue 11) only members may create channels, open DMs and be invited to
private ones, so the users here are accounts (account=True); a private channel or DM one is
not in answers no_such_channel, and inviting an unknown user no_such_user."""
import asyncio
import hashlib
import re

from accounts import account_token, admin, user_id
from wsraw import Client, run

EVENTS = ("join", "leave", "typing", "topic", "channel", "channel_left", "invited", "msg",
          "history", "edit", "delete", "react")


async def expect(c, type_, pred=lambda m: True, skip=EVENTS):
    """The next message of type_ that satisfies pred; other events in skip are passed over."""
    while True:
        m = await c.recv_json(type_, skip=tuple(t for t in skip if t != type_) +
                              ("ack", "pong", "resumed"))
        if pred(m):
            return m


async def request(c, type_, payload, answer, id="r"):
    await c.send_json(type_, payload, id=id)
    return await expect(c, answer, lambda m: m.get("id") == id)


async def error(c, type_, payload, id="e"):
    await c.send_json(type_, payload, id=id)
    m = await expect(c, "error", lambda m: m.get("id") == id)
    return m["code"]


async def post(c, channel, text, id="m"):
    """Sends a msg; returns its ack payload once the sender's own copy arrived."""
    await c.send_json("msg", {"channel": channel, "text": text}, id=id)
    ack = await expect(c, "ack", lambda m: m.get("id") == id,
                       skip=("join", "leave", "typing", "topic", "channel", "msg", "history"))
    seq = ack["payload"]["seq"]
    await expect(c, "msg", lambda m: m["payload"]["channel"] == channel and
                 m["payload"]["seq"] == seq)
    return ack["payload"]


def test_create_validates_names_and_answers_once_stored(server):
    async def flow():
        alice, welcome, _ = await Client.joined(server, "alice", account=True)
        assert [c["name"] for c in welcome["channels"]] == ["general"]
        ch = (await request(alice, "channel_create", {"name": "design", "topic": "pixels"},
                            "channel"))["payload"]["channel"]
        assert ch == {"name": "design", "kind": "public", "topic": "pixels", "members": 1,
                      "last_seq": 0, "read_seq": 0, "unread": 0}
        for bad in ("Design", "-x", "_x", "a" * 81, "", "général", "a b", "a.b"):
            assert await error(alice, "channel_create", {"name": bad}) == "bad_channel", bad
        assert await error(alice, "channel_create", {"name": "design"}) == "channel_exists"
        assert await error(alice, "channel_create", {"name": "general"}) == "channel_exists"
        assert await error(alice, "channel_create", {"name": 5}) == "bad_payload"
        assert await error(alice, "channel_create", {"name": "x", "private": "yes"}) == \
            "bad_payload"
        assert await error(alice, "channel_create", {"name": "y", "topic": "t" * 251}) == \
            "too_large"
        ok = (await request(alice, "channel_create", {"name": "a" * 80}, "channel"))
        assert ok["payload"]["channel"]["name"] == "a" * 80
        await alice.close()

    run(flow())


def test_members_receive_only_their_channels(server):
    async def flow():
        alice, _, _ = await Client.joined(server, "alice", account=True)
        bob, _, _ = await Client.joined(server, "bob", account=True)
        await request(alice, "channel_create", {"name": "design"}, "channel")
        first = await post(alice, "design", "only for design")
        assert first == {"channel": "design", "seq": 1, "ts": first["ts"]}
        # bob is not in it: nothing arrives, and he may not post or read
        await bob.expect_silence(0.3)
        assert await error(bob, "msg", {"channel": "design", "text": "hi"}) == "forbidden"
        assert await error(bob, "history", {"channel": "design"}) == "forbidden"
        assert await error(bob, "typing", {"channel": "design"}) == "forbidden"
        assert await error(bob, "resume", {"channels": {"design": 0}}) == "forbidden"
        assert await error(bob, "channel_join", {"channel": "nope"}) == "no_such_channel"
        # he joins: the channel, its history, and everyone hears of it
        got = await request(bob, "channel_join", {"channel": "design"}, "channel")
        assert got["payload"]["channel"]["members"] == 2
        hist = await expect(bob, "history", lambda m: m["payload"]["channel"] == "design")
        assert [m["text"] for m in hist["payload"]["messages"]] == ["only for design"]
        j = await expect(alice, "join", lambda m: m["payload"]["channel"] == "design")
        assert j["payload"]["user"] == "bob"
        # seqs are per channel (2 is the line "bob joined", issue 14)
        second = await post(bob, "design", "now both")
        assert second["seq"] == 3
        m = await expect(alice, "msg", lambda m: m["payload"]["channel"] == "design")
        assert m["payload"]["text"] == "now both"
        g = await post(alice, "general", "general is separate")
        assert g["seq"] == 1
        # joining again is answered the same way, and changes nothing
        again = await request(bob, "channel_join", {"channel": "design"}, "channel")
        assert again["payload"]["channel"]["members"] == 2
        await alice.close()
        await bob.close()

    run(flow())


def test_general_counts_its_members_online_or_not(server):
    """#general has everyone: its count is the users holding a name (accounts, and guests
    while their hold lasts: here --guest-ttl 0, so until they leave), online or not; a
    deactivated account leaves it."""
    async def general_count(c, id):
        got = await request(c, "channel_list", {"channel": "general"}, "channels", id=id)
        [g] = got["payload"]["channels"]
        assert g["name"] == "general"
        return g["members"]

    async def count_becomes(c, want):
        for i in range(30):  # a change of state is counted within a second
            if await general_count(c, f"w{i}") == want:
                return
            await asyncio.sleep(0.1)
        assert await general_count(c, "last") == want

    async def flow():
        alice, welcome, _ = await Client.joined(server, "alice", account=True)
        n = welcome["channels"][0]["members"]
        assert welcome["channels"][0]["name"] == "general"
        # the owner account that account_token registered first is a member, offline
        assert n == 2 and welcome["online_count"] == 1
        # a guest is a member while it holds its name
        zed, w2, _ = await Client.joined(server, "zed")
        assert w2["channels"][0]["members"] == n + 1
        await zed.close()
        await count_becomes(alice, n)
        # an account stays one, online or not
        bob, w3, _ = await Client.joined(server, "bob", account=True)
        assert w3["channels"][0]["members"] == n + 1
        await bob.close()
        await asyncio.sleep(1.2)  # past a recount
        assert await general_count(alice, "g1") == n + 1
        # a deactivated account is not a member any more
        owner = server.tokens["\0owner"]
        r = admin(server, owner, user_id(server, owner, "bob"), "deactivate")
        assert r.status == 200, r
        await count_becomes(alice, n)
        await alice.close()

    run(flow())


def test_private_channels_by_invitation(server):
    async def flow():
        alice, _, _ = await Client.joined(server, "alice", account=True)
        bob, bwelcome, _ = await Client.joined(server, "bob", account=True)
        bob2, _, _ = await Client.joined(server, "bob", account=True)
        ch = (await request(alice, "channel_create", {"name": "secret", "private": True},
                            "channel"))["payload"]["channel"]
        assert ch["kind"] == "private"
        listed = await request(bob, "channel_list", None, "channels")
        assert [c["name"] for c in listed["payload"]["channels"]] == ["general"]
        mine = await request(alice, "channel_list", None, "channels")
        assert [(c["name"], c["member"]) for c in mine["payload"]["channels"]] == \
            [("general", True), ("secret", True)]
        assert await error(bob, "channel_join", {"channel": "secret"}) == "no_such_channel"
        assert await error(bob, "channel_invite", {"channel": "secret", "user": "bob"}) == \
            "no_such_channel"
        # what cannot be a name is bad_name; a name nobody holds is no_such_user
        assert await error(alice, "channel_invite", {"channel": "secret", "user": " x"}) == \
            "bad_name"
        assert await error(alice, "channel_invite", {"channel": "secret", "user": "nobody"}) == \
            "no_such_user"
        inv = await request(alice, "channel_invite", {"channel": "secret", "user": "bob"},
                            "invited")
        assert inv["payload"] == {"channel": "secret", "user": "bob"}
        # both of bob's tabs are in it now
        for c in (bob, bob2):
            got = await expect(c, "channel")
            assert got["payload"]["channel"]["name"] == "secret"
            assert "id" not in got
        await post(bob, "secret", "thanks")
        m = await expect(bob2, "msg", lambda m: m["payload"]["channel"] == "secret")
        assert m["payload"]["user"] == "bob"
        # inviting a member again is a no-op answered the same way
        again = await request(alice, "channel_invite", {"channel": "secret", "user": "bob"},
                              "invited")
        assert again["payload"]["user"] == "bob"
        # someone offline can be invited: the channel is there when they come; someone who
        # does not exist cannot
        account_token(server, "carol")
        await request(alice, "channel_invite", {"channel": "secret", "user": "carol"},
                      "invited")
        assert await error(alice, "channel_invite", {"channel": "secret", "user": "dora"}) == \
            "no_such_user"
        carol, cwelcome, _ = await Client.joined(server, "carol", account=True)
        assert [c["name"] for c in cwelcome["channels"]] == ["general", "secret"]
        for c in (alice, bob, bob2, carol):
            await c.close()

    run(flow())


def test_leave_and_topic(server):
    async def flow():
        alice, _, _ = await Client.joined(server, "alice", account=True)
        bob, _, _ = await Client.joined(server, "bob", account=True)
        await request(alice, "channel_create", {"name": "design"}, "channel")
        await request(bob, "channel_join", {"channel": "design"}, "channel")
        await alice.send_json("channel_topic", {"channel": "design", "topic": "v2 launch"})
        for c in (alice, bob):
            t = await expect(c, "topic")
            assert t["payload"]["topic"] == "v2 launch" and t["payload"]["user"] == "alice"
        assert await error(alice, "channel_topic", {"channel": "design", "topic": "t" * 251}) \
            == "too_large"
        assert await error(bob, "channel_leave", {"channel": "general"}) == "forbidden"
        left = await request(bob, "channel_leave", {"channel": "design"}, "channel_left")
        assert left["payload"] == {"channel": "design"}
        lv = await expect(alice, "leave", lambda m: m["payload"]["channel"] == "design")
        assert lv["payload"]["user"] == "bob"
        await post(alice, "design", "bob is gone")
        await bob.expect_silence(0.3)
        assert await error(bob, "channel_topic", {"channel": "design", "topic": "x"}) == \
            "forbidden"
        assert await error(bob, "channel_leave", {"channel": "design"}) == "forbidden"
        listed = await request(bob, "channel_list", None, "channels")
        chans = {c["name"]: c for c in listed["payload"]["channels"]}
        assert chans["design"]["member"] is False and chans["design"]["topic"] == "v2 launch"
        await alice.close()
        await bob.close()

    run(flow())


def test_channels_survive_a_restart_and_resume_together(server):
    async def flow():
        alice, welcome, _ = await Client.joined(server, "alice", account=True)
        await request(alice, "channel_create", {"name": "design", "topic": "t"}, "channel")
        await request(alice, "channel_create", {"name": "ops", "private": True}, "channel")
        for i in range(3):
            await post(alice, "design", f"d{i}", id=f"d{i}")
        for i in range(2):
            await post(alice, "ops", f"o{i}", id=f"o{i}")
        await post(alice, "general", "g0")
        await alice.close()
        assert welcome["session"] == ""  # an account's credential is its token

    run(flow())
    assert server.stop() == 0
    server.restart()

    async def after():
        alice, welcome, hist = await Client.joined(server, "alice", account=True,
                                                   channel="design")
        chans = {c["name"]: c for c in welcome["channels"]}
        assert [c["name"] for c in welcome["channels"]] == ["general", "design", "ops"]
        assert chans["design"] == {"name": "design", "kind": "public", "topic": "t",
                                   "members": 1, "last_seq": 3, "read_seq": 0, "unread": 3,
                                   "mentions": 0}
        assert chans["ops"]["kind"] == "private" and chans["ops"]["last_seq"] == 2
        assert hist["channel"] == "design"
        assert [m["text"] for m in hist["messages"]] == ["d0", "d1", "d2"]
        # one resume, several channels: each one's missed messages in order, one resumed
        await alice.send_json("resume", {"channels": {"design": 1, "ops": 0, "general": 1}},
                              id="res")
        got = []
        while True:
            m = await alice.recv_json(skip=("join", "leave", "typing"))
            if m["type"] == "resumed":
                break
            assert m["type"] == "msg", m
            got.append((m["payload"]["channel"], m["payload"]["seq"], m["payload"]["text"]))
        assert m["id"] == "res"
        assert m["payload"]["channels"] == {
            "design": {"from": 2, "to": 3, "recovered": True},
            "ops": {"from": 1, "to": 2, "recovered": True},
            "general": {"from": 2, "to": 1, "recovered": True}}
        assert sorted(got) == [("design", 2, "d1"), ("design", 3, "d2"), ("ops", 1, "o0"),
                               ("ops", 2, "o1")]
        # live traffic continues in every channel after the resume
        nxt = await post(alice, "ops", "o2")
        assert nxt["seq"] == 3
        await alice.close()

    run(after())


def test_direct_messages(server):
    async def flow():
        alice, _, _ = await Client.joined(server, "alice", account=True)
        bob, _, _ = await Client.joined(server, "bob", account=True)
        carol, _, _ = await Client.joined(server, "carol", account=True)
        dm = (await request(alice, "dm_open", {"users": ["bob"]}, "channel"))["payload"]["channel"]
        assert dm["kind"] == "dm" and dm["users"] == ["alice", "bob"] and dm["members"] == 2
        assert re.fullmatch(r"dm-[0-9a-f]{32}", dm["name"]), dm
        # not derivable from the members' names (it was their SHA-1 once: issue 12)
        derived = "dm-" + hashlib.sha1(b"alice\nbob\n").hexdigest()
        assert dm["name"] != derived
        got = await expect(bob, "channel")
        assert got["payload"]["channel"] == dm
        await post(alice, dm["name"], "psst")
        m = await expect(bob, "msg", lambda m: m["payload"]["channel"] == dm["name"])
        assert m["payload"]["text"] == "psst"
        await carol.expect_silence(0.3)
        # the same people always get the same conversation, with its history
        same = await request(bob, "dm_open", {"users": ["alice", "alice"]}, "channel")
        assert same["payload"]["channel"]["name"] == dm["name"]
        hist = await expect(bob, "history", lambda m: m["payload"]["channel"] == dm["name"])
        assert [x["text"] for x in hist["payload"]["messages"]] == ["psst"]
        # outsiders stay out (for them it does not exist), and the members are fixed
        assert await error(carol, "channel_join", {"channel": dm["name"]}) == "no_such_channel"
        assert await error(carol, "msg", {"channel": dm["name"], "text": "x"}) == \
            "no_such_channel"
        assert await error(alice, "channel_invite", {"channel": dm["name"], "user": "carol"}) \
            == "forbidden"
        assert await error(alice, "channel_leave", {"channel": dm["name"]}) == "forbidden"
        assert await error(alice, "channel_topic", {"channel": dm["name"], "topic": "t"}) == \
            "forbidden"
        for bad in ({"users": []}, {"users": ["alice"]}, {"users": "bob"}, {"users": [5]},
                    {"users": [f"u{i}" for i in range(8)]}):
            assert await error(alice, "dm_open", bad) == "bad_payload", bad
        assert await error(alice, "dm_open", {"users": [" bob"]}) == "bad_name"
        assert await error(alice, "dm_open", {"users": ["nobody"]}) == "no_such_user"
        assert await error(alice, "channel_create", {"name": "dm-squat"}) == "bad_channel"
        # a group conversation is another channel
        group = (await request(alice, "dm_open", {"users": ["carol", "bob"]},
                               "channel"))["payload"]["channel"]
        assert group["users"] == ["alice", "bob", "carol"] and group["name"] != dm["name"]
        assert re.fullmatch(r"dm-[0-9a-f]{32}", group["name"]), group
        await expect(carol, "channel")
        for c in (alice, bob, carol):
            await c.close()
        return dm["name"]

    name = run(flow())
    assert server.stop() == 0
    server.restart()

    async def after():
        bob, welcome, _ = await Client.joined(server, "bob", account=True)
        dms = [c for c in welcome["channels"] if c["kind"] == "dm"]
        assert len(dms) == 2 and name in [c["name"] for c in dms]
        # found again by its members after the restart, not by a name computed from them
        again = await request(bob, "dm_open", {"users": ["alice"]}, "channel", id="again")
        assert again["payload"]["channel"]["name"] == name
        await bob.close()

    run(after())


def test_read_markers_sync_tabs_and_survive_a_restart(server):
    async def flow():
        alice, _, _ = await Client.joined(server, "alice", account=True)
        for i in range(3):
            await post(alice, "general", f"g{i}", id=f"g{i}")
        bob, welcome, _ = await Client.joined(server, "bob", account=True)
        general = welcome["channels"][0]
        assert (general["read_seq"], general["unread"], general["last_seq"]) == (0, 3, 3)
        bob2, _, _ = await Client.joined(server, "bob", account=True)
        r = await request(bob, "read", {"channel": "general", "seq": 2}, "read")
        assert r["payload"] == {"channel": "general", "seq": 2}
        other = await expect(bob2, "read")
        assert other["payload"] == {"channel": "general", "seq": 2} and "id" not in other
        # beyond the newest: clamped; backwards: answered with where it stands
        r = await request(bob, "read", {"channel": "general", "seq": 99}, "read", id="r2")
        assert r["payload"]["seq"] == 3
        r = await request(bob, "read", {"channel": "general", "seq": 1}, "read", id="r3")
        assert r["payload"]["seq"] == 3
        assert await error(bob, "read", {"channel": "general", "seq": -1}) == "bad_payload"
        assert await error(bob, "read", {"channel": "general"}) == "bad_payload"
        await request(alice, "channel_create", {"name": "design"}, "channel")
        assert await error(bob, "read", {"channel": "design", "seq": 1}) == "forbidden"
        await post(alice, "general", "g3", id="g3")
        for c in (alice, bob, bob2):
            await c.close()
        assert welcome["session"] == ""  # an account's credential is its token

    run(flow())
    assert server.stop() == 0
    server.restart()

    async def after():
        bob, welcome, _ = await Client.joined(server, "bob", account=True)
        general = welcome["channels"][0]
        assert (general["read_seq"], general["unread"], general["last_seq"]) == (3, 1, 4)
        await bob.close()

    run(after())


def test_search_sees_only_the_users_channels(server):
    async def search(c, q, id="s", **kw):
        r = await request(c, "search", dict(kw, q=q), "results", id=id)
        return [(m["channel"], m["user"], m["text"]) for m in r["payload"]["messages"]]

    async def flow():
        alice, _, _ = await Client.joined(server, "alice", account=True)
        bob, _, _ = await Client.joined(server, "bob", account=True)
        await request(alice, "channel_create", {"name": "design"}, "channel")
        await post(alice, "general", "the quick brown fox", id="a1")
        await post(alice, "general", "lazy dog jumps", id="a2")
        await post(alice, "design", "quick design review", id="a3")
        await post(bob, "general", "Quick lunch? Café at noon", id="b1")
        # newest first, case- and accent-insensitive, only channels the user is in
        assert await search(bob, "quick") == [("general", "bob", "Quick lunch? Café at noon"),
                                               ("general", "alice", "the quick brown fox")]
        assert len(await search(alice, "quick")) == 3
        assert await search(alice, '"brown fox"') == [("general", "alice", "the quick brown fox")]
        assert await search(alice, '"fox brown"') == []
        assert await search(alice, "quick fox") == [("general", "alice", "the quick brown fox")]
        assert await search(alice, "cafe") == [("general", "bob", "Quick lunch? Café at noon")]
        assert await search(alice, "quick from:bob") == \
            [("general", "bob", "Quick lunch? Café at noon")]
        assert await search(alice, "quick in:#design") == \
            [("design", "alice", "quick design review")]
        r = await request(alice, "search", {"q": "quick", "limit": 1}, "results", id="l")
        assert len(r["payload"]["messages"]) == 1 and r["payload"]["more"] is True
        assert r["payload"]["q"] == "quick"
        # FTS5 syntax in a query is just text
        assert await search(alice, 'a"b OR c* NEAR(x) -y ^z') == []
        assert await error(bob, "search", {"q": "quick in:design"}) == "forbidden"
        assert await error(bob, "search", {"q": "quick in:nope"}) == "no_such_channel"
        assert await error(bob, "search", {"q": "in:general"}) == "bad_payload"
        assert await error(bob, "search", {"q": "   "}) == "bad_payload"
        assert await error(bob, "search", {"q": 5}) == "bad_payload"
        assert await error(bob, "search", {"q": "x", "limit": 0}) == "bad_payload"
        assert await error(bob, "search", {"q": "x" * 501}) == "too_large"
        # the filter is the query's: matches elsewhere neither fill the page nor set `more`
        # (a non-member could tell whether a word occurs in a private channel otherwise)
        await post(bob, "general", "zebra crossing", id="b2")
        await request(alice, "channel_create", {"name": "secret", "private": True}, "channel",
                      id="c2")
        for i in range(6):
            await post(alice, "secret", f"zebra {i}", id=f"z{i}")
        r = await request(bob, "search", {"q": "zebra", "limit": 1}, "results", id="z")
        assert [m["text"] for m in r["payload"]["messages"]] == ["zebra crossing"]
        assert r["payload"]["more"] is False
        r = await request(bob, "search", {"q": "zebra 3", "limit": 1}, "results", id="z3")
        assert r["payload"] == {"q": "zebra 3", "messages": [], "more": False}
        # joining a channel makes its messages searchable for the joiner
        await request(bob, "channel_join", {"channel": "design"}, "channel")
        assert ("design", "alice", "quick design review") in await search(bob, "review")
        await alice.close()
        await bob.close()

    run(flow())


def test_mentions_are_recognised(server):
    async def flow():
        alice, _, _ = await Client.joined(server, "alice", account=True)
        bob, _, _ = await Client.joined(server, "bob", account=True)
        await post(alice, "general", "hey @bob and @channel, mail x@y.com (@bob again) @ @@",
                   id="m1")
        m = await expect(bob, "msg")
        assert m["payload"]["mentions"] == ["bob", "channel"]
        await post(alice, "general", "no one here", id="m2")
        m = await expect(bob, "msg", lambda m: m["payload"]["seq"] == 2)
        assert "mentions" not in m["payload"]
        # history carries them too, from the same text
        await bob.send_json("history", {"channel": "general"}, id="h")
        h = await expect(bob, "history", lambda m: m.get("id") == "h")
        assert h["payload"]["messages"][0]["mentions"] == ["bob", "channel"]
        await alice.close()
        await bob.close()

    run(flow())


def test_threads_edits_deletes_reactions(server):
    async def ev(c, type_, payload, id):
        """Sends an event request; returns its ack and the event as the sender received it."""
        await c.send_json(type_, payload, id=id)
        ack = await expect(c, "ack", lambda m: m.get("id") == id,
                           skip=("join", "leave", "typing", "msg", "edit", "delete", "react"))
        seq = ack["payload"]["seq"]
        kind = "msg" if type_ == "msg" else type_
        got = await expect(c, kind, lambda m: m["payload"]["seq"] == seq,
                           skip=("join", "leave", "typing", "msg", "edit", "delete", "react"))
        return got["payload"]

    async def flow():
        alice, _, _ = await Client.joined(server, "alice", account=True)
        bob, _, _ = await Client.joined(server, "bob", account=True)
        root = await post(alice, "general", "release on friday?", id="root")
        r1 = await ev(bob, "msg", {"text": "yes", "thread": root["seq"]}, "r1")
        assert r1["thread"] == root["seq"] and r1["text"] == "yes"
        # a reply to a reply joins the parent's thread
        r2 = await ev(alice, "msg", {"text": "ok", "thread": r1["seq"]}, "r2")
        assert r2["thread"] == root["seq"]
        ed = await ev(alice, "edit", {"seq": root["seq"], "text": "release on monday?"}, "e1")
        assert ed["kind"] == "edit" and ed["target"] == root["seq"] and \
            ed["text"] == "release on monday?"
        assert await error(bob, "edit", {"seq": root["seq"], "text": "mine now"}) == "forbidden"
        assert await error(bob, "delete", {"seq": root["seq"]}) == "forbidden"
        assert await error(bob, "edit", {"seq": 999, "text": "x"}) == "no_such_message"
        assert await error(bob, "react", {"seq": ed["seq"], "emoji": "+1"}) == \
            "no_such_message"  # an edit is not a message
        assert await error(bob, "react", {"seq": root["seq"], "emoji": "a b"}) == "bad_payload"
        assert await error(bob, "react", {"seq": root["seq"], "emoji": "x" * 33}) == \
            "bad_payload"
        on = await ev(bob, "react", {"seq": root["seq"], "emoji": "👍"}, "x1")
        assert (on["kind"], on["emoji"], on["on"], on["target"]) == \
            ("react", "👍", True, root["seq"])
        off = await ev(bob, "react", {"seq": root["seq"], "emoji": "👍"}, "x2")
        assert off["on"] is False
        again = await ev(bob, "react", {"seq": root["seq"], "emoji": "👍"}, "x3")
        assert again["on"] is True
        # alice sees bob's reactions (his reply went by while she waited for her own), in order
        seen = []
        while not seen or seen[-1][1] < again["seq"]:
            m = await alice.recv_json(skip=("join", "leave", "typing", "ack"))
            seen.append((m["type"], m["payload"]["seq"]))
        assert seen == [("react", on["seq"]), ("react", off["seq"]), ("react", again["seq"])]
        # the thread: its parent (as it stands: edited) and replies, oldest first
        t = await request(bob, "thread", {"channel": "general", "seq": root["seq"]}, "thread")
        assert [m["text"] for m in t["payload"]["messages"]] == \
            ["release on monday?", "yes", "ok"]
        assert t["payload"]["messages"][0]["edited"] is True
        assert await error(bob, "thread", {"seq": r1["seq"] + 100}) == "no_such_message"
        d = await ev(bob, "delete", {"seq": r1["seq"]}, "d1")
        assert d["kind"] == "delete" and d["target"] == r1["seq"] and "text" not in d
        assert await error(bob, "edit", {"seq": r1["seq"], "text": "undead"}) == \
            "no_such_message"
        # history replays events; search forgets deleted and edited texts
        await bob.send_json("history", {"channel": "general"}, id="h")
        h = await expect(bob, "history", lambda m: m.get("id") == "h")
        kinds = [m.get("kind", "msg") for m in h["payload"]["messages"]]
        assert kinds == ["msg", "msg", "msg", "edit", "react", "react", "react", "delete"]
        # each message as it stands: the deleted reply is a tombstone, its text gone
        msgs = {m["seq"]: m for m in h["payload"]["messages"]}
        assert (msgs[r1["seq"]]["text"], msgs[r1["seq"]]["deleted"]) == ("", True)
        assert msgs[root["seq"]]["text"] == "release on monday?"
        r = await request(bob, "search", {"q": "friday"}, "results", id="s1")
        assert r["payload"]["messages"] == []
        r = await request(bob, "search", {"q": "monday"}, "results", id="s2")
        assert [m["seq"] for m in r["payload"]["messages"]] == [root["seq"]]
        # found by its new text, still dated when it was written
        assert r["payload"]["messages"][0]["ts"] == root["ts"] < ed["ts"]
        r = await request(bob, "search", {"q": "yes"}, "results", id="s3")
        assert r["payload"]["messages"] == []
        await alice.close()
        await bob.close()
        return root["seq"]

    root = run(flow())
    assert server.stop() == 0
    server.restart()

    async def after():
        # reactions in force survive: bob's 👍 is on, so toggling takes it off
        bob, _, _ = await Client.joined(server, "bob", account=True)
        await bob.send_json("react", {"seq": root, "emoji": "👍"}, id="x4")
        m = await expect(bob, "react", lambda m: m["payload"]["target"] == root)
        assert m["payload"]["on"] is False
        await bob.close()

    run(after())


def mention_counts(welcome):
    """welcome's unread mention counts, by channel, of the channels that have some."""
    assert all(isinstance(c["mentions"], int) for c in welcome["channels"]), welcome
    return {c["name"]: c["mentions"] for c in welcome["channels"] if c["mentions"]}


def test_welcome_carries_unread_mention_counts(server):
    account_token(server, "bob")  # invited before he first comes

    async def flow():
        alice, _, _ = await Client.joined(server, "alice", account=True)
        await request(alice, "channel_create", {"name": "design"}, "channel")
        await request(alice, "channel_invite", {"channel": "design", "user": "bob"}, "invited")
        await post(alice, "general", "@bob look", id="m1")
        await post(alice, "general", "@channel meeting", id="m2")
        await post(alice, "general", "@bobby is someone else", id="m3")
        await post(alice, "design", "@bob review please", id="m4")
        gone = await post(alice, "design", "@here oops", id="m5")
        await alice.send_json("delete", {"channel": "design", "seq": gone["seq"]}, id="d")
        await expect(alice, "delete", lambda m: m["payload"]["target"] == gone["seq"])
        bob, welcome, _ = await Client.joined(server, "bob", account=True)
        assert mention_counts(welcome) == {"general": 2, "design": 1}
        await request(bob, "read", {"channel": "general", "seq": 3}, "read")
        await bob.close()
        bob, again, _ = await Client.joined(server, "bob", account=True)
        assert mention_counts(again) == {"design": 1}
        await request(bob, "read", {"channel": "design", "seq": 99}, "read")
        await bob.close()
        bob, again, _ = await Client.joined(server, "bob", account=True)
        assert mention_counts(again) == {}
        # @channel counts for everyone in it, newcomers included
        carol, cw, _ = await Client.joined(server, "carol", account=True)
        assert mention_counts(cw) == {"general": 1}
        for c in (alice, bob, carol):
            await c.close()
        assert welcome["session"] == ""  # an account's credential is its token

    run(flow())
    assert server.stop() == 0
    server.restart()

    async def after():
        # what is known of mentions comes back from the store
        dave, w, _ = await Client.joined(server, "dave", account=True)
        assert mention_counts(w) == {"general": 1}
        await request(dave, "read", {"channel": "general", "seq": 99}, "read")
        await dave.close()
        bob, w, _ = await Client.joined(server, "bob", account=True)
        assert mention_counts(w) == {}
        await bob.close()
        dave, w, _ = await Client.joined(server, "dave", account=True)
        assert mention_counts(w) == {}
        await dave.close()

    run(after())


def test_requests_right_behind_a_join_wait_for_its_welcome(server):
    """A join that must ask the store for mention counts answers later: what the client
    sent right behind it runs after the welcome, in order."""
    async def flow():
        alice, _, _ = await Client.joined(server, "alice", account=True)
        # a mention counts for the user who holds the name when it is written
        token = account_token(server, "bob")
        await post(alice, "general", "@bob ping", id="m1")
        bob = await Client.connect(server)
        await bob.send_json("join", {"token": token}, id="j")
        await bob.send_json("msg", {"text": "first"}, id="a")
        await bob.send_json("ping", id="p")
        await bob.send_json("msg", {"text": "second"}, id="b")
        await bob.send_json("join", {"user": "bob"}, id="j2")
        order, want = [], {("ack", "a"), ("ack", "b"), ("pong", "p"), ("error", "j2")}
        while not want <= set(order):
            m = await bob.recv_json(skip=("typing", "leave", "msg"))
            if m["type"] == "welcome":
                assert mention_counts(m["payload"]) == {"general": 1}
            if m["type"] != "join" or m["payload"]["user"] == "bob":
                order.append((m["type"], m.get("id") or m.get("code")))
        # the join sequence first; then the requests, run in the order they came (the
        # acks wait for their commit, so they may follow the immediate answers)
        assert order[:3] == [("welcome", "j"), ("history", None), ("join", None)], order
        assert order.index(("ack", "a")) < order.index(("ack", "b")), order
        assert order.index(("pong", "p")) < order.index(("error", "j2")), order
        assert len(order) == 7, order
        got = [m["text"] for m in (await request(alice, "history", {}, "history", id="h"))
               ["payload"]["messages"]]
        assert got[-2:] == ["first", "second"]
        await alice.close()
        await bob.close()

    run(flow())
