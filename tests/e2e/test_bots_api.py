"""Bots and the REST API for scripts (issue 15 item 2; docs/api.md): bot accounts made by
owners and admins (REST and `parley bot`), their bearer tokens (revoked, renewed), and the
chat endpoints (post with a client key, edit, delete, react, history, channels, members,
search) going through the hub as WebSocket requests do: live to the channel's members, the
protocol's error codes with fitting HTTP statuses, the user's rate limit.
"""
import asyncio
import json
import re
import subprocess
import urllib.parse

import pytest

from accounts import OWNER, account_token, api
from conftest import parley_bin
from wsraw import Client, run


def make_bot(server, owner, name="ci-bot"):
    r = api(server, "POST", "/api/bots", {"name": name}, token=owner)
    assert r.status == 201, r
    body = r.json()
    assert re.fullmatch(r"[0-9a-f]{64}", body["token"]), body
    assert body["user"]["bot"] is True and body["user"]["name"] == name
    return body["token"], body["user"]["id"]


def post(server, token, channel, text=None, **body):
    if text is not None:
        body["text"] = text
    return api(server, "POST", f"/api/channels/{channel}/messages", body, token=token)


async def room(server, owner, bot_name="ci-bot", channel="builds"):
    """alice (a member) online, in `channel` she made, with the bot invited into it."""
    alice, _, _ = await Client.joined(server, "alice", account=True)
    await alice.send_json("channel_create", {"name": channel}, id="c")
    await alice.recv_json("channel")
    await alice.send_json("channel_invite", {"channel": channel, "user": bot_name}, id="i")
    await alice.recv_json("invited", skip=("join", "leave", "typing", "channel_event"))
    return alice


def test_admins_make_bots_and_others_cannot(server):
    owner = account_token(server, OWNER)
    alice = account_token(server, "alice")
    r = api(server, "POST", "/api/bots", {"name": "nope-bot"}, token=alice)
    assert (r.status, r.code) == (403, "forbidden"), r
    assert api(server, "GET", "/api/bots", token=alice).status == 403
    token, bid = make_bot(server, owner)
    assert (api(server, "POST", "/api/bots", {"name": "CI-Bot"}, token=owner).status, ) == (409,)
    assert api(server, "POST", "/api/bots", {"name": 7}, token=owner).code == "bad_payload"
    bots = api(server, "GET", "/api/bots", token=owner).json()["bots"]
    assert [(b["name"], b["tokens"], b["bot"]) for b in bots] == [("ci-bot", 1, True)]
    # The directory marks it, for the clients' BOT badge; it cannot sign in.
    listed = {u["name"]: u for u in api(server, "GET", "/api/users", token=alice).json()["users"]}
    assert listed["ci-bot"].get("bot") is True and "bot" not in listed["alice"]
    r = api(server, "POST", "/api/login", {"name": "ci-bot", "password": "whatever-it-is"})
    assert r.status == 401, r
    me = api(server, "GET", "/api/me", token=token).json()["user"]
    assert (me["id"], me["bot"], me["role"]) == (bid, True, "member")


def test_post_live_idempotent_and_scoped(server):
    owner = account_token(server, OWNER)
    token, _ = make_bot(server, owner)

    async def main():
        alice = await room(server, owner)
        r = post(server, token, "builds", "build 41 passed", cid="build-41")
        assert r.status == 201, r
        ack = r.json()
        assert ack["channel"] == "builds" and ack["cid"] == "build-41" and ack["seq"] > 0
        m = await alice.recv_json("msg", skip=("join", "leave", "typing", "channel_event"))
        assert (m["payload"]["user"], m["payload"]["text"], m["payload"]["seq"]) == \
            ("ci-bot", "build 41 passed", ack["seq"])
        # The same key again: one message, the original's answer.
        r = post(server, token, "builds", "build 41 passed", cid="build-41")
        assert r.status == 200 and r.json()["duplicate"] is True and r.json()["seq"] == ack["seq"]
        await alice.expect_silence(0.3)
        # A thread reply.
        r = post(server, token, "builds", "details", thread=ack["seq"])
        assert r.status == 201, r
        m = await alice.recv_json("msg")
        assert m["payload"]["thread"] == ack["seq"]
        # Channels it is not in: a public one (forbidden), a private one (as if none).
        await alice.send_json("channel_create", {"name": "lounge"}, id="c2")
        await alice.recv_json("channel")
        await alice.send_json("channel_create", {"name": "secret", "private": True}, id="c3")
        await alice.recv_json("channel")
        r = post(server, token, "lounge", "hi")
        assert (r.status, r.code) == (403, "forbidden"), r
        r = post(server, token, "secret", "hi")
        assert (r.status, r.code) == (404, "no_such_channel"), r
        r = post(server, token, "nowhere", "hi")
        assert (r.status, r.code) == (404, "no_such_channel"), r
        # Bad input: the protocol's codes.
        r = api(server, "POST", "/api/channels/builds/messages", raw=b"{not json",
                token=token)
        assert (r.status, r.code) == (400, "bad_json"), r
        assert post(server, token, "builds").code == "bad_payload"
        assert post(server, token, "builds", "x", cid="no spaces").code == "bad_payload"
        r = post(server, token, "builds", "x" * 5000)
        assert (r.status, r.code) == (413, "too_large"), r
        r = api(server, "POST", "/api/channels/builds/messages", {"text": "x"})
        assert (r.status, r.code) == (401, "unauthorized"), r
        r = api(server, "PUT", "/api/channels/builds/messages", {"text": "x"}, token=token)
        assert r.status == 405 and "POST" in r.header("Allow"), r
        # A bot joins no channel by itself.
        r = api(server, "GET", "/api/channels", token=token).json()
        assert sorted(c["name"] for c in r["channels"]) == ["builds", "general"]
        await alice.close()

    run(main())


