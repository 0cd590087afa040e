"""The JSON protocol on /ws (docs/protocol.md, "JSON mode"): join and welcome, history,
request ids, every error code, resume, typing, and ordering under concurrency."""
import asyncio
import re
import time

import pytest
import websockets

from wsraw import Client, gather_msgs, run

FAST = ("--rate", "1000", "--burst", "1000")  # for tests that send many messages


async def send_many(c, n, prefix="m", id_prefix=None):
    """Sends n msgs without waiting; returns the texts."""
    texts = [f"{prefix}{i}" for i in range(n)]
    for i, t in enumerate(texts):
        await c.send_json("msg", {"text": t}, id=f"{id_prefix}{i}" if id_prefix else None)
    return texts


async def send_and_ack(c, n, prefix="m"):
    """Sends n msgs, waits for all their acks and the sender's own copies (others' msgs
    arriving meanwhile are read too); returns the acked seqs."""
    await send_many(c, n, prefix)
    acked, echoed = [], set()
    while len(acked) < n or not echoed.issuperset(acked):
        m = await c.recv_json("ack", "msg")
        if m["type"] == "ack":
            acked.append(m["payload"]["seq"])
        else:
            echoed.add(m["payload"]["seq"])
    return acked


async def drain_msgs(c, n):
    msgs, _ = await gather_msgs(c, n)
    return msgs


# ---------------------------------------------------------------- join, welcome, history


def test_welcome_fields_and_join_sequence(server):
    async def flow():
        bob, _, _ = await Client.joined(server, "bob")
        await bob.msg("one")
        c = await Client.connect(server)
        await c.send_json("join", {"user": "alice"}, id="j1")
        welcome = await c.recv_json(skip=())
        assert welcome["type"] == "welcome"
        assert welcome.get("id") == "j1"
        p = welcome["payload"]
        assert p["user"] == "alice"
        # a guest (issue 11): its token holds its name; the user's id, role and mark
        assert re.fullmatch(r"[0-9a-f]{64}", p["session"]), p["session"]
        assert isinstance(p["user_id"], int) and p["user_id"] > 0
        assert (p["display_name"], p["role"], p["guest"]) == ("", "guest", True)
        assert p["channels"][0]["name"] == "general"
        assert p["channels"][0]["last_seq"] == 1
        assert sorted(p["online"]) == ["alice", "bob"]
        # then history, then the join event about ourselves
        h = await c.recv_json(skip=())
        assert h["type"] == "history" and h["payload"]["channel"] == "general"
        j = await c.recv_json(skip=())
        assert j["type"] == "join" and j["payload"]["user"] == "alice"
        assert j["payload"]["channel"] == "general" and j["payload"]["guest"] is True
        # another client gets a different session token
        d = await Client.connect(server)
        assert (await d.join("carol"))["session"] != p["session"]
        for x in (bob, c, d):
            await x.close()

    run(flow())


def test_history_after_welcome(server):
    async def flow():
        a, w, h = await Client.joined(server, "alice")
        assert h["messages"] == [] and h["more"] is False
        assert w["channels"][0]["last_seq"] == 0
        await send_and_ack(a, 5)
        b, w, h = await Client.joined(server, "bob")
        assert w["channels"][0]["last_seq"] == 5
        msgs = h["messages"]
        assert [m["seq"] for m in msgs] == [1, 2, 3, 4, 5]
        assert [m["text"] for m in msgs] == [f"m{i}" for i in range(5)]
        assert all(m["user"] == "alice" and m["channel"] == "general" and
                   isinstance(m["ts"], int) for m in msgs)
        assert h["more"] is False
        await a.close()
        await b.close()

    run(flow())


def test_history_flag_limits_replay(make_server):
    server = make_server("--history", "3")

    async def flow():
        a, _, _ = await Client.joined(server, "alice")
        await send_and_ack(a, 5)
        b, _, h = await Client.joined(server, "bob")
        assert [m["seq"] for m in h["messages"]] == [3, 4, 5]
        assert h["more"] is True
        # live messages continue right after the history
        await a.send_json("msg", {"text": "live"})
        m = await b.recv_json("msg")
        assert m["payload"]["seq"] == 6
        await a.close()
        await b.close()

    run(flow())


