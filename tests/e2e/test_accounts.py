"""Accounts as a user meets them (docs/protocol.md, "Accounts"): the REST API under /api, the
session cookie and the Origin rule, the three join forms, guests and their held names,
roles over WebSocket (channel_kick, no_such_user), the per-user rate limit, and the
`parley user` command. The attacks are in test_accounts_attacks.py."""
import asyncio
import re
import subprocess
import time

import pytest
import websockets

from accounts import (account_token, admin, api, invite, login, logout, me, origin_of,
                      password_for, register, users)
from conftest import parley_bin
from test_channels import error, expect, request
from wsraw import Client, RawWS, TextClient, run

TOKEN_RE = re.compile(r"[0-9a-f]{64}")


def user_obj(r):
    return r.json()["user"]


# ---------------------------------------------------------------- REST: sign-up, sign-in


def test_server_info_and_first_account_is_owner(make_server):
    server = make_server(defaults=False)  # the real default: --registration invite
    info = api(server, "GET", "/api/server")
    assert info.status == 200 and info.header("content-type", "").startswith("application/json")
    assert info.json() == {"name": "parley", "owner_exists": False, "registration": "open",
                           "guests": True}
    r = register(server, "alice", display_name="Alice L.")
    assert r.status == 201, r
    body = r.json()
    assert set(body) == {"user", "token"} and TOKEN_RE.fullmatch(body["token"])
    u = body["user"]
    assert {k: u[k] for k in ("name", "display_name", "role", "guest")} == \
        {"name": "alice", "display_name": "Alice L.", "role": "owner", "guest": False}
    assert isinstance(u["id"], int) and u["id"] > 0
    assert r.cookie_token == body["token"]
    info = api(server, "GET", "/api/server").json()
    assert info["owner_exists"] is True and info["registration"] == "invite"
    # now invite-only: no invite, no account
    r = register(server, "bob")
    assert (r.status, r.code) == (403, "bad_invite"), r


def test_register_cookie_and_validation(server):
    r = register(server, "alice")
    assert r.status == 201, r
    cookie = r.header("set-cookie")
    parts = [p.strip() for p in cookie.split(";")]
    assert parts[0] == "parley_session=" + r.json()["token"]
    assert {"Path=/", "HttpOnly", "SameSite=Lax", "Max-Age=7776000"} <= set(parts), cookie
    assert "Secure" not in parts
    # behind a TLS proxy the cookie is Secure
    r = register(server, "bob", headers={"X-Forwarded-Proto": "https"})
    assert r.status == 201 and "Secure" in [p.strip() for p in r.header("set-cookie").split(";")]
    assert user_obj(r)["role"] == "member"
    for name, pw, status, code in (
            ("carol", "short12", 400, "weak_password"),       # 7 characters
            ("carol", "é" * 7, 400, "weak_password"),         # 14 bytes, 7 characters
            ("carol", "x" * 1025, 400, "bad_password"),       # over 1024 bytes
            ("carol", "é" * 513, 400, "bad_password"),        # 1026 bytes
            (" carol", "long enough pw", 400, "bad_name"),
            ("", "long enough pw", 400, "bad_name"),
            ("a" * 33, "long enough pw", 400, "bad_name"),
            ("ca\x01rol", "long enough pw", 400, "bad_name"),
            ("alice", "long enough pw", 409, "name_taken"),
            ("ALICE", "long enough pw", 409, "name_taken")):
        r = register(server, name, pw)
        assert (r.status, r.code) == (status, code), (name, pw[:10], r)
        assert set(r.json()) == {"error", "message"} and r.json()["message"]
        assert r.cookie_token is None
    assert register(server, "carol", "é" * 8).status == 201  # 8 characters is enough
    for body, code in ((b"[1]", "bad_json"), (b"{nope", "bad_json"), (b"", "bad_json"),
                       (b'{"name": 5, "password": "long enough pw"}', "bad_payload"),
                       (b'{"name": "dave"}', "bad_payload")):
        r = api(server, "POST", "/api/register", raw=body)
        assert (r.status, r.code) == (400, code), (body, r)


def test_reserved_names_cannot_be_registered(server):
    account_token(server, "someone")
    for name in ("anonymous", "Anonymous", "Client #5", "client #5", "Client #"):
        r = register(server, name)
        assert r.status in (400, 409) and r.code in ("bad_name", "name_taken"), (name, r)


