"""Limits and lifecycle (docs/protocol.md and shared/PROTOCOL.md "Limits"): handshake
timeout, idle timeout, slow consumers, --max-connections, SIGTERM drain, restarts."""
import signal
import socket
import time

import pytest
import websockets

from accounts import account_token
from test_channels import expect, request
from wsraw import (OP_PING, OP_PONG, Client, RawWS, SockReader, connect, get, http_request,
                   metric, run, upgrade_request)


def test_handshake_timeout_closes_half_requests(make_server):
    server = make_server("--handshake-timeout", "1")
    half = connect(server.port, timeout=5)
    silent = connect(server.port, timeout=5)
    start = time.monotonic()
    half.sendall(b"GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n")
    # a finished handshake is not subject to it
    ws = RawWS(server.port, "/ws/1")
    assert SockReader(half).at_eof()
    assert SockReader(silent).at_eof()
    elapsed = time.monotonic() - start
    assert elapsed < 3.5, elapsed
    half.close()
    silent.close()
    assert ws.recv_data().text() == "Client #1 has entered the chat"
    time.sleep(max(0.0, 2.2 - (time.monotonic() - start)))
    ws.send_text("still here")
    assert ws.recv_data().text() == "Client #1: still here"
    ws.close()


def test_idle_timeout_pings_then_closes_1001(make_server):
    server = make_server("--idle-timeout", "2")
    start = time.monotonic()
    mute = RawWS(server.port, "/ws/1", timeout=5)
    lively = RawWS(server.port, "/ws/2", timeout=5)
    assert mute.recv_data().text() == "Client #1 has entered the chat"
    assert mute.recv_data().text() == "Client #2 has entered the chat"
    assert lively.recv_data().text() == "Client #2 has entered the chat"
    # the server pings a connection silent for half the idle timeout
    f = lively.recv_frame()
    assert f.opcode == OP_PING, f
    lively.send_frame(OP_PONG, f.payload)
    f = mute.recv_frame()
    assert f.opcode == OP_PING, f
    # the mute one is closed 1001 once the whole timeout passes without a byte from it
    mute.expect_close(1001)
    assert 1.9 < time.monotonic() - start < 4.5
    assert lively.recv_data().text() == "Client #1 has left the chat"
    lively.send_frame(OP_PING, b"alive")
    f = lively.recv_frame()
    while f.opcode == OP_PING:  # a keep-alive ping may come first
        f = lively.recv_frame()
    assert (f.opcode, f.payload) == (OP_PONG, b"alive")
    lively.close()
    mute.close()


# serial: the healthy reader keeps up with megabytes sent to the slow one
@pytest.mark.serial
def test_slow_consumer_is_closed_1013_others_unaffected(make_server):
    server = make_server("--max-outbound", "64k", "--rate", "1000", "--burst", "1000")
    # Loopback lets the kernel buffer megabytes for a socket that does not read (the
    # server's send buffer autotunes up to tcp_wmem's max, 4 MiB here), so it takes
    # about 5 MB of traffic before parley's own 64 KiB bound is what fills up.
    n, text = 1300, "x" * 3990

    async def flow():
        # The slow one joins JSON with a tiny receive buffer, then never reads.
        slow = RawWS(server.port, "/ws", rcvbuf=4096)
        slow.join("slowpoke")
        healthy, _, _ = await Client.joined(server, "healthy")
        sender, _, _ = await Client.joined(server, "sender")
        def drain_slow():
            """whatever the kernel still held reaches the slow one, then the close 1013
            alone; read as soon as the server has closed it, as the server gives a closed
            connection CLOSE_GRACE_MS (5 s) before it drops it, and what is left to send
            after can take longer (an ASan build on a busy machine, a store on PostgreSQL)"""
            slow.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
            seqs = []
            while True:
                f = slow.recv_frame()
                if f.opcode == 0x8:
                    assert f.close_code == 1013, f
                    return seqs
                m = f.json()
                if m["type"] == "msg":
                    seqs.append(m["payload"]["seq"])

        # The sender paces itself (10 in flight) so that it is no slow consumer itself.
        deadline = time.monotonic() + 40
        counts = {"ack": 0, "msg": 0}
        seqs = None
        for start in range(0, n, 10):
            for i in range(start, start + 10):
                await sender.send_json("msg", {"text": f"{i:04d}{text}"}, id=i)
            while counts["ack"] < start + 10 or counts["msg"] < start + 10:
                m = await sender.recv_json("ack", "msg", timeout=deadline - time.monotonic())
                counts[m["type"]] += 1
            if seqs is None and "slow consumer: outbound queue" in server.log.read_text():
                seqs = drain_slow()
        # the healthy receiver got every message, in order
        got = []
        while len(got) < n:
            m = await healthy.recv_json("msg", timeout=deadline - time.monotonic())
            got.append(m["payload"]["seq"])
        assert got == list(range(1, n + 1))
        if seqs is None:
            seqs = drain_slow()
        assert slow.closed()
        assert len(seqs) < n
        assert seqs == list(range(1, len(seqs) + 1))  # a prefix: nothing cut mid-stream
        r = get(server.port, "/metrics")
        assert metric(r.body.decode(), "parley_slow_consumers_closed_total") >= 1
        # the healthy clients are still connected and served
        assert (await healthy.ping())["type"] == "pong"
        await sender.msg("after")
        await healthy.close()
        await sender.close()
        slow.close()

    run(flow(), timeout=60)