def test_history_flag_zero(make_server):
    server = make_server("--history", "0")

    async def flow():
        a, _, h = await Client.joined(server, "alice")
        assert h == {"channel": "general", "messages": [], "more": False}
        await a.msg("one")
        b, w, h = await Client.joined(server, "bob")
        assert w["channels"][0]["last_seq"] == 1
        assert h == {"channel": "general", "messages": [], "more": True}
        await a.send_json("msg", {"text": "two"})
        assert (await b.recv_json("msg"))["payload"]["seq"] == 2
        await a.close()
        await b.close()

    run(flow())


def test_history_requests_before_and_limit(server):
    async def flow():
        a, _, _ = await Client.joined(server, "alice")
        await send_and_ack(a, 10)
        cases = [
            ({"before": 6, "limit": 3}, [3, 4, 5], True),
            ({"before": 3, "limit": 5}, [1, 2], False),
            ({"limit": 4}, [7, 8, 9, 10], True),
            ({"before": 1}, [], False),
            ({}, list(range(1, 11)), False),
            ({"channel": "general", "before": 11, "limit": 10}, list(range(1, 11)), False),
        ]
        for i, (payload, seqs, more) in enumerate(cases):
            await a.send_json("history", payload, id=f"h{i}")
            h = await a.recv_json("history")
            assert h.get("id") == f"h{i}"
            assert [m["seq"] for m in h["payload"]["messages"]] == seqs, payload
            assert h["payload"]["more"] is more, payload
        await a.close()

    run(flow())


def test_history_limit_is_clamped_to_200(make_server):
    server = make_server(*FAST)

    async def flow():
        a, _, _ = await Client.joined(server, "alice")
        await send_and_ack(a, 205)
        await a.send_json("history", {"limit": 1000})
        h = await a.recv_json("history", skip=("msg",))
        assert [m["seq"] for m in h["payload"]["messages"]] == list(range(6, 206))
        assert h["payload"]["more"] is True
        await a.close()

    run(flow())


BAD_HISTORY = [
    {"limit": 0}, {"limit": -1}, {"limit": 1.5}, {"limit": "10"}, {"limit": None},
    {"before": 0}, {"before": "x"}, {"before": -5},
]


def test_history_bad_params(server):
    async def flow():
        a, _, _ = await Client.joined(server, "alice")
        for i, payload in enumerate(BAD_HISTORY):
            e = await a.error("history", payload, id=i)
            assert (e["code"], e["id"]) == ("bad_payload", i), payload
            assert isinstance(e["message"], str) and e["message"]
        await a.ping()
        await a.close()

    run(flow())


# ---------------------------------------------------------------- ids and errors


def test_request_ids_are_echoed(server):
    async def flow():
        a, _, _ = await Client.joined(server, "alice")
        ack = await a.msg("x", id="abc")
        assert ack["id"] == "abc"
        assert ack["payload"]["channel"] == "general" and ack["payload"]["seq"] == 1
        assert isinstance(ack["payload"]["ts"], int)
        ack = await a.msg("y", id=42)
        assert ack["id"] == 42
        e = await a.error("msg", {"text": ""}, id="e1")
        assert e["id"] == "e1"
        e = await a.error("msg", {"text": ""}, id=7)
        assert e["id"] == 7
        e = await a.error("msg", {"text": ""})
        assert "id" not in e
        assert (await a.ping(id="p"))["id"] == "p"
        id64 = "i" * 64
        assert (await a.msg("z", id=id64))["id"] == id64
        assert (await a.msg("q", id='we"ird\\id'))["id"] == 'we"ird\\id'
        e = await a.error("msg", {"text": "too long id"}, id="i" * 65)
        assert e["type"] == "error"
        await a.ping()
        await a.close()

    run(flow())


