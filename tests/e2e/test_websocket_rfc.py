"""RFC 6455 framing as parley enforces it (docs/protocol.md, "WebSocket rules" and the close
code table), driven through a raw socket so every frame can be malformed on purpose."""
import json
import socket
import struct

from wsraw import (OP_BINARY, OP_CLOSE, OP_CONT, OP_PING, OP_PONG, OP_TEXT, Client, RawWS,
                   SockReader, build_frame, close_payload, connect, read_response, run,
                   upgrade_request)


def joined(server, user="alice", path="/ws"):
    ws = RawWS(server.port, path)
    w = ws.join(user)
    assert w["payload"]["user"] == user
    ws.recv_json("history", skip=())
    ws.recv_json("join", skip=())
    return ws


def ping_pong_json(ws, id="p"):
    """A JSON ping round trip: proves the connection still works."""
    ws.send_json("ping", id=id)
    pong = ws.recv_json("pong", skip=("join", "leave", "typing", "msg", "ack"))
    assert pong["id"] == id
    return pong


def expect_protocol_error(server, data, code, path="/ws"):
    with RawWS(server.port, path) as ws:
        ws.send_raw(data)
        ws.expect_close(code)


# ---------------------------------------------------------------- frame-level violations


def test_unmasked_frame_1002(server):
    expect_protocol_error(server, build_frame(OP_TEXT, b'{"type":"ping"}', mask=False), 1002)
    # even a control frame must be masked
    expect_protocol_error(server, build_frame(OP_PING, b"x", mask=False), 1002)


def test_reserved_bits_1002(server):
    for rsv in (1, 2, 4, 7):
        expect_protocol_error(server, build_frame(OP_TEXT, b'{"type":"ping"}', rsv=rsv), 1002)
    expect_protocol_error(server, build_frame(OP_PING, b"", rsv=4), 1002)


def test_unknown_opcodes_1002(server):
    for op in (0x3, 0x7, 0xB, 0xF):
        expect_protocol_error(server, build_frame(op, b"x"), 1002)


def test_continuation_without_start_1002(server):
    expect_protocol_error(server, build_frame(OP_CONT, b"abc", fin=True), 1002)
    expect_protocol_error(server, build_frame(OP_CONT, b"abc", fin=False), 1002)


def test_new_message_inside_fragmented_one_1002(server):
    data = build_frame(OP_TEXT, b'{"type":', fin=False) + build_frame(OP_TEXT, b'"ping"}')
    expect_protocol_error(server, data, 1002)
    data = build_frame(OP_TEXT, b'{"type":', fin=False) + build_frame(OP_BINARY, b"x")
    expect_protocol_error(server, data, 1002)


def test_control_frame_over_125_bytes_1002(server):
    expect_protocol_error(server, build_frame(OP_PING, b"p" * 126), 1002)
    expect_protocol_error(server, build_frame(OP_CLOSE, close_payload(1000, b"r" * 124)), 1002)


def test_fragmented_control_frame_1002(server):
    expect_protocol_error(server, build_frame(OP_PING, b"x", fin=False), 1002)
    expect_protocol_error(server, build_frame(OP_PONG, b"x", fin=False), 1002)


# ---------------------------------------------------------------- fragmentation


def test_fragmented_text_with_interleaved_ping(server):
    with RawWS(server.port, "/ws") as ws:
        ws.send_frame(OP_TEXT, b'{"type":', fin=False)
        ws.send_frame(OP_PING, b"mid-message")
        ws.send_frame(OP_CONT, b'"ping",', fin=False)
        ws.send_frame(OP_PONG, b"unsolicited")  # ignored
        ws.send_frame(OP_CONT, b'"id":"frag"}', fin=True)
        pong = ws.recv_frame()
        assert pong.opcode == OP_PONG and pong.payload == b"mid-message"
        answer = ws.recv_data()
        assert answer.opcode == OP_TEXT
        assert answer.json()["type"] == "pong" and answer.json()["id"] == "frag"


def test_fragmented_message_many_pieces(server):
    ws = joined(server)
    text = "piece " * 100
    body = json.dumps({"type": "msg", "payload": {"text": text}}).encode()
    pieces = [body[i:i + 7] for i in range(0, len(body), 7)]
    ws.send_frame(OP_TEXT, pieces[0], fin=False)
    for p in pieces[1:-1]:
        ws.send_frame(OP_CONT, p, fin=False)
    ws.send_frame(OP_CONT, pieces[-1], fin=True)
    assert ws.recv_json("ack")["payload"]["seq"] == 1
    assert ws.recv_json("msg")["payload"]["text"] == text
    ws.close()


