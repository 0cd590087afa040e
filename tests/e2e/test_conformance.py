"""WebSocket conformance against parley's echo route, organised like the Autobahn|Testsuite
fuzzingclient (sections 1-7, 9, 10, 12, 13): one class per section, cases modelled on
Autobahn's case descriptions (the case numbers are in the docstrings).

The fuzzingclient itself runs in `make conformance` (and its sections 1-10 in `make test`)
where the suite is present (docs/conformance.md). These tests run on every clone, and cover
what it does not: limits and bombs against a 1 MiB limit, `--deflate off`, unusual deflate
offers, the shortest length encoding, fail-fast positions. They drive a raw socket
(wsraw.RawWS, plus a fast path here for multi-megabyte payloads) against `parley --echo-path
/echo`, where every text or binary message comes back with its own opcode, and check exact
echoed bytes and exact close codes.

Like the fuzzingclient's, all cases share one server process per configuration (the
module-scoped fixtures below); it must still be healthy, and exit 0 (no ASan/UBSan report),
at the end.
Each case opens its own connection. Every wait has a timeout, and the large cases are bounded.
"""
import base64
import os
import random
import socket
import struct
import time
import zlib

import pytest

from conftest import Server
from wsraw import (OP_BINARY, OP_CLOSE, OP_CONT, OP_PING, OP_PONG, OP_TEXT, TIMEOUT, Frame,
                   RawWS, SockReader, accept_for, close_payload, connect, read_response,
                   upgrade_request)

ECHO = "/echo"
MIB = 1 << 20
TAIL = b"\x00\x00\xff\xff"  # RFC 7692 7.2.1: stripped by the sender, appended by the receiver
PMD_DEFAULT = "permessage-deflate; server_no_context_takeover; client_no_context_takeover"

# ---------------------------------------------------------------- servers


def _server(tmp_path_factory, name, *flags):
    s = Server(tmp_path_factory.mktemp(name), "--echo-path", ECHO, *flags).start()
    yield s
    alive = s.proc.poll() is None
    code = s.stop()
    assert alive, f"parley died during the run:\n{s.logs()[-4000:]}"
    assert code == 0, f"parley exited {code}:\n{s.logs()[-4000:]}"


@pytest.fixture(scope="module")
def echo(tmp_path_factory):
    """The fuzzingclient setup: echo route, 16 MiB messages, permessage-deflate on."""
    yield from _server(tmp_path_factory, "echo", "--max-frame", "16m")


@pytest.fixture(scope="module")
def echo_1m(tmp_path_factory):
    """1 MiB limit: where size limits (and decompression bombs) are cheap to reach."""
    yield from _server(tmp_path_factory, "echo1m", "--max-frame", "1m")


@pytest.fixture(scope="module")
def echo_nodeflate(tmp_path_factory):
    yield from _server(tmp_path_factory, "echonodeflate", "--max-frame", "16m",
                       "--deflate", "off")


# ---------------------------------------------------------------- frames, fast


