"""parley behind Debian's nginx with the configuration docs/operations.md documents
(packaging/nginx-parley.conf and packaging/nginx-parley-subpath.conf, run as they are with
the ports, the upstream and the certificate swapped for the test's): TLS in nginx, WebSocket
upgrades proxied, plain HTTP redirected to HTTPS, and, under a sub-path with --base-path,
the same. Real clients chat through it both ways (accounts signed up through the proxy, whose
cookie is Secure since nginx says X-Forwarded-Proto: https), read history back, and upload
and download a file larger than nginx's default body limit.

nginx runs as the test's user (a master without daemon, everything in a temporary
directory), on free ports.
"""
import asyncio
import http.client
import json
import os
import re
import shutil
import socket
import ssl
import subprocess
import time
import urllib.parse
from pathlib import Path

import pytest
import websockets

from accounts import password_for
from test_tls import make_cert
from wsraw import Client, run

ROOT = Path(__file__).resolve().parents[2]
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
SITE = ROOT / "packaging" / "nginx-parley.conf"
SUBPATH = ROOT / "packaging" / "nginx-parley-subpath.conf"

pytestmark = [
    pytest.mark.sqlite_only,
    pytest.mark.skipif(not os.path.exists(NGINX), reason="needs nginx (scripts/deps test)"),
]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Nginx:
    """nginx with one site (its text), in tmp; .http and .https are its ports."""

    def __init__(self, tmp, site, upstream_port):
        self.tmp = tmp
        self.http, self.https = free_port(), free_port()
        cert, key = make_cert(tmp, "nginx")
        self.ctx = ssl.create_default_context(cafile=str(cert))
        site = (site.replace("server 127.0.0.1:8000;", f"server 127.0.0.1:{upstream_port};")
                .replace("listen 80;", f"listen 127.0.0.1:{self.http};")
                .replace("listen 443 ssl http2;", f"listen 127.0.0.1:{self.https} ssl http2;")
                .replace("/etc/letsencrypt/live/chat.example.com/fullchain.pem", str(cert))
                .replace("/etc/letsencrypt/live/chat.example.com/privkey.pem", str(key)))
        site = re.sub(r"^\s*listen \[::\]:\d+.*\n", "", site, flags=re.M)
        assert str(upstream_port) in site and str(self.https) in site, site
        (tmp / "site.conf").write_text(site)
        temp = "".join(f"{k}_temp_path {tmp}/{k};\n" for k in
                       ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
        (tmp / "nginx.conf").write_text(f"""
daemon off;
master_process on;
worker_processes 1;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log info;
{"user root root;" if os.geteuid() == 0 else ""}
events {{ worker_connections 256; }}
http {{
    include /etc/nginx/mime.types;
    access_log {tmp}/access.log;
    {temp}
    include {tmp}/site.conf;
}}
""")
        self.proc = subprocess.Popen([NGINX, "-p", str(tmp), "-c", str(tmp / "nginx.conf"),
                                      "-e", str(tmp / "error.log")],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.https), 0.5).close()
                break
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"nginx did not start: {self.proc.stderr.read()!r} "
                                       f"{(tmp / 'error.log').read_text()}")
                time.sleep(0.05)

    def request(self, method, path, body=None, token=None, headers=None, tls=True):
        conn = (http.client.HTTPSConnection("127.0.0.1", self.https, context=self.ctx,
                                            timeout=10) if tls else
                http.client.HTTPConnection("127.0.0.1", self.http, timeout=10))
        h = dict(headers or {})
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
            h["Content-Type"] = "application/json"
        if token:
            h["Authorization"] = f"Bearer {token}"
        try:
            conn.request(method, path, body=body, headers=h)
            r = conn.getresponse()
            return r.status, dict((k.lower(), v) for k, v in r.getheaders()), r.read()
        finally:
            conn.close()

    async def client(self, path):
        ws = await websockets.connect(f"wss://127.0.0.1:{self.https}{path}", ssl=self.ctx,
                                      compression=None, max_size=None, ping_interval=None,
                                      open_timeout=10, close_timeout=2)
        return Client(ws)

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


