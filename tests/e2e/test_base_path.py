"""--base-path (issue 15 item 5; docs/operations.md, "Under a sub-path"): parley serves
everything under a sub-path, as a reverse proxy that forwards /chat/ unchanged reaches it: the
web client, the WebSocket, the REST API, files, avatars, /healthz and /metrics. Outside it,
404; the base without its slash is sent to it with one. The web client names no absolute
path of the server's (so that it works under any base), checked here over its sources.
"""
import asyncio
import re
import subprocess
import urllib.parse
from pathlib import Path

import pytest

from accounts import api, password_for
from conftest import parley_bin
from wsraw import Client, get, run, upgrade_request, http_request

WEB = Path(__file__).resolve().parents[2] / "web"
BASE = "/chat"


@pytest.fixture
def server(make_server, tmp_path):
    return make_server("--base-path", BASE + "/", "--files", str(tmp_path / "parley.files"))


def signup(server, name):
    """An account's session token, registered under the base path."""
    r = api(server, "POST", BASE + "/api/register", {"name": name, "password": password_for(name)})
    assert r.status in (200, 201), r
    return r


async def joined(server, token):
    c = await Client.connect(server, path=BASE + "/ws")
    welcome = await c.join(None, token=token)
    history = (await c.recv_json("history"))["payload"]
    return c, welcome, history


def test_routes_live_under_the_base(server):
    page = get(server.port, BASE + "/")
    assert page.status == 200 and b"<html" in page.body.lower(), page
    # The page's own references are relative: they resolve under the base.
    assert not re.search(rb'(src|href)="/', page.body), page.body
    moved = get(server.port, BASE)
    assert moved.status == 301 and moved.header("location") == BASE + "/", moved
    moved = get(server.port, BASE + "?x=1")
    assert moved.header("location") == BASE + "/?x=1", moved
    for path in ("/app.js", "/base.js", "/style.css", "/favicon.svg", "/healthz", "/metrics",
                 "/api/server"):
        assert get(server.port, BASE + path).status == 200, path
    assert get(server.port, BASE + "/nope.js").status == 404
    # Outside the base: nothing, not even the health check (the proxy forwards the base only).
    for path in ("/", "/healthz", "/metrics", "/api/server", "/app.js", "/chatroom",
                 "/chatroom/healthz", "/x/chat/"):
        assert get(server.port, path).status == 404, path
    assert http_request(server.port, upgrade_request("/ws")).status == 404
    assert http_request(server.port, upgrade_request(BASE + "/ws")).status == 101


def test_chat_files_and_cookie_under_the_base(server):
    r = signup(server, "alice")
    cookie = next(v for k, v in r.headers if k.lower() == "set-cookie")
    assert "Path=/chat/;" in cookie, cookie
    alice = r.cookie_token
    bob = signup(server, "bob").cookie_token
    note = b"the minutes\n"
    q = urllib.parse.urlencode({"channel": "general", "name": "minutes.txt"})
    up = api(server, "POST", f"{BASE}/api/files?{q}", raw=note, token=alice,
             headers={"Content-Type": "application/octet-stream"})
    assert up.status == 201, up
    fid = up.json()["id"]

    async def go():
        a, _, _ = await joined(server, alice)
        b, _, _ = await joined(server, bob)
        await a.msg("hello from alice", files=[{"id": fid}])
        m = await b.recv_json("msg")
        assert m["payload"]["text"] == "hello from alice"
        url = m["payload"]["files"][0]["url"]
        await b.msg("hi alice")
        assert (await a.recv_json("msg"))["payload"]["text"] == "hi alice"
        await a.close()
        a, _, history = await joined(server, alice)
        texts = [h["text"] for h in history["messages"]]
        assert texts[-2:] == ["hello from alice", "hi alice"], texts
        await a.close()
        await b.close()
        return url

    url = run(go())
    # The message names the file by the server's own path; under the base it is there.
    assert url.startswith("/files/"), url
    down = api(server, "GET", BASE + url, token=bob)
    assert down.status == 200 and down.body == note, down
    assert api(server, "GET", url, token=bob).status == 404


@pytest.mark.parametrize("bad", ["chat", "/a//b", "/a/../b", "/a b", "/%63hat", "/a?b"])
def test_a_bad_base_path_is_refused(tmp_path, bad):
    p = subprocess.run([parley_bin(), "--port", "0", "--db", str(tmp_path / "p.db"),
                        "--base-path", bad], capture_output=True, text=True, timeout=30)
    assert p.returncode == 2 and "--base-path must be a path like /chat" in p.stderr, p


def test_the_web_client_names_no_absolute_server_path():
    """Every request of the web client goes through base.js: a fetch, WebSocket, XHR, src or
    href of "/..." would miss the base path."""
    pattern = re.compile(r"""(fetch|WebSocket|open)\(\s*["'`]/|(src|href)\s*=\s*["'`]/|"""
                         r"""(?<!Of\()["'`]/(api|ws|files|avatars|healthz|metrics)\b""")
    found = []
    for f in sorted(WEB.glob("*.js")) + [WEB / "index.html"]:
        if f.name == "base.js":
            continue
        for n, line in enumerate(f.read_text().splitlines(), 1):
            if pattern.search(line) and not line.lstrip().startswith(("//", "*")):
                found.append(f"{f.name}:{n}: {line.strip()}")
    assert not found, "\n".join(found)
