"""Resource abuse: each protection has a test that fails if the protection is removed.

Slowloris, idle and half-open peers, running out of file descriptors, request bodies over
the limit, and a flood of garbage connections beside a chatting pair.
"""
import asyncio
import json
import resource
import socket
import time

import pytest
import websockets

from conftest import Server

UPGRADE = (
    "GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
)


def connect(port, src="127.0.0.1", timeout=5):
    s = socket.socket()
    s.settimeout(timeout)
    s.bind((src, 0))
    s.connect(("127.0.0.1", port))
    return s


def closed_within(sock, seconds):
    """True when the server closes sock (EOF or reset) within `seconds`."""
    sock.settimeout(0.2)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if sock.recv(65536) == b"":
                return True
        except socket.timeout:
            continue
        except ConnectionResetError:
            return True
    return False


def test_slowloris_is_cut_at_the_handshake_deadline(make_server):
    srv = make_server("--handshake-timeout", "2")
    s = connect(srv.port)
    started = time.monotonic()
    closed = False
    # One header byte every 0.3 s: each byte is "activity", but the request never ends.
    for ch in UPGRADE.encode()[:-4]:
        try:
            s.send(bytes([ch]))
        except (BrokenPipeError, ConnectionResetError):
            closed = True
            break
        if closed_within(s, 0.3):
            closed = True
            break
        if time.monotonic() - started > 8:
            break
    elapsed = time.monotonic() - started
    assert closed, "a trickling request was never cut"
    assert 1.5 <= elapsed <= 5, f"cut after {elapsed:.1f}s, deadline was 2s"


def test_idle_keepalive_http_connection_is_closed(make_server):
    srv = make_server("--handshake-timeout", "1")
    s = connect(srv.port)
    s.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    assert b"200 OK" in s.recv(4096)
    assert closed_within(s, 4), "an idle keep-alive socket was held forever"


async def _idle_client(port):
    # websockets answers pings by itself: a live but silent client must survive.
    async with websockets.connect(f"ws://127.0.0.1:{port}/ws", ping_interval=None) as ws:
        await ws.send(json.dumps({"type": "join", "payload": {"user": "quiet"}}))
        await asyncio.sleep(5)
        await ws.send(json.dumps({"type": "ping"}))
        while True:
            m = json.loads(await asyncio.wait_for(ws.recv(), 5))
            if m["type"] == "pong":
                return True


def test_silent_but_alive_client_survives_idle_timeout(make_server):
    srv = make_server("--idle-timeout", "2")
    assert asyncio.run(_idle_client(srv.port))


def test_half_open_peer_is_pinged_then_closed(make_server):
    """A peer that completed the handshake and then vanished (never answers our pings)."""
    srv = make_server("--idle-timeout", "2")
    s = connect(srv.port)
    s.sendall(UPGRADE.encode())
    head = s.recv(4096)
    assert b"101" in head
    got_ping = False
    s.settimeout(0.2)
    deadline = time.monotonic() + 6
    data = b""
    closed = False
    while time.monotonic() < deadline:
        try:
            chunk = s.recv(4096)
        except socket.timeout:
            continue
        except ConnectionResetError:
            closed = True
            break
        if not chunk:
            closed = True
            break
        data += chunk
        got_ping = got_ping or b"\x89" in data  # FIN + opcode 9
    assert got_ping, "the server never pinged a silent peer"
    assert closed, "a peer that never answered was never closed"
    assert b"\x88" in data and b"\x03\xe9" in data, "expected close 1001 before the cut"


def test_request_body_over_limit_gets_413(make_server):
    srv = make_server("--max-body", "1k")
    s = connect(srv.port)
    s.sendall(b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 5000\r\n\r\n" + b"x" * 5000)
    reply = s.recv(4096)
    assert reply.startswith(b"HTTP/1.1 413"), reply[:80]
    assert closed_within(s, 3)


def _limit_nofile(n):
    def apply():
        resource.setrlimit(resource.RLIMIT_NOFILE, (n, n))
    return apply


def test_out_of_file_descriptors_neither_crashes_nor_stops_accepting(tmp_path):
    srv = Server(tmp_path)
    # Start with 64 descriptors: the listener, the database, libuv's own, and a few dozen
    # clients; then hold more connections than that.
    import subprocess
    orig = subprocess.Popen

    def popen(*a, **kw):
        kw["preexec_fn"] = _limit_nofile(64)
        return orig(*a, **kw)

    subprocess.Popen = popen
    try:
        srv.start()
    finally:
        subprocess.Popen = orig
    try:
        held = []
        for _ in range(120):
            try:
                held.append(connect(srv.port, timeout=2))
            except OSError:
                break
        for s in held:
            try:
                s.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            except OSError:
                pass
        time.sleep(0.5)
        assert srv.proc.poll() is None, "the server died when out of descriptors"
        for s in held:
            s.close()
        time.sleep(0.5)
        # Descriptors are free again: the server must accept and answer.
        ok = False
        for _ in range(20):
            try:
                s = connect(srv.port, timeout=2)
                s.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
                if b"200 OK" in s.recv(4096):
                    ok = True
                    break
            except OSError:
                pass
            time.sleep(0.2)
        assert ok, "the server stopped accepting after running out of descriptors"
    finally:
        code = srv.stop()
        assert code == 0, srv.logs()[-3000:]


async def _chat_pair(port, rounds):
    """Two users exchange `rounds` messages; returns the worst round-trip in seconds."""
    url = f"ws://127.0.0.1:{port}/ws"
    async with websockets.connect(url) as a, websockets.connect(url) as b:
        for ws, name in ((a, "ann"), (b, "ben")):
            await ws.send(json.dumps({"type": "join", "payload": {"user": name}}))
            # Joined once the history arrived: later messages come live, not in it.
            while json.loads(await asyncio.wait_for(ws.recv(), 10))["type"] != "history":
                pass
        worst = 0.0
        for i in range(rounds):
            t0 = time.monotonic()
            await a.send(json.dumps({"type": "msg", "payload": {"text": f"hello {i}"}}))
            while True:
                m = json.loads(await asyncio.wait_for(b.recv(), 10))
                if m["type"] == "msg" and m["payload"]["text"] == f"hello {i}":
                    break
            worst = max(worst, time.monotonic() - t0)
            await asyncio.sleep(0.05)
        return worst


# serial: 10,000 sockets of garbage, and a pair's messages cross within 2 s
@pytest.mark.serial
def test_garbage_flood_does_not_starve_a_chatting_pair(make_server):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = min(hard, 20000)
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    n = min(10000, want - 200)
    if n < 1000:
        pytest.skip(f"only {want} descriptors available")
    srv = make_server()
    socks = []
    garbage = b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + bytes(range(256)) * 4
    for i in range(n):
        s = socket.socket()
        s.setblocking(False)
        s.bind((f"127.0.0.{2 + i % 200}", 0))
        try:
            s.connect(("127.0.0.1", srv.port))
        except BlockingIOError:
            pass
        socks.append(s)
    time.sleep(0.5)
    for s in socks:
        try:
            s.send(garbage)
        except OSError:
            pass
    worst = asyncio.run(_chat_pair(srv.port, 20))
    for s in socks:
        s.close()
    # A functional bound, not a benchmark: a starved pair would take many seconds.
    assert worst < 2.0, f"a message took {worst:.2f}s to cross during the flood"
    assert srv.proc.poll() is None