@pytest.fixture
def nginx(tmp_path):
    made = []

    def make(site, upstream_port):
        d = tmp_path / f"nginx{len(made)}"
        d.mkdir()
        made.append(Nginx(d, site, upstream_port))
        return made[-1]

    yield make
    for n in made:
        n.stop()


def chat_through(proxy, base):
    """Two accounts signed up through the proxy chat over its WebSocket, read history back,
    and pass a file larger than nginx's default 1 MiB body limit through it."""
    tokens = {}
    for name in ("alice", "bob"):
        status, headers, body = proxy.request("POST", base + "/api/register",
                                              {"name": name, "password": password_for(name)})
        assert status in (200, 201), body
        # nginx said the client's connection was https: the cookie is Secure.
        assert "Secure" in headers.get("set-cookie", ""), headers
        tokens[name] = json.loads(body)["token"]
    blob = os.urandom(3 << 20)
    q = urllib.parse.urlencode({"channel": "general", "name": "big.bin"})
    status, _, body = proxy.request("POST", f"{base}/api/files?{q}", blob, token=tokens["alice"],
                                    headers={"Content-Type": "application/octet-stream"})
    assert status == 201, body
    fid = json.loads(body)["id"]

    async def go():
        async def joined(name):
            c = await proxy.client(base + "/ws")
            await c.join(None, token=tokens[name])
            await c.recv_json("history")
            return c

        a, b = await joined("alice"), await joined("bob")
        await a.msg("through nginx", files=[{"id": fid}])
        m = await b.recv_json("msg")
        assert m["payload"]["text"] == "through nginx"
        url = m["payload"]["files"][0]["url"]
        await b.msg("and back through nginx")
        assert (await a.recv_json("msg"))["payload"]["text"] == "and back through nginx"
        await a.close()
        c = await proxy.client(base + "/ws")
        await c.join(None, token=tokens["alice"])
        texts = [h["text"] for h in (await c.recv_json("history"))["payload"]["messages"]]
        assert texts[-2:] == ["through nginx", "and back through nginx"], texts
        await c.close()
        await b.close()
        return url

    url = run(go())
    status, _, body = proxy.request("GET", base + url, token=tokens["bob"])
    assert status == 200 and body == blob


def test_chat_through_nginx(make_server, nginx):
    server = make_server("--max-conns-per-ip", "0")
    proxy = nginx(SITE.read_text(), server.port)
    status, _, body = proxy.request("GET", "/healthz")
    assert status == 200 and json.loads(body) == {"status": "ok"}
    status, _, body = proxy.request("GET", "/")
    assert status == 200 and b"<html" in body.lower()
    # Plain HTTP is sent to HTTPS.
    status, headers, _ = proxy.request("GET", "/", tls=False)
    assert status == 301 and headers["location"].startswith("https://"), headers
    chat_through(proxy, "")


def test_chat_through_nginx_under_a_sub_path(make_server, nginx):
    server = make_server("--max-conns-per-ip", "0", "--base-path", "/chat")
    site = SITE.read_text()
    # The sub-path's location in place of the site's own "location / { ... }".
    site = re.sub(r"\n    location / \{.*?\n    \}\n", "\n" + SUBPATH.read_text() + "\n", site,
                  flags=re.S)
    assert "location /chat/" in site and "location / {" not in site
    proxy = nginx(site, server.port)
    status, _, body = proxy.request("GET", "/chat/healthz")
    assert status == 200 and json.loads(body) == {"status": "ok"}
    status, _, body = proxy.request("GET", "/chat/")
    assert status == 200 and b"<html" in body.lower()
    status, headers, _ = proxy.request("GET", "/chat")
    assert status == 301 and headers["location"].endswith("/chat/"), headers
    assert proxy.request("GET", "/healthz")[0] == 404
    chat_through(proxy, "/chat")
