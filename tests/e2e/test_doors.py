"""The web's doors (issue 12, item 8; docs/protocol.md, "Endpoints" and "Authentication"):
who may open a WebSocket or use the session cookie (the Origin rule, --allowed-origins,
--public-url), which Host names the server answers to (against DNS rebinding), the
security headers of every response, and the HTTP versions an upgrade and a request need.

Everything here is raw sockets or http.client, so each header is the test's choice. Each of
these failed against the server before the doors were built."""
import socket
import subprocess

import pytest

from accounts import account_token, api, origin_of
from conftest import parley_bin
from wsraw import RawWS, SockReader, connect, http_request, read_response, upgrade_request

EVIL = "http://evil.example"


def upgrade(server, path="/ws", headers=(), host=None, version="1.1"):
    """The answer to an upgrade request (Host 127.0.0.1:PORT unless given)."""
    raw = upgrade_request(path, extra=headers, host=host or f"127.0.0.1:{server.port}")
    if version != "1.1":
        raw = raw.replace(b" HTTP/1.1\r\n", f" HTTP/{version}\r\n".encode(), 1)
    return http_request(server.port, raw)


def raw_get(server, path, host, version="1.1", extra=()):
    lines = [f"GET {path} HTTP/{version}", *([f"Host: {host}"] if host is not None else []),
             "Connection: close", *extra]
    return http_request(server.port, ("\r\n".join(lines) + "\r\n\r\n").encode())


def assert_error(r, status, code):
    assert r.status == status, r
    assert r.json()["error"] == code and r.json()["message"], r


# ---------------------------------------------------------------- the Origin of upgrades


def test_foreign_origin_upgrade_is_403_on_every_chat_path(server):
    tok = account_token(server, "alice")
    for path in ("/ws", "/ws/", "/ws/client7"):
        for creds in ((), (f"Cookie: parley_session={tok}",), (f"Authorization: Bearer {tok}",)):
            for origin in (EVIL, "null", f"http://127.0.0.1:{server.port + 1}",
                           f"https://127.0.0.1:{server.port}"):
                r = upgrade(server, path, (f"Origin: {origin}", *creds))
                assert_error(r, 403, "bad_origin")
                assert r.header("connection") == "close"


def test_same_origin_upgrade_uses_the_cookie(server):
    tok = account_token(server, "alice")
    ws = RawWS(server.port, headers=(f"Cookie: parley_session={tok}",
                                     f"Origin: {origin_of(server)}"))
    ws.send_json("join", {})
    assert ws.recv_json("welcome")["payload"]["user"] == "alice"
    ws.close()
    # behind a TLS proxy the page is https://, as X-Forwarded-Proto says
    ws = RawWS(server.port, headers=(f"Cookie: parley_session={tok}",
                                     f"Origin: https://127.0.0.1:{server.port}",
                                     "X-Forwarded-Proto: https"))
    ws.send_json("join", {})
    assert ws.recv_json("welcome")["payload"]["user"] == "alice"
    ws.close()


def test_upgrade_without_origin_is_let_in_but_its_cookie_is_no_credential(server):
    tok = account_token(server, "alice")
    ws = RawWS(server.port, headers=(f"Cookie: parley_session={tok}",))
    ws.send_json("join", {}, id="j")
    e = ws.recv_json("error")
    assert e["code"] == "bad_payload", e
    ws.send_json("join", {"user": "alice"}, id="k")
    e = ws.recv_json("error")
    assert e["code"] == "name_taken", e
    w = ws.join("visitor")["payload"]
    assert w["guest"] is True
    ws.close()
    # a script's Bearer counts, Origin or none
    ws = RawWS(server.port, headers=(f"Authorization: Bearer {tok}",))
    ws.send_json("join", {})
    assert ws.recv_json("welcome")["payload"]["user"] == "alice"
    ws.close()


