"""Client helpers for parley's end-to-end tests.

- RawWS: a WebSocket client on a plain socket. It does the handshake itself and sends
  frames with any opcode, flags, mask and length encoding, so tests can send what a
  well-behaved library refuses to (unmasked frames, reserved bits, bad close codes...).
- http_request / read_response: raw HTTP/1.1 on a socket (status, headers, body).
- Client: the JSON protocol over the `websockets` library (asyncio API), with timeouts on
  every wait; TextClient: the same for the text modes.
- run(coro): asyncio.run with an overall deadline, for plain (sync) pytest functions.

Accounts: every join helper takes `token=` (join with {"token": ...}) and the `Client`
helpers take `account=True` (the account of that name, registered or signed in through REST
on first use: accounts.account_token), so a test can be a member rather than a guest.

Source addresses: the server limits guest joins per address (as it limits sign-ins and
registrations), so WebSocket clients made here connect from a new loopback address each
(next_source(): 127.0.200.1 onwards), as the users of a real server come from many
addresses; pass source="127.0.0.1" (or any) to choose one, e.g. to test those limits.

Every network wait here has a timeout, so a hung server fails a test instead of hanging it.
"""
import asyncio
import base64
import hashlib
import itertools
import json
import os
import re
import socket
import struct
import time

import websockets

from accounts import account_token

HOST = "127.0.0.1"
TIMEOUT = 5.0  # seconds for any single wait
GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

OP_CONT, OP_TEXT, OP_BINARY = 0x0, 0x1, 0x2
OP_CLOSE, OP_PING, OP_PONG = 0x8, 0x9, 0xA


_sources = itertools.count()


def next_source():
    """A fresh loopback source address for a test connection (see the module's doc)."""
    n = next(_sources)
    return f"127.0.{200 + (n // 250) % 50}.{1 + n % 250}"


def run(coro, timeout=30):
    """Runs a coroutine to completion from a sync test, failing it past `timeout`."""
    return asyncio.run(asyncio.wait_for(coro, timeout))


# ---------------------------------------------------------------- raw HTTP


class Response:
    def __init__(self, status, reason, headers, body):
        self.status = status
        self.reason = reason
        self.headers = headers  # lower-case name -> value (last one wins)
        self.body = body

    def header(self, name, default=None):
        return self.headers.get(name.lower(), default)

    def json(self):
        return json.loads(self.body)

    def __repr__(self):
        return f"<Response {self.status} {self.headers} {self.body[:200]!r}>"


class SockReader:
    """Buffered reads with a deadline on a blocking socket."""

    def __init__(self, sock, buf=b""):
        self.sock = sock
        self.buf = buf

    def _fill(self):
        chunk = self.sock.recv(65536)
        if not chunk:
            raise EOFError("connection closed by peer")
        self.buf += chunk

    def read_until(self, sep, limit=1 << 20):
        while sep not in self.buf:
            if len(self.buf) > limit:
                raise AssertionError("no %r within %d bytes" % (sep, limit))
            self._fill()
        i = self.buf.index(sep) + len(sep)
        out, self.buf = self.buf[:i], self.buf[i:]
        return out

    def read_exact(self, n):
        while len(self.buf) < n:
            self._fill()
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def at_eof(self):
        """True when the peer closed (after whatever is buffered); waits up to the socket
        timeout. A reset counts as closed."""
        if self.buf:
            return False
        try:
            return self.sock.recv(65536) == b""
        except ConnectionResetError:
            return True


def connect(port, timeout=TIMEOUT, rcvbuf=None, source=None):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if rcvbuf is not None:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    if source:
        s.bind((source, 0))
    s.settimeout(timeout)
    s.connect((HOST, port))
    return s


def read_response(reader, head_only=False):
    """Reads one HTTP response from a SockReader (body by Content-Length)."""
    head = reader.read_until(b"\r\n\r\n").decode("latin-1")
    lines = head.split("\r\n")
    version, status, *reason = lines[0].split(" ", 2)
    assert version.startswith("HTTP/1."), lines[0]
    headers = {}
    for line in lines[1:]:
        if line:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
    body = b""
    status = int(status)
    if not head_only and status != 101 and status not in (204, 304):
        assert "content-length" in headers, f"no Content-Length in {headers}"
        body = reader.read_exact(int(headers["content-length"]))
    return Response(status, reason[0] if reason else "", headers, body)


