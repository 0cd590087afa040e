"""Files and images (issue 14 item 3; docs/protocol.md, "Files"): uploads over HTTP, messages
that carry them, downloads only for the channel's members, the headers of a download, the
bytes stored once by their SHA-256, quotas and limits, and a deleted message taking its
unshared files with it.
"""
import asyncio
import hashlib
import re
import urllib.parse

import pytest

from accounts import api, account_token
from wsraw import Client, TextClient, run

PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00"
       b"\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N"
       b"\x00\x00\x00\x00IEND\xaeB`\x82")


@pytest.fixture
def server(make_server, tmp_path):
    """A server whose files go to <tmp>/parley.files whatever the store (with the shared
    backend there is no SQLite file to put them beside)."""
    return make_server("--files", str(tmp_path / "parley.files"))


def upload(server, token, data, channel="general", name="f.bin", type_=None, w=None, h=None):
    q = {"channel": channel, "name": name}
    if type_ is not None:
        q["type"] = type_
    if w is not None:
        q["w"], q["h"] = w, h
    path = "/api/files?" + urllib.parse.urlencode(q)
    return api(server, "POST", path, raw=data, token=token,
               headers={"Content-Type": "application/octet-stream"})


def files_dir(server):
    return server.tmp / "parley.files"


def blobs(server):
    return sorted(p.name for p in (files_dir(server) / "blobs").glob("*/*")
                  if ".tmp" not in p.name)


def get(server, url, token):
    return api(server, "GET", url, token=token)


async def post(client, text, files, **kw):
    return await client.msg(text, files=[{"id": f["id"]} for f in files], **kw)


def test_upload_post_download(server):
    alice = account_token(server, "alice")
    bob = account_token(server, "bob")
    r = upload(server, alice, PNG, name="dot.png", type_="image/png", w=640, h=480)
    assert r.status == 201, r
    f = r.json()
    assert re.fullmatch(r"[0-9a-f]{32}", f["id"]), f
    assert f["name"] == "dot.png" and f["type"] == "image/png" and f["size"] == len(PNG)
    assert (f["w"], f["h"]) == (640, 480)
    assert f["url"] == f"/files/{f['id']}/dot.png"

    async def go():
        a, _, _ = await Client.joined(server, "alice", account=True)
        b, _, _ = await Client.joined(server, "bob", account=True)
        # Before it is posted, only its uploader may fetch it.
        assert get(server, f["url"], bob).status == 404
        assert get(server, f["url"], alice).status == 200
        ack = await post(a, "look", [f])
        seq = ack["payload"]["seq"]
        sent = a.echo["payload"]
        assert sent["text"] == "look" and sent["files"] == [f], sent
        m = await b.recv_json("msg")
        assert m["payload"]["seq"] == seq and m["payload"]["files"] == [f]
        # History (a later join) carries them too.
        c, _, hist = await Client.joined(server, "carol", account=True)
        last = [x for x in hist["messages"] if x["seq"] == seq][0]
        assert last["files"] == [f]
        for x in (a, b, c):
            await x.close()
    run(go())
    r = get(server, f["url"], bob)
    assert r.status == 200 and r.body == PNG
    assert r.header("Content-Type") == "image/png"
    assert r.header("Content-Disposition") == \
        "inline; filename=\"dot.png\"; filename*=UTF-8''dot.png"
    assert r.header("X-Content-Type-Options") == "nosniff"
    assert "immutable" in r.header("Cache-Control")
    assert any("sandbox" in v and "default-src 'none'" in v
               for v in r.headers_all("Content-Security-Policy"))
    # The name in the URL is for people: any name reaches the same file; HEAD has no body.
    assert get(server, f"/files/{f['id']}/other.txt", bob).body == PNG
    h = api(server, "HEAD", f["url"], token=bob)
    assert h.status == 200 and h.body == b"" and h.header("Content-Length") == str(len(PNG))
    # Without a session: 401.
    assert api(server, "GET", f["url"]).status == 401