def test_edit_delete_react_history_members_search(server):
    owner = account_token(server, OWNER)
    token, _ = make_bot(server, owner)

    async def main():
        alice = await room(server, owner)
        seqs = [post(server, token, "builds", f"deploy step {i}").json()["seq"] for i in range(5)]
        theirs = (await alice.msg("mine, not the bot's", channel="builds"))["payload"]["seq"]
        base = f"/api/channels/builds/messages"
        r = api(server, "PATCH", f"{base}/{seqs[0]}", {"text": "deploy step zero"}, token=token)
        assert r.status == 200 and r.json()["seq"] > seqs[-1], r
        r = api(server, "PATCH", f"{base}/{theirs}", {"text": "hijacked"}, token=token)
        assert (r.status, r.code) == (403, "forbidden"), r
        r = api(server, "DELETE", f"{base}/{theirs}", token=token)
        assert (r.status, r.code) == (403, "forbidden"), r
        assert api(server, "DELETE", f"{base}/{seqs[1]}", token=token).status == 200
        r = api(server, "DELETE", f"{base}/{seqs[1]}", token=token)
        assert (r.status, r.code) == (404, "no_such_message"), r
        emoji = "\U0001F680"
        r = api(server, "POST", f"{base}/{theirs}/reactions", {"emoji": emoji}, token=token)
        assert r.status == 200, r
        ev = await alice.recv_json("react", skip=("msg", "edit", "delete", "join", "typing"))
        assert (ev["payload"]["user"], ev["payload"]["on"]) == ("ci-bot", True)
        r = api(server, "POST", f"{base}/{theirs}/reactions", {"emoji": emoji}, token=token)
        assert (r.status, r.code) == (409, "no_change"), r
        quoted = urllib.parse.quote(emoji)
        r = api(server, "DELETE", f"{base}/{theirs}/reactions/{quoted}", token=token)
        assert r.status == 200, r
        ev = await alice.recv_json("react", skip=("msg", "edit", "delete", "join", "typing"))
        assert ev["payload"]["on"] is False
        # History, paged: messages as they stand (the edit applied, the delete gone).
        r = api(server, "GET", f"{base}?limit=2&before={theirs}", token=token)
        page = r.json()
        assert r.status == 200 and page["more"] is True, r
        assert [m["text"] for m in page["messages"]] == ["deploy step 3", "deploy step 4"], page
        rest = api(server, "GET", f"{base}?limit=50&before={page['messages'][0]['seq']}",
                   token=token).json()
        texts = [m["text"] for m in rest["messages"] if m.get("user") == "ci-bot"]
        assert texts == ["deploy step zero", "deploy step 2"] and rest["more"] is False, rest
        after = api(server, "GET", f"{base}?after={seqs[2]}&limit=2", token=token).json()
        assert [m["seq"] for m in after["messages"]] == seqs[3:5], after
        assert api(server, "GET", f"{base}?limit=abc", token=token).code == "bad_payload"
        # Members, channels, search.
        r = api(server, "GET", "/api/channels/builds/members", token=token)
        assert r.status == 200 and {"alice", "ci-bot"} <= {u["name"] for u in r.json()["users"]}
        r = api(server, "GET", "/api/channels", token=token)
        assert {c["name"] for c in r.json()["channels"]} == {"general", "builds"}, r
        r = api(server, "GET", "/api/search?q=deploy+step", token=token)
        assert r.status == 200 and len(r.json()["messages"]) >= 3, r
        assert api(server, "GET", "/api/search", token=token).code == "bad_payload"
        await alice.close()

    run(main())


