"""HTTP side of parley (docs/protocol.md, "Endpoints"): the embedded web client, health,
metrics, error statuses, the WebSocket handshake's failures, keep-alive, subprotocols.
Everything here is raw sockets, so each byte sent is the test's choice."""
import gzip
import json
import re

from wsraw import (Client, RawWS, SockReader, accept_for, connect, get, http_request, metric,
                   read_response, run, upgrade_request)


def test_index_html_with_test_hooks(server):
    r = get(server.port, "/")
    assert r.status == 200
    assert r.header("content-type").startswith("text/html")
    assert int(r.header("content-length")) == len(r.body)
    html = r.body.decode()
    assert "<html" in html.lower()
    for hook in ("login-name", "login-submit", "composer", "connection-status"):
        assert f'data-testid="{hook}"' in html, hook


def test_static_assets_content_types(server):
    for path, ctype in (("/app.js", ("text/javascript", "application/javascript")),
                        ("/search.js", ("text/javascript", "application/javascript")),
                        ("/messages.js", ("text/javascript", "application/javascript")),
                        ("/list.js", ("text/javascript", "application/javascript")),
                        ("/composer.js", ("text/javascript", "application/javascript")),
                        ("/threads.js", ("text/javascript", "application/javascript")),
                        ("/mentions.js", ("text/javascript", "application/javascript")),
                        ("/format.js", ("text/javascript", "application/javascript")),
                        # generated at build time (tools/emoji/gen.py), embedded beside web/*
                        ("/emoji_data.js", ("text/javascript", "application/javascript")),
                        ("/style.css", ("text/css",)),
                        ("/favicon.svg", ("image/svg+xml",))):
        r = get(server.port, path)
        assert r.status == 200, path
        assert r.header("content-type").split(";")[0].strip() in ctype, (path, r.headers)
        assert len(r.body) > 0