def test_utf8_split_across_fragments_is_fine(server):
    ws = joined(server)
    body = json.dumps({"type": "msg", "payload": {"text": "café €😀"}},
                      ensure_ascii=False).encode()
    # cut inside the 2-byte é, the 3-byte € and the 4-byte 😀
    e = body.index("é".encode()) + 1
    eu = body.index("€".encode()) + 2
    em = body.index("😀".encode()) + 3
    ws.send_frame(OP_TEXT, body[:e], fin=False)
    ws.send_frame(OP_CONT, body[e:eu], fin=False)
    ws.send_frame(OP_CONT, body[eu:em], fin=False)
    ws.send_frame(OP_CONT, body[em:], fin=True)
    ws.recv_json("ack")
    assert ws.recv_json("msg")["payload"]["text"] == "café €😀"
    ws.close()


def test_close_between_fragments_is_answered(server):
    with RawWS(server.port, "/ws") as ws:
        ws.send_frame(OP_TEXT, b'{"type":', fin=False)
        ws.send_close(1000)
        ws.expect_close(1000)


def test_frames_split_and_coalesced_on_the_wire(server):
    frame = build_frame(OP_TEXT, b'{"type":"ping","id":"x","pad":"' + b"x" * 300 + b'"}')
    with RawWS(server.port, "/ws") as ws:
        ws.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for i in range(len(frame)):  # one byte per write
            ws.send_raw(frame[i:i + 1])
        assert ws.recv_data().json()["id"] == "x"
        # three frames (two of them control) in one write
        ws.send_raw(build_frame(OP_PING, b"1") + build_frame(OP_TEXT, b'{"type":"ping","id":2}') +
                    build_frame(OP_PING, b"3"))
        got = [ws.recv_frame() for _ in range(3)]
        # Pongs come from the connection's loop, chat replies from the hub's (--threads):
        # a pong may overtake the reply to an earlier message, never another pong.
        pongs = [f.payload for f in got if f.opcode == OP_PONG]
        replies = [f.json()["id"] for f in got if f.opcode == OP_TEXT]
        assert pongs == [b"1", b"3"] and replies == [2]


def test_first_frame_in_the_handshake_packet(server):
    """Bytes after the upgrade request are already the first frames."""
    with connect(server.port) as s:
        s.sendall(upgrade_request("/ws") + build_frame(OP_TEXT, b'{"type":"ping","id":1}'))
        reader = SockReader(s)
        assert read_response(reader).status == 101
        ws = RawWS.__new__(RawWS)  # adopt the socket
        ws.sock, ws.reader = s, reader
        pong = ws.recv_data().json()
        assert (pong["type"], pong["id"]) == ("pong", 1)


# ---------------------------------------------------------------- UTF-8


INVALID_UTF8 = [
    b"\xff",              # never valid
    b"\x80",              # a lone continuation byte
    b"\xc0\xaf",          # overlong "/"
    b"\xed\xa0\x80",      # a UTF-16 surrogate
    b"\xf4\x90\x80\x80",  # past U+10FFFF
    b"\xe2\x82",          # truncated, then more ASCII
]


def test_invalid_utf8_text_1007(server):
    for bad in INVALID_UTF8:
        try:
            expect_protocol_error(server, build_frame(OP_TEXT, b'{"type":"' + bad + b'"}'), 1007)
        except AssertionError as e:
            raise AssertionError(f"{bad!r}: {e}") from None
    # a message that ends inside a character
    expect_protocol_error(server, build_frame(OP_TEXT, b'caf\xc3'), 1007)


def test_invalid_utf8_fails_before_message_ends(server):
    with RawWS(server.port, "/ws") as ws:
        # the message is never finished: the bad byte alone must fail it
        ws.send_frame(OP_TEXT, b'{"type":"\xff', fin=False)
        ws.expect_close(1007)


def test_invalid_utf8_in_text_mode_1007(server):
    expect_protocol_error(server, build_frame(OP_TEXT, b"hi \xfe"), 1007, path="/ws/1")


def test_binary_frames_need_no_utf8(server):
    ws = joined(server)
    ws.send_frame(OP_BINARY, b"\xff\xfe\x00")
    assert ws.recv_json("error")["code"] == "bad_json"
    ping_pong_json(ws)
    ws.close()


def test_close_reason_invalid_utf8_1007(server):
    expect_protocol_error(server, build_frame(OP_CLOSE, close_payload(1000, b"bye \xff")), 1007)


# ---------------------------------------------------------------- close handshake


def test_close_code_is_echoed(server):
    for code in (1000, 1001, 1003, 1011, 3000, 4999):
        with RawWS(server.port, "/ws") as ws:
            ws.send_close(code, "bye ✓")
            ws.expect_close(code)


