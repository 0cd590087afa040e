"""Incoming webhooks (issue 15 item 1; docs/api.md, "Incoming webhooks"): an owner or admin
makes a channel's webhook over REST and gets its URL once; tools POST Slack's payload to it
(with curl, and with Prometheus Alertmanager's slack_configs); the message is stored and
delivered like any other, marked with its app; unknown and revoked tokens, bad payloads and
other people's attempts are refused; the token is stored only as its hash.
"""
import asyncio
import hashlib
import json
import os
import re
import shutil
import socket
import subprocess
import time

import pytest

from accounts import OWNER, api, account_token
from test_postgres import cluster, pg_store  # noqa: F401 (fixtures)
from test_shared import pair, redis  # noqa: F401 (fixtures)
from wsraw import Client, run


def curl(url, data, content_type="application/json"):
    """POSTs data with curl, as a tool would; returns (status, body)."""
    out = subprocess.run(["curl", "-sS", "-o", "-", "-w", "\n%{http_code}", "-X", "POST",
                          "-H", f"Content-Type: {content_type}", "--data-binary", "@-", url],
                         input=data.encode() if isinstance(data, str) else data,
                         capture_output=True, timeout=30, check=True).stdout.decode()
    body, _, status = out.rpartition("\n")
    return int(status), body


def make_hook(server, token, channel="general", name="Deploys"):
    r = api(server, "POST", "/api/hooks", {"channel": channel, "name": name}, token=token)
    assert r.status == 201, r
    return r.json()


def hook_url(server, made):
    return server.http + made["path"]


async def history(c, channel, id_="h"):
    await c.send_json("history", {"channel": channel}, id=id_)
    return (await c.recv_json("history", skip=("join", "leave", "typing", "msg")))["payload"]


def test_create_post_live_and_history(server):
    alice = account_token(server, OWNER)  # the server's owner
    account_token(server, "bob")
    made = make_hook(server, alice)
    token = made["token"]
    assert re.fullmatch(r"[0-9a-f]{64}", token), made
    assert made["path"] == f"/hooks/{token}"
    assert made["url"] == f"http://127.0.0.1:{server.port}/hooks/{token}"
    assert made["hook"]["name"] == "Deploys" and made["hook"]["channel"] == "general"
    # Listed without its token.
    listed = api(server, "GET", "/api/hooks?channel=general", token=alice).json()["hooks"]
    assert [h["id"] for h in listed] == [made["hook"]["id"]] and "token" not in listed[0]

    async def go():
        b, _, _ = await Client.joined(server, "bob", account=True)
        payload = {"text": "deploy *done* <https://ci.example/42|build 42> &amp; <!here>",
                   "username": "CI", "icon_emoji": ":rocket:"}
        status, body = await asyncio.to_thread(curl, hook_url(server, made), json.dumps(payload))
        assert (status, body) == (200, "ok")
        m = (await b.recv_json("msg"))["payload"]
        assert m["user"] == "CI" and m["app"] == {"name": "CI", "icon": ":rocket:"}, m
        assert m["text"] == "deploy *done* build 42 (https://ci.example/42) & @here", m
        assert "here" in m.get("mentions", []) or m.get("mentions") is not None, m
        # Plain {"text"}: the hook's own name, no icon.
        status, _ = await asyncio.to_thread(curl, hook_url(server, made), '{"text": "plain"}')
        assert status == 200
        m2 = (await b.recv_json("msg"))["payload"]
        assert m2["user"] == "Deploys" and m2["app"] == {"name": "Deploys"}
        assert m2["seq"] == m["seq"] + 1
        # History (and a later join) carries the mark too.
        h = await history(b, "general")
        got = {x["seq"]: x for x in h["messages"]}
        assert got[m["seq"]]["app"] == {"name": "CI", "icon": ":rocket:"}
        assert got[m2["seq"]]["text"] == "plain"
        await b.close()
        c, _, hist = await Client.joined(server, "carol", account=True)
        assert [x for x in hist["messages"] if x["seq"] == m2["seq"]][0]["app"]["name"] == \
            "Deploys"
        await c.close()
        return m["seq"]
    first = run(go())

    async def resumed():
        """A resume from before the two posts, as a client that missed them."""
        c, _, _ = await Client.joined(server, "dave", account=True)
        await c.send_json("resume", {"channels": {"general": first - 1}}, id="r")
        got = []
        while True:
            m = await c.recv_json("msg", "resumed")
            if m["type"] == "resumed":
                break
            got.append(m["payload"])
        await c.close()
        return [(x["seq"], x.get("app")) for x in got if x["seq"] >= first]
    want = [(first, {"name": "CI", "icon": ":rocket:"}), (first + 1, {"name": "Deploys"})]
    assert run(resumed()) == want  # from the ring
    server.stop()
    server.restart()
    assert run(resumed()) == want  # from the store

    # The token is stored only as its SHA-256: no column of any table holds it.
    rows = server.rows("SELECT hash, channel, name FROM hooks")
    assert rows == [(hashlib.sha256(token.encode()).hexdigest(), "general", "Deploys")]
    if not server.store:
        with open(server.db, "rb") as f:
            assert token.encode() not in f.read()
        for wal in (server.db + "-wal",):
            if os.path.exists(wal):
                with open(wal, "rb") as f:
                    assert token.encode() not in f.read()


