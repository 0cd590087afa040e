"""Notification levels through the JSON protocol (issue 14, item 8): `notify` sets a user's
level of a channel ("all", "mentions" or "muted"); every session of that user hears the
`notify` event, on this process and on another sharing the store; welcome and channel_list
carry `"notify"` for a level other than "all"; levels survive a restart, stay with a user
who leaves a channel, and go with a deleted channel (docs/protocol.md, "Notification
levels")."""
import asyncio

from accounts import account_token
from test_shared import redis  # noqa: F401 (fixture)
from wsraw import Client, run

SKIP = ("join", "leave", "typing", "topic", "channel", "channel_left", "invited", "msg",
        "history", "read", "presence", "ack", "pong")


async def expect(c, type_, pred=lambda m: True, timeout=10):
    while True:
        m = await c.recv_json(type_, skip=tuple(t for t in SKIP if t != type_),
                              timeout=timeout)
        if pred(m):
            return m


async def notify(c, channel, level, id="n"):
    """Sets a level; returns the answer (the notify event with the id)."""
    await c.send_json("notify", {"channel": channel, "level": level}, id=id)
    return await expect(c, "notify", lambda m: m.get("id") == id)


async def error(c, payload, id="e"):
    await c.send_json("notify", payload, id=id)
    m = await expect(c, "error", lambda m: m.get("id") == id)
    return m["code"]


async def request(c, type_, payload, answer, id="r"):
    await c.send_json(type_, payload, id=id)
    return await expect(c, answer, lambda m: m.get("id") == id)


def levels(channels):
    return {c["name"]: c.get("notify", "all") for c in channels}


def test_set_unset_and_every_session_hears(server):
    async def flow():
        alice, welcome, _ = await Client.joined(server, "alice", account=True)
        assert "notify" not in welcome["channels"][0]  # "all": no field
        tab2, _, _ = await Client.joined(server, "alice", account=True)
        bob, _, _ = await Client.joined(server, "bob", account=True)
        await request(alice, "channel_create", {"name": "design"}, "channel")

        ans = await notify(alice, "design", "muted")
        assert ans["payload"] == {"channel": "design", "level": "muted"}
        ev = await expect(tab2, "notify")
        assert ev == {"type": "notify", "payload": {"channel": "design", "level": "muted"}}
        # a level is the user's own: bob, a member of #general, hears nothing of it
        await notify(alice, "general", "mentions", id="g")
        ev = await expect(tab2, "notify")
        assert ev["payload"] == {"channel": "general", "level": "mentions"}
        await bob.expect_silence(0.3)

        # channel_list and a new session's welcome carry the levels
        lst = await request(alice, "channel_list", {}, "channels")
        assert levels(lst["payload"]["channels"])["design"] == "muted"
        tab3, welcome3, _ = await Client.joined(server, "alice", account=True)
        assert levels(welcome3["channels"]) == {"general": "mentions", "design": "muted"}
        # bob's welcome shows none of alice's
        _, welcome_b, _ = await Client.joined(server, "bob", account=True)
        assert levels(welcome_b["channels"]) == {"general": "all"}

        # back to "all": the field goes
        ans = await notify(alice, "design", "all", id="a")
        assert ans["payload"]["level"] == "all"
        assert (await expect(tab2, "notify"))["payload"]["level"] == "all"
        assert (await expect(tab3, "notify"))["payload"]["level"] == "all"
        lst = await request(alice, "channel_list", {}, "channels", id="l2")
        design = [c for c in lst["payload"]["channels"] if c["name"] == "design"][0]
        assert "notify" not in design
        # the same level again: answered, nothing changes
        ans = await notify(alice, "design", "all", id="same")
        assert ans["payload"] == {"channel": "design", "level": "all"}

        # a DM is a channel like any other
        dm = await request(alice, "dm_open", {"users": ["bob"]}, "channel", id="dm")
        name = dm["payload"]["channel"]["name"]
        assert (await notify(alice, name, "muted", id="d"))["payload"]["level"] == "muted"
        for c in (alice, tab2, tab3, bob):
            await c.close()

    run(flow())


def test_bad_input_and_non_members_are_refused(server):
    async def flow():
        alice, _, _ = await Client.joined(server, "alice", account=True)
        bob, _, _ = await Client.joined(server, "bob", account=True)
        await request(alice, "channel_create", {"name": "design"}, "channel")
        await request(alice, "channel_create", {"name": "secret", "private": True}, "channel",
                      id="r2")
        for bad in ({"channel": "design", "level": "loud"},
                    {"channel": "design", "level": "MUTED"},
                    {"channel": "design", "level": ""},
                    {"channel": "design", "level": 1},
                    {"channel": "design", "level": None},
                    {"channel": "design"}):
            assert await error(alice, bad) == "bad_payload", bad
        assert await error(alice, {"level": "muted"}) == "bad_payload"
        assert await error(alice, {"channel": 5, "level": "muted"}) == "bad_payload"
        assert await error(alice, {"channel": "nowhere", "level": "muted"}) == \
            "no_such_channel"
        # bob is not a member of design (public) nor of secret (which he cannot even see)
        assert await error(bob, {"channel": "design", "level": "muted"}) == "forbidden"
        assert await error(bob, {"channel": "secret", "level": "muted"}) == "no_such_channel"
        await bob.send_raw('{"type":"notify","id":"x","payload":"muted"}')
        assert (await expect(bob, "error"))["code"] == "bad_payload"
        # nothing was set by any of it
        lst = await request(alice, "channel_list", {}, "channels")
        assert set(levels(lst["payload"]["channels"]).values()) == {"all"}
        await alice.close()
        await bob.close()

    run(flow())