def test_bad_json(server):
    async def flow():
        a = await Client.connect(server)
        # A first frame that starts with "{" but does not parse: bad_json, still JSON mode.
        await a.send_raw("{not json")
        assert (await a.recv_json("error"))["code"] == "bad_json"
        await a.join("alice")
        await a.recv_json("history")
        for bad in ("[1, 2]", '"a string"', "42", "null", "{\"type\": \"msg\",", "{} {}"):
            await a.send_raw(bad)
            e = await a.recv_json("error")
            assert e["code"] == "bad_json", bad
        await a.send_raw(b'{"type":"ping"}')  # a binary frame, even of valid JSON
        e = await a.recv_json("error")
        assert e["code"] == "bad_json"
        await a.ping()
        await a.close()

    run(flow())


def test_bad_type(server):
    async def flow():
        a, _, _ = await Client.joined(server, "alice")
        for bad in ('{"payload": {"text": "x"}}', '{"type": "nope"}', '{"type": 5}',
                    '{"type": null}', '{"type": ["msg"]}', '{"type": "MSG"}',
                    '{"type": "pong"}'):
            await a.send_raw(bad)
            e = await a.recv_json("error")
            assert e["code"] == "bad_type", bad
        await a.ping()
        await a.close()

    run(flow())


BAD_PAYLOADS = [
    '{"type": "msg"}',
    '{"type": "msg", "payload": {}}',
    '{"type": "msg", "payload": {"text": ""}}',
    '{"type": "msg", "payload": {"text": 5}}',
    '{"type": "msg", "payload": {"text": null}}',
    '{"type": "msg", "payload": {"text": ["a"]}}',
    '{"type": "msg", "payload": "text"}',
    '{"type": "msg", "payload": [1]}',
    '{"type": "msg", "payload": {"text": "x", "channel": 5}}',
    '{"type": "resume", "payload": {"channels": {"general": -1}}}',
    '{"type": "resume", "payload": {"channels": {"general": "3"}}}',
    '{"type": "resume", "payload": {"channels": [0]}}',
    '{"type": "resume"}',
]


def test_bad_payload(server):
    async def flow():
        a, _, _ = await Client.joined(server, "alice")
        for frame in BAD_PAYLOADS:
            await a.send_raw(frame)
            e = await a.recv_json("error")
            assert e["code"] == "bad_payload", frame
        await a.ping()
        # nothing was stored
        await a.send_json("history", {})
        assert (await a.recv_json("history"))["payload"]["messages"] == []
        await a.close()

    run(flow())


def test_not_joined_and_already_joined(server):
    async def flow():
        a = await Client.connect(server)
        await a.ping()  # a keep-alive is fine before join
        for t, p in (("msg", {"text": "hi"}), ("history", {}), ("typing", {}),
                     ("resume", {"channels": {"general": 0}})):
            e = await a.error(t, p, id=t)
            assert (e["code"], e["id"]) == ("not_joined", t)
        await a.join("alice")
        await a.recv_json("history")
        e = await a.error("join", {"user": "alice"}, id="again")
        assert (e["code"], e["id"]) == ("already_joined", "again")
        e = await a.error("join", {"user": "someone-else"})
        assert e["code"] == "already_joined"
        assert (await a.msg("still works"))["payload"]["seq"] == 1
        await a.close()

    run(flow())


BAD_NAMES = ["", "a" * 33, "é" * 33, "a\x01b", "tab\there", "new\nline", "del\x7f",
             "c1\u0085x", " alice", "alice ", "\u00a0alice", "alice\u00a0"]
GOOD_NAMES = ["a" * 32, "é" * 32, "😀" * 31 + "a", "日本語の名前", "a b", "x"]
# issue 11: reserved for the text modes, or nothing but symbols/punctuation, or invisible
# and direction-changing characters: a guest may not take them
REFUSED_NAMES = ["Client #1", "client #1", "anonymous", "Anonymous", "😀" * 32, "!!!",
                 "ali\u200bce", "\u202ealice", "alice\u2066"]


def test_bad_name(server):
    async def flow():
        a = await Client.connect(server)
        for name in BAD_NAMES:
            e = await a.error("join", {"user": name}, id="n")
            assert (e["code"], e["id"]) == ("bad_name", "n"), repr(name)
        for name in (None, 5, ["alice"]):
            e = await a.error("join", {"user": name})
            assert e["code"] == "bad_payload", repr(name)
        # still not joined, and can join properly now
        assert (await a.error("msg", {"text": "x"}))["code"] == "not_joined"
        assert (await a.join("alice"))["user"] == "alice"
        await a.close()

    run(flow())