def test_slack_attachments_blocks_and_form(server):
    alice = account_token(server, OWNER)
    made = make_hook(server, alice, name="Alerts")
    alert = {"attachments": [{
        "fallback": "[FIRING:1] DiskFull",
        "pretext": "Alert!",
        "title": "[FIRING:1] DiskFull", "title_link": "http://am.example/#/alerts",
        "text": "disk / is 97% full",
        "fields": [{"title": "severity", "value": "page", "short": True}],
    }, {"fallback": "only the fallback"}]}
    blocks = {"text": "not shown", "blocks": [
        {"type": "header", "text": {"type": "plain_text", "text": "Release"}},
        {"type": "section", "text": {"type": "mrkdwn", "text": "v1.2 is out: <https://r.example>"}},
        {"type": "divider"},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": "by"},
                                         {"type": "plain_text", "text": "the bot"}]},
        {"type": "rich_text", "elements": [{"type": "rich_text_section", "elements": [
            {"type": "text", "text": "see "}, {"type": "link", "url": "https://d.example"},
            {"type": "emoji", "name": "tada"}]}]},
    ]}
    form = "payload=" + json.dumps({"text": "from a form: 100%"}).replace("%", "%25") \
        .replace(" ", "+").replace("&", "%26")

    async def go():
        a, _, _ = await Client.joined(server, OWNER, account=True)
        assert curl(hook_url(server, made), json.dumps(alert)) == (200, "ok")
        m = (await a.recv_json("msg"))["payload"]
        assert m["text"] == ("Alert!\n*[FIRING:1] DiskFull* http://am.example/#/alerts\n"
                             "disk / is 97% full\n*severity*: page\nonly the fallback"), m
        assert curl(hook_url(server, made), json.dumps(blocks)) == (200, "ok")
        m = (await a.recv_json("msg"))["payload"]
        assert m["text"] == ("*Release*\nv1.2 is out: https://r.example\nby the bot\n"
                             "see https://d.example:tada:"), m
        assert curl(hook_url(server, made), form,
                    "application/x-www-form-urlencoded") == (200, "ok")
        m = (await a.recv_json("msg"))["payload"]
        assert m["text"] == "from a form: 100%" and m["app"]["name"] == "Alerts", m
        await a.close()
    run(go())


