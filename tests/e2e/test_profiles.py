"""Profiles (issue 14 item 7; docs/protocol.md, "Profiles"): PATCH /api/me with display_name,
title and tz, each optional and validated; avatars uploaded as raw images (checked by their
magic bytes, at most 1 MiB), served by /avatars/ID to anyone with a session (guests too)
with their type, nosniff and a long cache, removed; GET /api/users and the welcome carry the
profile; a restart keeps it; a `profile` event tells the other clients at once.
"""
import asyncio
import hashlib

import pytest

from accounts import account_token, api, me, users
from wsraw import Client, run

PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00"
       b"\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N"
       b"\x00\x00\x00\x00IEND\xaeB`\x82")
GIF = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"


@pytest.fixture
def server(make_server, tmp_path):
    return make_server("--files", str(tmp_path / "parley.files"))


def patch(server, token, **body):
    return api(server, "PATCH", "/api/me", body, token=token)


def put_avatar(server, token, data):
    return api(server, "POST", "/api/me/avatar", raw=data, token=token,
               headers={"Content-Type": "application/octet-stream"})


def avatars_on_disk(server):
    return sorted(p.name for p in (server.tmp / "parley.files" / "avatars").glob("*")
                  if ".tmp" not in p.name)


def test_patch_fields_each_optional_and_validated(server):
    alice = account_token(server, "alice")
    r = patch(server, alice, title="Builds the server", tz="Europe/Paris")
    assert r.status == 200, r
    u = r.json()["user"]
    assert (u["title"], u["tz"], u["display_name"], u["avatar"]) == \
        ("Builds the server", "Europe/Paris", "", "")
    # Only what is given changes.
    r = patch(server, alice, display_name="Alice L.")
    assert r.status == 200, r
    u = me(server, alice).json()["user"]
    assert (u["display_name"], u["title"], u["tz"]) == ("Alice L.", "Builds the server",
                                                         "Europe/Paris")
    assert patch(server, alice, tz="America/Argentina/Buenos_Aires").status == 200
    assert patch(server, alice, tz="Etc/GMT+3").status == 200
    # Each bad field: 400 with its code, and nothing of the request changes.
    bad = [
        ({"title": "x" * 81}, "bad_title"),
        ({"title": "a\u202eb"}, "bad_title"),
        ({"title": "line\nbreak"}, "bad_title"),
        ({"tz": "Europe/Paris; rm"}, "bad_tz"),
        ({"tz": "../../etc/passwd"}, "bad_tz"),
        ({"tz": "A" * 65}, "bad_tz"),
        ({"display_name": "x" * 65, "title": "fine"}, "bad_name"),
        ({"title": "fine", "tz": "Bad Zone"}, "bad_tz"),
        ({"title": 7}, "bad_payload"),
        ({"tz": ["Europe/Paris"]}, "bad_payload"),
        ({}, "bad_payload"),
    ]
    for body, code in bad:
        r = patch(server, alice, **body)
        assert r.status == 400 and r.code == code, (body, r)
        assert "message" in r.json()
    u = me(server, alice).json()["user"]
    assert (u["display_name"], u["title"], u["tz"]) == ("Alice L.", "Builds the server",
                                                         "Etc/GMT+3")
    assert patch(server, alice, title="x" * 80, tz="").status == 200  # 80 characters: fine
    assert patch(server, alice, title="é" * 80).status == 200  # characters, not bytes
    # Everyone sees it in the directory.
    bob = account_token(server, "bob")
    a = users(server, bob)["alice"]
    assert (a["title"], a["tz"], a["avatar"]) == ("é" * 80, "", "")
    assert api(server, "PATCH", "/api/me", {"title": "x"}).status == 401


