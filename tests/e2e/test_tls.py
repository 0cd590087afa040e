"""TLS in the binary (issue 12, item 9; docs/protocol.md, "Flags"): --tls-cert and --tls-key,
HTTPS and wss: on one port, TLS 1.2 and 1.3 only with ECDHE and AEAD ciphers, HSTS and the
Secure cookie over TLS only, the page's own origin as https://, SIGHUP reloading the
certificate without dropping a connection (and keeping the old one when the new files are
bad), and what a TLS port does with what is not TLS.

Certificates are made per test with Debian's openssl command into tmp_path. The fixtures
read PARLEY_THREADS, so this file runs with one loop and with four."""
import asyncio
import http.client
import json
import signal
import socket
import ssl
import subprocess
import time

import pytest
import websockets

from conftest import parley_bin
from wsraw import Client, next_source, run

OPENSSL = "/usr/bin/openssl"
HOST = "127.0.0.1"
TIMEOUT = 5.0


def make_cert(tmp_path, name, cn="127.0.0.1"):
    """A self-signed P-256 certificate for 127.0.0.1 and its key: (cert path, key path)."""
    cert, key = tmp_path / f"{name}.crt", tmp_path / f"{name}.key"
    subprocess.run([OPENSSL, "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:P-256", "-nodes", "-days", "1", "-subj", f"/CN={cn}",
                    "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out",
                    str(cert)], check=True, capture_output=True, timeout=30)
    return cert, key


def client_ctx(*certs, minimum=ssl.TLSVersion.TLSv1_2, maximum=None):
    """A client context trusting exactly the given certificates."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    for c in certs:
        ctx.load_verify_locations(cafile=str(c))
    ctx.minimum_version = minimum
    if maximum:
        ctx.maximum_version = maximum
    return ctx


@pytest.fixture
def tls_server(make_server, tmp_path):
    """A server on TLS with certificate "a"; .cert, .key and .ctx (a client context that
    trusts it) are set on it."""
    cert, key = make_cert(tmp_path, "a")
    s = make_server("--tls-cert", str(cert), "--tls-key", str(key))
    s.cert, s.key, s.ctx = cert, key, client_ctx(cert)
    return s


class TLSClient(Client):
    """wsraw.Client over wss:// with the server's client context."""

    @classmethod
    async def connect(cls, server, path="/ws", subprotocols=None, headers=None, source=None,
                      ctx=None):
        ws = await asyncio.wait_for(
            websockets.connect(f"wss://{HOST}:{server.port}{path}", ssl=ctx or server.ctx,
                               subprotocols=subprotocols, compression=None, max_size=None,
                               max_queue=None, ping_interval=None, open_timeout=TIMEOUT,
                               close_timeout=2, extra_headers=headers,
                               local_addr=(source or next_source(), 0)),
            TIMEOUT)
        return cls(ws)


def tls_socket(server, ctx=None, timeout=TIMEOUT):
    raw = socket.create_connection((HOST, server.port), timeout=timeout)
    return (ctx or server.ctx).wrap_socket(raw, server_hostname=HOST)


def https(server, method, path, body=None, headers=None, ctx=None):
    """One request over HTTPS on a new connection: (status, [(name, value)], body)."""
    conn = http.client.HTTPSConnection(HOST, server.port, timeout=TIMEOUT,
                                       context=ctx or server.ctx)
    h = {"Connection": "close", **(headers or {})}
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        h["Content-Type"] = "application/json"
    try:
        conn.request(method, path, body=data, headers=h)
        r = conn.getresponse()
        return r.status, r.getheaders(), r.read()
    finally:
        conn.close()


def header(headers, name):
    return [v for k, v in headers if k.lower() == name.lower()]


