"""Request ids and client keys (docs/protocol.md, "Request ids" and "Client keys").

Any request may carry an `id`, echoed on its reply and on its error. A write (`msg`, a
thread reply, `edit`, `delete`, `react`) may carry a client key `cid`: a retry with the same
key is stored once and acknowledged with the original seq, marked "duplicate", whether the
original is still on its way to the store, committed, or from before a restart or a
kill -9 between commit and ack.
"""
import asyncio

from accounts import account_token
from test_channels import error, expect, post, request
from wsraw import Client, run


async def keyed(c, type_, payload, cid, id):
    """Sends a keyed write; returns its ack payload."""
    await c.send_json(type_, {**payload, "cid": cid}, id=id)
    return (await expect(c, "ack", lambda m: m.get("id") == id))["payload"]


async def history(c, id="h", **payload):
    page = await request(c, "history", {"channel": "general", **payload}, "history", id=id)
    return page["payload"]["messages"]


def test_a_retried_write_is_stored_once(server):
    async def flow():
        alice, _, _ = await Client.joined(server, "alice")
        bob, _, _ = await Client.joined(server, "bob")
        first = await keyed(alice, "msg", {"text": "hello"}, "k-1", "a1")
        assert first["cid"] == "k-1" and "duplicate" not in first
        seen = await expect(bob, "msg", lambda m: m["payload"]["seq"] == first["seq"])
        assert seen["payload"]["cid"] == "k-1"
        again = await keyed(alice, "msg", {"text": "hello"}, "k-1", "a2")
        assert again == {**first, "duplicate": True}
        # a thread reply, an edit and a reaction: each stored once however often it is sent
        r = await keyed(alice, "msg", {"text": "re", "thread": first["seq"]}, "k-2", "a3")
        assert (await keyed(alice, "msg", {"text": "re", "thread": first["seq"]}, "k-2",
                            "a4"))["seq"] == r["seq"]
        e = await keyed(alice, "edit", {"seq": first["seq"], "text": "hello!"}, "k-3", "a5")
        assert (await keyed(alice, "edit", {"seq": first["seq"], "text": "hello!"}, "k-3",
                            "a6"))["seq"] == e["seq"]
        on = await keyed(bob, "react", {"seq": first["seq"], "emoji": "👍"}, "k-4", "b1")
        dup = await keyed(bob, "react", {"seq": first["seq"], "emoji": "👍"}, "k-4", "b2")
        assert dup["seq"] == on["seq"] and dup["duplicate"] is True
        # the same key from another user is that user's own write
        other = await keyed(bob, "msg", {"text": "mine"}, "k-1", "b3")
        assert other["seq"] > on["seq"] and "duplicate" not in other
        msgs = await history(alice)
        assert [m["seq"] for m in msgs] == [first["seq"], r["seq"], e["seq"], on["seq"],
                                            other["seq"]]
        assert [m.get("cid") for m in msgs] == ["k-1", "k-2", "k-3", "k-4", "k-1"]
        # the duplicate react did not toggle it off: a new reaction (no key) does
        off = await keyed(bob, "react", {"seq": first["seq"], "emoji": "👍"}, "k-5", "b4")
        event = await expect(alice, "react", lambda m: m["payload"]["seq"] == off["seq"])
        assert event["payload"]["on"] is False
        await alice.close()
        await bob.close()

    run(flow())


def test_retries_sent_together_get_one_seq(server):
    """Ten copies sent back to back, before the first is stored: one message, ten acks."""
    async def flow():
        alice, _, _ = await Client.joined(server, "alice")
        for i in range(10):
            await alice.send_json("msg", {"text": "burst", "cid": "same"}, id=f"x{i}")
        acks = [await expect(alice, "ack") for _ in range(10)]
        assert [a["id"] for a in acks] == [f"x{i}" for i in range(10)]
        assert len({a["payload"]["seq"] for a in acks}) == 1
        assert sum(1 for a in acks if a["payload"].get("duplicate")) == 9
        assert [m["text"] for m in await history(alice)] == ["burst"]
        await alice.close()

    run(flow())


def test_bad_keys_are_refused(server):
    async def flow():
        alice, _, _ = await Client.joined(server, "alice")
        for bad in ("", "a b", "x" * 65, 5, None, "é"):
            assert await error(alice, "msg", {"text": "t", "cid": bad}) == "bad_payload", bad
        assert await error(alice, "react", {"seq": 1, "emoji": "x", "cid": "no/slash"}) \
            == "bad_payload"
        assert await history(alice) == []
        await alice.close()

    run(flow())


def test_every_reply_and_error_carries_the_request_id(server):
    async def flow():
        c = await Client.connect(server)
        await c.send_json("ping", id=7)
        assert (await c.recv_json("pong"))["id"] == 7
        await c.send_json("msg", {"text": "early"}, id="n")
        err = await c.recv_json("error")
        assert (err["code"], err["id"]) == ("not_joined", "n")
        # an account: channel_create is a member's right (issue 11)
        await c.send_json("join", {"token": account_token(server, "alice")}, id="j")
        assert (await c.recv_json("welcome"))["id"] == "j"
        await expect(c, "join", lambda m: m["payload"]["user"] == "alice")
        ack = await keyed(c, "msg", {"text": "hi @alice"}, "c1", 1)
        for type_, payload, answer in (
                ("history", {"limit": 1}, "history"),
                ("thread", {"seq": ack["seq"]}, "thread"),
                ("search", {"q": "hi"}, "results"),
                ("channel_list", {}, "channels"),
                ("channel_create", {"name": "ids"}, "channel"),
                ("read", {"channel": "general", "seq": ack["seq"]}, "read"),
                ("resume", {"channels": {"general": 0}}, "resumed")):
            m = await request(c, type_, payload, answer, id=f"id-{type_}")
            assert m["id"] == f"id-{type_}", type_
        for type_, payload, code in (
                ("nonsense", {}, "bad_type"),
                ("msg", {"text": ""}, "bad_payload"),
                ("edit", {"seq": 999, "text": "x"}, "no_such_message"),
                ("channel_join", {"channel": "nope"}, "no_such_channel")):
            assert await error(c, type_, payload, id=f"e-{type_}") == code, type_
        await c.close()

    run(flow())


def test_a_retry_after_a_kill_is_answered_with_the_original(server):
    """The key is stored with the write: after kill -9 and a restart, a retry of a write
    that was committed (its ack possibly lost) is not stored again."""
    async def before():
        # an account: the same user before and after (a guest's name lapses when it leaves)
        alice, _, _ = await Client.joined(server, "alice", account=True)
        ack = await keyed(alice, "msg", {"text": "before the crash"}, "crash-1", "a")
        await alice.close()
        return ack

    first = run(before())
    server.kill9()
    server.restart()

    async def after():
        alice, _, _ = await Client.joined(server, "alice", account=True)
        again = await keyed(alice, "msg", {"text": "before the crash"}, "crash-1", "b")
        assert again == {**first, "duplicate": True}
        fresh = await keyed(alice, "msg", {"text": "after"}, "crash-2", "c")
        assert fresh["seq"] == first["seq"] + 1
        assert [m["text"] for m in await history(alice)] == ["before the crash", "after"]
        await alice.close()

    run(after())