def test_bad_name_unicode_white_space(server):
    """docs/protocol.md: "no leading or trailing white space"; U+2003 EM SPACE, U+3000
    IDEOGRAPHIC SPACE and U+2028 LINE SEPARATOR are white space."""

    async def flow():
        a = await Client.connect(server)
        for name in ("\u2003alice", "alice\u3000", "\u2028alice", "alice\u2009"):
            e = await a.error("join", {"user": name})
            assert e["code"] == "bad_name", repr(name)
        await a.close()

    run(flow())


def test_good_names(server):
    async def flow():
        clients = []
        for name in GOOD_NAMES:
            a = await Client.connect(server)
            w = await a.join(name)
            assert w["user"] == name and name in w["online"], repr(name)
            clients.append(a)
        for a in clients:
            await a.close()

    run(flow())


def test_refused_names(server):
    async def flow():
        a = await Client.connect(server)
        for name in REFUSED_NAMES:
            e = await a.error("join", {"user": name})
            assert e["code"] in ("bad_name", "name_taken"), repr(name)
        assert (await a.join("alice"))["user"] == "alice"
        await a.close()

    run(flow())


def test_join_without_payload(server):
    async def flow():
        a = await Client.connect(server)
        e = await a.error("join")
        assert e["code"] == "bad_payload"
        await a.close()

    run(flow())


def test_name_taken_and_second_tab(server):
    async def flow():
        obs, _, _ = await Client.joined(server, "observer")
        alice, w, _ = await Client.joined(server, "alice")
        j = await obs.recv_json("join", skip=())
        assert j["payload"]["user"] == "alice"

        impostor = await Client.connect(server)
        e = await impostor.error("join", {"user": "alice"}, id=1)
        assert (e["code"], e["id"]) == ("name_taken", 1)
        for token in ("0" * 32, "0" * 64):
            e = await impostor.error("join", {"user": "alice", "session": token})
            assert e["code"] == "name_taken"
        # names compare in their canonical form (issue 11): "Alice" is alice
        for name in ("Alice", "ＡＬＩＣＥ", "\u0430lice"):
            e = await impostor.error("join", {"user": name})
            assert e["code"] == "name_taken", name
        assert (await impostor.join("alicia"))["user"] == "alicia"
        await obs.recv_json("join", skip=())

        # a second tab with the session token from the first welcome
        tab2 = await Client.connect(server)
        w2 = await tab2.join("alice", session=w["session"])
        assert w2["user"] == "alice" and w2["session"] == w["session"]
        assert w2["online"].count("alice") == 1
        # no second join event for the observer: the next thing it sees is tab2's message
        await tab2.send_json("msg", {"text": "from tab 2"})
        m = await obs.recv_json(skip=())
        assert m["type"] == "msg" and m["payload"]["user"] == "alice"
        # both tabs get it
        assert (await alice.recv_json("msg"))["payload"]["text"] == "from tab 2"
        # closing one tab: no leave; closing the last: leave
        await alice.close()
        await obs.expect_silence(0.3)
        await tab2.close()
        leave = await obs.recv_json(skip=())
        assert leave["type"] == "leave" and leave["payload"]["user"] == "alice"
        # the name is free again
        again = await Client.connect(server)
        assert (await again.join("alice"))["user"] == "alice"
        for c in (obs, impostor, again):
            await c.close()

    run(flow())


def test_too_large_counts_characters(server):
    async def flow():
        a, _, _ = await Client.joined(server, "alice")
        e = await a.error("msg", {"text": "a" * 4001}, id="big")
        assert (e["code"], e["id"]) == ("too_large", "big")
        e = await a.error("msg", {"text": "é" * 4001})
        assert e["code"] == "too_large"
        e = await a.error("msg", {"text": "😀" * 4001})
        assert e["code"] == "too_large"
        ack = await a.msg("a" * 4000)
        assert ack["payload"]["seq"] == 1
        assert a.echo["payload"]["text"] == "a" * 4000
        ack = await a.msg("é" * 4000)  # 8000 bytes, 4000 characters
        assert ack["payload"]["seq"] == 2
        assert a.echo["payload"]["text"] == "é" * 4000
        ack = await a.msg("😀" * 4000)  # 16000 bytes
        assert a.echo["payload"]["text"] == "😀" * 4000
        await a.close()

    run(flow())