def test_login_logout_me(server):
    assert register(server, "alice").status == 201
    r = login(server, "alice")
    assert r.status == 200, r
    tok = r.json()["token"]
    assert TOKEN_RE.fullmatch(tok) and r.cookie_token == tok
    assert user_obj(r)["name"] == "alice"
    # the name is matched by its canonical form
    r2 = login(server, "ＡＬＩＣＥ", password_for("alice"))
    assert r2.status == 200 and user_obj(r2)["name"] == "alice", r2
    m = me(server, tok)
    assert m.status == 200, m
    assert m.json()["user"]["name"] == "alice"
    assert set(m.json()["session"]) >= {"id", "created", "seen", "expires"}
    s = m.json()["session"]
    # when it ends if unused: 30 days after it was last seen, at most 90 after sign-in
    day = 86400 * 1000
    assert s["expires"] == min(s["seen"] + 30 * day, s["created"] + 90 * day), s
    # the cookie authenticates a GET as well
    assert me(server, None, cookie=tok).json()["user"]["name"] == "alice"
    for bad in (None, "", "0" * 64, tok[:-1], tok + "0", tok.upper()):
        r = api(server, "GET", "/api/me", token=bad)
        assert (r.status, r.code) == (401, "unauthorized"), (bad, r)
    r = logout(server, tok)
    assert r.status == 200 and r.json() == {"ok": True}
    cleared = r.header("set-cookie")
    assert cleared and "Max-Age=0" in cleared
    assert me(server, tok).status == 401
    # the other session lives on
    assert me(server, r2.json()["token"]).status == 200


def test_display_name(server):
    tok = account_token(server, "alice")
    r = api(server, "PATCH", "/api/me", {"display_name": "Alice Liddell"}, token=tok)
    assert r.status == 200 and r.json()["user"]["display_name"] == "Alice Liddell", r
    for bad in ("x" * 65, "a\u202eb", "a\u200bb", "line\nbreak", "\x07"):
        r = api(server, "PATCH", "/api/me", {"display_name": bad}, token=tok)
        assert (r.status, r.code) == (400, "bad_name"), (bad, r)
    r = api(server, "PATCH", "/api/me", {"display_name": ""}, token=tok)
    assert r.status == 200 and r.json()["user"]["display_name"] == ""


def test_sessions_list_and_revoke(server):
    assert register(server, "alice").status == 201
    a = login(server, "alice", headers={"User-Agent": "tab-a"}).json()["token"]
    b = login(server, "alice", headers={"User-Agent": "tab-b"}).json()["token"]
    r = api(server, "GET", "/api/sessions", token=a)
    assert r.status == 200, r
    sess = r.json()["sessions"]
    assert len(sess) == 3
    assert [s["created"] for s in sess] == sorted((s["created"] for s in sess), reverse=True)
    cur = [s for s in sess if s["current"]]
    assert len(cur) == 1 and cur[0]["agent"] == "tab-a" and cur[0]["addr"].startswith("127.")
    other = [s for s in sess if s["agent"] == "tab-b"][0]
    bob = account_token(server, "bob")
    r = api(server, "DELETE", f"/api/sessions/{other['id']}", token=bob)
    assert (r.status, r.code) == (404, "not_found"), r
    assert me(server, b).status == 200
    r = api(server, "DELETE", f"/api/sessions/{other['id']}", token=a)
    assert r.status == 200 and r.json() == {"ok": True}
    assert me(server, b).status == 401
    assert me(server, a).status == 200


def test_password_change(server):
    assert register(server, "alice").status == 201
    a = login(server, "alice").json()["token"]
    b = login(server, "alice").json()["token"]
    r = api(server, "POST", "/api/password", {"password": "wrong one!", "new_password": "x" * 12},
            token=a)
    assert (r.status, r.code) == (401, "bad_credentials")
    r = api(server, "POST", "/api/password",
            {"password": password_for("alice"), "new_password": "short"}, token=a)
    assert (r.status, r.code) == (400, "weak_password")
    r = api(server, "POST", "/api/password",
            {"password": password_for("alice"), "new_password": "y" * 2000}, token=a)
    assert (r.status, r.code) == (400, "bad_password")
    r = api(server, "POST", "/api/password",
            {"password": password_for("alice"), "new_password": "a new password"}, token=a)
    assert r.status == 200 and r.json() == {"ok": True}, r
    assert me(server, a).status == 200 and me(server, b).status == 401
    assert login(server, "alice").status == 401
    assert login(server, "alice", "a new password").status == 200


def test_unknown_paths_and_methods(server):
    r = api(server, "GET", "/api/nope")
    assert (r.status, r.code) == (404, "not_found")
    r = api(server, "GET", "/api/login")
    assert r.status == 405
    r = api(server, "DELETE", "/api/server")
    assert r.status == 405
    r = api(server, "GET", "/api/users")
    assert (r.status, r.code) == (401, "unauthorized")


# ---------------------------------------------------------------- cookie and Origin