def test_avatar_upload_types_size_headers_and_removal(server):
    alice = account_token(server, "alice")
    bob = account_token(server, "bob")
    # Not an image, whatever it claims; an SVG (script) neither; nothing at all.
    for data in (b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>",
                 b"%PDF-1.4 not a face", b"hello", b""):
        r = api(server, "POST", "/api/me/avatar", raw=data, token=alice,
                headers={"Content-Type": "image/png"})
        assert r.status == 400 and r.code == "bad_image", (data, r)
    # Too big: 413 before the body is kept (the route's limit), or by the handler.
    r = put_avatar(server, alice, PNG + b"\0" * (1024 * 1024))
    assert r.status == 413, r
    assert me(server, alice).json()["user"]["avatar"] == ""

    r = put_avatar(server, alice, PNG)
    assert r.status == 200, r
    aid = r.json()["user"]["avatar"]
    assert aid == hashlib.sha256(PNG).hexdigest()
    assert users(server, bob)["alice"]["avatar"] == aid
    # Served to another user, with its type, nosniff and a long private cache by ETag.
    g = api(server, "GET", f"/avatars/{aid}", token=bob)
    assert g.status == 200 and g.body == PNG, g
    assert g.header("content-type") == "image/png"
    assert g.header("x-content-type-options") == "nosniff"
    assert "max-age=31536000" in g.header("cache-control") and \
        "private" in g.header("cache-control")
    assert g.header("etag") == f'"{aid}"'
    again = api(server, "GET", f"/avatars/{aid}", token=bob, headers={"If-None-Match": f'"{aid}"'})
    assert again.status == 304 and again.body == b"", again
    # Anonymous: no; unknown or malformed ids: 404; not writable by GET's path.
    assert api(server, "GET", f"/avatars/{aid}").status == 401
    assert api(server, "GET", "/avatars/" + "0" * 64, token=bob).status == 404
    assert api(server, "GET", "/avatars/../parley.db", token=bob).status == 404
    assert api(server, "GET", f"/avatars/{aid.upper()}", token=bob).status == 404
    assert api(server, "POST", f"/avatars/{aid}", raw=b"x", token=bob).status == 405
    # A guest with a session sees it too.

    async def guest_sees():
        g, welcome, _ = await Client.joined(server, "visitor")
        token = welcome["session"]
        r = api(server, "GET", f"/avatars/{aid}", token=token)
        assert r.status == 200 and r.body == PNG, r
        # Guests keep the generated avatar and have no title or time zone.
        assert put_avatar(server, token, PNG).status == 403
        assert patch(server, token, title="x").status == 403
        assert patch(server, token, display_name="Visitor V").status == 200
        await g.close()
    run(guest_sees())

    # Another image replaces it; the old one, no one's now, goes from the disk.
    r = put_avatar(server, alice, GIF)
    assert r.status == 200, r
    gid = r.json()["user"]["avatar"]
    assert avatars_on_disk(server) == [gid]
    assert api(server, "GET", f"/avatars/{gid}", token=bob).header("content-type") == "image/gif"
    assert api(server, "GET", f"/avatars/{aid}", token=bob).status == 404
    # Shared bytes stay while someone's profile names them.
    assert put_avatar(server, bob, GIF).json()["user"]["avatar"] == gid
    r = api(server, "DELETE", "/api/me/avatar", token=alice)
    assert r.status == 200 and r.json()["user"]["avatar"] == "", r
    assert avatars_on_disk(server) == [gid]
    assert api(server, "DELETE", "/api/me/avatar", token=bob).status == 200
    assert avatars_on_disk(server) == []
    assert users(server, alice)["bob"]["avatar"] == ""


def test_restart_keeps_the_profile(server):
    alice = account_token(server, "alice")
    assert patch(server, alice, title="Ops", tz="Asia/Kolkata", display_name="Al").status == 200
    aid = put_avatar(server, alice, PNG).json()["user"]["avatar"]
    assert server.stop() == 0
    server.restart()
    bob = account_token(server, "bob")
    a = users(server, bob)["alice"]
    assert (a["display_name"], a["title"], a["tz"], a["avatar"]) == ("Al", "Ops", "Asia/Kolkata",
                                                                     aid)
    assert api(server, "GET", f"/avatars/{aid}", token=bob).body == PNG

    async def welcome_says():
        c, welcome, _ = await Client.joined(server, "alice", account=True)
        assert (welcome["title"], welcome["tz"], welcome["avatar"]) == ("Ops", "Asia/Kolkata",
                                                                         aid)
        await c.close()
    run(welcome_says())


def test_profile_event_reaches_other_clients(server):
    alice = account_token(server, "alice")

    async def go():
        b, _, _ = await Client.joined(server, "bob", account=True)
        g, _, _ = await Client.joined(server, "guest-gail")
        # A plain JSON client (seed 001's: no parley.v1, no "events") shows every frame as
        # a message: it gets none.
        plain, _, _ = await Client.joined(server, "plain-pat", events=None)
        r = await asyncio.to_thread(patch, server, alice, title="On call", tz="Europe/Oslo")
        assert r.status == 200, r
        for c in (b, g):
            ev = (await c.recv_json("profile"))["payload"]
            assert ev["user"] == "alice" and ev["title"] == "On call" and \
                ev["tz"] == "Europe/Oslo" and ev["avatar"] == "" and ev["display_name"] == ""
            assert isinstance(ev["user_id"], int)
        r = await asyncio.to_thread(put_avatar, server, alice, PNG)
        ev = (await b.recv_json("profile"))["payload"]
        assert ev["avatar"] == r.json()["user"]["avatar"] and ev["title"] == "On call"
        # A refused change tells no one.
        r = await asyncio.to_thread(patch, server, alice, tz="no spaces")
        assert r.status == 400
        for c in (b, plain):
            await c.send_json("ping")
            await c.recv_json("pong", skip=("join", "leave", "typing"))  # no profile before it
        await b.close()
        await plain.close()
        await g.close()
    run(go())
