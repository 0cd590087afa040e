"""The seed documents' flows, verbatim where the seeds give exact strings.

- seed 003: client-id mode, its pytest test with its exact strings (fresh server and one
  with stored history);
- seed 001: the JSON join / msg / ping flow and join/leave events;
- seed 000: line mode, "[HH:MM:SS] Name: text";
- and how the three modes see each other.
"""
import re
import time

import pytest

from wsraw import Client, TextClient, run

LINE_RE = re.compile(r"^\[(\d\d):(\d\d):(\d\d)\] (.*)$")


def seed_003_flow(server):
    """Seed 003's test_websocket_broadcast, its strings unchanged."""

    async def flow():
        websocket1 = await TextClient.connect(server, "/ws/1")
        assert await websocket1.recv() == "Client #1 has entered the chat"
        websocket2 = await TextClient.connect(server, "/ws/2")
        assert await websocket1.recv() == "Client #2 has entered the chat"
        assert await websocket2.recv() == "Client #2 has entered the chat"
        await websocket1.send("Hello from client 1")
        assert await websocket1.recv() == "Client #1: Hello from client 1"
        assert await websocket2.recv() == "Client #1: Hello from client 1"
        # Nothing else: no history replay, no stray frames.
        await websocket2.expect_silence(0.3)
        await websocket2.close()
        assert await websocket1.recv() == "Client #2 has left the chat"
        await websocket1.close()

    run(flow())


def test_seed_003_fresh_server(server):
    seed_003_flow(server)


def test_seed_003_with_stored_history(server):
    async def fill():
        c, _, _ = await Client.joined(server, "alice")
        for i in range(5):
            await c.msg(f"old message {i}")
        await c.close()
        t = await TextClient.connect(server, "/ws/9")
        assert await t.recv() == "Client #9 has entered the chat"
        await t.send("old text-mode message")
        line = await t.recv()
        # alice's report of her departure may reach the hub from her connection loop after
        # #9's open from another: then #9 hears her leave (set-up, not the seed's flow).
        if line == "alice has left the chat":
            line = await t.recv()
        assert line == "Client #9: old text-mode message"
        await t.close()

    run(fill())
    assert server.stop() == 0
    server.restart()
    seed_003_flow(server)


def test_seed_001_join_welcome_msg_ack_ping(server):
    async def flow():
        c = await Client.connect(server)
        await c.send_json("join", {"user": "alice"})
        welcome = await c.recv_json()
        assert welcome["type"] == "welcome"
        assert welcome["payload"]["user"] == "alice"
        await c.recv_json("history")
        join = await c.recv_json("join", skip=())
        assert join["payload"]["user"] == "alice"
        assert isinstance(join["payload"]["ts"], int)

        await c.send_json("msg", {"text": "Hello everyone"})
        ack = await c.recv_json(skip=())
        assert ack["type"] == "ack"
        m = await c.recv_json(skip=())
        assert m["type"] == "msg"
        p = m["payload"]
        assert (p["user"], p["text"]) == ("alice", "Hello everyone")
        assert isinstance(p["ts"], int) and abs(p["ts"] - time.time() * 1000) < 60_000
        assert p["seq"] == ack["payload"]["seq"] == 1

        await c.send_json("ping")
        pong = await c.recv_json(skip=())
        assert pong["type"] == "pong"
        assert isinstance(pong["ts"], int) and abs(pong["ts"] - time.time() * 1000) < 60_000
        assert "payload" not in pong
        await c.close()

    run(flow())


def test_seed_001_join_and_leave_events(server):
    async def flow():
        alice, _, _ = await Client.joined(server, "alice")
        bob, _, _ = await Client.joined(server, "bob")
        j = await alice.recv_json("join", skip=())
        assert j["payload"]["user"] == "bob" and j["payload"]["channel"] == "general"
        assert isinstance(j["payload"]["ts"], int)
        await bob.send_json("msg", {"text": "hi alice"})
        m = await alice.recv_json("msg", skip=())
        assert (m["payload"]["user"], m["payload"]["text"]) == ("bob", "hi alice")
        await bob.close()
        leave = await alice.recv_json("leave", skip=())
        assert leave["payload"]["user"] == "bob" and isinstance(leave["payload"]["ts"], int)
        await alice.close()

    run(flow())


def local_hms_close_to_now(h, m, s, slack=5):
    now = time.localtime()
    a = int(h) * 3600 + int(m) * 60 + int(s)
    b = now.tm_hour * 3600 + now.tm_min * 60 + now.tm_sec
    d = abs(a - b) % 86400
    return min(d, 86400 - d) <= slack