def test_cookie_requests_need_the_servers_origin(server):
    tok = account_token(server, "alice")
    body = {"display_name": "x"}
    # the cookie from a foreign page is refused, for a change as for a read
    for origin in ("http://evil.example", "null", f"http://127.0.0.1:{server.port + 1}",
                   f"ftp://127.0.0.1:{server.port}", f"https://127.0.0.1:{server.port}"):
        r = api(server, "PATCH", "/api/me", body, cookie=tok, origin=origin)
        assert (r.status, r.code) == (403, "bad_origin"), (origin, r)
        r = api(server, "GET", "/api/me", cookie=tok, origin=origin)
        assert (r.status, r.code) == (403, "bad_origin"), (origin, r)
    # without Origin, the cookie is no credential for a change (browsers always send one
    # there: this is a script, which signs in with Bearer)
    r = api(server, "PATCH", "/api/me", body, cookie=tok)
    assert (r.status, r.code) == (401, "unauthorized"), r
    r = api(server, "PATCH", "/api/me", body, cookie=tok, origin=origin_of(server))
    assert r.status == 200, r
    # https:// and our Host is ours when a proxy says the client came over https
    r = api(server, "PATCH", "/api/me", body, cookie=tok, origin=f"https://127.0.0.1:{server.port}",
            headers={"X-Forwarded-Proto": "https"})
    assert r.status == 200, r
    # a bearer token needs no Origin; a GET with the cookie neither (a browser leaves Origin
    # out of its own same-origin reads)
    assert api(server, "PATCH", "/api/me", body, token=tok).status == 200
    assert me(server, None, cookie=tok).status == 200
    # sign-in from a foreign page is refused (login CSRF), from our own page it works
    r = login(server, "alice", origin="http://evil.example")
    assert (r.status, r.code) == (403, "bad_origin")
    r = register(server, "mallory", origin="http://evil.example")
    assert (r.status, r.code) == (403, "bad_origin")
    r = api(server, "POST", "/api/reset", {"token": "0" * 32, "password": "long enough"},
            origin="http://evil.example")
    assert (r.status, r.code) == (403, "bad_origin")
    assert login(server, "alice", origin=origin_of(server)).status == 200
    # logout by cookie needs the Origin too
    r = api(server, "POST", "/api/logout", cookie=tok)
    assert (r.status, r.code) == (401, "unauthorized")
    r = api(server, "POST", "/api/logout", cookie=tok, origin="http://evil.example")
    assert (r.status, r.code) == (403, "bad_origin")
    assert me(server, tok).status == 200


def test_extra_origins_flag(make_server):
    server = make_server("--origins", "https://chat.example.com")
    tok = account_token(server, "alice")
    r = api(server, "PATCH", "/api/me", {"display_name": "a"}, cookie=tok,
            origin="https://chat.example.com")
    assert r.status == 200, r
    r = api(server, "PATCH", "/api/me", {"display_name": "a"}, cookie=tok,
            origin="https://chat.example.org")
    assert r.status == 403
    assert login(server, "alice", origin="https://chat.example.com").status == 200


# ---------------------------------------------------------------- join forms


def test_token_join_and_welcome_fields(server):
    tok = account_token(server, "alice")
    api(server, "PATCH", "/api/me", {"display_name": "Alice L."}, token=tok)
    uid = me(server, tok).json()["user"]["id"]

    async def flow():
        c, w, _ = await Client.joined(server, "alice", token=tok)
        assert w["user"] == "alice" and w["user_id"] == uid
        assert w["display_name"] == "Alice L." and w["role"] == "member"
        assert w["guest"] is False and w["session"] == ""
        ack = await c.msg("hello")
        assert "guest" not in c.echo["payload"]
        assert ack["payload"]["seq"] == 1
        await c.close()
        # a bad token: auth_failed, then close 1008
        for bad in ("0" * 64, tok[:63], tok.upper()):
            d = await Client.connect(server)
            await d.send_json("join", {"token": bad}, id="t")
            e = await d.recv_json("error")
            assert (e["code"], e["id"]) == ("auth_failed", "t")
            with pytest.raises(websockets.ConnectionClosed):
                await d.recv_raw(timeout=5)
            assert d.close_code == 1008

    run(flow())


def test_credentials_on_the_upgrade(server):
    tok = account_token(server, "alice")

    async def flow():
        # Authorization on the upgrade, join without user: that account
        c = await Client.connect(server, headers={"Authorization": f"Bearer {tok}"})
        await c.send_json("join", {})
        w = (await c.recv_json("welcome"))["payload"]
        assert w["user"] == "alice" and w["guest"] is False
        await c.close()
        # the web client may still send its user name: the same account
        c = await Client.connect(server, headers={"Authorization": f"Bearer {tok}"})
        w = await c.join("ALICE")
        assert w["user"] == "alice" and w["guest"] is False and w["session"] == ""
        await c.close()
        # the cookie with our own Origin
        c = await Client.connect(server, headers={"Cookie": f"parley_session={tok}",
                                                  "Origin": origin_of(server)})
        await c.send_json("join", {})
        assert (await c.recv_json("welcome"))["payload"]["user"] == "alice"
        await c.close()
        # a foreign page's socket is refused at the door (test_doors.py); one without Origin
        # (a script) is let in, but its cookie is no credential: a guest connection, which
        # may not take alice's name, and without user is bad_payload
        c = await Client.connect(server, headers={"Cookie": f"parley_session={tok}"})
        assert (await c.error("join", {}))["code"] == "bad_payload"
        assert (await c.error("join", {"user": "alice"}))["code"] == "name_taken"
        w = await c.join("visitor")
        assert w["guest"] is True and w["role"] == "guest"
        await c.close()
        # no credentials, no user: bad_payload as before
        c = await Client.connect(server)
        assert (await c.error("join", {}))["code"] == "bad_payload"
        await c.close()

    run(flow())