def http_request(port, raw, timeout=TIMEOUT):
    """Sends raw request bytes on a new connection and reads one response."""
    with connect(port, timeout) as s:
        try:
            s.sendall(raw)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server may answer and close before reading everything
        return read_response(SockReader(s))


def get(port, path, headers=(), method="GET"):
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", "Connection: close", *headers]
    return http_request(port, ("\r\n".join(lines) + "\r\n\r\n").encode())


def upgrade_request(path="/ws", key=None, version="13", protocols=None, extra=(),
                    host="127.0.0.1"):
    """The bytes of a WebSocket upgrade request; key=False leaves Sec-WebSocket-Key out.
    host: the Host header (a browser names the port: the Origin rule compares them)."""
    lines = [f"GET {path} HTTP/1.1", f"Host: {host}", "Upgrade: websocket",
             "Connection: Upgrade"]
    if key is not False:
        lines.append("Sec-WebSocket-Key: " + (key or base64.b64encode(os.urandom(16)).decode()))
    if version is not None:
        lines.append(f"Sec-WebSocket-Version: {version}")
    if protocols:
        lines.append("Sec-WebSocket-Protocol: " + protocols)
    lines.extend(extra)
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def metric(text, name):
    """The value of one sample in a Prometheus text exposition."""
    m = re.search(r"^" + re.escape(name) + r" (\d+(?:\.\d+)?)$", text, re.M)
    assert m, f"no {name} in metrics"
    return float(m.group(1))


def accept_for(key):
    return base64.b64encode(hashlib.sha1((key + GUID).encode()).digest()).decode()


# ---------------------------------------------------------------- raw WebSocket


class Frame:
    def __init__(self, fin, rsv, opcode, payload):
        self.fin, self.rsv, self.opcode, self.payload = fin, rsv, opcode, payload

    @property
    def close_code(self):
        assert self.opcode == OP_CLOSE, self
        if len(self.payload) < 2:
            return None
        return struct.unpack("!H", self.payload[:2])[0]

    @property
    def close_reason(self):
        return self.payload[2:]

    def text(self):
        return self.payload.decode("utf-8")

    def json(self):
        return json.loads(self.payload)

    def __repr__(self):
        return f"<Frame op={self.opcode:#x} fin={self.fin} {self.payload[:120]!r}>"


def build_frame(opcode, payload=b"", fin=True, rsv=0, mask=True, length=None, mask_key=None):
    """One frame. length: None for the shortest encoding, else 7, 16 or 64 to force one
    (a forced encoding that is too small for the payload is the caller's problem)."""
    if isinstance(payload, str):
        payload = payload.encode()
    n = len(payload)
    b0 = (0x80 if fin else 0) | (rsv & 0x7) << 4 | (opcode & 0xF)
    mbit = 0x80 if mask else 0
    if length is None:
        length = 7 if n < 126 else 16 if n < 65536 else 64
    if length == 7:
        head = struct.pack("!BB", b0, mbit | n)
    elif length == 16:
        head = struct.pack("!BBH", b0, mbit | 126, n)
    else:
        head = struct.pack("!BBQ", b0, mbit | 127, n)
    if not mask:
        return head + payload
    key = mask_key if mask_key is not None else os.urandom(4)
    return head + key + bytes(b ^ key[i & 3] for i, b in enumerate(payload))


def close_payload(code=None, reason=b""):
    if code is None:
        return b""
    if isinstance(reason, str):
        reason = reason.encode()
    return struct.pack("!H", code) + reason