def test_members_only(server):
    alice = account_token(server, "alice")
    bob = account_token(server, "bob")

    async def go():
        a, _, _ = await Client.joined(server, "alice", account=True)
        b, _, _ = await Client.joined(server, "bob", account=True)
        await a.send_json("channel_create", {"name": "secret", "private": True}, id="c")
        await a.recv_json("channel", skip=("join", "leave", "typing", "msg", "channels"))
        await asyncio.sleep(0.1)
        # Bob cannot upload to a channel he is not in (told as a missing one).
        r = upload(server, bob, b"hello", channel="secret", type_="text/plain")
        assert r.status == 404 and r.code == "no_such_channel", r
        r = upload(server, alice, b"plan", channel="secret", name="plan.txt", type_="text/plain")
        assert r.status == 201, r
        f = r.json()
        await post(a, "the plan", [f], channel="secret")
        # Bob, not a member, gets what an unknown id gets: 404, same body.
        r = get(server, f["url"], bob)
        unknown = get(server, "/files/" + "0" * 32 + "/plan.txt", bob)
        assert r.status == unknown.status == 404 and r.body == unknown.body
        # Bob cannot post alice's file either, nor in #general.
        e = await b.error("msg", {"text": "mine", "files": [{"id": f["id"]}]})
        assert e["code"] == "bad_payload"
        for x in (a, b):
            await x.close()
        return f
    f = run(go())
    r = get(server, f["url"], alice)
    assert r.status == 200 and r.body == b"plan"
    assert r.header("Content-Type") == "text/plain; charset=utf-8"
    assert r.header("Content-Disposition").startswith("attachment;")


def test_dedupe_and_delete_removes_unreferenced(server):
    alice = account_token(server, "alice")
    data = b"same bytes " * 100
    f1 = upload(server, alice, data, name="a.bin").json()
    f2 = upload(server, alice, data, name="b.bin").json()
    assert f1["id"] != f2["id"]
    assert blobs(server) == [hashlib.sha256(data).hexdigest()]

    async def go():
        a, _, _ = await Client.joined(server, "alice", account=True)
        s1 = (await post(a, "one", [f1]))["payload"]["seq"]
        s2 = (await post(a, "two", [f2]))["payload"]["seq"]
        # A file goes in one message only.
        e = await a.error("msg", {"text": "again", "files": [{"id": f1["id"]}]})
        assert e["code"] == "bad_payload"
        await a.send_json("delete", {"seq": s1})
        await a.recv_json("delete", skip=("join", "leave", "typing", "msg", "ack"))
        # The other message still names the bytes: they stay; the deleted one's id is gone.
        assert blobs(server) == [hashlib.sha256(data).hexdigest()]
        assert get(server, f1["url"], alice).status == 404
        assert get(server, f2["url"], alice).body == data
        await a.send_json("delete", {"seq": s2})
        await a.recv_json("delete", skip=("join", "leave", "typing", "msg", "ack"))
        assert blobs(server) == []
        assert get(server, f2["url"], alice).status == 404
        # History shows no files on a deleted message.
        await a.send_json("history", {"channel": "general"})
        h = await a.recv_json("history", skip=("join", "leave", "typing", "msg", "delete"))
        assert not [m for m in h["payload"]["messages"] if m.get("files")]
        await a.close()
    run(go())


def test_too_big_and_quota(make_server, tmp_path):
    server = make_server("--max-file", "1k", "--file-quota", "2k", "--files",
                         str(tmp_path / "parley.files"))
    alice = account_token(server, "alice")
    r = upload(server, alice, b"x" * 1025)
    assert r.status == 413 and r.code == "too_large", r
    for i in range(2):
        assert upload(server, alice, b"y" * 1000 + bytes([i])).status == 201
    r = upload(server, alice, b"z" * 100)
    assert r.status == 413 and r.code == "quota_exceeded", r
    # Another user has a quota of their own.
    assert upload(server, account_token(server, "bob"), b"z" * 100).status == 201