def test_guests_are_marked_and_hold_their_name(make_server):
    server = make_server("--guest-ttl", "3600")

    async def flow():
        member, _, _ = await Client.joined(server, "mem", account=True)
        g, w, _ = await Client.joined(server, "visitor")
        assert w["guest"] is True and w["role"] == "guest" and w["display_name"] == ""
        assert isinstance(w["user_id"], int) and re.fullmatch(r"[0-9a-f]+", w["session"])
        j = await expect(member, "join", lambda m: m["payload"]["user"] == "visitor")
        assert j["payload"]["guest"] is True
        await g.msg("hi from a guest")
        assert g.echo["payload"]["guest"] is True
        m = await expect(member, "msg")
        assert m["payload"]["guest"] is True and m["payload"]["user"] == "visitor"
        ack = await member.msg("hi from a member")
        assert "guest" not in member.echo["payload"]
        # history and search carry the mark as well
        h = await request(member, "history", {"channel": "general"}, "history", id="h")
        marks = [(x["user"], x.get("guest")) for x in h["payload"]["messages"]]
        assert marks == [("visitor", True), ("mem", None)]
        r = await request(member, "search", {"q": "guest"}, "results", id="s")
        assert r["payload"]["messages"][0]["guest"] is True
        await g.close()
        # the name stays the guest's (held by its token) after it left
        x = await Client.connect(server)
        assert (await x.error("join", {"user": "visitor"}))["code"] == "name_taken"
        assert (await x.error("join", {"user": "Visitor"}))["code"] == "name_taken"
        assert (await x.error("join", {"user": "visitor", "session": "0" * 64}))["code"] == \
            "name_taken"
        w2 = await x.join("visitor", session=w["session"])
        assert w2["user_id"] == w["user_id"] and w2["guest"] is True
        await x.close()
        await member.close()
        assert register(server, "visitor").code == "name_taken"
        return ack

    run(flow())


def test_a_refused_guest_join_does_not_take_the_name(make_server):
    """A join refused after the name was looked at (a channel that does not exist, or one
    the guest may not enter) gives the client no token: it must not leave the name held by
    one (protocol: "a refused join leaves the connection unjoined: the client may send
    another join on it")."""
    server = make_server("--guest-ttl", "3600")

    async def flow():
        c = await Client.connect(server)
        for channel in ("random", "secret"):
            e = await c.error("join", {"user": "bob", "channel": channel})
            assert e["code"] == "no_such_channel", e
        w = await c.join("bob")
        assert w["user"] == "bob" and w["guest"] is True
        await c.close()

    run(flow())


def test_guest_name_is_free_at_once_with_ttl_zero(server):
    async def flow():
        g, w, _ = await Client.joined(server, "visitor")
        await g.close()
        await asyncio.sleep(0.2)
        x, w2, _ = await Client.joined(server, "visitor")
        assert w2["guest"] is True
        await x.close()

    run(flow())


# ---------------------------------------------------------------- rights over WebSocket


def test_channel_members_lists_who_is_in_it(server):
    """channel_members: a channel's people with their roles and its creator; #general lists
    who is online; a private channel one is not in does not exist."""
    async def flow():
        alice, _, _ = await Client.joined(server, "alice", account=True)
        bob, _, _ = await Client.joined(server, "bob", account=True)
        zed, _, _ = await Client.joined(server, "zed")
        await request(alice, "channel_create", {"name": "secret", "private": True}, "channel")
        await request(alice, "channel_invite", {"channel": "secret", "user": "bob"}, "invited")
        m = await request(bob, "channel_members", {"channel": "secret"}, "members", id="m1")
        assert m["payload"]["channel"] == "secret" and m["payload"]["creator"] == "alice"
        assert m["payload"]["more"] is False
        users = {u["name"]: u for u in m["payload"]["users"]}
        assert set(users) == {"alice", "bob"}
        assert users["bob"] == {"name": "bob", "display_name": "", "role": "member",
                                "guest": False}
        assert await error(zed, "channel_members", {"channel": "secret"}) == "no_such_channel"
        gen = await request(zed, "channel_members", {"channel": "general"}, "members", id="m3")
        online = {u["name"]: u["guest"] for u in gen["payload"]["users"]}
        assert online.get("zed") is True and online.get("alice") is False
        for c in (alice, bob, zed):
            await c.close()

    run(flow())