def test_head_has_length_but_no_body(server):
    full = get(server.port, "/")
    with connect(server.port) as s:
        s.sendall(b"HEAD / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\nGET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        reader = SockReader(s)
        r = read_response(reader, head_only=True)
        assert r.status == 200
        assert int(r.header("content-length")) == len(full.body)
        # the next bytes are the next response, not a body
        r2 = read_response(reader)
        assert r2.status == 200 and r2.json() == {"status": "ok"}


# ---- the web client's files: gzip and revalidation (docs/architecture.md, "ui") ----

WEB_FILES = ("/", "/index.html", "/app.js", "/messages.js", "/style.css", "/favicon.svg")


def test_static_files_gzip_decompress_to_the_same_bytes(server):
    saved = 0
    for path in WEB_FILES:
        plain = get(server.port, path)
        z = get(server.port, path, ["Accept-Encoding: gzip, deflate, br"])
        assert plain.status == 200 and z.status == 200, path
        assert plain.header("content-encoding") is None, path
        assert plain.header("vary") == "Accept-Encoding" and z.header("vary") == "Accept-Encoding"
        if z.header("content-encoding") is None:  # too small to gain: sent as it is
            assert z.body == plain.body, path
            continue
        assert z.header("content-encoding") == "gzip", path
        assert int(z.header("content-length")) == len(z.body) < len(plain.body), path
        assert gzip.decompress(z.body) == plain.body, path
        assert z.header("etag") != plain.header("etag"), path  # two representations
        assert z.header("content-type") == plain.header("content-type"), path
        saved += len(plain.body) - len(z.body)
    assert saved > 20000  # the big scripts and the stylesheet shrink
    # the same with HEAD: the gzip form's length, no body
    z = get(server.port, "/app.js", ["Accept-Encoding: gzip"])
    with connect(server.port) as s:
        s.sendall(b"HEAD /app.js HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept-Encoding: gzip\r\n\r\n")
        h = read_response(SockReader(s), head_only=True)
    assert h.status == 200 and h.body == b"" and h.header("content-encoding") == "gzip"
    assert h.header("content-length") == z.header("content-length")
    assert h.header("etag") == z.header("etag")


def test_static_files_accept_encoding_q_values(server):
    """gzip only when its weight is above zero and not below identity's."""
    def enc(ae):
        r = get(server.port, "/app.js", [f"Accept-Encoding: {ae}"])
        assert r.status == 200, ae
        return r.header("content-encoding")
    for ae in ("gzip", "GZIP", "x-gzip", "br, gzip;q=0.5", "gzip;q=1.0", "gzip ; Q=0.001",
               "*", "identity;q=0.5, *;q=0.8", "gzip;q=0.5, identity;q=0.5"):
        assert enc(ae) == "gzip", ae
    for ae in ("gzip;q=0", "gzip; q=0.000", "br, deflate", "identity", "gzip;q=0, *",
               "*;q=0", "gzip;q=0.4, identity;q=0.5", "gzip;q=2", "gzip;q=0.0001",
               "gzip;q=x", "gzip;q=", "identity, *;q=0"):
        assert enc(ae) is None, ae


def test_static_files_304_on_matching_etag(server):
    plain = get(server.port, "/app.js")
    z = get(server.port, "/app.js", ["Accept-Encoding: gzip"])
    tag, ztag = plain.header("etag"), z.header("etag")
    assert re.fullmatch(r'"[0-9a-f]{32}"', tag) and ztag == tag[:-1] + '-gz"'
    assert plain.header("cache-control") == "no-cache"  # stored, but revalidated
    for hdrs, want in ((["If-None-Match: " + tag], tag),
                       ([f'If-None-Match: "other", W/{tag}'], tag),
                       (["If-None-Match: *"], tag),
                       (["Accept-Encoding: gzip", "If-None-Match: " + ztag], ztag)):
        r = get(server.port, "/app.js", hdrs)
        assert r.status == 304, hdrs
        assert r.body == b"" and r.header("etag") == want, hdrs
        assert r.header("vary") == "Accept-Encoding" and r.header("cache-control") == "no-cache"
    # an old tag, the other representation's tag, or a malformed list: the whole file
    for hdrs in (['If-None-Match: "0123456789abcdef0123456789abcdef"'],
                 ["If-None-Match: " + ztag],
                 ["Accept-Encoding: gzip", "If-None-Match: " + tag],
                 ["If-None-Match: " + tag[1:-1]]):
        r = get(server.port, "/app.js", hdrs)
        assert r.status == 200 and len(r.body) > 1000, hdrs
    # on a kept-alive connection the 304 has no body: the next response follows it
    with connect(server.port) as s:
        s.sendall(f"GET /app.js HTTP/1.1\r\nHost: 127.0.0.1\r\nIf-None-Match: {tag}\r\n\r\n"
                  "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
        reader = SockReader(s)
        assert read_response(reader).status == 304
        r2 = read_response(reader)
        assert r2.status == 200 and r2.json() == {"status": "ok"}


def test_healthz(server):
    r = get(server.port, "/healthz")
    assert r.status == 200
    assert r.header("content-type").startswith("application/json")
    assert json.loads(r.body) == {"status": "ok"}


def test_metrics(server):
    async def send_one():
        c, _, _ = await Client.joined(server, "alice")
        await c.msg("counted")
        r = get(server.port, "/metrics")
        await c.close()
        return r

    r = run(send_one())
    assert r.status == 200
    assert r.header("content-type").startswith("text/plain")
    text = r.body.decode()
    lines = [l for l in text.splitlines() if l and not l.startswith("#")]
    assert lines and all(l.startswith("parley_") for l in lines), lines
    for l in lines:  # Prometheus text: name{labels} value
        assert re.fullmatch(r'[a-z_]+(\{[a-z_]+="[^"]*"\})? \d+(\.\d+)?', l), l
    assert metric(text, "parley_websockets") == 1
    assert metric(text, "parley_messages_published_total") >= 1
    assert metric(text, 'parley_channel_last_seq{channel="general"}') == 1
    assert metric(text, "parley_slow_consumers_closed_total") == 0


def test_unknown_path_404(server):
    for path in ("/nope", "/index.html/x", "/healthz/", "/wsx", "/api/whatever"):
        r = get(server.port, path)
        assert r.status == 404, path
        json.loads(r.body)


def test_method_not_allowed_405(server):
    r = http_request(server.port, b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 2\r\n"
                                  b"Connection: close\r\n\r\nhi")
    assert r.status == 405
    for method in ("PUT", "DELETE", "PATCH"):
        r = get(server.port, "/healthz", headers=["Content-Length: 0"], method=method)
        assert r.status == 405, method


def test_ws_without_upgrade_426(server):
    for path in ("/ws", "/ws/5"):
        r = get(server.port, path)
        assert r.status == 426, path
    # an Upgrade header for something else is not a WebSocket upgrade either
    r = get(server.port, "/ws", headers=["Upgrade: h2c", "Connection: Upgrade"])
    assert r.status == 426


def test_ws_version_8_is_426_with_version_13(server):
    r = http_request(server.port, upgrade_request("/ws", version="8"))
    assert r.status == 426
    assert r.header("sec-websocket-version") == "13"
    r = http_request(server.port, upgrade_request("/ws", version=None))
    assert r.status == 426
    assert r.header("sec-websocket-version") == "13"


def test_ws_missing_or_bad_key_400(server):
    r = http_request(server.port, upgrade_request("/ws", key=False))
    assert r.status == 400
    r = http_request(server.port, upgrade_request("/ws", key="not-base64-of-16-bytes"))
    assert r.status == 400


def test_bad_client_id_404(server):
    for cid in ("bad!id", "a" * 33, "a%20b", "a/b", "caf%C3%A9"):
        r = http_request(server.port, upgrade_request("/ws/" + cid))
        assert r.status == 404, cid
    # the edges of the rule are accepted
    for cid in ("a" * 32, "A-z_09"):
        ws = RawWS(server.port, "/ws/" + cid)
        assert ws.recv_data().text() == f"Client #{cid} has entered the chat"
        ws.close()


def test_malformed_request_line_400_and_closed(server):
    for raw in (b"GARBAGE\r\n\r\n", b"GET /\r\n\r\n", b"GET / HTTP/9.9\r\nHost: 127.0.0.1\r\n\r\n",
                b"GET / HTTP/1.1\r\nNo colon header\r\n\r\n"):
        with connect(server.port) as s:
            s.sendall(raw)
            reader = SockReader(s)
            r = read_response(reader)
            assert r.status in (400, 505), (raw, r)
            assert reader.at_eof(), raw
    with connect(server.port) as s:
        s.sendall(b"GARBAGE\r\n\r\n")
        reader = SockReader(s)
        assert read_response(reader).status == 400
        assert reader.at_eof()


def test_huge_header_431_and_closed(server):
    raw = b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: " + b"a" * 10240 + b"\r\n\r\n"
    with connect(server.port) as s:
        try:
            s.sendall(raw)
        except (BrokenPipeError, ConnectionResetError):
            pass
        reader = SockReader(s)
        r = read_response(reader)
        assert r.status == 431
        assert reader.at_eof()
    assert get(server.port, "/healthz").status == 200


def test_body_over_max_body_413(make_server):
    server = make_server("--max-body", "1000")
    with connect(server.port) as s:
        s.sendall(b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 5000\r\n\r\n")
        reader = SockReader(s)
        r = read_response(reader)
        assert r.status == 413
        assert reader.at_eof()


def test_keep_alive_two_requests_one_socket(server):
    with connect(server.port) as s:
        reader = SockReader(s)
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        r1 = read_response(reader)
        s.sendall(b"GET /style.css HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        r2 = read_response(reader)
        assert (r1.status, r2.status) == (200, 200)
        assert r2.header("content-type").startswith("text/css")
        # pipelined, then a WebSocket upgrade on the same socket
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\nGET /nope HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        assert read_response(reader).status == 200
        assert read_response(reader).status == 404
        key = "dGhlIHNhbXBsZSBub25jZQ=="
        s.sendall(upgrade_request("/ws/3", key))
        r = read_response(reader)
        assert r.status == 101
        assert r.header("sec-websocket-accept") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
        assert r.header("sec-websocket-accept") == accept_for(key)
    # Connection: close is honoured
    with connect(server.port) as s:
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        reader = SockReader(s)
        assert read_response(reader).status == 200
        assert reader.at_eof()


def test_upgrade_header_tokens_are_lists_and_case_insensitive(server):
    raw = upgrade_request("/ws/4")
    raw = raw.replace(b"Connection: Upgrade", b"Connection: keep-alive, Upgrade")
    raw = raw.replace(b"Upgrade: websocket", b"Upgrade: WebSocket")
    with connect(server.port) as s:
        s.sendall(raw)
        assert read_response(SockReader(s)).status == 101


def test_subprotocol_parley_v1(server):
    ws = RawWS(server.port, "/ws", protocols="parley.v1")
    assert ws.handshake.header("sec-websocket-protocol") == "parley.v1"
    # parley.v1 is always JSON: a non-JSON first frame is bad_json, not line mode
    ws.send_text("hello there")
    e = ws.recv_json("error")
    assert e["code"] == "bad_json"
    assert ws.join("alice")["payload"]["user"] == "alice"
    ws.close()

    ws = RawWS(server.port, "/ws", protocols="chat.other, parley.v1")
    assert ws.handshake.header("sec-websocket-protocol") == "parley.v1"
    ws.close()

    ws = RawWS(server.port, "/ws")
    assert ws.handshake.header("sec-websocket-protocol") is None
    ws.close()

    ws = RawWS(server.port, "/ws", protocols="chat.other")
    assert ws.handshake.header("sec-websocket-protocol") is None
    ws.close()