def test_max_text_flag(make_server):
    server = make_server("--max-text", "10")

    async def flow():
        a, _, _ = await Client.joined(server, "alice")
        assert (await a.error("msg", {"text": "x" * 11}))["code"] == "too_large"
        assert (await a.msg("x" * 10))["payload"]["seq"] == 1
        await a.close()

    run(flow())


def count_results(msgs):
    acks = [m for m in msgs if m["type"] == "ack"]
    errs = [m for m in msgs if m["type"] == "error"]
    return acks, errs


async def burst(a, n):
    """Sends n msgs at once with ids; returns (acks, rate_limited errors)."""
    await send_many(a, n, id_prefix="r")
    answers = []
    while len(answers) < n:
        answers.append(await a.recv_json("ack", "error", skip=("msg", "join", "leave")))
    acks, errs = count_results(answers)
    assert all(e["code"] == "rate_limited" for e in errs), errs
    return acks, errs


def test_rate_limited_default_burst(server):
    async def flow():
        a, _, _ = await Client.joined(server, "alice")
        acks, errs = await burst(a, 60)
        # burst of 40 plus what 20/s refills while the 60 arrive
        assert 40 <= len(acks) <= 50, len(acks)
        assert len(errs) == 60 - len(acks)
        # every answer echoes its own request id, exactly once
        assert sorted(m["id"] for m in acks + errs) == sorted(f"r{i}" for i in range(60))
        # only acked messages were stored, with gapless seqs
        assert sorted(m["payload"]["seq"] for m in acks) == list(range(1, len(acks) + 1))
        await a.ping()
        await a.close()

    run(flow())


def test_rate_limited_small_bucket_refills(make_server):
    server = make_server("--rate", "5", "--burst", "5")

    async def flow():
        a, _, _ = await Client.joined(server, "alice")
        acks, errs = await burst(a, 10)
        assert len(acks) == 5 and len(errs) == 5
        assert [m["id"] for m in acks] == [f"r{i}" for i in range(5)]
        await asyncio.sleep(1.1)  # 5/s refills the bucket
        acks, errs = await burst(a, 5)
        assert len(acks) == 5 and not errs
        await a.close()

    run(flow())


def test_no_such_channel(server):
    async def flow():
        a, _, _ = await Client.joined(server, "alice")
        for t, p in (("msg", {"text": "x", "channel": "random"}),
                     ("history", {"channel": "random"}),
                     ("typing", {"channel": "random"}),
                     ("resume", {"channels": {"random": 0}}),
                     ("msg", {"text": "x", "channel": "General"})):
            e = await a.error(t, p, id="c")
            assert (e["code"], e["id"]) == ("no_such_channel", "c"), (t, p)
        b = await Client.connect(server)
        e = await b.error("join", {"user": "bob", "channel": "random"})
        assert e["code"] == "no_such_channel"
        assert (await b.join("bob", channel="general"))["user"] == "bob"
        await a.ping()
        await a.close()
        await b.close()

    run(flow())


def test_auth_failed_closes_1008(server):
    async def flow():
        a = await Client.connect(server)
        await a.send_json("join", {"token": "whatever"}, id="t")
        e = await a.recv_json("error")
        assert (e["code"], e["id"]) == ("auth_failed", "t")
        with pytest.raises(websockets.ConnectionClosed):
            await a.recv_raw(timeout=5)
        assert a.close_code == 1008
        # the server is fine
        b, _, _ = await Client.joined(server, "bob")
        await b.ping()
        await b.close()

    run(flow())


# ---------------------------------------------------------------- resume


async def reconnect(server, user, session):
    c, w, h = await Client.joined(server, user, session=session)
    return c, w, h