class RawWS:
    """A WebSocket over a plain blocking socket with a timeout."""

    def __init__(self, port, path="/ws", protocols=None, timeout=TIMEOUT, rcvbuf=None,
                 headers=(), source=None):
        """headers: extra request lines for the upgrade ("Authorization: Bearer ...");
        source: the local address (default: next_source())."""
        self.port = port
        self.sock = connect(port, timeout, rcvbuf, source or next_source())
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall(upgrade_request(path, key, protocols=protocols, extra=headers,
                                          host=f"127.0.0.1:{port}"))
        self.reader = SockReader(self.sock)
        self.handshake = read_response(self.reader)
        assert self.handshake.status == 101, self.handshake
        assert self.handshake.header("sec-websocket-accept") == accept_for(key)

    # -- sending

    def send_raw(self, data):
        self.sock.sendall(data)

    def send_frame(self, opcode, payload=b"", **kw):
        self.sock.sendall(build_frame(opcode, payload, **kw))

    def send_text(self, text, **kw):
        self.send_frame(OP_TEXT, text.encode() if isinstance(text, str) else text, **kw)

    def send_json(self, type_, payload=None, id=None):
        msg = {"type": type_}
        if id is not None:
            msg["id"] = id
        if payload is not None:
            msg["payload"] = payload
        self.send_text(json.dumps(msg))

    def send_close(self, code=None, reason=b""):
        self.send_frame(OP_CLOSE, close_payload(code, reason))

    # -- receiving

    def recv_frame(self):
        r = self.reader
        b0, b1 = r.read_exact(2)
        assert not b1 & 0x80, "server frames must not be masked"
        n = b1 & 0x7F
        if n == 126:
            n = struct.unpack("!H", r.read_exact(2))[0]
        elif n == 127:
            n = struct.unpack("!Q", r.read_exact(8))[0]
        return Frame(bool(b0 & 0x80), (b0 >> 4) & 7, b0 & 0xF, r.read_exact(n))

    def recv_data(self):
        """The next data frame (text or binary), answering nothing; fails on a close."""
        while True:
            f = self.recv_frame()
            assert f.opcode != OP_CLOSE, f"unexpected close {f.close_code} {f.close_reason!r}"
            if f.opcode in (OP_TEXT, OP_BINARY):
                assert f.fin, "parley sends unfragmented messages"
                return f

    def recv_json(self, *types, skip=("join", "leave", "typing", "history")):
        """The next JSON message whose type is not in skip; must be one of types if given."""
        while True:
            m = self.recv_data().json()
            if m.get("type") in skip and m.get("type") not in types:
                continue
            if types:
                assert m.get("type") in types, f"wanted {types}, got {m}"
            return m

    def join(self, user, token=None, **payload):
        """Joins as a guest named user, or with token= as that session's account (user is
        then not sent)."""
        self.send_json("join", dict(payload, token=token) if token else dict(payload, user=user))
        return self.recv_json("welcome")

    def expect_close(self, code=..., timeout=TIMEOUT):
        """Reads until the server's close frame (data frames before it are skipped), checks
        its code when given, then checks the server closes TCP. Returns the close frame."""
        self.sock.settimeout(timeout)
        while True:
            f = self.recv_frame()
            if f.opcode == OP_CLOSE:
                break
        if code is not ...:
            assert f.close_code == code, (
                f"close code {f.close_code} (reason {f.close_reason!r}), wanted {code}")
        f.close_reason.decode("utf-8")  # a close reason is valid UTF-8
        assert self.reader.at_eof(), "server did not close TCP after its close frame"
        return f

    def closed(self):
        return self.reader.at_eof()

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


# ---------------------------------------------------------------- websockets clients

SKIP_EVENTS = ("join", "leave", "typing", "profile")
# Informational frames every recv_json passes over unless asked for by type (issue 14): the
# channel lines (joined, left, topic) and away/active presence, so that tests written
# before them read the same sequence of answers.
QUIET_EVENTS = ("channel_event", "presence")