def test_channel_kick_and_no_such_user(server):
    account_token(server, "admin1", role="admin")

    async def flow():
        alice, _, _ = await Client.joined(server, "alice", account=True)
        bob, _, _ = await Client.joined(server, "bob", account=True)
        carol, _, _ = await Client.joined(server, "carol", account=True)
        adm, _, _ = await Client.joined(server, "admin1", account=True)
        await request(alice, "channel_create", {"name": "secret", "private": True}, "channel")
        for who in ("bob", "carol"):
            await request(alice, "channel_invite", {"channel": "secret", "user": who},
                          "invited", id=f"i-{who}")
        await expect(bob, "channel")
        # a member who did not create it may not kick
        assert await error(bob, "channel_kick", {"channel": "secret", "user": "carol"}) == \
            "forbidden"
        k = await request(alice, "channel_kick", {"channel": "secret", "user": "bob"}, "kicked")
        assert k["payload"]["channel"] == "secret" and k["payload"]["user"] == "bob"
        gone = await expect(bob, "channel_left")
        assert gone["payload"] == {"channel": "secret"}
        lv = await expect(carol, "leave", lambda m: m["payload"]["channel"] == "secret")
        assert lv["payload"]["user"] == "bob"
        # bob no longer sees it: it does not exist for him
        assert await error(bob, "msg", {"channel": "secret", "text": "x"}) == "no_such_channel"
        # unknown users
        assert await error(alice, "channel_invite", {"channel": "secret", "user": "nobody"}) \
            == "no_such_user"
        assert await error(alice, "dm_open", {"users": ["nobody"]}) == "no_such_user"
        # moderators kick from any channel but #general and DMs
        await request(alice, "channel_create", {"name": "open"}, "channel", id="c2")
        await request(bob, "channel_join", {"channel": "open"}, "channel", id="j")
        assert await error(alice, "channel_kick", {"channel": "open", "user": "bob"}) == \
            "forbidden"
        k = await request(adm, "channel_kick", {"channel": "open", "user": "bob"}, "kicked",
                          id="k2")
        assert k["payload"]["user"] == "bob"
        assert await error(adm, "channel_kick", {"channel": "general", "user": "bob"}) == \
            "forbidden"
        for c in (alice, bob, carol, adm):
            await c.close()

    run(flow())


def test_moderators_delete_any_message(server):
    account_token(server, "mod", role="admin")

    async def flow():
        alice, _, _ = await Client.joined(server, "alice", account=True)
        mod, _, _ = await Client.joined(server, "mod", account=True)
        ack = await alice.msg("rule-breaking")
        await mod.send_json("delete", {"seq": ack["payload"]["seq"]}, id="d")
        d = await expect(mod, "delete", lambda m: m["payload"]["target"] == ack["payload"]["seq"])
        assert d["payload"]["user"] == "mod"
        assert await error(mod, "edit", {"seq": ack["payload"]["seq"], "text": "x"}) == \
            "no_such_message"
        await alice.close()
        await mod.close()

    run(flow())


def test_rate_limit_is_per_user_across_connections(make_server):
    server = make_server("--rate", "1", "--burst", "4")

    async def flow():
        a1, _, _ = await Client.joined(server, "alice", account=True)
        a2, _, _ = await Client.joined(server, "alice", account=True)
        for i in range(2):
            for c, n in ((a1, "a1"), (a2, "a2")):
                await c.send_json("msg", {"text": f"{n}-{i}"}, id=f"{n}-{i}")
                await expect(c, "ack", lambda m: m.get("id") == f"{n}-{i}")
        # four taken from one bucket: the fifth, from either tab, is refused
        await a2.send_json("msg", {"text": "over"}, id="over")
        e = await expect(a2, "error", lambda m: m.get("id") == "over")
        assert e["code"] == "rate_limited"
        await a1.close()
        await a2.close()
        # nor does coming back on a new connection fill the bucket again (a full one would
        # take both; the second of these finds at most the one token a second refills)
        a3, _, _ = await Client.joined(server, "alice", account=True)
        await a3.send_json("msg", {"text": "again"}, id="again1")
        await a3.send_json("msg", {"text": "again"}, id="again2")
        e = await expect(a3, "error", lambda m: m.get("id") == "again2")
        assert e["code"] == "rate_limited"
        await a3.close()

    run(flow())


# ---------------------------------------------------------------- invites and roles


def test_invites_give_their_role(make_server):
    server = make_server("--registration", "invite")
    owner = register(server, "boss").json()["token"]
    r = invite(server, owner, role="admin", max_uses=2)
    assert r.status == 201, r
    body = r.json()
    assert re.fullmatch(r"[0-9a-f]{32}", body["token"]) and body["link"] == \
        "/#invite=" + body["token"]
    inv = body["invite"]
    assert (inv["role"], inv["max_uses"], inv["uses"], inv["revoked"]) == ("admin", 2, 0, False)
    r = register(server, "ada", invite=body["token"])
    assert r.status == 201 and user_obj(r)["role"] == "admin", r
    listed = api(server, "GET", "/api/invites", token=owner).json()["invites"]
    assert [(i["id"], i["uses"]) for i in listed] == [(inv["id"], 1)]
    # the default invite: a member, one use
    r = invite(server, owner)
    assert r.json()["invite"]["role"] == "member" and r.json()["invite"]["max_uses"] == 1
    r = register(server, "mem", invite=r.json()["token"])
    assert user_obj(r)["role"] == "member"
    # a member may not list or make invites
    mem = r.json()["token"]
    assert api(server, "GET", "/api/invites", token=mem).status == 403
    assert invite(server, mem).status == 403
    # closed registration
    server2 = make_server("--registration", "closed", db=server.tmp / "other.db")
    assert register(server2, "first").status == 201  # no owner yet: open
    r = register(server2, "second")
    assert (r.status, r.code) == (403, "registration_closed")