def wait_log(server, text, timeout=5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if text in server.logs():
            return
        time.sleep(0.05)
    raise AssertionError(f"no {text!r} in the log:\n{server.logs()[-2000:]}")


def peer_cert(server, ctx):
    with tls_socket(server, ctx) as s:
        return s.getpeercert(binary_form=True)


# ---------------------------------------------------------------- chat over wss:


def test_wss_join_chat_and_history(tls_server):
    async def flow():
        alice, _, _ = await TLSClient.joined(tls_server, "alice")
        bob, _, _ = await TLSClient.joined(tls_server, "bob")
        await alice.msg("hello over TLS")
        m = await bob.recv_json("msg")
        assert m["payload"]["text"] == "hello over TLS" and m["payload"]["user"] == "alice"
        await bob.msg("and back")
        assert (await alice.recv_json("msg"))["payload"]["text"] == "and back"
        carol, _, history = await TLSClient.joined(tls_server, "carol")
        texts = [x["text"] for x in history["messages"]]
        assert texts == ["hello over TLS", "and back"], history
        for c in (alice, bob, carol):
            await c.close()
    run(flow())


def test_large_messages_and_history_cross_whole(make_server, tmp_path):
    """Frames larger than a TLS record and a history larger than a flush batch: encrypted in
    parts, written across many writes, received whole and in order."""
    cert, key = make_cert(tmp_path, "a")
    s = make_server("--tls-cert", str(cert), "--tls-key", str(key), "--max-text", "100000",
                    "--max-frame", "256k", "--rate", "1000", "--burst", "1000")
    s.ctx = client_ctx(cert)

    async def flow():
        alice, _, _ = await TLSClient.joined(s, "alice")
        texts = [chr(ord("a") + i) * (40000 + i) for i in range(20)]
        for t in texts:
            await alice.msg(t)
        bob, _, history = await TLSClient.joined(s, "bob")
        assert [x["text"] for x in history["messages"]] == texts
        await bob.msg("short")
        assert (await alice.recv_json("msg"))["payload"]["text"] == "short"
        await alice.close()
        await bob.close()
    run(flow(), timeout=60)


# ---------------------------------------------------------------- versions and ciphers


def test_tls12_and_tls13_are_served(tls_server):
    for version in (ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3):
        ctx = client_ctx(tls_server.cert, minimum=version, maximum=version)
        with tls_socket(tls_server, ctx) as s:
            assert s.version() == version.name.replace("v1_", "v1.")
            name, _, _ = s.cipher()
            if version == ssl.TLSVersion.TLSv1_2:
                assert name.startswith("ECDHE-") and ("GCM" in name or "CHACHA20" in name), name
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            data = b""
            while b"\r\n\r\n" not in data:
                data += s.recv(4096)
            assert data.startswith(b"HTTP/1.1 200 "), data


def test_tls11_and_weak_ciphers_are_refused(tls_server):
    # An old client: TLS 1.1 only, allowed by the client's own library for the test.
    ctx = client_ctx(tls_server.cert, minimum=ssl.TLSVersion.TLSv1_1,
                     maximum=ssl.TLSVersion.TLSv1_1)
    ctx.set_ciphers("ALL:@SECLEVEL=0")
    with pytest.raises(ssl.SSLError):
        tls_socket(tls_server, ctx).close()
    # TLS 1.2 with a CBC suite: not offered by the server (ECDHE + AEAD only)
    ctx = client_ctx(tls_server.cert, maximum=ssl.TLSVersion.TLSv1_2)
    ctx.set_ciphers("ECDHE-ECDSA-AES128-SHA:ECDHE-ECDSA-AES256-SHA384")
    with pytest.raises(ssl.SSLError):
        tls_socket(tls_server, ctx).close()
    # the server is still there
    assert https(tls_server, "GET", "/healthz")[0] == 200


# ---------------------------------------------------------------- HSTS, cookie, origin


def test_hsts_and_secure_cookie_over_tls_only(tls_server, make_server):
    status, headers, _ = https(tls_server, "GET", "/")
    assert status == 200
    assert header(headers, "strict-transport-security") == ["max-age=31536000"]
    origin = f"https://127.0.0.1:{tls_server.port}"
    status, headers, body = https(tls_server, "POST", "/api/register",
                                  {"name": "alice", "password": "pw-alice-correct-horse"},
                                  headers={"Origin": origin})
    assert status in (200, 201), body
    cookie = [c for c in header(headers, "set-cookie") if c.startswith("parley_session=")]
    assert cookie and "; Secure" in cookie[0], headers
    assert header(headers, "strict-transport-security") == ["max-age=31536000"]
    # over TLS the page's own origin is https://; http:// of the same host is another site
    status, _, body = https(tls_server, "POST", "/api/login",
                            {"name": "alice", "password": "pw-alice-correct-horse"},
                            headers={"Origin": f"http://127.0.0.1:{tls_server.port}"})
    assert status == 403 and json.loads(body)["error"] == "bad_origin", body
    # the same server without TLS: neither
    plain = make_server()
    conn = http.client.HTTPConnection(HOST, plain.port, timeout=TIMEOUT)
    conn.request("POST", "/api/register", body=json.dumps(
        {"name": "bob", "password": "pw-bob-correct-horse"}),
        headers={"Content-Type": "application/json", "Origin": plain.http})
    r = conn.getresponse()
    r.read()
    conn.close()
    assert r.status in (200, 201)
    assert r.getheader("strict-transport-security") is None
    assert "Secure" not in r.getheader("set-cookie")


def test_wss_upgrade_with_the_cookie_of_an_https_page(tls_server):
    origin = f"https://127.0.0.1:{tls_server.port}"
    status, headers, body = https(tls_server, "POST", "/api/register",
                                  {"name": "alice", "password": "pw-alice-correct-horse"},
                                  headers={"Origin": origin})
    token = json.loads(body)["token"]

    async def flow():
        c = await TLSClient.connect(tls_server, headers={
            "Cookie": f"parley_session={token}", "Origin": origin})
        await c.send_json("join", {})
        assert (await c.recv_json("welcome"))["payload"]["user"] == "alice"
        await c.close()
        with pytest.raises(websockets.exceptions.InvalidStatusCode) as e:
            await TLSClient.connect(tls_server, headers={
                "Origin": f"http://127.0.0.1:{tls_server.port}"})
        assert e.value.status_code == 403
    run(flow())


def test_close_notify_before_the_end(tls_server):
    """A response with Connection: close ends with our close_notify: a TLS client reading to
    the end sees an orderly end, not a truncation (OpenSSL 3 reports that as an error)."""
    with tls_socket(tls_server) as s:
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        data = b""
        while True:
            chunk = s.recv(4096)  # raises SSLEOFError on an end without close_notify
            if not chunk:
                break
            data += chunk
    assert data.startswith(b"HTTP/1.1 200 ") and data.endswith(b'{"status":"ok"}'), data


# ---------------------------------------------------------------- SIGHUP


def test_sighup_reloads_without_dropping_connections(tls_server, tmp_path):
    s = tls_server
    old_der = peer_cert(s, s.ctx)
    new_cert, new_key = make_cert(tmp_path, "b")
    both = client_ctx(s.cert, new_cert)

    async def flow():
        alice, _, _ = await TLSClient.joined(s, "alice")
        bob, _, _ = await TLSClient.joined(s, "bob")
        # a renewal: the files are replaced, then the server is told
        s.cert.write_bytes(new_cert.read_bytes())
        s.key.write_bytes(new_key.read_bytes())
        s.proc.send_signal(signal.SIGHUP)
        await asyncio.get_running_loop().run_in_executor(
            None, wait_log, s, "TLS certificate reloaded")
        # the open connections keep chatting on their sessions
        await alice.msg("after the reload")
        assert (await bob.recv_json("msg"))["payload"]["text"] == "after the reload"
        # a new connection gets the new certificate
        new_der = peer_cert(s, both)
        assert new_der != old_der
        with pytest.raises(ssl.SSLCertVerificationError):
            peer_cert(s, s.ctx)  # a client that trusts only the old one
        carol = await TLSClient.connect(s, ctx=client_ctx(new_cert))
        await carol.join("carol")
        await bob.msg("still here")
        assert (await alice.recv_json("msg"))["payload"]["text"] == "still here"
        for c in (alice, bob, carol):
            await c.close()
    run(flow())


def test_sighup_with_bad_files_keeps_the_old_certificate(tls_server, tmp_path):
    s = tls_server
    old_der = peer_cert(s, s.ctx)

    async def flow():
        alice, _, _ = await TLSClient.joined(s, "alice")
        good = s.cert.read_bytes()
        s.cert.write_bytes(b"-----BEGIN CERTIFICATE-----\nnot a certificate\n")
        s.proc.send_signal(signal.SIGHUP)
        await asyncio.get_running_loop().run_in_executor(
            None, wait_log, s, "keeping the certificate in use")
        assert peer_cert(s, s.ctx) == old_der
        await alice.msg("alive")
        # a key that is not the certificate's: refused as well, naming the key
        s.cert.write_bytes(good)
        other_cert, other_key = make_cert(tmp_path, "other")
        s.key.write_bytes(other_key.read_bytes())
        s.proc.send_signal(signal.SIGHUP)
        await asyncio.get_running_loop().run_in_executor(
            None, wait_log, s, f"the key {s.key} does not match")
        assert peer_cert(s, s.ctx) == old_der
        await alice.msg("still alive")
        await alice.close()
    run(flow())
    assert s.proc.poll() is None


# ---------------------------------------------------------------- what is not TLS


def test_plain_http_to_the_tls_port_is_closed(tls_server):
    for raw in (b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", b"\x00" * 100,
                b"\x16\x03\x01\x00\x05hello" + b"\xff" * 200):
        with socket.create_connection((HOST, tls_server.port), timeout=TIMEOUT) as s:
            s.sendall(raw)
            got = b""
            try:
                while True:
                    chunk = s.recv(4096)
                    if not chunk:
                        break
                    got += chunk
            except ConnectionResetError:
                pass
        assert not got.startswith(b"HTTP/"), got  # nothing readable in plain, and closed
    assert https(tls_server, "GET", "/healthz")[0] == 200


def test_tls_client_hello_to_a_plain_port_is_400(server):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = ctx.wrap_bio(inc, out, server_hostname=HOST)
    with pytest.raises(ssl.SSLWantReadError):
        obj.do_handshake()
    hello = out.read()
    assert hello[:1] == b"\x16"
    with socket.create_connection((HOST, server.port), timeout=TIMEOUT) as s:
        s.sendall(hello)
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
    assert data.startswith(b"HTTP/1.1 400 "), data


def test_slow_tls_handshake_is_cut(make_server, tmp_path):
    cert, key = make_cert(tmp_path, "a")
    s = make_server("--tls-cert", str(cert), "--tls-key", str(key), "--handshake-timeout", "1")
    with socket.create_connection((HOST, s.port), timeout=6) as sock:
        sock.sendall(b"\x16\x03\x01\x02\x00\x01")  # the start of a ClientHello, then nothing
        t0 = time.monotonic()
        try:
            assert sock.recv(4096) == b""
        except ConnectionResetError:
            pass
        assert time.monotonic() - t0 < 4


# ---------------------------------------------------------------- start-up


@pytest.mark.parametrize("case", ["cert only", "key only", "missing cert", "garbage cert",
                                  "mismatched key"])
def test_bad_tls_flags_exit_2_naming_the_file(tmp_path, case):
    cert, key = make_cert(tmp_path, "a")
    _, other_key = make_cert(tmp_path, "b")
    garbage = tmp_path / "garbage.crt"
    garbage.write_text("hello\n")
    args, named = {
        "cert only": (["--tls-cert", str(cert)], "--tls-key"),
        "key only": (["--tls-key", str(key)], "--tls-cert"),
        "missing cert": (["--tls-cert", str(tmp_path / "no.crt"), "--tls-key", str(key)],
                         str(tmp_path / "no.crt")),
        "garbage cert": (["--tls-cert", str(garbage), "--tls-key", str(key)], str(garbage)),
        "mismatched key": (["--tls-cert", str(cert), "--tls-key", str(other_key)],
                           str(other_key)),
    }[case]
    p = subprocess.run([parley_bin(), "--port", "0", "--db", str(tmp_path / "x.db"), *args],
                       capture_output=True, text=True, timeout=10)
    assert p.returncode == 2, p
    assert named in p.stderr, p.stderr