def test_bad_input(server):
    alice = account_token(server, "alice")
    assert upload(server, None, b"x").status == 401
    assert upload(server, alice, b"").status == 400
    r = api(server, "POST", "/api/files", raw=b"x", token=alice)
    assert r.status == 400 and r.code == "bad_request"
    assert upload(server, alice, b"x", channel="nope").status == 404
    # Hostile names: no path, no quotes, no controls survive.
    for name, want in (("../x", "x"), ("..", "file"), ("a\"b\r\nc.txt", "a_b__c.txt"),
                       ("/etc/passwd", "passwd"), ("", "file"), ("\u202eexe.txt", "_exe.txt")):
        f = upload(server, alice, b"data", name=name).json()
        assert f["name"] == want, (name, f)
    # Claimed types are not believed: HTML and SVG are served as inert bytes or plain text.
    html = upload(server, alice, b"<script>alert(1)</script>", name="x.html",
                  type_="text/html").json()
    assert html["type"] == "text/plain; charset=utf-8"
    svg = upload(server, alice, b"<svg onload=alert(1)>", name="x.svg",
                 type_="image/svg+xml").json()
    assert svg["type"] == "application/octet-stream"
    fake = upload(server, alice, b"not a png", name="x.png", type_="image/png").json()
    assert fake["type"] == "application/octet-stream" and "w" not in fake
    r = get(server, fake["url"], alice)
    assert r.header("Content-Type") == "application/octet-stream"
    assert r.header("Content-Disposition").startswith("attachment;")
    # A UTF-8 name: RFC 6266's filename* and an ASCII fallback.
    f = upload(server, alice, b"data", name="résumé.pdf").json()
    d = get(server, f["url"], alice).header("Content-Disposition")
    assert d == "attachment; filename=\"r__sum__.pdf\"; filename*=UTF-8''r%C3%A9sum%C3%A9.pdf"

    async def go():
        a, _, _ = await Client.joined(server, "alice", account=True)
        for files in ("x", [], [{"id": 5}], [{"id": "../../etc"}], [{"id": f["id"]}] * 2,
                      [{"id": f["id"]}] * 11):
            e = await a.error("msg", {"text": "t", "files": files})
            assert e["code"] == "bad_payload", (files, e)
        await a.close()
    run(go())


def test_survives_restart_and_text_modes(server):
    alice = account_token(server, "alice")
    f = upload(server, alice, PNG, name="dot.png", w=1, h=1).json()

    async def go():
        t = await TextClient.connect(server, "/ws/watcher")
        a, _, _ = await Client.joined(server, "alice", account=True)
        await post(a, "pic", [f])
        line = await t.recv()
        while "pic" not in line:
            line = await t.recv()
        assert line == f"alice: pic [file: dot.png {f['url']}]", line
        await a.close()
        await t.close()
    run(go())
    assert server.stop() == 0
    server.restart()

    async def again():
        b, _, hist = await Client.joined(server, "bob", account=True)
        m = [x for x in hist["messages"] if x.get("files")]
        assert m and m[-1]["files"] == [f]
        await b.close()
    run(again())
    r = get(server, f["url"], account_token(server, "bob"))
    assert r.status == 200 and r.body == PNG


def test_thread_replies_carry_files(server):
    """A reply carries files like a message (with text, or alone); the thread and the
    history of another reader hold them; a refused reply gives its files back."""
    from test_channels import error, expect, request

    alice = account_token(server, "alice")
    account_token(server, "bob")
    f1 = upload(server, alice, PNG, name="a.png", type_="image/png", w=1, h=1).json()
    f2 = upload(server, alice, b"notes for the reply", name="notes.txt", type_="text/plain").json()

    async def go():
        a, _, _ = await Client.joined(server, "alice", account=True)
        b, _, _ = await Client.joined(server, "bob", account=True)
        root = (await a.msg("the parent"))["payload"]["seq"]
        r1 = (await post(a, "with a picture", [f1], thread=root))["payload"]["seq"]
        assert a.echo["payload"]["thread"] == root and a.echo["payload"]["files"] == [f1]
        r2 = (await post(a, "", [f2], thread=root))["payload"]["seq"]
        assert a.echo["payload"]["text"] == "" and a.echo["payload"]["files"] == [f2]
        t = await request(b, "thread", {"channel": "general", "seq": root}, "thread")
        by_seq = {m["seq"]: m for m in t["payload"]["messages"]}
        assert by_seq[r1]["files"] == [f1] and by_seq[r2]["files"] == [f2], by_seq
        assert get(server, f2["url"], account_token(server, "bob")).status == 200
        # An empty reply without files is still refused, and a reply to no message gives
        # its file back (it can be posted again).
        assert await error(a, "msg", {"text": "", "thread": root}) == "bad_payload"
        f3 = upload(server, alice, b"third", name="c.txt", type_="text/plain").json()
        await a.send_json("msg", {"text": "x", "thread": 99999, "files": [{"id": f3["id"]}]},
                          id="gone")
        m = await expect(a, "error", lambda m: m.get("id") == "gone")
        assert m["code"] == "no_such_message", m
        await post(a, "the third file after all", [f3], thread=root)
        assert a.echo["payload"]["files"] == [f3]
        for x in (a, b):
            await x.close()
    run(go())