def test_resume_fills_the_gap(server):
    async def flow():
        bob, _, _ = await Client.joined(server, "bob")
        alice, w, _ = await Client.joined(server, "alice")
        await send_and_ack(bob, 3, "before")
        seen = await drain_msgs(alice, 3)
        n = seen[-1]["payload"]["seq"]
        assert n == 3
        await alice.close()
        await send_and_ack(bob, 4, "missed")
        alice, w2, h = await reconnect(server, "alice", w["session"])
        assert w2["channels"][0]["last_seq"] == 7
        await alice.send_json("resume", {"channels": {"general": n}}, id="r")
        got = []
        while True:
            m = await alice.recv_json("msg", "resumed")
            if m["type"] == "resumed":
                break
            got.append(m["payload"])
        assert [p["seq"] for p in got] == [4, 5, 6, 7]
        assert [p["text"] for p in got] == [f"missed{i}" for i in range(4)]
        assert m.get("id") == "r"
        assert m["payload"]["channels"]["general"] == {"from": 4, "to": 7, "recovered": True}
        # live traffic continues after the resume, without duplicates
        await bob.send_json("msg", {"text": "live"})
        live = await alice.recv_json("msg")
        assert live["payload"]["seq"] == 8
        await alice.close()
        await bob.close()

    run(flow())


def test_resume_edges(server):
    async def flow():
        a, _, _ = await Client.joined(server, "alice")
        await send_and_ack(a, 3)
        # nothing missed
        await a.send_json("resume", {"channels": {"general": 3}})
        r = await a.recv_json("resumed")
        assert r["payload"]["channels"]["general"] == {"from": 4, "to": 3, "recovered": True}
        # from 0: everything
        await a.send_json("resume", {"channels": {"general": 0}})
        got = []
        while (m := await a.recv_json("msg", "resumed"))["type"] == "msg":
            got.append(m["payload"]["seq"])
        assert got == [1, 2, 3]
        assert m["payload"]["channels"]["general"] == {"from": 1, "to": 3, "recovered": True}
        # beyond the newest seq: not our history
        await a.send_json("resume", {"channels": {"general": 10}}, id=9)
        r = await a.recv_json(skip=())
        assert r["type"] == "resumed" and r["id"] == 9
        assert r["payload"]["channels"]["general"]["recovered"] is False
        # empty channel map
        await a.send_json("resume", {"channels": {}})
        r = await a.recv_json(skip=())
        assert r["type"] == "resumed" and r["payload"]["channels"] == {}
        await a.close()

    run(flow())


def test_resume_longer_than_resume_max(make_server):
    server = make_server("--resume-max", "5", *FAST)

    async def flow():
        a, _, _ = await Client.joined(server, "alice")
        await send_and_ack(a, 12)
        await a.send_json("resume", {"channels": {"general": 2}})  # a gap of 10
        r = await a.recv_json(skip=())  # no msg before it
        assert r["type"] == "resumed", r
        assert r["payload"]["channels"]["general"]["recovered"] is False
        await a.send_json("resume", {"channels": {"general": 7}})  # a gap of exactly 5
        got = []
        while (m := await a.recv_json("msg", "resumed"))["type"] == "msg":
            got.append(m["payload"]["seq"])
        assert got == [8, 9, 10, 11, 12]
        assert m["payload"]["channels"]["general"] == {"from": 8, "to": 12, "recovered": True}
        await a.close()

    run(flow())


# ---------------------------------------------------------------- typing


def test_typing_relay_and_throttle(server):
    async def flow():
        a, _, _ = await Client.joined(server, "alice")
        b, _, _ = await Client.joined(server, "bob")
        c, _, _ = await Client.joined(server, "carol")
        await a.send_json("typing", {"channel": "general"})
        await a.send_json("typing", {})  # within 1 s: dropped silently
        await a.send_json("msg", {"text": "marker"})
        for other in (b, c):
            t = await other.recv_json(skip=("join",))
            assert t["type"] == "typing"
            assert t["payload"] == {"user": "alice", "channel": "general"}
            m = await other.recv_json(skip=("join",))
            assert m["type"] == "msg" and m["payload"]["text"] == "marker", m
        # the sender never gets its own typing
        assert (await a.recv_json(skip=("join",)))["type"] == "ack"
        assert (await a.recv_json(skip=("join",)))["type"] == "msg"
        await asyncio.sleep(1.05)
        await a.send_json("typing")
        t = await b.recv_json(skip=("join",))
        assert t["type"] == "typing" and t["payload"]["user"] == "alice"
        await a.ping()
        for x in (a, b, c):
            await x.close()

    run(flow())