def test_allowed_origins_flag_and_its_alias(make_server):
    for flag in ("--allowed-origins", "--origins"):
        server = make_server(flag, "https://chat.example.com, https://b.example:8443/")
        tok = account_token(server, "alice")
        for origin in ("https://chat.example.com", "https://B.example:8443"):
            ws = RawWS(server.port, headers=(f"Cookie: parley_session={tok}", f"Origin: {origin}"))
            ws.send_json("join", {})
            assert ws.recv_json("welcome")["payload"]["user"] == "alice"
            ws.close()
            r = api(server, "GET", "/api/me", cookie=tok, origin=origin)
            assert r.status == 200, r
        for origin in ("https://chat.example.org", "http://chat.example.com", "https://b.example"):
            assert_error(upgrade(server, "/ws", (f"Origin: {origin}",)), 403, "bad_origin")
        # the server's own origin still is one
        assert upgrade(server, "/ws", (f"Origin: {origin_of(server)}",)).status == 101
        server.stop()


def test_echo_route_takes_any_origin(make_server):
    server = make_server("--echo-path", "/echo")
    r = upgrade(server, "/echo", (f"Origin: {EVIL}",))
    assert r.status == 101, r


# ---------------------------------------------------------------- the cookie on REST


def test_rest_cookie_from_a_foreign_page_is_403_even_for_reads(server):
    tok = account_token(server, "alice")
    for method, path in (("GET", "/api/me"), ("GET", "/api/sessions"), ("POST", "/api/logout")):
        r = api(server, method, path, cookie=tok, origin=EVIL)
        assert (r.status, r.code) == (403, "bad_origin"), (path, r)
    # a read without Origin is a browser's own same-origin read: the cookie counts
    assert api(server, "GET", "/api/me", cookie=tok).status == 200
    # a change without Origin: the cookie does not count (Bearer does)
    r = api(server, "POST", "/api/logout", cookie=tok)
    assert (r.status, r.code) == (401, "unauthorized"), r
    assert api(server, "GET", "/api/me", token=tok, origin=EVIL).status == 200


# ---------------------------------------------------------------- Host (DNS rebinding)


def test_foreign_host_is_421(server):
    for host in ("evil.example", f"evil.example:{server.port}", "127.0.0.1.evil.example",
                 "localhost.evil.example"):
        for path in ("/", "/app.js", "/api/me", "/api/server", "/metrics", "/nope"):
            assert_error(raw_get(server, path, host), 421, "bad_host")
        r = upgrade(server, "/ws", host=host)
        assert_error(r, 421, "bad_host")
        r = upgrade(server, "/ws", (f"Origin: http://{host}",), host=host)
        assert_error(r, 421, "bad_host")
    # HTTP/1.0 names its Host too, when it sends one
    assert_error(raw_get(server, "/", "evil.example", version="1.0"), 421, "bad_host")
    # a malformed Host is 400 (RFC 9112 3.2)
    for host in ("a b", "a/b", "a@b", "[::1", "h:99999"):
        assert raw_get(server, "/", host).status == 400, host


def test_healthz_answers_any_host(server):
    r = raw_get(server, "/healthz", "lb-probe.internal")
    assert r.status == 200 and r.json() == {"status": "ok"}


def test_our_hosts_are_answered(server):
    names = ["127.0.0.1", f"127.0.0.1:{server.port}", "[::1]:8000", "localhost",
             f"localhost:{server.port}", "chat.localhost", "LOCALHOST.", socket.gethostname()]
    for host in names:
        r = raw_get(server, "/", host)
        assert r.status == 200, (host, r)


def test_public_url_host_and_origin(make_server):
    server = make_server("--public-url", "https://Chat.Example.com/")
    tok = account_token(server, "alice")
    for host in ("chat.example.com", "chat.example.com:443", "CHAT.example.com:8000"):
        assert raw_get(server, "/", host).status == 200, host
    assert_error(raw_get(server, "/", "other.example.com"), 421, "bad_host")
    # a browser on https://chat.example.com, through the proxy
    ws = RawWS(server.port, headers=(f"Cookie: parley_session={tok}",
                                     "Origin: https://chat.example.com",
                                     "X-Forwarded-Proto: https"))
    ws.send_json("join", {})
    assert ws.recv_json("welcome")["payload"]["user"] == "alice"
    ws.close()
    # its origin is allowed whatever the Host the proxy passes on
    r = upgrade(server, "/ws", ("Origin: https://chat.example.com",),
                host=f"127.0.0.1:{server.port}")
    assert r.status == 101, r
    # the http:// page of that name is another origin, when the client came over https
    r = upgrade(server, "/ws", ("Origin: http://chat.example.com", "X-Forwarded-Proto: https"),
                host="chat.example.com")
    assert_error(r, 403, "bad_origin")
    r = api(server, "PATCH", "/api/me", {"display_name": "A"}, cookie=tok,
            origin="https://chat.example.com")
    assert r.status == 200, r