def test_tokens_revoked_renewed_and_the_websocket(server):
    owner = account_token(server, OWNER)
    token, bid = make_bot(server, owner)

    async def main():
        alice = await room(server, owner)
        # The bot's token on a WebSocket: the same protocol as anyone's.
        bot = await Client.connect(server)
        welcome = await bot.join("ci-bot", token=token)
        assert welcome["user"] == "ci-bot"
        await bot.recv_json("history")
        ack = await bot.msg("from the socket", channel="builds")
        m = await alice.recv_json("msg", skip=("join", "leave", "typing", "channel_event"))
        assert (m["payload"]["user"], m["payload"]["seq"]) == ("ci-bot", ack["payload"]["seq"])
        # Renewed: the old token ends (its socket closed 4001), the new one works.
        r = api(server, "POST", f"/api/bots/{bid}/token", token=owner)
        assert r.status == 201, r
        fresh = r.json()["token"]
        with pytest.raises(Exception):
            while True:
                await bot.recv_json(timeout=5)
        assert bot.ws.close_code == 4001
        assert post(server, token, "builds", "old").status == 401
        assert post(server, fresh, "builds", "new").status == 201
        # Upgrade credentials work too.
        c = await Client.connect(server, headers={"Authorization": f"Bearer {fresh}"})
        await c.send_json("join", {}, id="j")
        assert (await c.recv_json("welcome"))["payload"]["user"] == "ci-bot"
        # Revoked: every token ends, the bot stays.
        assert api(server, "DELETE", f"/api/bots/{bid}/token", token=owner).status == 200
        r = post(server, fresh, "builds", "gone")
        assert (r.status, r.code) == (401, "unauthorized"), r
        bots = api(server, "GET", "/api/bots", token=owner).json()["bots"]
        assert bots[0]["tokens"] == 0
        assert api(server, "DELETE", f"/api/bots/{bid}/token",
                   token=account_token(server, "alice")).status == 403
        await alice.close()

    run(main())


def test_rate_limited_like_users(make_server):
    server = make_server("--rate", "1", "--burst", "10")
    owner = account_token(server, OWNER)
    token, _ = make_bot(server, owner)

    async def main():
        alice = await room(server, owner)
        codes = [post(server, token, "builds", f"flood {i}").status for i in range(14)]
        assert codes.count(201) <= 12 and 429 in codes, codes
        r = post(server, token, "builds", "one more")
        assert (r.status, r.code) == (429, "rate_limited"), r
        assert int(r.header("Retry-After")) >= 1 and r.json()["retry_after_ms"] > 0
        await alice.close()

    run(main())


@pytest.mark.sqlite_only
def test_parley_bot_command(server):
    account_token(server, OWNER)
    out = subprocess.run([parley_bin(), "bot", "add", "deploy-bot", *server.where],
                         capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    token = out.stdout.splitlines()[0]
    assert re.fullmatch(r"[0-9a-f]{64}", token), out.stdout
    assert "bot deploy-bot (id " in out.stdout
    # The running server reads the new account within a second or so.
    for _ in range(50):
        r = api(server, "GET", "/api/me", token=token)
        if r.status == 200:
            break
        run(asyncio.sleep(0.1))
    assert r.status == 200 and r.json()["user"]["bot"] is True, r
    out = subprocess.run([parley_bin(), "bot", "add", "deploy-bot", *server.where],
                         capture_output=True, text=True, timeout=30)
    assert out.returncode == 1 and "name taken" in out.stderr
    out = subprocess.run([parley_bin(), "bot", "revoke", "alice", *server.where],
                         capture_output=True, text=True, timeout=30)
    assert out.returncode == 1 and "no bot named" in out.stderr
    out = subprocess.run([parley_bin(), "bot", "revoke", "deploy-bot", *server.where],
                         capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    for _ in range(50):
        r = api(server, "GET", "/api/me", token=token)
        if r.status == 401:
            break
        run(asyncio.sleep(0.1))
    assert r.status == 401, r


@pytest.mark.sqlite_only
def test_a_post_reaches_another_process(make_server, tmp_path):
    """Two processes on one store and a bus: a bot posting over REST to one is delivered
    live to a member connected to the other, as a WebSocket message would be."""
    from backends import Redis
    redis = Redis(tmp_path).start()
    try:
        flags = ("--bus", redis.url)
        a = make_server(*flags, db=tmp_path / "shared.db")
        b = make_server(*flags, db=tmp_path / "shared.db")
        owner = account_token(a, OWNER)
        token, _ = make_bot(a, owner)

        async def main():
            # b learns the accounts made on a within a second or so.
            for _ in range(50):
                if api(b, "GET", "/api/me", token=token).status == 200:
                    break
                await asyncio.sleep(0.1)
            b.tokens = {"\0owner": owner}
            alice = await room(b, owner)
            # The invitation made on b reaches a over the bus.
            for _ in range(100):
                names = [c["name"] for c in
                         api(a, "GET", "/api/channels", token=token).json()["channels"]]
                if "builds" in names:
                    break
                await asyncio.sleep(0.1)
            r = post(a, token, "builds", "from the other process", cid="x1")
            assert r.status == 201, r
            m = await alice.recv_json("msg", skip=("join", "leave", "typing", "channel_event"),
                                      timeout=10)
            assert (m["payload"]["user"], m["payload"]["seq"]) == ("ci-bot", r.json()["seq"])
            # The same key on the other process: the original's answer, stored once.
            r2 = post(b, token, "builds", "from the other process", cid="x1")
            assert r2.status == 200 and r2.json()["duplicate"] is True, r2
            assert r2.json()["seq"] == r.json()["seq"]
            await alice.close()

        run(main())
    finally:
        redis.stop()