# ---------------------------------------------------------------- ordering


def test_concurrent_senders_ordering(make_server):
    server = make_server(*FAST)
    N, PER = 3, 50

    async def client_run(c, name):
        await send_many(c, PER, prefix=f"{name}-", id_prefix=f"{name}-")
        stream = []
        msgs = 0
        acks = 0
        deadline = time.monotonic() + 20
        while msgs < N * PER or acks < PER:
            m = await c.recv_json(skip=("join", "leave", "typing"),
                                  timeout=deadline - time.monotonic())
            stream.append(m)
            msgs += m["type"] == "msg"
            acks += m["type"] == "ack"
        return stream

    async def flow():
        clients = []
        for i in range(N):
            c, _, _ = await Client.joined(server, f"user{i}")
            clients.append(c)
        await asyncio.sleep(0.2)
        streams = await asyncio.gather(*(client_run(c, f"user{i}")
                                         for i, c in enumerate(clients)))
        reference = None
        for i, stream in enumerate(streams):
            name = f"user{i}"
            msgs = [m["payload"] for m in stream if m["type"] == "msg"]
            seqs = [p["seq"] for p in msgs]
            assert seqs == list(range(1, N * PER + 1)), f"{name} saw {seqs}"
            view = [(p["seq"], p["user"], p["text"]) for p in msgs]
            if reference is None:
                reference = view
            assert view == reference
            # each sender's messages keep their order
            for j in range(N):
                texts = [p["text"] for p in msgs if p["user"] == f"user{j}"]
                assert texts == [f"user{j}-{k}" for k in range(PER)]
            # acks: one per request, before the sender's own msg with that seq
            pos = {}
            for k, m in enumerate(stream):
                if m["type"] == "msg":
                    pos[m["payload"]["seq"]] = k
            acks = [(k, m) for k, m in enumerate(stream) if m["type"] == "ack"]
            assert sorted(m["id"] for _, m in acks) == sorted(f"{name}-{k}" for k in range(PER))
            for k, ack in acks:
                seq = ack["payload"]["seq"]
                assert reference[seq - 1][1] == name
                assert reference[seq - 1][2] == ack["id"]
                assert k < pos[seq], f"ack for {seq} after the msg"
        for c in clients:
            await c.close()

    run(flow(), timeout=40)


# serial: at least two joins must land while the traffic flows
@pytest.mark.serial
def test_join_during_traffic_has_no_gap_or_duplicate(make_server):
    """history after welcome and the live stream neither overlap nor leave a hole, even
    when messages are committed while the join's history is being read."""
    server = make_server(*FAST, "--history", "20")
    total, joiners = 1000, 10

    async def flow():
        a, _, _ = await Client.joined(server, "alice")

        async def sender():
            for i in range(total):
                await a.send_json("msg", {"text": f"t{i}"})
                if i % 10 == 0:
                    await asyncio.sleep(0.001)

        async def joiner(k):
            await asyncio.sleep(0.02 * k)
            b = await Client.connect(server)
            await b.join(f"bob{k}")
            # nothing but join/leave events may come before the history
            h = await b.recv_json("history")
            seqs = [m["seq"] for m in h["payload"]["messages"]]
            while not seqs or seqs[-1] < total:
                m = await b.recv_json("msg", timeout=20)
                seqs.append(m["payload"]["seq"])
            await b.close()
            return seqs

        task = asyncio.create_task(sender())
        results = await asyncio.gather(*(joiner(k) for k in range(1, joiners + 1)))
        await task
        for seqs in results:
            assert seqs == list(range(seqs[0], total + 1)), seqs
        # the joins did land during the traffic, or this test proves nothing
        assert sum(1 for seqs in results if 1 < seqs[0] and seqs[0] + 200 < total) >= 2, \
            [seqs[0] for seqs in results]
        await a.close()

    run(flow())