def test_users_list_and_roles(server):
    toks = {n: account_token(server, n) for n in ("alice", "bob", "boss")}
    root = server.tokens["\0owner"]
    listing = users(server, toks["alice"])
    assert {"alice", "bob", "boss"} <= set(listing)
    assert all(set(u) == {"id", "name", "display_name", "title", "tz", "avatar", "role", "guest"}
               for u in listing.values()), listing
    full = users(server, root)
    assert all({"state", "created", "seen"} <= set(u) for u in full.values())
    bob = full["bob"]["id"]
    r = admin(server, root, bob, "role", {"role": "admin"})
    assert r.status == 200 and r.json()["user"]["role"] == "admin", r
    r = admin(server, root, bob, "role", {"role": "king"})
    assert r.status == 400, r
    # an admin may not make an owner, nor act on the owner
    r = admin(server, toks["bob"], full["alice"]["id"], "role", {"role": "owner"})
    assert (r.status, r.code) == (403, "forbidden")
    r = admin(server, toks["bob"], full["root-owner"]["id"], "ban")
    assert (r.status, r.code) == (403, "forbidden")
    # roles below their own: an admin makes members, not admins (issue 11, item 6)
    r = admin(server, toks["bob"], full["alice"]["id"], "role", {"role": "admin"})
    assert (r.status, r.code) == (403, "forbidden")
    r = admin(server, toks["bob"], full["alice"]["id"], "role", {"role": "member"})
    assert r.status == 200


# ---------------------------------------------------------------- guests off


def test_guests_off_refuses_the_three_guest_modes(make_server):
    server = make_server("--guests", "off")
    assert api(server, "GET", "/api/server").json()["guests"] is False
    tok = account_token(server, "alice")

    async def flow():
        c = await Client.connect(server)
        e = await c.error("join", {"user": "visitor"}, id="g")
        assert (e["code"], e["id"]) == ("auth_required", "g")
        # the connection stays unjoined and may still sign in with a token
        w = await c.join("alice", token=tok)
        assert w["user"] == "alice"
        await c.close()

    run(flow())
    cid = RawWS(server.port, "/ws/7")
    f = cid.expect_close(1008)
    assert b"guest" in f.close_reason
    cid.close()
    line = RawWS(server.port, "/ws")
    line.send_text("Lena: hello")
    line.expect_close(1008)
    line.close()

    async def nothing_was_posted():
        c, _, hist = await Client.joined(server, "alice", token=tok)
        assert hist["messages"] == []
        await c.close()

    run(nothing_was_posted())


def test_text_modes_with_guests_on(server):
    """Client #7 is a guest held by its client id; line-mode names that are registered are
    written as anonymous."""
    account_token(server, "alice")

    async def flow():
        watcher, _, _ = await Client.joined(server, "watcher", account=True)
        line = await TextClient.connect(server, "/ws")
        await line.send("alice: it is me")
        m = await expect(watcher, "msg")
        assert (m["payload"]["user"], m["payload"]["text"]) == ("anonymous", "alice: it is me")
        await line.send("ALICE: me too")
        m = await expect(watcher, "msg")
        assert m["payload"]["user"] == "anonymous"
        await line.send("Lena: fine")
        m = await expect(watcher, "msg")
        assert m["payload"]["user"] == "Lena"
        await line.close()
        await watcher.close()

    run(flow())


# ---------------------------------------------------------------- the command line


def test_cli_user_add_and_reset_reach_a_running_server(server):
    account_token(server, "someone")
    r = subprocess.run([parley_bin(), "user", "add", "carl", "--role", "admin",
                        *server.where], input="carl's password\n", capture_output=True,
                       text=True, timeout=30, env=server.env)
    assert r.returncode == 0, r.stderr
    # from the commit on: the command's own start-up (an ASan build, a PostgreSQL session)
    # is not the server's seeing
    t0 = time.monotonic()
    # (watched through the owner's user list: failed sign-ins would lock the account)
    owner = server.tokens["\0owner"]
    deadline = time.monotonic() + 3
    while "carl" not in users(server, owner) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert time.monotonic() - t0 <= 1.5, "the server took longer than a second to see it"
    got = login(server, "carl", "carl's password")
    assert got.status == 200 and user_obj(got)["role"] == "admin", got
    r = subprocess.run([parley_bin(), "user", "add", "carl", *server.where],
                       input="another password\n", capture_output=True, text=True,
                       timeout=30, env=server.env)
    assert r.returncode == 1 and "name taken" in (r.stdout + r.stderr)
    r = subprocess.run([parley_bin(), "user", "add", "dora", *server.where],
                       input="short\n", capture_output=True, text=True, timeout=30,
                       env=server.env)
    assert r.returncode == 1 and "weak password" in (r.stdout + r.stderr)
    r = subprocess.run([parley_bin(), "user", "reset", "carl", *server.where],
                       capture_output=True, text=True, timeout=30, env=server.env)
    assert r.returncode == 0, r.stderr
    m = re.search(r"/#reset=([0-9a-f]{32})", r.stdout)
    assert m, r.stdout
    deadline = time.monotonic() + 3
    while True:
        got = api(server, "POST", "/api/reset", {"token": m.group(1), "password": "brand new pw"})
        if got.status == 200 or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert got.status == 200 and user_obj(got)["name"] == "carl", got
    assert login(server, "carl", "brand new pw").status == 200
    assert login(server, "carl", "carl's password").status == 401