@pytest.mark.parametrize("flag,value", [("--public-url", "ftp://chat.example.com"),
                                        ("--public-url", "https://chat.example.com/chat"),
                                        ("--public-url", "chat.example.com"),
                                        ("--allowed-origins", "https://ok.example,evil.example"),
                                        ("--allowed-origins", "https://a b")])
def test_bad_door_flags_are_refused(tmp_path, flag, value):
    p = subprocess.run([parley_bin(), "--port", "0", "--db", str(tmp_path / "x.db"), flag, value],
                       capture_output=True, text=True, timeout=10)
    assert p.returncode == 2, p
    assert flag in p.stderr, p.stderr


# ---------------------------------------------------------------- security headers


CSP_PARTS = ("default-src 'self'", "script-src 'self'", "style-src 'self'",
             "img-src 'self' data:", "frame-ancestors 'none'", "base-uri 'none'",
             "form-action 'self'")


def assert_security_headers(r, port=None):
    csp = r.header("content-security-policy")
    assert csp, r.headers
    directives = [d.strip() for d in csp.split(";")]
    for part in CSP_PARTS:
        assert part in directives, (part, csp)
    connect = [d for d in directives if d.startswith("connect-src ")]
    assert len(connect) == 1 and "'self'" in connect[0].split(), csp
    if port is not None:
        assert connect[0] == f"connect-src 'self' ws://127.0.0.1:{port} wss://127.0.0.1:{port}"
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp and "*" not in csp
    assert r.header("x-frame-options") == "DENY"
    assert r.header("referrer-policy") == "no-referrer"
    assert r.header("x-content-type-options") == "nosniff"


def test_security_headers_on_every_response(server):
    for path, status in (("/", 200), ("/app.js", 200), ("/style.css", 200), ("/api/server", 200),
                         ("/nope", 404), ("/api/nope", 404), ("/healthz", 200), ("/ws", 426),
                         ("/api/me", 401)):
        r = raw_get(server, path, f"127.0.0.1:{server.port}")
        assert r.status == status, (path, r)
        assert_security_headers(r, server.port)
    # errors before any route: a bad Host, a malformed request
    assert_security_headers(raw_get(server, "/", "evil.example"))
    r = http_request(server.port, b"GARBAGE\r\n\r\n")
    assert r.status == 400
    assert_security_headers(r)
    # never on the 101: the bytes after it are WebSocket frames, not a page
    ws = RawWS(server.port)
    assert ws.handshake.header("content-security-policy") is None
    assert ws.handshake.header("x-frame-options") is None
    ws.close()


# ---------------------------------------------------------------- HTTP versions


def test_http10_upgrade_is_426(server):
    r = upgrade(server, "/ws", (f"Origin: {origin_of(server)}",), version="1.0")
    assert_error(r, 426, "upgrade_required")
    assert r.header("upgrade").lower() == "websocket"
    assert "upgrade" in [t.strip().lower() for t in r.header("connection").split(",")]
    r = upgrade(server, "/ws/client7", version="1.0")
    assert r.status == 426


def test_http11_without_host_is_400(server):
    for path in ("/", "/healthz", "/ws", "/api/server"):
        r = raw_get(server, path, None)
        assert_error(r, 400, "bad_request")
    # the same connection is closed: a request that broke the rules ends it
    with connect(server.port) as s:
        s.sendall(b"GET / HTTP/1.1\r\n\r\n")
        reader = SockReader(s)
        assert read_response(reader).status == 400
        assert reader.at_eof()


def test_http10_without_host_is_fine(server):
    r = raw_get(server, "/", None, version="1.0")
    assert r.status == 200 and b"<html" in r.body.lower()
    assert_security_headers(r)