def mask_bytes(data, key):
    """RFC 6455 5.3 masking; big payloads go through one big-integer XOR (fast)."""
    n = len(data)
    if n < 64:
        return bytes(b ^ key[i & 3] for i, b in enumerate(data))
    k = (key * (n // 4 + 1))[:n]
    return (int.from_bytes(data, "little") ^ int.from_bytes(k, "little")).to_bytes(n, "little")


def frame(opcode, payload=b"", fin=True, rsv=0):
    """One masked client frame, shortest length encoding."""
    if isinstance(payload, str):
        payload = payload.encode()
    n = len(payload)
    b0 = (0x80 if fin else 0) | (rsv & 7) << 4 | (opcode & 0xF)
    if n < 126:
        head = struct.pack("!BB", b0, 0x80 | n)
    elif n < 65536:
        head = struct.pack("!BBH", b0, 0x80 | 126, n)
    else:
        head = struct.pack("!BBQ", b0, 0x80 | 127, n)
    key = os.urandom(4)
    return head + key + mask_bytes(payload, key)


def fragments(opcode, payload, size, rsv=0):
    """The frames of one message cut into fragments of `size` bytes (RSV only on the
    first, as permessage-deflate wants). An empty payload is one empty frame."""
    if isinstance(payload, str):
        payload = payload.encode()
    parts = [payload[i:i + size] for i in range(0, len(payload), size)] or [b""]
    out = []
    for i, part in enumerate(parts):
        out.append(frame(opcode if i == 0 else OP_CONT, part, fin=i == len(parts) - 1,
                         rsv=rsv if i == 0 else 0))
    return out


def one_byte_fragments(opcode, payload):
    """One message as len(payload) frames of one byte each, built without a Python loop
    over the frames (a 1 MiB message is 7 MiB of frames)."""
    n = len(payload)
    assert n > 0
    key = os.urandom(4)
    out = bytearray(7 * n)
    out[0::7] = b"\x00" * n  # continuation, FIN clear
    out[1::7] = b"\x81" * n  # masked, length 1
    for i in range(4):
        out[2 + i::7] = bytes([key[i]]) * n
    out[6::7] = payload.translate(bytes(b ^ key[0] for b in range(256)))  # offset 0: key[0]
    out[0] = opcode
    out[7 * (n - 1)] |= 0x80
    return bytes(out)


def chops(data, size):
    return [data[i:i + size] for i in range(0, len(data), size)]


# ---------------------------------------------------------------- permessage-deflate


def deflate(data, wbits=15, level=6, final=False):
    """One message's payload: raw DEFLATE, sync-flushed, trailing 00 00 ff ff removed
    (RFC 7692 7.2.1); final=True ends it with a BFINAL block instead (7.2.3.4)."""
    if isinstance(data, str):
        data = data.encode()
    c = zlib.compressobj(level, zlib.DEFLATED, -wbits)
    out = c.compress(data) + c.flush(zlib.Z_FINISH if final else zlib.Z_SYNC_FLUSH)
    if not final:
        assert out.endswith(TAIL)
        out = out[:-4]
    return out


deflate_msg = deflate


def inflate(data):
    """A server message's payload, from an empty window (server_no_context_takeover)."""
    d = zlib.decompressobj(-15)
    out = d.decompress(data + TAIL)
    assert not d.unconsumed_tail
    return out


# ---------------------------------------------------------------- the client


class WS(RawWS):
    """RawWS on the echo route, optionally offering extensions, with a fast path for big
    payloads and a check that every server frame uses the shortest length encoding."""

    def __init__(self, port, extensions=None, path=ECHO, timeout=TIMEOUT):
        self.sock = connect(port, timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        key = base64.b64encode(os.urandom(16)).decode()
        extra = [f"Sec-WebSocket-Extensions: {extensions}"] if extensions else []
        self.sock.sendall(upgrade_request(path, key, extra=extra))
        self.reader = SockReader(self.sock)
        self.handshake = read_response(self.reader)
        assert self.handshake.status == 101, self.handshake
        assert self.handshake.header("sec-websocket-accept") == accept_for(key)
        self.extensions = self.handshake.header("sec-websocket-extensions")
        self.deflate = self.extensions is not None

    def read_exact(self, n):
        r = self.reader
        if len(r.buf) >= n:
            out, r.buf = r.buf[:n], r.buf[n:]
            return out
        out = bytearray(n)
        have = len(r.buf)
        out[:have] = r.buf
        r.buf = b""
        view = memoryview(out)
        while have < n:
            k = self.sock.recv_into(view[have:], min(n - have, MIB))
            if not k:
                raise EOFError("connection closed by peer")
            have += k
        return bytes(out)

    def recv_frame(self):
        b0, b1 = self.read_exact(2)
        assert not b1 & 0x80, "server frames must not be masked"
        n = b1 & 0x7F
        if n == 126:
            n = struct.unpack("!H", self.read_exact(2))[0]
            assert n >= 126, f"16-bit length {n}: not the shortest encoding"
        elif n == 127:
            n = struct.unpack("!Q", self.read_exact(8))[0]
            assert n > 0xFFFF, f"64-bit length {n}: not the shortest encoding"
        return Frame(bool(b0 & 0x80), (b0 >> 4) & 7, b0 & 0xF, self.read_exact(n))

    def send(self, *frames):
        """Sends frames in one write (so they may reach the server in one read)."""
        self.sock.sendall(b"".join(frames))

    def send_chopped(self, data, size, pause=0.0):
        for part in chops(data, size):
            self.sock.sendall(part)
            if pause:
                time.sleep(pause)


def same(got, want, what="payload"):
    """Equality with a short message for multi-megabyte payloads."""
    if got == want:
        return
    i = next((i for i, (a, b) in enumerate(zip(got, want)) if a != b), min(len(got), len(want)))
    raise AssertionError(f"{what}: got {len(got)} bytes, wanted {len(want)}; first difference "
                         f"at {i}: {got[i:i + 16]!r} vs {want[i:i + 16]!r}")


def expect_echo(ws, opcode, payload, compressed=None):
    """The next frame is the echo of one message: unfragmented, same opcode, same bytes.
    On a deflate connection it may come compressed (RSV1); compressed=True/False demands
    one or the other. Returns the frame."""
    if isinstance(payload, str):
        payload = payload.encode()
    f = ws.recv_frame()
    assert f.opcode == opcode, f"wanted opcode {opcode:#x}, got {f!r}" + (
        f" code {f.close_code} {f.close_reason!r}" if f.opcode == OP_CLOSE else "")
    assert f.fin, "parley sends unfragmented messages"
    assert f.rsv in ((0, 4) if ws.deflate else (0,)), f"RSV bits {f.rsv:#o}"
    data = inflate(f.payload) if f.rsv == 4 else f.payload
    if compressed is not None:
        assert (f.rsv == 4) == compressed, (
            f"{len(payload)}-byte message came back {'' if f.rsv else 'un'}compressed")
    same(data, payload)
    return f


def expect_pong(ws, payload):
    f = ws.recv_frame()
    assert f.opcode == OP_PONG and f.fin and f.rsv == 0, f
    assert f.payload == payload, f"pong {f.payload!r}, wanted {payload!r}"


def expect_fail(ws, code, timeout=TIMEOUT):
    """The very next frame is a close with `code` (nothing before it: no echo, no pong),
    its reason is UTF-8, and the server then closes TCP."""
    ws.sock.settimeout(timeout)
    f = ws.recv_frame()
    assert f.opcode == OP_CLOSE, f"wanted close {code}, got {f!r}"
    assert f.close_code == code, f"close code {f.close_code} ({f.close_reason!r}), wanted {code}"
    f.close_reason.decode("utf-8")
    assert ws.reader.at_eof(), "server did not close TCP after its close frame"
    return f


def expect_silence(ws, seconds=0.25):
    """Nothing arrives (no frame, no close, no EOF) for `seconds`."""
    assert not ws.reader.buf, f"unexpected bytes {ws.reader.buf[:60]!r}"
    ws.sock.settimeout(seconds)
    try:
        data = ws.sock.recv(65536)
    except socket.timeout:
        return
    finally:
        ws.sock.settimeout(TIMEOUT)
    raise AssertionError(f"unexpected {'EOF' if not data else repr(data[:60])}")


def fails(port, data, code, extensions=None, what=None):
    """A fresh connection, `data` in one write, then exactly a close with `code`."""
    with WS(port, extensions) as ws:
        ws.send_raw(data)
        try:
            expect_fail(ws, code)
        except (AssertionError, OSError, EOFError) as e:
            raise AssertionError(f"{what or data[:40]!r}: {e}") from None


def healthy(port, deflate=False):
    """The server still echoes on a new connection (a compressed message with deflate)."""
    with WS(port, "permessage-deflate" if deflate else None) as ws:
        if deflate:
            ws.send(frame(OP_TEXT, deflate_msg(b"still alive " * 10), rsv=4))
            expect_echo(ws, OP_TEXT, b"still alive " * 10, compressed=True)
        else:
            ws.send(frame(OP_TEXT, "still alive"))
            expect_echo(ws, OP_TEXT, "still alive")


class Deadline:
    def __init__(self, seconds, what):
        self.end = time.monotonic() + seconds
        self.seconds, self.what = seconds, what

    def check(self):
        assert time.monotonic() < self.end, f"{self.what} took over {self.seconds} s"


LENGTHS = (0, 125, 126, 127, 128, 65535, 65536)


def test_fuzzingclient_handshake(echo):
    """The opening handshake as the fuzzingclient writes it ("Upgrade: WebSocket", extra
    headers; its default deflate offer in sections 12-13) is accepted on the echo route."""
    for ext in ("", "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n"):
        key = base64.b64encode(os.urandom(16)).decode()
        req = (f"GET {ECHO} HTTP/1.1\r\nUser-Agent: AutobahnTestSuite/0.8.2-0.10.9\r\n"
               f"Host: 127.0.0.1:{echo.port}\r\nUpgrade: WebSocket\r\nConnection: Upgrade\r\n"
               f"Pragma: no-cache\r\nCache-Control: no-cache\r\nSec-WebSocket-Key: {key}\r\n"
               f"Sec-WebSocket-Version: 13\r\n{ext}\r\n").encode()
        with connect(echo.port) as s:
            s.sendall(req + frame(OP_TEXT, "first frame right behind the request"))
            ws = WS.__new__(WS)  # adopt the socket
            ws.sock, ws.reader = s, SockReader(s)
            r = read_response(ws.reader)
            assert r.status == 101 and r.header("sec-websocket-accept") == accept_for(key), r
            ws.deflate = ext != ""
            assert (r.header("sec-websocket-extensions") is not None) == ws.deflate, r
            expect_echo(ws, OP_TEXT, "first frame right behind the request")


# ================================================================ 1 Framing


class TestFraming:
    """Autobahn 1.1.x (text) and 1.2.x (binary): every length encoding boundary."""

    @pytest.mark.parametrize("opcode", [OP_TEXT, OP_BINARY], ids=["text", "binary"])
    def test_lengths_whole(self, echo, opcode):
        """1.1.1-1.1.7 / 1.2.1-1.2.7: lengths 0, 125, 126, 127, 128, 65535, 65536."""
        fill = b"*" if opcode == OP_TEXT else b"\xfe"
        with WS(echo.port) as ws:
            for n in LENGTHS:
                ws.send(frame(opcode, fill * n))
                expect_echo(ws, opcode, fill * n)

    @pytest.mark.parametrize("opcode", [OP_TEXT, OP_BINARY], ids=["text", "binary"])
    def test_lengths_chopped(self, echo, opcode):
        """1.1.8 / 1.2.8 and more: the same frames written in chops, 1 byte for the short
        ones, 997 bytes for the 64 KiB ones."""
        fill = b"*" if opcode == OP_TEXT else b"\xfe"
        with WS(echo.port) as ws:
            for n in LENGTHS:
                ws.send_chopped(frame(opcode, fill * n), 1 if n <= 128 else 997)
                expect_echo(ws, opcode, fill * n)

    def test_binary_all_byte_values(self, echo):
        """Binary payloads are opaque: every byte value, several masks."""
        data = bytes(range(256)) * 8
        with WS(echo.port) as ws:
            for _ in range(4):
                ws.send(frame(OP_BINARY, data))
                expect_echo(ws, OP_BINARY, data)

    def test_mixed_stream_in_one_write(self, echo):
        """Text and binary messages of every length class, coalesced in one write: each
        comes back in order with its own opcode."""
        msgs = [(OP_TEXT if i % 2 else OP_BINARY, bytes([0x41 + i]) * n)
                for i, n in enumerate((0, 1, 125, 126, 300, 65535, 65536, 7))]
        with WS(echo.port) as ws:
            ws.send(*(frame(op, p) for op, p in msgs))
            for op, p in msgs:
                expect_echo(ws, op, p)

    def test_large_binary_16mib(self, echo):
        """9.2.6 size, as a framing case: a 16 MiB binary frame (64-bit length, exactly
        --max-frame) comes back whole, within a bounded time."""
        data = random.Random(1).randbytes(256) * (16 * MIB // 256)
        t = time.monotonic()
        with WS(echo.port, timeout=30) as ws:
            ws.send(frame(OP_BINARY, data))
            expect_echo(ws, OP_BINARY, data)
        assert time.monotonic() - t < 20, "16 MiB echo took over 20 s"


# ================================================================ 2 Pings / pongs


class TestPingPong:
    """Autobahn 2.x."""

    @pytest.mark.parametrize("payload", [b"", b"Hello, world!", b"\x00\xff\xfe\xfd\xfc\xfb\x00\xff",
                                         bytes(range(125))],
                             ids=["2.1-empty", "2.2-text", "2.3-binary", "2.4-125"])
    def test_ping_answered(self, echo, payload):
        with WS(echo.port) as ws:
            ws.send(frame(OP_PING, payload))
            expect_pong(ws, payload)
            expect_silence(ws, 0.1)

    def test_ping_126_bytes_1002(self, echo):
        """2.5: a control frame over 125 bytes fails the connection; no pong."""
        fails(echo.port, frame(OP_PING, b"\xfe" * 126), 1002)

    def test_ping_125_in_1_byte_chops(self, echo):
        """2.6."""
        payload = bytes(range(125))
        with WS(echo.port) as ws:
            ws.send_chopped(frame(OP_PING, payload), 1)
            expect_pong(ws, payload)

    @pytest.mark.parametrize("payload", [b"", b"unsolicited pong payload"],
                             ids=["2.7-empty", "2.8-payload"])
    def test_unsolicited_pong_ignored(self, echo, payload):
        with WS(echo.port) as ws:
            ws.send(frame(OP_PONG, payload))
            expect_silence(ws)
            ws.send(frame(OP_TEXT, "after the pong"))
            expect_echo(ws, OP_TEXT, "after the pong")

    def test_pong_then_ping(self, echo):
        """2.9: an unsolicited pong then a ping: exactly one pong, the ping's payload."""
        with WS(echo.port) as ws:
            ws.send(frame(OP_PONG, b"unsolicited"), frame(OP_PING, b"ping payload"))
            expect_pong(ws, b"ping payload")
            expect_silence(ws)

    def test_ten_pings(self, echo):
        """2.10: ten pings in a row are answered in order."""
        with WS(echo.port) as ws:
            ws.send(*(frame(OP_PING, b"payload-%d" % i) for i in range(10)))
            for i in range(10):
                expect_pong(ws, b"payload-%d" % i)

    def test_ten_pings_in_1_byte_chops(self, echo):
        """2.11."""
        with WS(echo.port) as ws:
            ws.send_chopped(b"".join(frame(OP_PING, b"payload-%d" % i) for i in range(10)), 1)
            for i in range(10):
                expect_pong(ws, b"payload-%d" % i)

    def test_ping_between_messages_keeps_order(self, echo):
        with WS(echo.port) as ws:
            ws.send(frame(OP_TEXT, "one"), frame(OP_PING, b"p"), frame(OP_BINARY, b"two"))
            expect_echo(ws, OP_TEXT, "one")
            expect_pong(ws, b"p")
            expect_echo(ws, OP_BINARY, b"two")


# ================================================================ 3 Reserved bits


class TestReservedBits:
    """Autobahn 3.x: with no extension negotiated, any RSV bit fails the connection."""

    def test_3_1_text_rsv1(self, echo):
        fails(echo.port, frame(OP_TEXT, "Hello, world!", rsv=1), 1002)

    def test_3_2_echo_before_violation_one_write(self, echo):
        """Small text, then text with RSV=2, then a ping, all in one write: the echo of the
        first still comes, then the close, and no pong."""
        with WS(echo.port) as ws:
            ws.send(frame(OP_TEXT, "Hello, world!"), frame(OP_TEXT, "Hello, world!", rsv=2),
                    frame(OP_PING, b"never answered"))
            expect_echo(ws, OP_TEXT, "Hello, world!")
            expect_fail(ws, 1002)

    def test_3_3_framewise(self, echo):
        """The same with RSV=3, one frame per write, the echo awaited first."""
        with WS(echo.port) as ws:
            ws.send(frame(OP_TEXT, "Hello, world!"))
            expect_echo(ws, OP_TEXT, "Hello, world!")
            ws.send(frame(OP_TEXT, "Hello, world!", rsv=3))
            expect_fail(ws, 1002)

    def test_3_4_octetwise(self, echo):
        """The same with RSV=4 (RSV1 without deflate), in 1-byte chops."""
        with WS(echo.port) as ws:
            data = (frame(OP_TEXT, "Hello, world!") + frame(OP_TEXT, "Hello, world!", rsv=4) +
                    frame(OP_PING, b""))
            try:
                ws.send_chopped(data, 1)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the server may close before the last chops
            expect_echo(ws, OP_TEXT, "Hello, world!")
            expect_fail(ws, 1002)

    @pytest.mark.parametrize("opcode,rsv", [(OP_BINARY, 5), (OP_PING, 6), (OP_CLOSE, 7)],
                             ids=["3.5-binary", "3.6-ping", "3.7-close"])
    def test_control_and_binary(self, echo, opcode, rsv):
        payload = close_payload(1000) if opcode == OP_CLOSE else b"\x00\xff\xfe\xfd"
        fails(echo.port, frame(opcode, payload, rsv=rsv), 1002)

    def test_every_rsv_on_every_opcode(self, echo):
        """All seven RSV combinations on text, binary, continuation (inside a message),
        ping, pong and close."""
        for rsv in range(1, 8):
            for op in (OP_TEXT, OP_BINARY, OP_PING, OP_PONG, OP_CLOSE):
                fails(echo.port, frame(op, b"", rsv=rsv), 1002, what=f"opcode {op} rsv {rsv}")
            data = frame(OP_TEXT, "frag", fin=False) + frame(OP_CONT, "ment", rsv=rsv)
            fails(echo.port, data, 1002, what=f"continuation rsv {rsv}")


# ================================================================ 4 Opcodes


RESERVED_OPCODES = [3, 4, 5, 6, 7, 0xB, 0xC, 0xD, 0xE, 0xF]


class TestOpcodes:
    """Autobahn 4.1.x (non-control 3-7) and 4.2.x (control 0xB-0xF)."""

    @pytest.mark.parametrize("op", RESERVED_OPCODES, ids=[f"{o:#x}" for o in RESERVED_OPCODES])
    def test_reserved_opcode(self, echo, op):
        """4.x.1-2: the opcode alone, empty and with a payload."""
        fails(echo.port, frame(op), 1002)
        fails(echo.port, frame(op, b"reserved opcode payload"), 1002)

    @pytest.mark.parametrize("op", RESERVED_OPCODES, ids=[f"{o:#x}" for o in RESERVED_OPCODES])
    def test_reserved_opcode_after_message(self, echo, op):
        """4.x.3-5: small text, the reserved opcode, a ping, in one write: echo, close 1002,
        no pong."""
        with WS(echo.port) as ws:
            ws.send(frame(OP_TEXT, "Hello, world!"), frame(op, b"x" * 10), frame(OP_PING))
            expect_echo(ws, OP_TEXT, "Hello, world!")
            expect_fail(ws, 1002)

    def test_reserved_opcode_inside_fragmented_message(self, echo):
        for op in RESERVED_OPCODES:
            fails(echo.port, frame(OP_TEXT, "frag", fin=False) + frame(op, b"x"), 1002,
                  what=f"opcode {op:#x}")


# ================================================================ 5 Fragmentation


class TestFragmentation:
    """Autobahn 5.x."""

    @pytest.mark.parametrize("op", [OP_PING, OP_PONG], ids=["5.1-ping", "5.2-pong"])
    def test_fragmented_control_1002(self, echo, op):
        """A ping or pong in 2 fragments; also its first fragment alone, which must fail
        by itself (not only because of the continuation that follows)."""
        fails(echo.port, frame(op, b"fragment1", fin=False) + frame(OP_CONT, b"fragment2"), 1002)
        fails(echo.port, frame(op, b"fragment1", fin=False), 1002)

    def test_fragmented_close_1002(self, echo):
        fails(echo.port, frame(OP_CLOSE, close_payload(1000), fin=False), 1002)

    @pytest.mark.parametrize("how", ["one-write", "framewise", "octetwise"])
    def test_5_3_to_5_5_two_fragments(self, echo, how):
        first, second = frame(OP_TEXT, "fragment1", fin=False), frame(OP_CONT, "fragment2")
        data = first + second
        with WS(echo.port) as ws:
            if how == "one-write":
                ws.send_raw(data)
            elif how == "framewise":
                ws.send_raw(first)
                expect_silence(ws, 0.1)
                ws.send_raw(second)
            else:
                ws.send_chopped(data, 1)
            expect_echo(ws, OP_TEXT, "fragment1fragment2")

    @pytest.mark.parametrize("how", ["one-write", "framewise", "octetwise"])
    def test_5_6_to_5_8_ping_between_fragments(self, echo, how):
        parts = [frame(OP_TEXT, "fragment1", fin=False), frame(OP_PING, b"ping payload"),
                 frame(OP_CONT, "fragment2")]
        with WS(echo.port) as ws:
            if how == "one-write":
                ws.send(*parts)
            elif how == "framewise":
                for p in parts:
                    ws.send_raw(p)
                    time.sleep(0.02)
            else:
                ws.send_chopped(b"".join(parts), 1)
            expect_pong(ws, b"ping payload")
            expect_echo(ws, OP_TEXT, "fragment1fragment2")

    @pytest.mark.parametrize("fin", [True, False], ids=["5.9-5.11-fin", "5.12-5.14-nofin"])
    @pytest.mark.parametrize("how", ["one-write", "framewise", "octetwise"])
    def test_continuation_without_start(self, echo, fin, how):
        """Continuation with nothing to continue, then a text message and a ping: close
        1002 and nothing else."""
        parts = [frame(OP_CONT, "non-continuation payload", fin=fin),
                 frame(OP_TEXT, "Hello, world!"), frame(OP_PING)]
        with WS(echo.port) as ws:
            try:
                if how == "one-write":
                    ws.send(*parts)
                elif how == "framewise":
                    for p in parts:
                        ws.send_raw(p)
                        time.sleep(0.02)
                else:
                    ws.send_chopped(b"".join(parts), 1)
            except (BrokenPipeError, ConnectionResetError):
                pass
            expect_fail(ws, 1002)

    def test_5_15_continuation_after_finished_message(self, echo):
        """Text in 2 fragments, then a continuation (FIN clear) with nothing to continue,
        then text: the first message is echoed, then close 1002."""
        with WS(echo.port) as ws:
            ws.send(frame(OP_TEXT, "fragment1", fin=False), frame(OP_CONT, "fragment2"),
                    frame(OP_CONT, "fragment3", fin=False), frame(OP_TEXT, "fragment4"))
            expect_echo(ws, OP_TEXT, "fragment1fragment2")
            expect_fail(ws, 1002)

    @pytest.mark.parametrize("fin", [False, True], ids=["5.16", "5.17"])
    def test_5_16_5_17_repeated(self, echo, fin):
        """Repeated 2x: continuation with nothing to continue, then text in 2 fragments:
        fails at the first frame, nothing echoed."""
        one = [frame(OP_CONT, "fragment1", fin=fin), frame(OP_TEXT, "fragment2", fin=False),
               frame(OP_CONT, "fragment3")]
        fails(echo.port, b"".join(one * 2), 1002)

    def test_5_18_two_text_openers(self, echo):
        fails(echo.port, frame(OP_TEXT, "fragment1", fin=False) + frame(OP_TEXT, "fragment2"), 1002)

    def test_new_binary_inside_text(self, echo):
        fails(echo.port, frame(OP_TEXT, "fragment1", fin=False) + frame(OP_BINARY, b"x"), 1002)

    @pytest.mark.parametrize("framewise", [False, True], ids=["5.19", "5.20"])
    def test_5_19_5_20_pings_and_waits(self, echo, framewise):
        """Five text fragments; a ping after the 2nd and the 4th, a pause in between:
        pongs as they come, then the whole message."""
        with WS(echo.port) as ws:
            first = [frame(OP_TEXT, "fragment1", fin=False), frame(OP_CONT, "fragment2", fin=False),
                     frame(OP_PING, b"pongme 1!")]
            second = [frame(OP_CONT, "fragment3", fin=False),
                      frame(OP_CONT, "fragment4", fin=False),
                      frame(OP_PING, b"pongme 2!"), frame(OP_CONT, "fragment5")]
            for group in (first, second):
                if framewise:
                    for f in group:
                        ws.send_raw(f)
                else:
                    ws.send(*group)
                expect_pong(ws, b"pongme 1!" if group is first else b"pongme 2!")
                if group is first:
                    expect_silence(ws, 0.3)
            expect_echo(ws, OP_TEXT, "".join(f"fragment{i}" for i in range(1, 6)))

    def test_empty_fragments(self, echo):
        """6.1.2/6.1.3 as fragmentation: empty first, middle and last fragments."""
        with WS(echo.port) as ws:
            ws.send(frame(OP_TEXT, "", fin=False), frame(OP_CONT, "", fin=False),
                    frame(OP_CONT, ""))
            expect_echo(ws, OP_TEXT, "")
            ws.send(frame(OP_TEXT, "", fin=False), frame(OP_CONT, "middle", fin=False),
                    frame(OP_CONT, ""))
            expect_echo(ws, OP_TEXT, "middle")
            ws.send(frame(OP_BINARY, b"", fin=False), frame(OP_PING, b"between"),
                    frame(OP_CONT, b"\x00\x01", fin=False), frame(OP_CONT, b""))
            expect_pong(ws, b"between")
            expect_echo(ws, OP_BINARY, b"\x00\x01")

    def test_binary_fragments_any_size(self, echo):
        data = random.Random(5).randbytes(70000)
        with WS(echo.port) as ws:
            for size in (1000, 65535, 65536, 69999):
                ws.send(*fragments(OP_BINARY, data, size))
                expect_echo(ws, OP_BINARY, data)

    @pytest.mark.parametrize("opcode", [OP_TEXT, OP_BINARY], ids=["text", "binary"])
    def test_one_byte_fragments_of_1mib(self, echo, opcode):
        """A 1 MiB message as 1 048 576 frames of one byte (7 MiB on the wire)."""
        data = (b"0123456789abcdef" if opcode == OP_TEXT else bytes(range(256))) * (MIB // 16)
        data = data[:MIB]
        t = time.monotonic()
        with WS(echo.port, timeout=30) as ws:
            ws.send_raw(one_byte_fragments(opcode, data))
            expect_echo(ws, opcode, data)
        assert time.monotonic() - t < 15, "1 MiB in 1-byte fragments took over 15 s"


# ================================================================ 6 UTF-8


KOSME = "κόσμε".encode()  # ce ba e1 bd b9 cf 83 ce bc ce b5
HELLO_UTF8 = "Hello-µ@ßöäüàá-UTF-8!!".encode()

# Markus Kuhn's UTF-8 decoder stress test, as Autobahn 6.5-6.23 uses it: valid sequences...
VALID_UTF8 = {
    "some valid": [b"hello\x24world", b"hello\xc2\xa2world", b"hello\xe2\x82\xacworld",
                   b"hello\xf0\xa4\xad\xa2world", KOSME],
    "first of each length": [b"\x00", b"\xc2\x80", b"\xe0\xa0\x80", b"\xf0\x90\x80\x80"],
    "last of each length": [b"\x7f", b"\xdf\xbf", b"\xef\xbf\xbf", b"\xf4\x8f\xbf\xbf"],
    "other boundaries": [b"\xed\x9f\xbf", b"\xee\x80\x80", b"\xef\xbf\xbd", b"\xf4\x8f\xbf\xbf"],
    "noncharacters": [b"\xef\xbf\xbe", b"\xef\xbf\xbf"] + [
        bytes([a, b, 0xbf, c]) for a in (0xf0, 0xf1, 0xf2, 0xf3, 0xf4)
        for b in (0x8f, 0x9f, 0xaf, 0xbf) for c in (0xbe, 0xbf)
        if (a != 0xf4 or b == 0x8f) and (a, b) != (0xf0, 0x8f)],
    "specials": [bytes([0xef, 0xbf, c]) for c in range(0xb9, 0xc0)],
}

# ... and invalid ones.
_MISSING_LAST = [b"\xc0", b"\xe0\x80", b"\xf0\x80\x80", b"\xf8\x80\x80\x80",
                 b"\xfc\x80\x80\x80\x80", b"\xdf", b"\xef\xbf", b"\xf7\xbf\xbf",
                 b"\xfb\xbf\xbf\xbf", b"\xfd\xbf\xbf\xbf\xbf"]
INVALID_UTF8 = {
    "5-6 byte first": [b"\xf8\x88\x80\x80\x80", b"\xfc\x84\x80\x80\x80\x80"],
    "4-6 byte last": [b"\xf7\xbf\xbf\xbf", b"\xfb\xbf\xbf\xbf\xbf", b"\xfd\xbf\xbf\xbf\xbf\xbf"],
    "past U+10FFFF": [b"\xf4\x90\x80\x80", b"\xf5\x80\x80\x80", b"\xf7\xbf\xbf\xbf"],
    "unexpected continuation": [b"\x80", b"\xbf", b"\x80\xbf", b"\x80\xbf\x80", b"\x80\xbf\x80\xbf",
                                b"\x80\xbf\x80\xbf\x80", b"\x80\xbf\x80\xbf\x80\xbf",
                                bytes(range(0x80, 0xbf))],
    "lonely start": [b"".join(bytes([c, 0x20]) for c in range(lo, hi))
                     for lo, hi in ((0xc0, 0xdf), (0xe0, 0xef), (0xf0, 0xf7), (0xf8, 0xfb),
                                    (0xfc, 0xfd))],
    "missing last continuation": _MISSING_LAST,
    "concatenated incomplete": [b"".join(_MISSING_LAST)],
    "impossible bytes": [b"\xfe", b"\xff", b"\xfe\xfe\xff\xff"],
    "overlong ASCII": [b"\xc0\xaf", b"\xe0\x80\xaf", b"\xf0\x80\x80\xaf", b"\xf8\x80\x80\x80\xaf",
                       b"\xfc\x80\x80\x80\x80\xaf"],
    "maximum overlong": [b"\xc1\xbf", b"\xe0\x9f\xbf", b"\xf0\x8f\xbf\xbf", b"\xf8\x87\xbf\xbf\xbf",
                         b"\xfc\x83\xbf\xbf\xbf\xbf"],
    "overlong NUL": [b"\xc0\x80", b"\xe0\x80\x80", b"\xf0\x80\x80\x80", b"\xf8\x80\x80\x80\x80",
                     b"\xfc\x80\x80\x80\x80\x80"],
    "single surrogates": [b"\xed\xa0\x80", b"\xed\xad\xbf", b"\xed\xae\x80", b"\xed\xaf\xbf",
                          b"\xed\xb0\x80", b"\xed\xbe\x80", b"\xed\xbf\xbf"],
    "paired surrogates": [a + b for a in (b"\xed\xa0\x80", b"\xed\xad\xbf", b"\xed\xae\x80",
                                          b"\xed\xaf\xbf")
                          for b in (b"\xed\xb0\x80", b"\xed\xbf\xbf")],
    # every second byte that makes a valid lead byte invalid, and every invalid lead byte
    "sweep: bad second bytes": [b"\xe0" + bytes([b]) + b"\x80" for b in range(0x80, 0xa0)] +
                               [b"\xed" + bytes([b]) + b"\x80" for b in range(0xa0, 0xc0)] +
                               [b"\xf0" + bytes([b]) + b"\x80\x80" for b in range(0x80, 0x90)] +
                               [b"\xf4" + bytes([b]) + b"\x80\x80" for b in range(0x90, 0xc0)] +
                               [bytes([lead, b]) + b"\x80\x80" for lead in (0xc2, 0xe1, 0xf1)
                                for b in (0x00, 0x41, 0x7f, 0xc0, 0xff)],
    "sweep: bad lead bytes": [bytes([b]) + b"\x80\x80\x80" for b in
                              [0xc0, 0xc1] + list(range(0xf5, 0x100))],
}


def utf8_ok(b):
    try:
        b.decode("utf-8")
        return True
    except UnicodeDecodeError:
        return False


def test_utf8_vectors_agree_with_python():
    """The tables above, checked against an independent decoder (Python's)."""
    for name, vs in VALID_UTF8.items():
        for v in vs:
            assert utf8_ok(v), (name, v)
    for name, vs in INVALID_UTF8.items():
        for v in vs:
            assert not utf8_ok(v), (name, v)


class TestUtf8:
    """Autobahn 6.x."""

    def test_6_1_empty(self, echo):
        with WS(echo.port) as ws:
            ws.send(frame(OP_TEXT, ""))
            expect_echo(ws, OP_TEXT, "")
            ws.send(frame(OP_TEXT, "", fin=False), frame(OP_CONT, "", fin=False),
                    frame(OP_CONT, ""))
            expect_echo(ws, OP_TEXT, "")
            ws.send(frame(OP_TEXT, "", fin=False),
                    frame(OP_CONT, "middle frame payload", fin=False), frame(OP_CONT, ""))
            expect_echo(ws, OP_TEXT, "middle frame payload")

    def test_6_2_hello_utf8(self, echo):
        """6.2.1-6.2.4: one fragment; two fragments on a code point boundary; 1-byte
        fragments (ending inside code points); κόσμε in 1-byte fragments."""
        with WS(echo.port) as ws:
            ws.send(frame(OP_TEXT, HELLO_UTF8))
            expect_echo(ws, OP_TEXT, HELLO_UTF8)
            cut = HELLO_UTF8.index("ß".encode())
            ws.send(frame(OP_TEXT, HELLO_UTF8[:cut], fin=False), frame(OP_CONT, HELLO_UTF8[cut:]))
            expect_echo(ws, OP_TEXT, HELLO_UTF8)
            for text in (HELLO_UTF8, KOSME):
                ws.send_raw(one_byte_fragments(OP_TEXT, text))
                expect_echo(ws, OP_TEXT, text)

    INVALID_KOSME = KOSME + b"\xed\xa0\x80" + b"edited"

    def test_6_3_1_invalid_unfragmented(self, echo):
        fails(echo.port, frame(OP_TEXT, self.INVALID_KOSME), 1007)

    def test_6_3_2_invalid_in_1_byte_fragments_fails_fast(self, echo):
        """The close comes right after the fragment that makes the text invalid (its
        13th byte, 0xa0), without the rest of the message."""
        bad = self.INVALID_KOSME.index(b"\xa0")
        with WS(echo.port) as ws:
            data = one_byte_fragments(OP_TEXT, self.INVALID_KOSME)
            ws.send_raw(data[:7 * bad])
            expect_silence(ws, 0.2)
            ws.send_raw(data[7 * bad:7 * (bad + 1)])
            expect_fail(ws, 1007, timeout=2)

    @pytest.mark.parametrize("parts", [
        (KOSME, b"\xf4\x90\x80\x80", b"edited"),      # 6.4.1: the invalid code point alone
        (KOSME + b"\xf4", b"\x90", b"\x80\x80edited"),  # 6.4.2: fails on its second byte
    ], ids=["6.4.1", "6.4.2"])
    def test_6_4_fail_fast_fragments(self, echo, parts):
        """3 fragments with waits: the 1st is accepted (silence), the 2nd fails at once;
        the 3rd is never needed."""
        with WS(echo.port) as ws:
            ws.send(frame(OP_TEXT, parts[0], fin=False))
            expect_silence(ws, 0.3)
            ws.send(frame(OP_CONT, parts[1], fin=False))
            expect_fail(ws, 1007, timeout=1)

    @pytest.mark.parametrize("parts", [
        (KOSME, b"\xf4\x90\x80\x80", b"edited"),
        (KOSME + b"\xf4", b"\x90", b"\x80\x80edited"),
    ], ids=["6.4.3", "6.4.4"])
    def test_6_4_fail_fast_chops(self, echo, parts):
        """The same inside ONE frame, sent in 3 chops: the close comes before the frame is
        complete."""
        payload = b"".join(parts)
        data = frame(OP_TEXT, payload)
        head = len(data) - len(payload)
        with WS(echo.port) as ws:
            ws.send_raw(data[:head + len(parts[0])])
            expect_silence(ws, 0.3)
            ws.send_raw(data[head + len(parts[0]):head + len(parts[0]) + len(parts[1])])
            expect_fail(ws, 1007, timeout=1)

    @pytest.mark.parametrize("category", list(VALID_UTF8))
    def test_valid_sequences_echoed(self, echo, category):
        """6.5, 6.7.x, 6.8.x, 6.11.x, 6.22.x, 6.23.x: valid sequences, alone and in text."""
        with WS(echo.port) as ws:
            for v in VALID_UTF8[category]:
                for text in (v, b"abc" + v + b"xyz"):
                    ws.send(frame(OP_TEXT, text))
                    expect_echo(ws, OP_TEXT, text)

    def test_6_6_prefixes_of_valid_text(self, echo):
        """6.6.x: every prefix of κόσμε: echoed when it ends on a code point, else 1007."""
        for i in range(1, len(KOSME) + 1):
            prefix = KOSME[:i]
            if utf8_ok(prefix):
                with WS(echo.port) as ws:
                    ws.send(frame(OP_TEXT, prefix))
                    expect_echo(ws, OP_TEXT, prefix)
            else:
                fails(echo.port, frame(OP_TEXT, prefix), 1007, what=prefix)

    @pytest.mark.parametrize("category", list(INVALID_UTF8))
    def test_invalid_sequences_1007(self, echo, category):
        """6.3.x-6.21.x: each invalid sequence, alone and after valid text, closes 1007;
        in a binary message the same bytes are fine."""
        for v in INVALID_UTF8[category]:
            fails(echo.port, frame(OP_TEXT, v), 1007, what=v)
            fails(echo.port, frame(OP_TEXT, b"valid prefix " + KOSME + v), 1007, what=v)
        with WS(echo.port) as ws:
            for v in INVALID_UTF8[category]:
                ws.send(frame(OP_BINARY, v))
                expect_echo(ws, OP_BINARY, v)

    def test_invalid_byte_fails_fast_in_every_frame_position(self, echo):
        """An invalid byte fails the message at once wherever it sits: first or middle
        fragment, start or end of the frame; the message is never finished."""
        for before, after in ((b"", b"tail"), (b"head", b""), (b"head", b"tail")):
            for nth in (0, 1, 2):
                frames = [frame(OP_TEXT if i == 0 else OP_CONT,
                                before + b"\xff" + after if i == nth else b"fine", fin=False)
                          for i in range(nth + 1)]
                fails(echo.port, b"".join(frames), 1007, what=f"fragment {nth} {before} {after}")

    def test_truncated_at_message_end_1007(self, echo):
        """A message that ends inside a code point, also when the last fragment is empty."""
        for cut in (b"\xc3", b"\xe2\x82", b"\xf0\x9f\x98"):
            fails(echo.port, frame(OP_TEXT, b"ok " + cut), 1007, what=cut)
            fails(echo.port, frame(OP_TEXT, b"ok " + cut, fin=False) + frame(OP_CONT, b""), 1007,
                  what=cut)

    def test_code_points_split_at_every_position(self, echo):
        """Valid text with 1-4 byte code points, cut into 2 and 3 fragments at every
        position (so inside every code point)."""
        text = "a©€😀ß\U0010ffff\u0800z".encode()
        n = len(text)
        with WS(echo.port) as ws:
            for i in range(n + 1):
                ws.send(frame(OP_TEXT, text[:i], fin=False), frame(OP_CONT, text[i:]))
                expect_echo(ws, OP_TEXT, text)
            for i in range(1, n):
                for j in range(i + 1, n):
                    ws.send(frame(OP_TEXT, text[:i], fin=False),
                            frame(OP_CONT, text[i:j], fin=False), frame(OP_CONT, text[j:]))
                    expect_echo(ws, OP_TEXT, text)

    def test_every_code_point(self, echo):
        """Every Unicode scalar value U+0000-U+10FFFF (no surrogates) in one 4.2 MiB text
        message, in 4093-byte fragments that cut code points."""
        text = "".join(map(chr, [*range(0xd800), *range(0xe000, 0x110000)])).encode()
        with WS(echo.port, timeout=20) as ws:
            ws.send(*fragments(OP_TEXT, text, 4093))
            expect_echo(ws, OP_TEXT, text)


# ================================================================ 7 Close handling


VALID_CLOSE_CODES = [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 3999, 4000, 4999]
INVALID_CLOSE_CODES = [0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535]


class TestClose:
    """Autobahn 7.x."""

    def test_7_1_1_echo_then_close(self, echo):
        with WS(echo.port) as ws:
            ws.send(frame(OP_TEXT, "Hello World!"))
            expect_echo(ws, OP_TEXT, "Hello World!")
            ws.send(frame(OP_CLOSE, close_payload(1000)))
            expect_fail(ws, 1000)

    def test_7_1_2_close_twice(self, echo):
        with WS(echo.port) as ws:
            ws.send(frame(OP_CLOSE, close_payload(1000)), frame(OP_CLOSE, close_payload(1000)))
            expect_fail(ws, 1000)

    def test_7_1_3_ping_after_close_ignored(self, echo):
        with WS(echo.port) as ws:
            ws.send(frame(OP_CLOSE, close_payload(1000)), frame(OP_PING, b"Hello World!"))
            expect_fail(ws, 1000)

    def test_7_1_4_text_after_close_ignored(self, echo):
        with WS(echo.port) as ws:
            ws.send(frame(OP_CLOSE, close_payload(1000)), frame(OP_TEXT, "Hello World!"),
                    frame(OP_TEXT, b"\xff invalid too"), frame(0x3, b"bad opcode too"))
            expect_fail(ws, 1000)

    def test_7_1_5_close_inside_fragmented_message(self, echo):
        with WS(echo.port) as ws:
            ws.send(frame(OP_TEXT, "fragment1", fin=False), frame(OP_CLOSE, close_payload(1000)),
                    frame(OP_CONT, "fragment2"))
            expect_fail(ws, 1000)

    def test_7_1_6_big_message_close_ping(self, echo):
        """256 KiB text, close, ping in one write: the message is echoed (it came first),
        then the close answer; the ping after the close is not answered."""
        text = (b"BAsd7&jh23" * 26215)[:256 * 1024]
        with WS(echo.port) as ws:
            ws.send(frame(OP_TEXT, text), frame(OP_CLOSE, close_payload(1000)),
                    frame(OP_PING, b"Hello World!"))
            expect_echo(ws, OP_TEXT, text)
            expect_fail(ws, 1000)

    def test_7_3_1_empty_close(self, echo):
        """A close without payload is answered with an empty close."""
        with WS(echo.port) as ws:
            ws.send(frame(OP_CLOSE))
            f = ws.recv_frame()
            assert f.opcode == OP_CLOSE and f.payload == b"", f
            assert ws.reader.at_eof()

    def test_7_3_2_one_byte_payload(self, echo):
        fails(echo.port, frame(OP_CLOSE, b"\x03"), 1002)

    @pytest.mark.parametrize("reason", [b"", b"Hello World!", b"*" * 123,
                                        "µ€😀".encode() * 13 + b"*" * 5],
                             ids=["7.3.3-no-reason", "7.3.4-reason", "7.3.5-123-bytes",
                                  "123-bytes-utf8"])
    def test_close_with_reason(self, echo, reason):
        assert len(reason) <= 123
        with WS(echo.port) as ws:
            ws.send(frame(OP_CLOSE, close_payload(1000, reason)))
            expect_fail(ws, 1000)

    def test_7_3_6_reason_124_bytes(self, echo):
        fails(echo.port, frame(OP_CLOSE, close_payload(1000, b"*" * 124)), 1002)

    @pytest.mark.parametrize("reason", [b"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80"
                                        b"\x65\x64\x69\x74\x65\x64", b"\xff", b"bye \xc3",
                                        b"\xc0\x80", b"\xf4\x90\x80\x80"],
                             ids=["7.5.1", "ff", "truncated", "overlong", "past-10ffff"])
    def test_7_5_1_invalid_utf8_reason(self, echo, reason):
        fails(echo.port, frame(OP_CLOSE, close_payload(1000, reason)), 1007)

    @pytest.mark.parametrize("code", VALID_CLOSE_CODES)
    def test_7_7_valid_code_echoed(self, echo, code):
        with WS(echo.port) as ws:
            ws.send(frame(OP_CLOSE, close_payload(code)))
            expect_fail(ws, code)

    @pytest.mark.parametrize("code", INVALID_CLOSE_CODES)
    def test_7_9_7_13_invalid_code(self, echo, code):
        fails(echo.port, frame(OP_CLOSE, close_payload(code, b"reason")), 1002)

    def test_server_closes_tcp_after_handshake(self, echo):
        """After its close answer the server closes TCP itself, promptly, even though the
        client keeps its side open."""
        with WS(echo.port) as ws:
            ws.send(frame(OP_CLOSE, close_payload(1000)))
            f = ws.recv_frame()
            assert f.close_code == 1000
            t = time.monotonic()
            assert ws.reader.at_eof()
            assert time.monotonic() - t < 2


# ================================================================ 9 Limits / performance


class TestLimits:
    """Autobahn 9.x, bounded: sizes up to 4 MiB (the 16 MiB frame is in section 1), fewer
    repetitions."""

    @pytest.mark.parametrize("opcode", [OP_TEXT, OP_BINARY], ids=["9.1-text", "9.2-binary"])
    def test_large_messages(self, echo, opcode):
        """64 KiB, 256 KiB, 1 MiB, 4 MiB messages in one frame each."""
        unit = b"BAsd7&jh23" if opcode == OP_TEXT else random.Random(9).randbytes(10)
        with WS(echo.port, timeout=20) as ws:
            for size in (64 * 1024, 256 * 1024, MIB, 4 * MIB):
                data = (unit * (size // 10 + 1))[:size]
                ws.send(frame(opcode, data))
                expect_echo(ws, opcode, data)

    @pytest.mark.parametrize("opcode", [OP_TEXT, OP_BINARY], ids=["9.3-text", "9.4-binary"])
    def test_4mib_in_fragments(self, echo, opcode):
        """A 4 MiB message in fragments of 64 B ... 4 MiB (9.3.1-9.3.9 / 9.4.1-9.4.9)."""
        data = (b"*" if opcode == OP_TEXT else b"\xfe") * (4 * MIB)
        with WS(echo.port, timeout=20) as ws:
            dl = Deadline(25, "4 MiB in fragments")
            for size in (64, 256, 1024, 4096, 16384, 65536, 256 * 1024, MIB, 4 * MIB):
                ws.send(*fragments(opcode, data, size))
                expect_echo(ws, opcode, data)
                dl.check()

    @pytest.mark.parametrize("opcode", [OP_TEXT, OP_BINARY], ids=["9.5-text", "9.6-binary"])
    def test_1mib_in_chops(self, echo, opcode):
        """A 1 MiB message in one frame, written in chops of 64 B ... 8 KiB."""
        data = (b"*" if opcode == OP_TEXT else b"\xfe") * MIB
        f = frame(opcode, data)
        with WS(echo.port, timeout=20) as ws:
            for size in (64, 128, 256, 512, 1024, 2048, 4096, 8192):
                ws.send_chopped(f, size)
                expect_echo(ws, opcode, data)

    @pytest.mark.parametrize("opcode", [OP_TEXT, OP_BINARY], ids=["9.7-text", "9.8-binary"])
    def test_round_trips(self, echo, opcode):
        """Messages of 0 ... 4096 bytes, each sent when the previous one came back."""
        fill = b"*" if opcode == OP_TEXT else b"\xfe"
        with WS(echo.port) as ws:
            dl = Deadline(10, "round trips")
            for size in (0, 16, 64, 256, 1024, 4096):
                for _ in range(200):
                    ws.send(frame(opcode, fill * size))
                    expect_echo(ws, opcode, fill * size)
                dl.check()

    def test_1000_messages_one_burst(self, echo):
        """1000 small text and binary messages in one write: all echoed, in order."""
        msgs = [(OP_TEXT, b"message %04d" % i) if i % 3 else (OP_BINARY, b"\x00%04d\xff" % i)
                for i in range(1000)]
        with WS(echo.port) as ws:
            ws.send(*(frame(op, p) for op, p in msgs))
            for op, p in msgs:
                expect_echo(ws, op, p)

    @pytest.mark.parametrize("opcode", [OP_TEXT, OP_BINARY], ids=["text", "binary"])
    def test_65536_fragments(self, echo, opcode):
        """One message in 65536 fragments of 1 byte, echoed as one message."""
        data = bytes(0x61 + i % 26 for i in range(65536))
        if opcode == OP_BINARY:
            data = bytes(i & 0xFF for i in range(65536))
        with WS(echo.port, timeout=15) as ws:
            t = time.monotonic()
            ws.send_raw(one_byte_fragments(opcode, data))
            expect_echo(ws, opcode, data)
            assert time.monotonic() - t < 5

    def test_size_limit_boundary(self, echo_1m):
        """--max-frame 1m: a 1 MiB message passes (one frame, or fragments); one byte
        more closes 1009 as soon as the length is known (the payload is never sent)."""
        data = b"\xfe" * MIB
        with WS(echo_1m.port) as ws:
            ws.send(frame(OP_BINARY, data))
            expect_echo(ws, OP_BINARY, data)
            ws.send(*fragments(OP_BINARY, data, 300000))
            expect_echo(ws, OP_BINARY, data)
        with WS(echo_1m.port) as ws:
            ws.send_raw(frame(OP_BINARY, data + b"!")[:14 + 1000])
            expect_fail(ws, 1009)
        with WS(echo_1m.port) as ws:  # the 4th fragment's header crosses the limit
            frames = fragments(OP_TEXT, b"*" * (MIB + 1), 300000)
            ws.send(*frames[:3], frames[3][:14 + 100])
            expect_fail(ws, 1009)


# ================================================================ 10 Misc


class TestMisc:
    """Autobahn 10.1.1: whatever the fragmentation, the echo is the reassembled message."""

    def test_10_1_1_autofragment_1300(self, echo):
        text = b"*" * 65536
        with WS(echo.port) as ws:
            ws.send(*fragments(OP_TEXT, text, 1300))
            expect_echo(ws, OP_TEXT, text)

    @pytest.mark.parametrize("opcode", [OP_TEXT, OP_BINARY], ids=["text", "binary"])
    def test_any_fragment_size(self, echo, opcode):
        rnd = random.Random(10)
        data = "".join(rnd.choice("abcµ€😀 ") for _ in range(30000)).encode()
        if opcode == OP_BINARY:
            data = rnd.randbytes(65536)
        with WS(echo.port) as ws:
            for size in (2, 3, 7, 125, 126, 127, 1300, 4093, 65535, 65536, len(data)):
                ws.send(*fragments(opcode, data, size))
                expect_echo(ws, opcode, data)
            # random sizes, control frames in between
            pos, frames, pongs = 0, [], []
            while pos < len(data):
                n = rnd.randint(1, 9000)
                last = pos + n >= len(data)
                frames.append(frame(opcode if pos == 0 else OP_CONT, data[pos:pos + n], fin=last))
                pos += n
                if not last and rnd.random() < 0.3:
                    pongs.append(b"p%d" % pos)
                    frames.append(frame(OP_PING, pongs[-1]))
            ws.send(*frames)
            for p in pongs:
                expect_pong(ws, p)
            expect_echo(ws, opcode, data)


# ================================================================ 12 / 13 permessage-deflate


def _corpus():
    """Test data in the spirit of Autobahn 12.x: JSON (text), German prose with umlauts and
    a grey-scale bitmap (binary); each 256 KiB."""
    rnd = random.Random(12)
    words = ["user", "message", "channel", "general", "seq", "text", "ts", "alice", "bob"]
    items = []
    while sum(map(len, items)) < 300000:
        i = len(items)
        items.append('{"id": %d, "type": "%s", "payload": {"user": "%s%d", "text": "%s", '
                     '"ts": %d}}' % (i, rnd.choice(words), rnd.choice(words), rnd.randint(0, 99),
                                     " ".join(rnd.choice(words) for _ in range(rnd.randint(1, 9))),
                                     1700000000000 + rnd.randint(0, 10 ** 6)))
    js = ("[" + ", ".join(items) + "]").encode()[:256 * 1024]
    verse = ("Habe nun, ach! Philosophie, Juristerei und Medizin, und leider auch Theologie "
             "durchaus studiert, mit heißem Bemühn. Da steh ich nun, ich armer Tor! Und bin so "
             "klug als wie zuvor; heiße Magister, heiße Doktor gar. Zwar bin ich gescheiter "
             "als all die Laffen, Doktoren, Magister, Schreiber und Pfaffen; ").encode()
    prose = (verse * (256 * 1024 // len(verse) + 1))[:256 * 1024]
    bitmap = bytes(((x * y) >> 6 ^ (x + y) >> 3) & 0xF8 for y in range(512) for x in range(512))
    return {"json": (OP_TEXT, js), "prose": (OP_BINARY, prose), "bitmap": (OP_BINARY, bitmap)}


CORPUS = _corpus()
SIZES_12 = [16, 64, 256, 1024, 4096, 8192, 16384, 32768, 65536, 131072]
AUTOFRAG_12 = [(8192, 256), (16384, 256), (32768, 256), (65536, 256), (131072, 256),
               (131072, 1024), (131072, 4096), (131072, 32768)]


def send_compressed(ws, opcode, data, fragment=0, wbits=15):
    payload = deflate(data, wbits)
    if fragment:
        ws.send(*fragments(opcode, payload, fragment, rsv=4))
    else:
        ws.send(frame(opcode, payload, rsv=4))


def echo_series(ws, opcode, corpus, size, count, fragment=0, wbits=15, compressed_reply=True):
    """Autobahn 12.x: count messages of `size` bytes taken in turn from the corpus, each
    compressed, awaited before the next."""
    pos = 0
    for _ in range(count):
        msg = (corpus[pos:] + corpus)[:size]
        pos = (pos + size) % len(corpus)
        send_compressed(ws, opcode, msg, fragment, wbits)
        want = compressed_reply and size >= 64 and len(deflate(msg)) < size
        expect_echo(ws, opcode, msg, compressed=want)


class TestPermessageDeflate:
    """Autobahn 12.x (default offer; echo of compressed messages of many sizes, plain and
    auto-fragmented) and RFC 7692 rules around it."""

    OFFER = "permessage-deflate; client_max_window_bits"  # Autobahn's default offer

    def test_negotiation(self, echo):
        with WS(echo.port, self.OFFER) as ws:
            assert ws.extensions == PMD_DEFAULT + "; client_max_window_bits=15"
        with WS(echo.port, "permessage-deflate") as ws:
            assert ws.extensions == PMD_DEFAULT
        with WS(echo.port) as ws:
            assert ws.extensions is None

    @pytest.mark.parametrize("name", list(CORPUS))
    def test_12_x_sizes(self, echo, name):
        """12.x.1-12.x.10: 16 B ... 128 KiB, 10 messages each (Autobahn: 1000)."""
        opcode, corpus = CORPUS[name]
        with WS(echo.port, self.OFFER, timeout=10) as ws:
            dl = Deadline(15, f"12.x sizes ({name})")
            for size in SIZES_12:
                echo_series(ws, opcode, corpus, size, 10)
                dl.check()

    @pytest.mark.parametrize("name", list(CORPUS))
    def test_12_x_autofragment(self, echo, name):
        """12.x.11-12.x.18: the compressed payload in fragments of 256 B ... 32 KiB, RSV1
        on the first only."""
        opcode, corpus = CORPUS[name]
        with WS(echo.port, self.OFFER, timeout=10) as ws:
            dl = Deadline(15, f"12.x autofragment ({name})")
            for size, frag in AUTOFRAG_12:
                echo_series(ws, opcode, corpus, size, 5, fragment=frag)
                dl.check()

    def test_short_and_incompressible_go_plain(self, echo):
        """Under 64 bytes, or not shrinking: the reply has RSV1 clear. 64 compressible
        bytes and more: RSV1 set."""
        with WS(echo.port, self.OFFER) as ws:
            for n in (1, 16, 63):
                send_compressed(ws, OP_TEXT, b"a" * n)
                expect_echo(ws, OP_TEXT, b"a" * n, compressed=False)
            for n in (64, 65, 1000):
                send_compressed(ws, OP_TEXT, b"a" * n)
                expect_echo(ws, OP_TEXT, b"a" * n, compressed=True)
            noise = random.Random(4).randbytes(4096)
            send_compressed(ws, OP_BINARY, noise)
            expect_echo(ws, OP_BINARY, noise, compressed=False)

    def test_large_repetitive_messages_come_back_compressed(self, echo):
        with WS(echo.port, self.OFFER, timeout=20) as ws:
            for opcode, size in ((OP_TEXT, 4 * MIB), (OP_BINARY, 16 * MIB)):
                data = b"0123456789abcdef" * (size // 16)
                send_compressed(ws, opcode, data)
                f = expect_echo(ws, opcode, data, compressed=True)
                assert len(f.payload) < size // 100

    def test_plain_and_compressed_interleaved(self, echo):
        """RSV1 decides per message; every compressed message starts from an empty window
        (client_no_context_takeover), whatever came before."""
        msgs = [b"first message, plain " * 5, b"second message, compressed " * 5,
                b"third message, plain" * 5, b"second message, compressed " * 5, b"", b"x"]
        with WS(echo.port, self.OFFER) as ws:
            for i, m in enumerate(msgs):
                if i % 2:
                    send_compressed(ws, OP_TEXT, m)
                else:
                    ws.send(frame(OP_TEXT, m))
                expect_echo(ws, OP_TEXT, m)

    @pytest.mark.parametrize("payload", [b"", b"\x00", b"\x02\x00", deflate(b"", final=True)],
                             ids=["no-bytes", "stored-empty", "fixed-empty", "final-empty"])
    def test_empty_compressed_message(self, echo, payload):
        with WS(echo.port, self.OFFER) as ws:
            for op in (OP_TEXT, OP_BINARY):
                ws.send(frame(op, payload, rsv=4))
                expect_echo(ws, op, b"", compressed=False)

    def test_deflate_block_forms(self, echo):
        """RFC 7692 7.2.3: a BFINAL block (no tail to strip), stored blocks (level 0),
        several sync-flushed blocks in one message, a full flush in the middle."""
        data = CORPUS["json"][1][:20000]
        c = zlib.compressobj(6, zlib.DEFLATED, -15)
        multi = (c.compress(data[:7000]) + c.flush(zlib.Z_SYNC_FLUSH) +
                 c.compress(data[7000:13000]) + c.flush(zlib.Z_FULL_FLUSH) +
                 c.compress(data[13000:]) + c.flush(zlib.Z_SYNC_FLUSH))[:-4]
        forms = {"final": deflate(data, final=True), "stored": deflate(data, level=0),
                 "stored-final": deflate(data, level=0, final=True), "multi-block": multi,
                 "level-9": deflate(data, level=9), "level-1": deflate(data, level=1)}
        with WS(echo.port, self.OFFER) as ws:
            for name, payload in forms.items():
                assert inflate(payload) == data, name
                ws.send(frame(OP_TEXT, payload, rsv=4))
                expect_echo(ws, OP_TEXT, data, compressed=True)

    def test_fragmented_compressed_with_control_frames(self, echo):
        data = CORPUS["prose"][1][:50000]
        payload = deflate(data)
        parts = chops(payload, len(payload) // 4 + 1)
        with WS(echo.port, self.OFFER) as ws:
            ws.send(frame(OP_BINARY, parts[0], fin=False, rsv=4), frame(OP_PING, b"one"),
                    frame(OP_CONT, parts[1], fin=False), frame(OP_PONG, b"unsolicited"),
                    frame(OP_CONT, parts[2], fin=False), frame(OP_PING, b"two"),
                    frame(OP_CONT, parts[3]))
            expect_pong(ws, b"one")
            expect_pong(ws, b"two")
            expect_echo(ws, OP_BINARY, data, compressed=True)
            # an empty first fragment carrying RSV1, the data in continuations
            ws.send(frame(OP_BINARY, b"", fin=False, rsv=4),
                    *(frame(OP_CONT, p, fin=False) for p in parts), frame(OP_CONT, b""))
            expect_echo(ws, OP_BINARY, data, compressed=True)

    def test_two_connections_interleave_compressed_messages(self, echo):
        """The server inflates with one shared inflater: two connections whose compressed
        messages interleave fragment by fragment both get their own message back."""
        a_data, b_data = CORPUS["json"][1][:30000], CORPUS["bitmap"][1][:30000]
        a_parts, b_parts = [chops(p, len(p) // 8 + 1) for p in (deflate(a_data), deflate(b_data))]
        assert len(a_parts) == len(b_parts) == 8
        with WS(echo.port, self.OFFER) as a, WS(echo.port, self.OFFER) as b:
            for ws, op, parts in ((a, OP_TEXT, a_parts), (b, OP_BINARY, b_parts)):
                ws.send(frame(op, parts[0], fin=False, rsv=4))
            for i in range(1, max(len(a_parts), len(b_parts))):
                for ws, parts in ((a, a_parts), (b, b_parts)):
                    if i < len(parts):
                        ws.send(frame(OP_CONT, parts[i], fin=i == len(parts) - 1))
                # a whole compressed message from the other side in between
                if i == 3:
                    with WS(echo.port, self.OFFER) as c:
                        send_compressed(c, OP_TEXT, b"third party " * 20)
                        expect_echo(c, OP_TEXT, b"third party " * 20, compressed=True)
            expect_echo(a, OP_TEXT, a_data, compressed=True)
            expect_echo(b, OP_BINARY, b_data, compressed=True)

    def test_rsv1_on_continuation_1002(self, echo):
        payload = deflate(b"Hello, compressed world! " * 10)
        fails(echo.port, frame(OP_TEXT, payload[:10], fin=False, rsv=4) +
              frame(OP_CONT, payload[10:], rsv=4), 1002, self.OFFER)
        fails(echo.port, frame(OP_TEXT, b"plain ", fin=False) + frame(OP_CONT, payload, rsv=4),
              1002, self.OFFER)

    @pytest.mark.parametrize("opcode", [OP_PING, OP_PONG, OP_CLOSE], ids=["ping", "pong", "close"])
    def test_rsv1_on_control_1002(self, echo, opcode):
        payload = close_payload(1000) if opcode == OP_CLOSE else b"ping"
        fails(echo.port, frame(opcode, payload, rsv=4), 1002, self.OFFER)
        fails(echo.port, frame(opcode, deflate(payload), rsv=4), 1002, self.OFFER)

    def test_rsv2_rsv3_still_1002(self, echo):
        payload = deflate(b"Hello " * 20)
        for rsv in (1, 2, 3, 5, 6, 7):
            fails(echo.port, frame(OP_TEXT, payload, rsv=rsv), 1002, self.OFFER, what=f"rsv {rsv}")

    def test_garbage_deflate_1007(self, echo):
        c = zlib.compressobj(6, zlib.DEFLATED, -15, zdict=b"The quick brown fox jumps " * 40)
        needs_dict = c.compress(b"The quick brown fox jumps " * 10) + c.flush(zlib.Z_SYNC_FLUSH)
        garbage = {
            "reserved block type": b"\x07\x00\x00\x00\x00",
            "reserved block type, not final": b"\x06garbage",
            "stored lengths mismatch": b"\x00\x05\x00\x00\x00hello",
            "all ones": b"\xff" * 32,
            "distance too far back": needs_dict[:-4],
            "data after a final block": deflate(b"hello " * 20, final=True) + b"\x07garbage",
        }
        for name, payload in garbage.items():
            with pytest.raises(zlib.error):  # our oracle agrees it is broken
                d = zlib.decompressobj(-15)
                d.decompress(payload + TAIL)
                if d.eof:
                    zlib.decompressobj(-15).decompress(d.unused_data)
            for op in (OP_TEXT, OP_BINARY):
                fails(echo.port, frame(op, payload, rsv=4), 1007, self.OFFER, what=name)
            healthy(echo.port, deflate=True)  # the shared inflater recovered

    def test_inflated_text_invalid_utf8_1007(self, echo):
        for bad in (b"\xff", KOSME + b"\xed\xa0\x80edited", b"ends inside \xe2\x82"):
            fails(echo.port, frame(OP_TEXT, deflate(bad * 10), rsv=4), 1007, self.OFFER, what=bad)
        with WS(echo.port, self.OFFER) as ws:  # the same bytes in binary are fine
            send_compressed(ws, OP_BINARY, b"\xff" * 100)
            expect_echo(ws, OP_BINARY, b"\xff" * 100, compressed=True)

    def test_decompression_bomb_1009(self, echo_1m):
        """20 MB of zeros (about 20 KB compressed) against --max-frame 1m: closed 1009 at
        once; the server is fine afterwards."""
        bomb = deflate(bytes(20_000_000), level=9)
        assert len(bomb) < 30000
        for op in (OP_TEXT, OP_BINARY):
            t = time.monotonic()
            fails(echo_1m.port, frame(op, bomb, rsv=4), 1009, self.OFFER)
            assert time.monotonic() - t < 2
            healthy(echo_1m.port, deflate=True)

    def test_inflated_size_limit_boundary(self, echo_1m):
        """Exactly --max-frame once inflated is fine; one byte more is 1009."""
        with WS(echo_1m.port, self.OFFER) as ws:
            send_compressed(ws, OP_BINARY, bytes(MIB))
            expect_echo(ws, OP_BINARY, bytes(MIB), compressed=True)
        fails(echo_1m.port, frame(OP_BINARY, deflate(bytes(MIB + 1)), rsv=4), 1009, self.OFFER)

    def test_deflate_off(self, echo_nodeflate):
        with WS(echo_nodeflate.port, self.OFFER) as ws:
            assert ws.extensions is None
            ws.send(frame(OP_TEXT, b"a" * 1000))
            expect_echo(ws, OP_TEXT, b"a" * 1000, compressed=False)
        fails(echo_nodeflate.port, frame(OP_TEXT, deflate(b"a" * 1000), rsv=4), 1002, self.OFFER)


def ext_params(value):
    """'permessage-deflate; a; b=1' -> ('permessage-deflate', {'a': None, 'b': '1'})."""
    name, *params = [p.strip() for p in value.split(";")]
    out = {}
    for p in params:
        k, _, v = p.partition("=")
        assert k not in out, f"parameter {k} twice in {value!r}"
        out[k.strip()] = v.strip().strip('"') if v else None
    return name, out


class TestDeflateParameters:
    """Autobahn 13.x: the client's offer varies (server_no_context_takeover,
    server_max_window_bits); the echo must be right whatever was agreed."""

    # (offer header, the server_max_window_bits agreed, or None when not in the answer)
    OFFERS_13 = [
        ("permessage-deflate; client_max_window_bits", None),
        ("permessage-deflate; client_max_window_bits; server_no_context_takeover", None),
        ("permessage-deflate; client_max_window_bits; server_max_window_bits=8", 8),
        ("permessage-deflate; client_max_window_bits; server_max_window_bits=15", 15),
        ("permessage-deflate; client_max_window_bits; server_no_context_takeover; "
         "server_max_window_bits=8", 8),
        ("permessage-deflate; client_max_window_bits; server_no_context_takeover; "
         "server_max_window_bits=15", 15),
        ("permessage-deflate; client_max_window_bits; server_no_context_takeover; "
         "server_max_window_bits=8, permessage-deflate; client_max_window_bits; "
         "server_no_context_takeover, permessage-deflate; client_max_window_bits", 8),
        # not in Autobahn: the client offering client_no_context_takeover itself
        ("permessage-deflate; client_no_context_takeover; client_max_window_bits", None),
    ]

    @pytest.mark.parametrize("offer,smwb", OFFERS_13,
                             ids=[f"13.{i}" for i in range(1, 8)] + ["client-nct"])
    def test_13_x(self, echo, offer, smwb):
        opcode, corpus = CORPUS["json"]
        with WS(echo.port, offer, timeout=10) as ws:
            name, params = ext_params(ws.extensions)
            want = {"server_no_context_takeover": None, "client_no_context_takeover": None,
                    "client_max_window_bits": "15"}
            if smwb is not None:
                want["server_max_window_bits"] = str(smwb)
            assert (name, params) == ("permessage-deflate", want), ws.extensions
            for size in SIZES_12:
                echo_series(ws, opcode, corpus, size, 3, compressed_reply=smwb in (None, 15))
            for size, frag in AUTOFRAG_12[::3]:
                echo_series(ws, opcode, corpus, size, 2, fragment=frag,
                            compressed_reply=smwb in (None, 15))

    @pytest.mark.parametrize("bits", range(8, 16))
    def test_server_max_window_bits(self, echo, bits):
        """A smaller server window than 15 is agreed, and then every reply is plain."""
        with WS(echo.port, f"permessage-deflate; server_max_window_bits={bits}") as ws:
            assert ext_params(ws.extensions) == ("permessage-deflate", {
                "server_no_context_takeover": None, "client_no_context_takeover": None,
                "server_max_window_bits": str(bits)}), ws.extensions
            data = CORPUS["json"][1][:40000]
            send_compressed(ws, OP_TEXT, data)
            expect_echo(ws, OP_TEXT, data, compressed=bits == 15)
            ws.send(frame(OP_TEXT, data))
            expect_echo(ws, OP_TEXT, data, compressed=bits == 15)

    @pytest.mark.parametrize("bits", range(9, 16))
    def test_client_max_window_bits(self, echo, bits):
        """The client announces a window; the server answers with it and inflates what
        the client compressed with it."""
        with WS(echo.port, f"permessage-deflate; client_max_window_bits={bits}") as ws:
            assert ext_params(ws.extensions)[1]["client_max_window_bits"] == str(bits)
            data = CORPUS["prose"][1][:100000]
            send_compressed(ws, OP_BINARY, data, wbits=bits)
            expect_echo(ws, OP_BINARY, data, compressed=True)

    def test_quoted_and_cased_values(self, echo):
        with WS(echo.port, 'Permessage-Deflate; Client_Max_Window_Bits="10"') as ws:
            assert ext_params(ws.extensions)[1]["client_max_window_bits"] == "10"

    @pytest.mark.parametrize("offer", [
        "permessage-deflate; foo", "permessage-deflate; foo=1",
        "permessage-deflate; client_max_window_bits=16",
        "permessage-deflate; client_max_window_bits=7",
        "permessage-deflate; client_max_window_bits=010",
        "permessage-deflate; server_max_window_bits",
        "permessage-deflate; server_max_window_bits=16",
        "permessage-deflate; server_max_window_bits=7",
        "permessage-deflate; server_no_context_takeover; server_no_context_takeover",
        "permessage-deflate; server_no_context_takeover=1",
        "permessage-deflate; client_no_context_takeover=true",
        "permessage-deflate; client_max_window_bits=10; client_max_window_bits=11",
        "x-webkit-deflate-frame", "deflate-frame", "permessage-foo",
    ])
    def test_unacceptable_offer_declined(self, echo, offer):
        """Unknown, repeated or invalid parameters: the offer is declined (no extension in
        the 101), the connection works, and RSV1 is then a protocol error."""
        with WS(echo.port, offer) as ws:
            assert ws.extensions is None, ws.extensions
            ws.send(frame(OP_TEXT, b"z" * 500))
            expect_echo(ws, OP_TEXT, b"z" * 500, compressed=False)
        fails(echo.port, frame(OP_TEXT, deflate(b"z" * 500), rsv=4), 1002, offer)

    def test_first_acceptable_offer_wins(self, echo):
        offers = ("x-webkit-deflate-frame, permessage-deflate; foo, "
                  "permessage-deflate; server_max_window_bits=12, permessage-deflate")
        with WS(echo.port, offers) as ws:
            assert ext_params(ws.extensions)[1].get("server_max_window_bits") == "12"
            data = b"abcdefgh" * 100
            send_compressed(ws, OP_TEXT, data)
            expect_echo(ws, OP_TEXT, data, compressed=False)


def test_servers_survived(echo, echo_1m, echo_nodeflate):
    """Last: after everything above, each server still answers."""
    for s in (echo, echo_1m, echo_nodeflate):
        healthy(s.port)