# ---------------------------------------------------------------- a database from before accounts

# The schema of version 3 (src/store/store_sqlite_schema.c at branch acct-iface, the last
# before accounts: sql_create_v1 + sql_create_v2 + sql_create_v3), so that the test does
# not need an old binary.
V3_SCHEMA = """
CREATE TABLE messages(channel TEXT NOT NULL, seq INTEGER NOT NULL, user TEXT NOT NULL,
  text TEXT NOT NULL, ts INTEGER NOT NULL, PRIMARY KEY(channel, seq)) WITHOUT ROWID;
CREATE TABLE channels(name TEXT PRIMARY KEY, kind TEXT NOT NULL, topic TEXT NOT NULL,
  created_by TEXT NOT NULL, ts INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE members(channel TEXT NOT NULL, user TEXT NOT NULL, ts INTEGER NOT NULL,
  PRIMARY KEY(channel, user)) WITHOUT ROWID;
CREATE TABLE reads(channel TEXT NOT NULL, user TEXT NOT NULL, seq INTEGER NOT NULL,
  PRIMARY KEY(channel, user)) WITHOUT ROWID;
CREATE VIRTUAL TABLE messages_fts USING fts5(text, key, channel UNINDEXED,
  seq UNINDEXED, user UNINDEXED, ts UNINDEXED, tokenize = 'unicode61 remove_diacritics 2');
INSERT INTO messages_fts(text, key, channel, seq, user, ts)
  SELECT text, 'k' || hex(channel) || 'x' || seq, channel, seq, user, ts FROM messages;
ALTER TABLE messages ADD COLUMN kind TEXT NOT NULL DEFAULT 'msg';
ALTER TABLE messages ADD COLUMN thread INTEGER NOT NULL DEFAULT 0;
ALTER TABLE messages ADD COLUMN target INTEGER NOT NULL DEFAULT 0;
CREATE INDEX messages_thread ON messages(channel, thread) WHERE thread > 0;
CREATE INDEX messages_react ON messages(channel, seq) WHERE kind IN ('react', 'unreact');
CREATE TABLE mentions(user TEXT NOT NULL, channel TEXT NOT NULL, seq INTEGER NOT NULL,
  PRIMARY KEY(user, channel, seq)) WITHOUT ROWID;
ALTER TABLE messages ADD COLUMN cid TEXT;
CREATE INDEX messages_cid ON messages(ts) WHERE cid IS NOT NULL;
CREATE TABLE probe(id INTEGER PRIMARY KEY, n INTEGER NOT NULL);
INSERT INTO probe(id, n) VALUES(1, 0);
PRAGMA user_version = 3;
"""


def make_v3_db(path):
    import sqlite3
    con = sqlite3.connect(path)
    con.executescript(V3_SCHEMA)
    t = 1_700_000_000_000
    rows = [("general", 1, "alice", "hello from before accounts", t),
            ("general", 2, "bob", "hi alice", t + 1000),
            ("general", 3, "Client #4", "a text-mode line", t + 2000),
            ("general", 4, "anonymous", "a line-mode line", t + 3000),
            ("hideout", 1, "alice", "the old secret plan", t + 4000),
            ("hideout", 2, "bob", "agreed", t + 5000)]
    for ch, seq, user, text, ts in rows:
        con.execute("INSERT INTO messages(channel, seq, user, text, ts) VALUES(?,?,?,?,?)",
                    (ch, seq, user, text, ts))
        con.execute("INSERT INTO messages_fts(text, key, channel, seq, user, ts) "
                    "VALUES(?, 'k' || hex(?) || 'x' || ?, ?, ?, ?, ?)",
                    (text, ch, seq, ch, seq, user, ts))
    con.execute("INSERT INTO channels VALUES('hideout', 'private', 'old plans', 'alice', ?)", (t,))
    con.execute("INSERT INTO channels VALUES('lobby', 'public', '', 'carol', ?)", (t,))
    for ch, user in (("hideout", "alice"), ("hideout", "bob"), ("lobby", "carol")):
        con.execute("INSERT INTO members VALUES(?, ?, ?)", (ch, user, t))
    con.execute("INSERT INTO reads VALUES('general', 'dave', 2)")
    con.commit()
    con.close()