def test_max_connections_503(make_server):
    server = make_server("--max-connections", "2")
    a = RawWS(server.port, "/ws/a")
    b = RawWS(server.port, "/ws/b")
    r = http_request(server.port, upgrade_request("/ws"))
    assert r.status == 503
    # plain HTTP is not counted against it
    assert get(server.port, "/healthz").status == 200
    a.send_close(1000)
    a.expect_close(1000)
    a.close()
    deadline = time.monotonic() + 3
    while True:
        r = http_request(server.port, upgrade_request("/ws/c"))
        if r.status == 101 or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert r.status == 101
    b.close()


def test_sigterm_closes_clients_1001_and_exits_0(make_server):
    server = make_server()

    async def flow():
        json_client, _, _ = await Client.joined(server, "alice")
        await json_client.msg("before shutdown")
        raw = RawWS(server.port, "/ws/1")
        assert raw.recv_data().text() == "Client #1 has entered the chat"
        server.proc.send_signal(signal.SIGTERM)
        raw.expect_close(1001)
        try:
            while True:
                await json_client.recv_raw(timeout=5)
        except websockets.ConnectionClosed:
            pass
        assert json_client.close_code == 1001
        raw.close()

    run(flow())
    assert server.stop() == 0
    assert server.proc.wait(10) == 0
    # acknowledged messages are there after a restart
    server.restart()

    async def after():
        c, w, h = await Client.joined(server, "bob")
        assert [m["text"] for m in h["messages"]] == ["before shutdown"]
        await c.close()

    run(after())


def test_restart_keeps_seq_continuing(server):
    async def before():
        c, _, _ = await Client.joined(server, "alice")
        for i in range(5):
            assert (await c.msg(f"m{i}"))["payload"]["seq"] == i + 1
        await c.close()

    async def after():
        c, w, h = await Client.joined(server, "alice")
        assert w["channels"][0]["last_seq"] == 5
        assert (await c.msg("m5"))["payload"]["seq"] == 6
        await c.send_json("history", {})
        h = (await c.recv_json("history"))["payload"]
        assert [m["seq"] for m in h["messages"]] == [1, 2, 3, 4, 5, 6]
        assert [m["text"] for m in h["messages"]] == [f"m{i}" for i in range(6)]
        await c.close()

    run(before())
    assert server.stop() == 0
    server.restart()
    run(after())


def test_acked_messages_survive_kill9(server):
    async def before():
        c, _, _ = await Client.joined(server, "alice")
        for i in range(20):
            await c.send_json("msg", {"text": f"k{i}"})
        acked = 0
        while acked < 20:
            m = await c.recv_json("ack", "msg")
            acked += m["type"] == "ack"
        await c.close()

    run(before())
    server.kill9()
    server.restart()

    async def after():
        c, w, h = await Client.joined(server, "bob")
        assert [m["text"] for m in h["messages"]] == [f"k{i}" for i in range(20)]
        assert (await c.msg("next"))["payload"]["seq"] == 21
        await c.close()

    run(after())


def test_answers_are_bounded_and_paged(make_server):
    """A user in more channels than a welcome lists (200) still joins, with a small outbound
    bound: the welcome holds 200 (channels_more), the rest come from channel_list pages, and
    neither the welcome nor a page counts against the user as a slow reader (it was closed
    1013 by its own welcome before). channel_list pages by name; `channel` asks for one."""
    server = make_server("--rate", "100000", "--burst", "100000", "--max-outbound", "65536")
    names = [f"c{i:03d}" for i in range(230)]
    topic = "t" * 240

    async def flow():
        # an admin: members may create 100 channels (quotas), admins fill the server's cap
        alice, _, _ = await Client.joined(server, "alice",
                                          token=account_token(server, "alice", role="admin"))
        bob, _, _ = await Client.joined(server, "bob", account=True)
        for n in names:
            await request(alice, "channel_create", {"name": n, "topic": topic}, "channel",
                          id=n)
            await request(bob, "channel_join", {"channel": n}, "channel", id=n)
            await expect(bob, "history", lambda m, n=n: m["payload"]["channel"] == n)
        await bob.close()
        # bob comes back: 231 channels with long topics are more than 64 KiB
        bob, w, _ = await Client.joined(server, "bob", account=True)
        listed = [c["name"] for c in w["channels"]]
        assert len(listed) == 200 and listed[0] == "general" and w["channels_more"] is True
        got, after = set(listed), ""
        while True:
            page = (await request(bob, "channel_list",
                                  {"member": True, "after": after, "limit": 100},
                                  "channels", id="p" + after))["payload"]
            assert len(page["channels"]) <= 100
            got |= {c["name"] for c in page["channels"]}
            if not page["more"]:
                break
            after = page["channels"][-1]["name"]
        assert got == set(names) | {"general"}
        one = await request(bob, "channel_list", {"channel": "c005"}, "channels", id="one")
        assert [c["name"] for c in one["payload"]["channels"]] == ["c005"]
        assert one["payload"]["more"] is False
        every = await request(bob, "channel_list", None, "channels", id="all")
        assert len(every["payload"]["channels"]) == 231 and every["payload"]["more"] is False
        for bad in ({"limit": 0}, {"limit": 501}, {"after": 5}, {"member": "yes"},
                    {"channel": ["x"]}):
            await bob.send_json("channel_list", bad, id="bad")
            e = await expect(bob, "error", lambda m: m.get("id") == "bad")
            assert e["code"] == "bad_payload", bad
        # carol, in #general only, gets all her channels
        carol, w3, _ = await Client.joined(server, "carol", account=True)
        assert [c["name"] for c in w3["channels"]] == ["general"]
        assert w3["channels_more"] is False
        for c in (alice, carol, bob):
            await c.close()

    run(flow())