def test_seed_000_line_mode(server):
    async def flow():
        one = await TextClient.connect(server, "/ws")
        two = await TextClient.connect(server, "/ws")
        # A /ws client is in line mode (and in the room) from its first frame on: "one" has
        # sent nothing yet, so it does not get Bob's line (its next line is its own).
        await two.send("Bob: here")
        m = LINE_RE.match(await two.recv())
        assert m and m.group(4) == "Bob: here"
        await one.send("Alice: Hi")
        for c in (one, two):
            line = await c.recv()
            m = LINE_RE.match(line)
            assert m, line
            assert m.group(4) == "Alice: Hi"
            assert local_hms_close_to_now(*m.group(1, 2, 3)), line
        await two.send("no separator here")
        for c in (one, two):
            m = LINE_RE.match(await c.recv())
            assert m and m.group(4) == "anonymous: no separator here"
        # A name part that breaks the name rules makes the whole frame anonymous's.
        await two.send(" Bad: name")
        for c in (one, two):
            m = LINE_RE.match(await c.recv())
            assert m and m.group(4) == "anonymous:  Bad: name"
        await one.close()
        await two.close()

    run(flow())


def test_mixed_modes_see_each_other(server):
    async def flow():
        cid = await TextClient.connect(server, "/ws/7")
        assert await cid.recv() == "Client #7 has entered the chat"
        line = await TextClient.connect(server, "/ws")
        await line.send("Lena: first")
        assert LINE_RE.match(await line.recv()).group(4) == "Lena: first"
        assert await cid.recv() == "Lena: first"

        alice, welcome, history = await Client.joined(server, "alice")
        assert "Client #7" in welcome["online"]
        assert "Lena" not in welcome["online"]  # line clients are not in the online list
        assert await cid.recv() == "alice has entered the chat"
        await line.expect_silence(0.2)  # line mode has no join/leave lines

        # JSON -> text modes
        await alice.send_json("msg", {"text": "from json"})
        await alice.recv_json("ack")
        own = await alice.recv_json("msg")
        assert (own["payload"]["user"], own["payload"]["text"]) == ("alice", "from json")
        assert await cid.recv() == "alice: from json"
        assert LINE_RE.match(await line.recv()).group(4) == "alice: from json"
        # client-id -> JSON and line
        await cid.send("from client seven")
        m = await alice.recv_json("msg")
        assert (m["payload"]["user"], m["payload"]["text"]) == ("Client #7", "from client seven")
        assert await cid.recv() == "Client #7: from client seven"
        assert LINE_RE.match(await line.recv()).group(4) == "Client #7: from client seven"
        # line -> JSON and client-id
        await line.send("Lena: from line")
        m = await alice.recv_json("msg")
        assert (m["payload"]["user"], m["payload"]["text"]) == ("Lena", "from line")
        assert await cid.recv() == "Lena: from line"
        assert LINE_RE.match(await line.recv()).group(4) == "Lena: from line"

        # alice's second tab: no second "entered"; "left" only when the last one goes.
        tab2 = await Client.connect(server)
        await tab2.join("alice", session=welcome["session"])
        await cid.expect_silence(0.3)
        await alice.close()
        await cid.expect_silence(0.3)
        await tab2.close()
        assert await cid.recv() == "alice has left the chat"
        await line.expect_silence(0.2)
        await cid.close()
        await line.close()

    run(flow())


def test_client_id_twice_is_one_user(server):
    """The same client id on two sockets is one user: one "entered" (the second socket is
    greeted alone), one "left" when the last socket goes."""

    async def flow():
        obs = await TextClient.connect(server, "/ws/obs")
        assert await obs.recv() == "Client #obs has entered the chat"
        a = await TextClient.connect(server, "/ws/1")
        assert await obs.recv() == "Client #1 has entered the chat"
        assert await a.recv() == "Client #1 has entered the chat"
        b = await TextClient.connect(server, "/ws/1")
        assert await b.recv() == "Client #1 has entered the chat"
        await obs.expect_silence(0.2)
        await a.expect_silence(0.01)
        await b.send("from b")
        for c in (obs, a, b):
            assert await c.recv() == "Client #1: from b"
        await b.close()
        await obs.expect_silence(0.3)
        await a.close()
        assert await obs.recv() == "Client #1 has left the chat"
        await obs.close()

    run(flow())