def test_levels_survive_a_restart_stay_after_leaving_and_go_with_the_channel(server):
    account_token(server, "alice", role="admin")  # who may delete a channel

    async def before():
        alice, _, _ = await Client.joined(server, "alice", account=True)
        for name in ("design", "ops", "doomed"):
            await request(alice, "channel_create", {"name": name}, "channel", id=name)
        await notify(alice, "design", "muted", id="1")
        await notify(alice, "general", "mentions", id="2")
        await notify(alice, "ops", "muted", id="3")
        await notify(alice, "ops", "all", id="4")  # and back: no row left
        await notify(alice, "doomed", "muted", id="5")
        await alice.close()

    run(before())
    assert server.stop() == 0
    server.restart()

    async def after():
        alice, welcome, _ = await Client.joined(server, "alice", account=True)
        assert levels(welcome["channels"]) == {"general": "mentions", "design": "muted",
                                               "ops": "all", "doomed": "muted"}
        # leaving keeps the level: a return finds it
        await request(alice, "channel_leave", {"channel": "design"}, "channel_left", id="l")
        back = await request(alice, "channel_join", {"channel": "design"}, "channel", id="j")
        assert back["payload"]["channel"]["notify"] == "muted"
        # a deleted channel takes its levels along: made again, it starts at "all"
        await request(alice, "channel_delete", {"channel": "doomed"}, "channel_deleted",
                      id="d")
        again = await request(alice, "channel_create", {"name": "doomed"}, "channel", id="c")
        assert "notify" not in again["payload"]["channel"]
        await alice.close()

    run(after())
    assert server.stop() == 0
    server.restart()

    async def last():
        alice, welcome, _ = await Client.joined(server, "alice", account=True)
        assert levels(welcome["channels"]) == {"general": "mentions", "design": "muted",
                                               "ops": "all", "doomed": "all"}
        await alice.close()

    run(last())


async def joined(server, token):
    """A client of token's account on server, once the server knows the account (a process
    re-reads accounts within a second of a change elsewhere)."""
    for _ in range(50):
        c = await Client.connect(server)
        await c.send_json("join", {"token": token, "events": True})
        m = await c.recv_json("welcome", "error")
        if m["type"] == "welcome":
            return c, m["payload"]
        await c.close()
        await asyncio.sleep(0.1)
    raise AssertionError("the account never reached the process")


def test_a_level_reaches_the_users_sessions_on_another_process(make_server, redis, tmp_path):
    flags = ("--bus", redis.url)
    db = tmp_path / "shared.db"
    a = make_server(*flags, db=db)
    b = make_server(*flags, db=db)
    amy = account_token(a, "amy")

    async def go():
        ca, _ = await joined(a, amy)
        cb, _ = await joined(b, amy)
        await notify(ca, "general", "muted")
        ev = await expect(cb, "notify", timeout=15)
        assert ev == {"type": "notify", "payload": {"channel": "general", "level": "muted"}}
        # and b's own welcome, from its memory, says so too
        c2, welcome = await joined(b, amy)
        assert levels(welcome["channels"]) == {"general": "muted"}
        await notify(cb, "general", "all", id="back")
        ev = await expect(ca, "notify", timeout=15)
        assert ev["payload"]["level"] == "all"
        for c in (ca, cb, c2):
            await c.close()

    run(go(), 60)


def test_levels_changed_while_the_bus_was_down_are_resynced(make_server, redis, tmp_path):
    """The bus loses what one process changed; once it is back the other re-reads the stored
    levels: a level set meanwhile arrives, and so does a return to "all" (which has no row)."""
    flags = ("--bus", redis.url)
    db = tmp_path / "shared.db"
    a = make_server(*flags, db=db)
    b = make_server(*flags, db=db)
    amy = account_token(a, "amy")

    async def go():
        ca, _ = await joined(a, amy)
        cb, _ = await joined(b, amy)
        await request(ca, "channel_create", {"name": "ops"}, "channel")
        await notify(ca, "general", "muted")
        assert (await expect(cb, "notify", timeout=15))["payload"]["level"] == "muted"

        redis.stop()
        await asyncio.sleep(0.5)
        await notify(ca, "general", "all", id="back")
        await notify(ca, "ops", "mentions", id="ops")
        await cb.expect_silence(1.0)  # nothing heard while the bus is down
        redis.start()

        got = {}
        while len(got) < 2:
            m = await expect(cb, "notify", timeout=25)
            got[m["payload"]["channel"]] = m["payload"]["level"]
        assert got == {"general": "all", "ops": "mentions"}, got
        c2, welcome = await joined(b, amy)
        assert levels(welcome["channels"]) == {"general": "all", "ops": "mentions"}
        for c in (ca, cb, c2):
            await c.close()

    run(go(), 90)
