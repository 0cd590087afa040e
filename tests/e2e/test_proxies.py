"""parley behind Caddy and HAProxy with the configurations docs/operations.md documents
(packaging/Caddyfile, packaging/haproxy-parley.cfg, run as they are with the ports, the
upstream and the certificate swapped for the test's): TLS in the proxy, WebSockets through
it, and the same chat as through nginx (test_nginx.chat_through: accounts with a Secure
cookie, messages both ways, history, a 3 MiB upload and download). Each proxy runs in the
foreground as the test's user, on free ports; a proxy that is not installed is skipped.
"""
import os
import re
import shutil
import socket
import ssl
import subprocess
import time
from pathlib import Path

import pytest

from test_nginx import ROOT, Nginx, chat_through, free_port
from test_tls import make_cert

pytestmark = pytest.mark.sqlite_only
CADDY = shutil.which("caddy") or "/usr/bin/caddy"
HAPROXY = shutil.which("haproxy") or "/usr/sbin/haproxy"


class Proxy(Nginx):
    """A proxy process on .http and .https (the request and client helpers of Nginx)."""

    def __init__(self, tmp, argv, env=None):
        self.tmp = tmp
        self.proc = subprocess.Popen(argv, stdout=open(tmp / "proxy.log", "w"),
                                     stderr=subprocess.STDOUT, env=env)
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.https), 0.5).close()
                return
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"{argv[0]} did not start:\n"
                                       f"{(tmp / 'proxy.log').read_text()}")
                time.sleep(0.05)


def caddy(tmp, upstream):
    http, https = free_port(), free_port()
    cert, key = make_cert(tmp, "caddy")
    site = (ROOT / "packaging" / "Caddyfile").read_text()
    site = site.replace("chat.example.com {", f"https://127.0.0.1:{https} {{\n\ttls {cert} {key}")
    site = site.replace("127.0.0.1:8000", f"127.0.0.1:{upstream}")
    assert f"127.0.0.1:{upstream}" in site and str(https) in site, site
    conf = tmp / "Caddyfile"
    conf.write_text(f"{{\n\tadmin off\n\thttp_port {http}\n\thttps_port {https}\n"
                    f"\tstorage file_system {tmp}/data\n}}\n" + site)
    env = dict(os.environ, HOME=str(tmp), XDG_DATA_HOME=str(tmp / "data"),
               XDG_CONFIG_HOME=str(tmp / "config"))
    p = Proxy.__new__(Proxy)
    p.http, p.https = http, https
    p.ctx = ssl.create_default_context(cafile=str(cert))
    Proxy.__init__(p, tmp, [CADDY, "run", "--config", str(conf), "--adapter", "caddyfile"], env)
    return p


def haproxy(tmp, upstream):
    http, https = free_port(), free_port()
    cert, key = make_cert(tmp, "haproxy")
    pem = tmp / "chat.pem"
    pem.write_text(cert.read_text() + key.read_text())
    cfg = (ROOT / "packaging" / "haproxy-parley.cfg").read_text()
    cfg = (cfg.replace("bind :80", f"bind 127.0.0.1:{http}")
           .replace("bind :443 ssl crt /etc/haproxy/certs/chat.example.com.pem",
                    f"bind 127.0.0.1:{https} ssl crt {pem}")
           .replace("server parley 127.0.0.1:8000", f"server parley 127.0.0.1:{upstream}"))
    assert str(upstream) in cfg and str(https) in cfg, cfg
    (tmp / "haproxy.cfg").write_text(cfg)
    p = Proxy.__new__(Proxy)
    p.http, p.https = http, https
    p.ctx = ssl.create_default_context(cafile=str(cert))
    Proxy.__init__(p, tmp, [HAPROXY, "-db", "-f", str(tmp / "haproxy.cfg")])
    return p


@pytest.mark.parametrize("make,binary", [(caddy, CADDY), (haproxy, HAPROXY)],
                         ids=["caddy", "haproxy"])
def test_chat_through_the_proxy(make_server, tmp_path, make, binary):
    if not os.path.exists(binary):
        pytest.skip(f"needs {binary} (scripts/deps test)")
    server = make_server("--max-conns-per-ip", "0")
    proxy = make(tmp_path, server.port)
    try:
        status, _, body = proxy.request("GET", "/healthz")
        assert status == 200, body
        status, headers, _ = proxy.request("GET", "/", tls=False)
        assert status in (301, 308) and headers["location"].startswith("https://"), headers
        chat_through(proxy, "")
    finally:
        proxy.stop()


def test_the_documented_configurations_are_the_tested_ones():
    """docs/operations.md shows the very files these tests and test_nginx run."""
    doc = (ROOT / "docs" / "operations.md").read_text()
    blocks = re.findall(r"^```(\w+)\n(.*?)^```$", doc, re.M | re.S)

    def shown(lang):
        return [b.rstrip("\n") for kind, b in blocks if kind == lang]

    def without_head_comment(path):
        lines = (ROOT / "packaging" / path).read_text().rstrip("\n").split("\n")
        while lines and lines[0].startswith("#"):
            lines.pop(0)
        return "\n".join(lines)

    nginx = (ROOT / "packaging" / "nginx-parley.conf").read_text().rstrip("\n")
    subpath = (ROOT / "packaging" / "nginx-parley-subpath.conf").read_text().rstrip("\n")
    assert shown("nginx") == [nginx, subpath]
    assert shown("haproxy") == [without_head_comment("haproxy-parley.cfg")]
    assert shown("caddy") == [without_head_comment("Caddyfile")]