def test_empty_close_is_answered(server):
    with RawWS(server.port, "/ws") as ws:
        ws.send_close()
        f = ws.expect_close()
        assert f.close_code in (None, 1000)


def test_invalid_close_code_1002(server):
    for code in (0, 999, 1004, 1005, 1006, 1015, 2999, 5000):
        try:
            expect_protocol_error(server, build_frame(OP_CLOSE, close_payload(code)), 1002)
        except AssertionError as e:
            raise AssertionError(f"close code {code}: {e}") from None


def test_one_byte_close_payload_1002(server):
    expect_protocol_error(server, build_frame(OP_CLOSE, b"\x03"), 1002)


def test_close_after_join_announces_leave(server):
    async def flow():
        obs, _, _ = await Client.joined(server, "observer")
        ws = joined(server, "rawuser")
        assert (await obs.recv_json("join"))["payload"]["user"] == "rawuser"
        ws.send_close(1000)
        ws.expect_close(1000)
        leave = await obs.recv_json("leave", skip=())
        assert leave["payload"]["user"] == "rawuser"
        await obs.close()

    run(flow())


# ---------------------------------------------------------------- sizes and lengths


def padded_ping(total, id="big"):
    """A JSON ping of exactly `total` bytes (an ignored "pad" field fills it)."""
    base = json.dumps({"type": "ping", "id": id, "pad": ""}).encode()
    out = base[:-2] + b"x" * (total - len(base)) + base[-2:]
    assert len(out) == total
    return out


def test_length_encodings_7_and_16_bit(server):
    with RawWS(server.port, "/ws") as ws:
        for size, form in ((125, 7), (126, 16), (1000, 16), (65535, 16), (65536, 64)):
            ws.send_frame(OP_TEXT, padded_ping(size, id=str(size)), length=form)
            pong = ws.recv_data().json()
            assert pong["type"] == "pong" and pong["id"] == str(size), size


def test_64_bit_length_frame(make_server):
    server = make_server("--max-frame", "200000")
    with RawWS(server.port, "/ws") as ws:
        ws.send_frame(OP_TEXT, padded_ping(150000), length=64)
        assert ws.recv_data().json()["id"] == "big"


def test_frame_over_64k_1009(server):
    with RawWS(server.port, "/ws") as ws:
        head = build_frame(OP_TEXT, b"x" * 65537)
        ws.send_raw(head[:14 + 100])  # header, mask and a little: no need for the rest
        ws.expect_close(1009)


def test_reassembled_message_over_64k_1009(server):
    with RawWS(server.port, "/ws") as ws:
        ws.send_frame(OP_TEXT, b'{"type":"ping","pad":"' + b"x" * 40000, fin=False)
        ws.send_frame(OP_CONT, b"x" * 30000, fin=False)
        ws.expect_close(1009)


def test_max_frame_flag(make_server):
    server = make_server("--max-frame", "1000")
    with RawWS(server.port, "/ws") as ws:
        ws.send_frame(OP_TEXT, padded_ping(1000))
        assert ws.recv_data().json()["type"] == "pong"
        ws.send_frame(OP_TEXT, padded_ping(1001))
        ws.expect_close(1009)


# ---------------------------------------------------------------- ping / pong


def test_ping_is_answered_with_same_payload(server):
    with RawWS(server.port, "/ws/5") as ws:
        assert ws.recv_data().text() == "Client #5 has entered the chat"
        for payload in (b"", b"abc", bytes(range(125))):
            ws.send_frame(OP_PING, payload)
            f = ws.recv_frame()
            assert f.opcode == OP_PONG and f.payload == payload and f.fin


# ---------------------------------------------------------------- isolation


def test_protocol_error_does_not_disturb_others(server):
    async def flow():
        alice, _, _ = await Client.joined(server, "alice")
        cid = RawWS(server.port, "/ws/8")
        assert cid.recv_data().text() == "Client #8 has entered the chat"
        bad_frames = [build_frame(OP_TEXT, b"x", mask=False), build_frame(OP_TEXT, b"\xff"),
                      build_frame(0x3, b""), build_frame(OP_CLOSE, close_payload(999)),
                      b"\x81\xff" + struct.pack("!Q", 1 << 63)]
        for raw in bad_frames:
            with RawWS(server.port, "/ws") as bad:
                bad.send_raw(raw)
                bad.expect_close()
        ack = await alice.msg("still here")
        assert ack["payload"]["seq"] == 1
        assert cid.recv_data().text() == "alice: still here"
        await alice.ping()
        cid.close()
        await alice.close()

    run(flow())