class Client:
    """The JSON protocol over `websockets`. recv_json(*types, skip=...) returns the next
    message, discarding those whose type is in skip; with types given, anything else fails
    the test."""

    def __init__(self, ws):
        self.ws = ws

    @classmethod
    async def connect(cls, server, path="/ws", subprotocols=None, headers=None, source=None):
        """headers: extra upgrade headers (dict), e.g. Authorization or Cookie + Origin;
        source: the local address (default: next_source())."""
        ws = await asyncio.wait_for(
            websockets.connect(server.url + path, subprotocols=subprotocols, compression=None,
                               max_size=None, max_queue=None, ping_interval=None,
                               open_timeout=TIMEOUT, close_timeout=2,
                               extra_headers=headers,
                               local_addr=(source or next_source(), 0)),
            TIMEOUT)
        return cls(ws)

    @classmethod
    async def joined(cls, server, user, account=False, token=None, **payload):
        """Connects and joins; returns (client, welcome payload, history payload), having
        read the join sequence up to the join event about itself. account=True: as the
        account `user` (a member; see accounts.account_token), token=: as that session's
        account; a `session` given for an account is not sent (accounts have none)."""
        if account and token is None:
            token = account_token(server, user)
        if token:
            payload.pop("session", None)
        c = await cls.connect(server)
        c.token = token
        welcome = await c.join(user, token=token, **payload)
        history = (await c.recv_json("history"))["payload"]
        while True:
            j = await c.recv_json("join", skip=("leave", "typing"))
            if j["payload"]["user"] == user:
                return c, welcome, history

    async def send_json(self, type_, payload=None, id=None, **extra):
        msg = {"type": type_, **extra}
        if id is not None:
            msg["id"] = id
        if payload is not None:
            msg["payload"] = payload
        await self.ws.send(json.dumps(msg))

    async def send_raw(self, data):
        await self.ws.send(data)

    async def recv_raw(self, timeout=TIMEOUT):
        return await asyncio.wait_for(self.ws.recv(), timeout)

    async def recv_json(self, *types, skip=SKIP_EVENTS, timeout=TIMEOUT, quiet=True):
        """quiet: pass over QUIET_EVENTS not asked for (False: return them like any)."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"timed out waiting for {types or 'a message'}")
            raw = await self.recv_raw(left)
            assert isinstance(raw, str), f"binary frame from server: {raw!r}"
            m = json.loads(raw)
            t = m.get("type")
            if (t in skip or (quiet and t in QUIET_EVENTS)) and t not in types:
                continue
            if types:
                assert t in types, f"wanted {types}, got {m}"
            return m

    async def expect_silence(self, seconds=0.3):
        """Fails if any message arrives within `seconds`."""
        try:
            raw = await asyncio.wait_for(self.ws.recv(), seconds)
        except asyncio.TimeoutError:
            return
        raise AssertionError(f"unexpected message {raw!r}")

    async def join(self, user, id=None, token=None, events=True, **payload):
        """Joins as the guest `user`, or with token= as that session's account (user is then
        not sent); returns the welcome payload. events: the join says "events": true, so that
        edits, deletes and reactions come as events (a plain client, events=None, gets
        messages only, as they stand)."""
        if events is not None:
            payload["events"] = events
        await self.send_json("join", dict(payload, token=token) if token else
                             dict(payload, user=user), id=id)
        return (await self.recv_json("welcome"))["payload"]

    async def msg(self, text, id=None, **payload):
        """Sends a msg, returns its ack and reads the sender's own copy (into self.echo);
        other users' msgs arriving meanwhile are skipped."""
        await self.send_json("msg", dict(payload, text=text), id=id)
        ack = await self.recv_json("ack", skip=SKIP_EVENTS + ("msg",))
        seq = ack["payload"]["seq"]
        while True:
            m = await self.recv_json("msg")
            if m["payload"]["seq"] == seq:
                self.echo = m
                return ack
            assert m["payload"]["seq"] < seq, f"msg {m} after the ack of {seq}"

    async def error(self, type_, payload=None, id=None, **extra):
        """Sends a request expected to fail; returns the error message."""
        await self.send_json(type_, payload, id=id, **extra)
        return await self.recv_json("error", skip=SKIP_EVENTS + ("msg",))

    async def ping(self, id=None):
        """A ping round trip; whatever arrives before the pong is skipped."""
        await self.send_json("ping", id=id)
        return await self.recv_json("pong", skip=SKIP_EVENTS + ("msg", "ack", "history"))

    async def close(self):
        await asyncio.wait_for(self.ws.close(), TIMEOUT)

    @property
    def close_code(self):
        return self.ws.close_code


class TextClient:
    """A client-id or line-mode client: plain text frames."""

    def __init__(self, ws):
        self.ws = ws

    @classmethod
    async def connect(cls, server, path, source=None):
        ws = await asyncio.wait_for(
            websockets.connect(server.url + path, compression=None, max_size=None,
                               max_queue=None, ping_interval=None, open_timeout=TIMEOUT,
                               close_timeout=2, local_addr=(source or next_source(), 0)),
            TIMEOUT)
        return cls(ws)

    async def send(self, text):
        await self.ws.send(text)

    async def recv(self, timeout=TIMEOUT):
        m = await asyncio.wait_for(self.ws.recv(), timeout)
        assert isinstance(m, str), m
        return m

    async def expect_silence(self, seconds=0.3):
        try:
            m = await asyncio.wait_for(self.ws.recv(), seconds)
        except asyncio.TimeoutError:
            return
        raise AssertionError(f"unexpected message {m!r}")

    async def close(self):
        await asyncio.wait_for(self.ws.close(), TIMEOUT)


async def gather_msgs(client, n, timeout=TIMEOUT * 2):
    """Reads until n msg messages arrived; returns (msgs, everything read in order)."""
    msgs, seen = [], []
    deadline = time.monotonic() + timeout
    while len(msgs) < n:
        m = await client.recv_json(skip=(), timeout=max(0.01, deadline - time.monotonic()))
        seen.append(m)
        if m["type"] == "msg":
            msgs.append(m)
    return msgs, seen