def test_refusals(server):
    alice = account_token(server, OWNER)
    bob = account_token(server, "bob")
    made = make_hook(server, alice)
    url = hook_url(server, made)
    # Bad tokens: unknown, malformed, another's hash.
    assert curl(server.http + "/hooks/" + "0" * 64, '{"text":"x"}') == (404, "no_service")
    assert curl(server.http + "/hooks/nothex", '{"text":"x"}') == (404, "no_service")
    stored = hashlib.sha256(made["token"].encode()).hexdigest()
    assert curl(server.http + "/hooks/" + stored, '{"text":"x"}') == (404, "no_service")
    # Bad payloads.
    assert curl(url, '{"text": "unterminated') == (400, "invalid_payload")
    assert curl(url, '["text"]') == (400, "invalid_payload")
    assert curl(url, "payload=%zz", "application/x-www-form-urlencoded") == \
        (400, "invalid_payload")
    assert curl(url, '{"text": ""}') == (400, "no_text")
    assert curl(url, '{"attachments": [{"color": "red"}]}') == (400, "no_text")
    assert curl(url, json.dumps({"text": "x" * 5000})) == (400, "msg_too_long")
    # A body past --max-body (64 KiB) is still read here, up to 256 KiB.
    assert curl(url, json.dumps({"text": "x" * 100000})) == (400, "msg_too_long")
    assert curl(url, "x" * (300 * 1024))[0] == 413
    r = api(server, "GET", made["path"])
    assert r.status == 405 and r.header("Allow") == "POST"
    # Nobody but the channel's managers makes, lists or revokes its hooks.
    r = api(server, "POST", "/api/hooks", {"channel": "general", "name": "Mine"}, token=bob)
    assert r.status == 403 and r.code == "forbidden", r
    r = api(server, "GET", "/api/hooks?channel=general", token=bob)
    assert r.status == 403, r
    assert api(server, "GET", "/api/hooks", token=bob).json()["hooks"] == []
    r = api(server, "DELETE", f"/api/hooks/{made['hook']['id']}", token=bob)
    assert r.status == 403, r
    r = api(server, "POST", "/api/hooks", {"channel": "nowhere", "name": "X"}, token=alice)
    assert r.status == 404 and r.code == "no_such_channel", r
    r = api(server, "POST", "/api/hooks", {"channel": "general", "name": " "}, token=alice)
    assert r.status == 400 and r.code == "bad_name", r
    assert api(server, "POST", "/api/hooks", {"name": "X"}, token=alice).status == 400
    assert api(server, "POST", "/api/hooks", {"channel": "general", "name": "X"}).status == 401
    # Revoked: its URL is gone at once, and it is not listed.
    assert curl(url, '{"text": "before"}') == (200, "ok")
    r = api(server, "DELETE", f"/api/hooks/{made['hook']['id']}", token=alice)
    assert r.status == 200, r
    assert curl(url, '{"text": "after"}') == (404, "no_service")
    assert api(server, "GET", "/api/hooks", token=alice).json()["hooks"] == []
    assert api(server, "DELETE", f"/api/hooks/{made['hook']['id']}", token=alice).status == 404
    assert server.rows("SELECT count(*) FROM messages WHERE text = 'before'") == [(1,)]
    assert server.rows("SELECT count(*) FROM messages WHERE text = 'after'") == [(0,)]
    # The revocation is stored: after a restart the URL stays dead.
    server.stop()
    server.restart()
    assert curl(url, '{"text": "after"}') == (404, "no_service")


def test_deleting_the_channel_revokes_its_hooks(server):
    """A channel deleted takes its webhooks with it: one made again under its name does not
    get them."""
    owner = account_token(server, OWNER)

    async def channel(type_, reply):
        a, _, _ = await Client.joined(server, OWNER, account=True)
        key = "name" if type_ == "channel_create" else "channel"
        await a.send_json(type_, {key: "tmp"}, id="c")
        await a.recv_json(reply, skip=("join", "leave", "typing", "msg", "channels",
                                       "channel", "channel_left", "channel_event"))
        await a.close()
    run(channel("channel_create", "channel"))
    made = make_hook(server, owner, channel="tmp")
    assert curl(hook_url(server, made), '{"text": "x"}') == (200, "ok")
    run(channel("channel_delete", "channel_deleted"))
    run(channel("channel_create", "channel"))
    assert curl(hook_url(server, made), '{"text": "y"}') == (404, "no_service")
    assert api(server, "GET", "/api/hooks?channel=tmp", token=owner).json()["hooks"] == []


def test_rate_limited_like_users(make_server):
    server = make_server("--rate", "1", "--burst", "3")
    alice = account_token(server, OWNER)
    url = hook_url(server, make_hook(server, alice))
    statuses = [curl(url, json.dumps({"text": f"n{i}"}))[0] for i in range(6)]
    assert statuses[:3] == [200, 200, 200] and 429 in statuses[3:], statuses