@pytest.mark.sqlite_only  # a SQLite file of schema version 3
def test_a_v3_database_migrates_names_to_accounts(make_server, tmp_path):
    db = tmp_path / "v3.db"
    make_v3_db(str(db))
    server = make_server(db=db)
    # every name that wrote, joined or read is an account now, without a password
    for name in ("alice", "bob", "carol", "dave"):
        r = login(server, name, "any password at all", source=f"127.0.3.{len(name)}")
        assert (r.status, r.code) == (401, "bad_credentials"), (name, r)
        r = register(server, name, source="127.0.4.1")
        assert (r.status, r.code) == (409, "name_taken"), (name, r)

    async def guests_cannot_take_them():
        for name in ("alice", "Alice", "bob"):
            c = await Client.connect(server)
            assert (await c.error("join", {"user": name}))["code"] == "name_taken", name
            await c.close()
        # the text modes' names were not accounts
        c, w, _ = await Client.joined(server, "Lena")
        assert w["guest"] is True
        await c.close()

    run(guests_cannot_take_them())
    # no owner yet: the first registration makes one, who sees the migrated accounts
    r = register(server, "root", source="127.0.4.2")
    assert r.status == 201 and r.json()["user"]["role"] == "owner", r
    root = r.json()["token"]
    listing = users(server, root)
    assert {"alice", "bob", "carol", "dave", "root"} <= set(listing)
    assert not {"Client #4", "anonymous"} & set(listing)
    assert all(listing[n]["role"] == "member" and listing[n]["state"] == "active"
               for n in ("alice", "bob", "carol", "dave"))
    # the owner's reset link lets alice set a password and sign in
    r = admin(server, root, listing["alice"]["id"], "reset")
    assert r.status == 201, r
    link = r.json()
    assert link["link"] == "/#reset=" + link["token"]
    r = api(server, "POST", "/api/reset", {"token": link["token"], "password": "alice's new pw"})
    assert r.status == 200 and r.json()["user"]["name"] == "alice", r
    tok = r.json()["token"]
    r = api(server, "POST", "/api/reset", {"token": link["token"], "password": "again again"})
    assert (r.status, r.code) == (403, "bad_invite"), r
    assert login(server, "alice", "alice's new pw").status == 200

    async def alice_sees_her_private_channel():
        c, w, _ = await Client.joined(server, "alice", token=tok)
        assert w["user_id"] == listing["alice"]["id"]
        chans = {ch["name"]: ch for ch in w["channels"]}
        assert set(chans) == {"general", "hideout"}
        assert chans["hideout"]["kind"] == "private" and chans["hideout"]["last_seq"] == 2
        h = await request(c, "history", {"channel": "hideout"}, "history", id="h")
        assert [(m["user"], m["text"]) for m in h["payload"]["messages"]] == \
            [("alice", "the old secret plan"), ("bob", "agreed")]
        r = await request(c, "search", {"q": "plan"}, "results", id="s")
        assert [m["channel"] for m in r["payload"]["messages"]] == ["hideout"]
        await c.close()
        # and it is still hidden from everyone else
        root_c, rw, _ = await Client.joined(server, "root", token=root)
        assert [ch["name"] for ch in rw["channels"]] == ["general"]
        assert await error(root_c, "history", {"channel": "hideout"}) == "no_such_channel"
        await root_c.close()

    run(alice_sees_her_private_channel())


def test_a_lapsed_guest_name_passes_on_nothing(server):
    """Identity is the user id, not the name: once a guest's hold lapsed (--guest-ttl 0:
    when it left) and someone else joins under its name, the newcomer inherits none of the
    old guest's memberships, read markers, mentions, reactions or rights over its messages,
    also after a restart (the store keys every row by id)."""
    async def react(c, seq, emoji, id):
        await c.send_json("react", {"seq": seq, "emoji": emoji}, id=id)
        await expect(c, "ack", lambda m: m.get("id") == id)
        return (await expect(c, "react", lambda m: m["payload"]["target"] == seq))["payload"]

    async def newcomer(old_id, mine, alices):
        g, w, _ = await Client.joined(server, "zed")
        assert w["guest"] is True and w["user_id"] != old_id
        general = w["channels"][0]
        assert [c["name"] for c in w["channels"]] == ["general"]  # not in #lobby
        assert general["read_seq"] == 0 and general.get("mentions", 0) == 0, general
        lst = await request(g, "channel_list", None, "channels", id="l")
        assert [c["member"] for c in lst["payload"]["channels"] if c["name"] == "lobby"] == \
            [False]
        assert await error(g, "edit", {"seq": mine, "text": "not mine"}) == "forbidden"
        assert await error(g, "delete", {"seq": mine}) == "forbidden"
        # the old guest's reaction is the old guest's: this one is a new one, not a removal
        r = await react(g, alices, "+1", "x")
        assert r["on"] is True and r["user"] == "zed"
        await react(g, alices, "+1", "y")  # and off again, for the next newcomer
        await g.close()
        await asyncio.sleep(0.2)
        return w["user_id"]

    async def flow():
        alice, _, _ = await Client.joined(server, "alice", account=True)
        await request(alice, "channel_create", {"name": "lobby"}, "channel", id="c")
        alices = (await alice.msg("morning"))["payload"]["seq"]
        g, w, _ = await Client.joined(server, "zed")
        await request(g, "channel_join", {"channel": "lobby"}, "channel", id="j")
        await expect(g, "history", lambda m: m["payload"]["channel"] == "lobby")
        mine = (await g.msg("mine"))["payload"]["seq"]
        await alice.msg("@zed have a look")
        assert (await react(g, alices, "+1", "r"))["on"] is True
        await request(g, "read", {"channel": "general", "seq": mine}, "read", id="rd")
        await g.close()
        await alice.close()
        await asyncio.sleep(0.2)
        second = await newcomer(w["user_id"], mine, alices)
        return w["user_id"], second, mine, alices

    old, second, mine, alices = run(flow())
    server.stop()
    server.restart()

    async def after_restart():
        third = await newcomer(old, mine, alices)
        assert third != second

    run(after_restart())