# serial: the end of the replies is half a second without one
@pytest.mark.serial
def test_text_modes_drop_what_they_cannot_accept(server):
    """No error channel in text modes: empty frames, frames over the text limit and
    messages over the rate limit (bursts of 40) are dropped."""

    async def flow():
        cid = await TextClient.connect(server, "/ws/1")
        assert await cid.recv() == "Client #1 has entered the chat"
        await cid.send("")
        await cid.send("y" * 4001)
        await cid.send("é" * 4000)
        assert await cid.recv() == "Client #1: " + "é" * 4000
        for i in range(60):
            await cid.send(f"r{i}")
        got = []
        try:
            while True:
                got.append(await cid.recv(timeout=0.5))
        except Exception:
            pass
        # the bucket holds 40; the "é" message took one, 20/s refill adds a few
        assert 39 <= len(got) <= 45, len(got)
        assert got == [f"Client #1: r{i}" for i in range(len(got))]
        await cid.close()

    run(flow())


def test_json_guests_cannot_take_client_id_names(server):
    """Names are unique among users, and "Client #..." names belong to the client-id mode
    (issue 11: reserved): a JSON join may not take one, whether or not that client is
    connected, and nothing is announced or posted under it but by the client itself."""

    async def flow():
        watcher = await TextClient.connect(server, "/ws/w")
        assert await watcher.recv() == "Client #w has entered the chat"
        impostor = await Client.connect(server)
        for name in ("Client #2", "client #2", "Client #w", "ＣＬＩＥＮＴ #2"):
            e = await impostor.error("join", {"user": name})
            assert e["code"] in ("name_taken", "bad_name"), (name, e)
        await watcher.expect_silence(0.2)
        cid = await TextClient.connect(server, "/ws/2")
        assert await watcher.recv() == "Client #2 has entered the chat"
        assert await cid.recv() == "Client #2 has entered the chat"
        e = await impostor.error("join", {"user": "Client #2"})
        assert e["code"] in ("name_taken", "bad_name"), e
        # the JSON client joins under a name of its own and sees the real one's words
        w = await impostor.join("carol")
        assert w["user"] == "carol" and "Client #2" in w["online"]
        await impostor.recv_json("history")
        assert await watcher.recv() == "carol has entered the chat"
        assert await cid.recv() == "carol has entered the chat"
        await cid.send("the real one")
        m = await impostor.recv_json("msg")
        assert m["payload"]["user"] == "Client #2" and m["payload"]["text"] == "the real one"
        assert await watcher.recv() == "Client #2: the real one"
        await impostor.close()
        await cid.close()
        await watcher.close()

    run(flow())


def test_line_mode_cannot_impersonate_online_users(server):
    """A line whose name part is held by a connected user is anonymous's whole line."""

    async def flow():
        alice, _, _ = await Client.joined(server, "alice")
        cid = await TextClient.connect(server, "/ws/1")
        assert await cid.recv() == "Client #1 has entered the chat"
        line = await TextClient.connect(server, "/ws")
        for frame in ("alice: I am alice", "Client #1: me too", "Lena: fine"):
            await line.send(frame)
            m = await alice.recv_json("msg")
            expected = ("Lena", "fine") if frame.startswith("Lena") else ("anonymous", frame)
            assert (m["payload"]["user"], m["payload"]["text"]) == expected, frame
            assert LINE_RE.match(await line.recv()).group(4) == ": ".join(expected)
            assert await cid.recv() == ": ".join(expected)
        await alice.close()
        await cid.close()
        await line.close()

    run(flow())


def test_text_modes_get_one_line_per_message(server):
    """A JSON user's text with line breaks, an escape sequence or a bidi override reaches the
    text modes as one line with the controls replaced: it cannot forge a line "from alice" or
    rewrite the reader's terminal (issue 12, item 10). JSON readers get the text as sent."""
    async def flow():
        cid = await TextClient.connect(server, "/ws/8")
        assert await cid.recv() == "Client #8 has entered the chat"
        line = await TextClient.connect(server, "/ws")
        await line.send("Lena: here")  # a /ws socket is line mode from its first line
        assert LINE_RE.match(await line.recv()).group(4) == "Lena: here"
        assert await cid.recv() == "Lena: here"
        mallory, _, _ = await Client.joined(server, "mallory")
        assert await cid.recv() == "mallory has entered the chat"
        text = "hi\nalice: send me your password\r\x1b[2J\u202eevil\u0085\x7f\tend"
        await mallory.send_json("msg", {"text": text})
        await mallory.recv_json("ack")
        assert (await mallory.recv_json("msg"))["payload"]["text"] == text
        want = "mallory: hi alice: send me your password \ufffd[2J\ufffdevil\ufffd\ufffd end"
        assert await cid.recv() == want
        got = await line.recv()
        assert "\n" not in got and LINE_RE.match(got).group(4) == want
        await mallory.close()
        await cid.close()
        await line.close()

    run(flow())