@pytest.mark.sqlite_only  # the pair is on SQLite and on PostgreSQL whatever the backend
def test_other_processes_know_the_hook_and_deliver_its_message(pair):
    """Made on one process, the hook posts on another at once (the accounts re-read when
    unknown), and the message reaches a client of the first through the bus, app and all."""
    a, b = pair
    made = make_hook(a, account_token(a, OWNER))

    async def go():
        c, _, _ = await Client.joined(a, "carol", account=True)
        assert curl(hook_url(b, made), '{"text": "from b", "username": "CI"}') == (200, "ok")
        m = (await c.recv_json("msg", timeout=15))["payload"]
        assert m["text"] == "from b" and m["app"] == {"name": "CI"}, m
        await c.close()
    run(go())
    r = api(b, "DELETE", f"/api/hooks/{made['hook']['id']}", token=account_token(b, OWNER))
    assert r.status == 200, r
    deadline = time.monotonic() + 10  # the other process re-reads the accounts each second
    while curl(hook_url(a, made), '{"text": "late"}') != (404, "no_service"):
        assert time.monotonic() < deadline, "the revocation did not reach the other process"
        time.sleep(0.2)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


AM = "/usr/bin/prometheus-alertmanager"


@pytest.mark.sqlite_only
@pytest.mark.skipif(not os.path.exists(AM), reason="prometheus-alertmanager is not installed "
                    "(scripts/deps test)")
def test_alertmanager_fires_into_a_channel(server, tmp_path):
    """A real Alertmanager (Debian's) with a Slack receiver pointed at the hook: an alert
    posted to its API arrives in the channel as its slack_configs render it."""
    alice = account_token(server, OWNER)

    async def make_channel():
        a, _, _ = await Client.joined(server, OWNER, account=True)
        await a.send_json("channel_create", {"name": "ops"}, id="c")
        await a.recv_json("channel", skip=("join", "leave", "typing", "msg", "channels"))
        await a.close()
    run(make_channel())
    made = make_hook(server, alice, channel="ops", name="Alertmanager")
    port = free_port()
    (tmp_path / "am.yml").write_text(f"""
route:
  receiver: parley
  group_by: [alertname]
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
receivers:
- name: parley
  slack_configs:
  - api_url: {hook_url(server, made)}
    channel: '#ops'
    username: Alertmanager
    icon_emoji: ':fire:'
    send_resolved: false
    title: '[{{{{ .Status | toUpper }}}}] {{{{ .CommonLabels.alertname }}}}'
    text: '{{{{ range .Alerts }}}}{{{{ .Annotations.summary }}}}{{{{ end }}}}'
""")
    log = open(tmp_path / "am.log", "w")
    am = subprocess.Popen([AM, f"--config.file={tmp_path / 'am.yml'}",
                           f"--storage.path={tmp_path / 'am-data'}",
                           f"--web.listen-address=127.0.0.1:{port}",
                           "--cluster.listen-address="],  # alone: no gossip to settle
                          stdout=log, stderr=subprocess.STDOUT)
    try:
        alert = json.dumps([{"labels": {"alertname": "DiskFull", "severity": "page"},
                             "annotations": {"summary": "disk / is 97% full"}}])
        deadline = time.monotonic() + 30
        while True:  # until its API answers (it starts in well under a second when idle)
            r = subprocess.run(["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", "-X",
                                "POST", "-H", "Content-Type: application/json", "-d", alert,
                                f"http://127.0.0.1:{port}/api/v2/alerts"],
                               capture_output=True, text=True, timeout=10)
            if r.stdout == "200":
                break
            assert time.monotonic() < deadline and am.poll() is None, \
                (tmp_path / "am.log").read_text()
            time.sleep(0.2)

        async def wait_alert():
            c, _, _ = await Client.joined(server, OWNER, account=True)
            deadline = time.monotonic() + 40
            while time.monotonic() < deadline:
                await c.send_json("history", {"channel": "ops"}, id="h")
                h = (await c.recv_json("history", skip=("join", "leave", "typing", "msg")))
                msgs = [m for m in h["payload"]["messages"] if m.get("app")]
                if msgs:
                    await c.close()
                    return msgs[0]
                await asyncio.sleep(0.5)
            raise AssertionError("no alert arrived: " + (tmp_path / "am.log").read_text())
        m = run(wait_alert())
        assert m["user"] == "Alertmanager" and m["app"] == {"name": "Alertmanager",
                                                            "icon": ":fire:"}, m
        assert "[FIRING] DiskFull" in m["text"] and "disk / is 97% full" in m["text"], m
    finally:
        am.terminate()
        am.wait(10)
        log.close()
