"""The attacker suite of issue 11 ("private must mean private"): a real server, real
clients, and what an attacker would try.

- online guessing against one account; a password spray across accounts;
- 1,000 concurrent sign-ins with huge passwords (refused before hashing, memory bounded,
  an unrelated chatting pair unaffected);
- unknown name vs wrong password: the same status, body and time;
- a stored token hash presented as a token; a token planted before sign-in;
- sign-out, sign-out everywhere, password change, ban, deactivation: every open socket
  closes within a second with its code, and the old token fails;
- privilege escalation through crafted JSON (REST and WebSocket);
- every request type on a private channel or DM one is not in answers exactly as for a
  channel that does not exist;
- impersonation of a registered name in each canonical form;
- expired, used-up and revoked invites; an invite granting more than its creator has;
- the last owner's self-demotion.

Sign-in failures are limited per account and per address, so tests that must stay under
those limits send from 127.0.x.y source addresses (addr()).
"""
import asyncio
import json
import re
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from accounts import (account_token, admin, api, invite, login, logout, me, origin_of,
                      password_for, register, token_hash, users)
from conftest import parley_bin
from wsraw import Client, RawWS, run

HERE = Path(__file__).resolve().parent


def addr(i):
    """The i-th source address of a test (127.0.1.1 up; 127.0.0.1 stays the default)."""
    return f"127.0.{1 + i // 250}.{1 + i % 250}"


def ws_join(server, token=None, user=None, how="join", **payload):
    """A RawWS joined as token's account (how: "join" sends {"token"}; "bearer" and "cookie"
    put the token on the upgrade and join with {}) or as the guest `user`. Returns
    (ws, welcome payload)."""
    headers = ()
    if how == "bearer":
        headers = (f"Authorization: Bearer {token}",)
    elif how == "cookie":
        # RawWS names the port in Host, as a browser does: the page's own Origin has it too
        headers = (f"Cookie: parley_session={token}", f"Origin: {origin_of(server)}")
    ws = RawWS(server.port, headers=headers)
    if user is not None:
        ws.send_json("join", dict(payload, user=user))
    elif how == "join":
        ws.send_json("join", dict(payload, token=token))
    else:
        ws.send_json("join", payload)
    w = ws.recv_json("welcome")
    return ws, w["payload"]


def db_rows(server, sql):
    return server.rows(sql)


def assert_token_refused(server, token):
    """A token that must be dead: REST answers 401, a token join auth_failed + 1008."""
    r = me(server, token)
    assert (r.status, r.code) == (401, "unauthorized"), r
    ws = RawWS(server.port)
    ws.send_json("join", {"token": token}, id="t")
    e = ws.recv_json("error")
    assert (e["code"], e.get("id")) == ("auth_failed", "t"), e
    ws.expect_close(1008)
    ws.close()


# ---------------------------------------------------------------- guessing


def test_online_guessing_against_one_account(server):
    account_token(server, "victim")
    other = account_token(server, "bystander")
    got = []
    for i in range(8):  # each guess from a new address: the account's own limit answers
        r = login(server, "victim", f"guess number {i}", source=addr(i))
        got.append((r.status, r.code))
        if r.status == 429:
            retry = r.header("retry-after")
            assert retry and retry.isdigit() and int(retry) >= 1, r.headers
    assert got == [(401, "bad_credentials")] * 5 + [(429, "rate_limited")] * 3, got
    # the right password does not get through the lock either (else the lock tells nothing
    # to a guesser, who would just keep going), nor does another spelling of the name
    r = login(server, "victim", source=addr(50))
    assert (r.status, r.code) == (429, "rate_limited"), r
    r = login(server, "ＶＩＣＴＩＭ", "guess number 9", source=addr(51))
    assert (r.status, r.code) == (429, "rate_limited"), r
    # other accounts are not affected
    assert me(server, other).status == 200
    assert login(server, "bystander", source=addr(52)).status == 200


def test_password_spray_across_accounts(server):
    names = [f"staff{i:02d}" for i in range(24)]
    for i, n in enumerate(names):
        r = register(server, n, source=addr(100 + i))
        assert r.status == 201, r
    sprayer = addr(7)
    got = [(lambda r: (r.status, r.code))(login(server, n, "Winter2026!", source=sprayer))
           for n in names]
    assert got == [(401, "bad_credentials")] * 20 + [(429, "rate_limited")] * 4, got
    # the address is locked for right passwords too; the accounts are not (one failure each)
    r = login(server, names[0], source=sprayer)
    assert (r.status, r.code) == (429, "rate_limited"), r
    assert login(server, names[0], source=addr(8)).status == 200
    # unknown names count against the address as well
    fresh = addr(9)
    got = [login(server, f"nobody{i}", "Winter2026!", source=fresh).status for i in range(21)]
    assert got == [401] * 20 + [429], got


# ---------------------------------------------------------------- the sign-in flood


def rss_sampler(server, stop, samples):
    while not stop.is_set():
        try:
            samples.append(server.vmrss_kib())
        except (OSError, AssertionError):
            return
        time.sleep(0.02)


# serial: a pair must get each message within 500 ms while 1,000 sign-ins flood the server
@pytest.mark.serial
@pytest.mark.parametrize("size", [1 << 20, 60_000, 2_000],
                         ids=["1MiB", "60kB-over-the-api-bound", "2kB-within-it"])
def test_thousand_concurrent_signins_with_huge_passwords(make_server, size):
    """1,000 sign-ins at once, each with a huge password, with the real argon2 parameters:
    each is refused before any hashing (a body over /api's 16 KiB bound is 413, refused
    from its Content-Length before it is read; at 2 kB it reaches sign-in: 401, and none
    waits for a hash slot: no 429 busy), the
    server's resident memory stays bounded, and a chatting pair gets every message within
    500 ms throughout."""
    server = make_server(fast_hash=False)
    alice, _ = ws_join(server, user="alice")
    bob, _ = ws_join(server, user="bob")
    time.sleep(0.3)
    baseline = server.vmrss_kib()
    stop, samples = threading.Event(), []
    sampler = threading.Thread(target=rss_sampler, args=(server, stop, samples), daemon=True)
    sampler.start()
    flood = subprocess.Popen([sys.executable, str(HERE / "flood.py"), str(server.port), "1000",
                              str(size)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True)
    lat = []
    try:
        t_end = time.monotonic() + 120
        i = 0
        while time.monotonic() < t_end:
            done = flood.poll() is not None
            text = f"pair {i}"
            t0 = time.monotonic()
            alice.send_json("msg", {"text": text}, id=f"p{i}")
            bob.sock.settimeout(0.5)
            try:
                while True:
                    m = bob.recv_json("msg")
                    if m["payload"]["text"] == text:
                        break
            except (TimeoutError, OSError) as e:
                raise AssertionError(f"message {i} not delivered within 500 ms during the "
                                     f"flood ({e!r}); latencies so far {lat[-5:]}")
            lat.append(time.monotonic() - t0)
            alice.recv_json("ack")
            alice.recv_json("msg")
            i += 1
            if done and i >= 10:
                break
            time.sleep(0.05)
        out, err = flood.communicate(timeout=120)
    finally:
        if flood.poll() is None:
            flood.kill()
            flood.wait()
        stop.set()
        sampler.join(2)
    assert flood.returncode == 0, err
    summary = json.loads(out.strip().splitlines()[-1])
    answers = summary["answers"]
    peak = max(samples or [baseline])
    print(f"flood {size}: {summary}; pair max latency {max(lat):.3f}s over {len(lat)} msgs; "
          f"VmRSS {baseline} -> peak {peak} KiB")
    assert sum(answers.values()) == 1000, answers
    assert max(lat) <= 0.5, lat
    # bounded: far below the 1000 x size the attacker sent (and below two argon2 hashes a
    # request could hold: 64 MiB each), whatever the connection bookkeeping costs
    assert peak - baseline <= 256 * 1024, (baseline, peak)
    if size > 16 * 1024:
        kinds = {"413" if k.startswith("413") else k for k in answers}
        assert kinds <= {"413", "401 bad_credentials", "reset"}, answers
    else:
        assert answers == {"401 bad_credentials": 1000}, answers
    # the server is fine afterwards
    assert register(server, "carol", source=addr(1)).status == 201
    alice.close()
    bob.close()


# ---------------------------------------------------------------- indistinguishable failures


# serial: two medians of timings compared within 10 %
@pytest.mark.serial
def test_unknown_name_and_wrong_password_are_indistinguishable(make_server):
    """Same status, same body, same headers, and the same time (medians within 10 %),
    with the default argon2 parameters (no fast-hash knob).

    The two kinds alternate, so that the load of a shared machine falls on both alike; the
    machine's noise can still move one median of 32 past 10 % now and then, so a round
    outside the bound is measured once more, with new names: a real difference (a skipped
    hash is 100 % of it) fails both rounds."""
    server = make_server(fast_hash=False)
    tries = 32
    src = iter(range(1000))

    def attempt(name):
        t0 = time.perf_counter()
        r = login(server, name, "not the password", source=addr(next(src)))
        return time.perf_counter() - t0, r

    def measure(round_):
        real = [f"real{round_}-{i:02d}" for i in range(tries // 4)]  # 4 failures each
        for n in real:
            assert register(server, n, source=addr(next(src))).status == 201
        attempt(real[0])  # warm-up, one of each (a fifth failure: the account's last)
        attempt(f"ghost{round_}-warm")
        times = {"wrong": [], "unknown": []}
        answers = {"wrong": set(), "unknown": set()}
        for i in range(tries):
            order = ("wrong", "unknown") if i % 2 else ("unknown", "wrong")
            for kind in order:
                name = real[i // 4] if kind == "wrong" else f"ghost{round_}-{i:02d}"
                dt, r = attempt(name)
                times[kind].append(dt)
                hdrs = tuple(sorted((k.lower(), v) for k, v in r.headers
                                    if k.lower() != "date"))
                answers[kind].add((r.status, r.body, hdrs))
        assert len(answers["wrong"]) == 1 and answers["wrong"] == answers["unknown"], answers
        status, body, _ = next(iter(answers["wrong"]))
        assert status == 401 and json.loads(body)["error"] == "bad_credentials"
        mw, mu = statistics.median(times["wrong"]), statistics.median(times["unknown"])
        print(f"round {round_}: median wrong password {mw * 1000:.1f} ms, "
              f"unknown name {mu * 1000:.1f} ms")
        assert mw > 0.005, "the default argon2 parameters take milliseconds: is fast hash on?"
        return mw, mu

    rounds = []
    for round_ in range(2):
        mw, mu = measure(round_)
        rounds.append((mw, mu))
        if abs(mw - mu) <= 0.10 * max(mw, mu):
            break
    else:
        raise AssertionError(f"medians (wrong, unknown) differ by over 10 %: {rounds}")


# ---------------------------------------------------------------- tokens


def test_a_stored_token_hash_is_not_a_token(server):
    tok = account_token(server, "alice")
    hashes = [h for (h,) in db_rows(server, "SELECT hash FROM sessions")]
    assert token_hash(tok) in hashes
    # the secret itself is nowhere on disk (in the SQLite files; PostgreSQL's are its own)
    for p in Path(server.db).parent.glob(Path(server.db).name + "*") if not server.store else ():
        assert tok.encode() not in p.read_bytes(), p
    for h in hashes:
        assert_token_refused(server, h)
        r = api(server, "GET", "/api/me", cookie=h)
        assert r.status == 401
        ws = RawWS(server.port, headers=(f"Authorization: Bearer {h}",))
        ws.send_json("join", {})
        e = ws.recv_json("error", "welcome")
        assert e["type"] == "error", e
        ws.close()
    assert me(server, tok).status == 200


def test_a_token_from_before_sign_in_is_not_honoured_after_it(server):
    """Session fixation: whatever token the browser carried before signing in (one an
    attacker planted, or a guest's), signing in gives a new one and the old one stays
    worthless."""
    account_token(server, "someone")
    assert register(server, "alice").status == 201
    planted = "ab" * 32
    r = login(server, "alice", cookie=planted, origin=True)
    assert r.status == 200, r
    assert r.cookie_token and r.cookie_token != planted and r.json()["token"] != planted
    assert_token_refused(server, planted)
    r = login(server, "alice", token=planted)
    assert r.status == 200 and r.json()["token"] != planted
    assert_token_refused(server, planted)
    # a guest's token, then the same person signs in
    ws, w = ws_join(server, user="visitor")
    guest_tok = w["session"]
    ws.close()
    r = register(server, "newbie", cookie=guest_tok, origin=True)
    assert r.status == 201 and r.json()["token"] != guest_tok
    got = me(server, guest_tok)
    assert got.status == 401 or got.json()["user"]["name"] != "newbie", got
    # the previous sign-in's token of the same account is its own session, and signing
    # out of the new one does not revive or share anything
    first = login(server, "alice").json()["token"]
    second = login(server, "alice", token=first).json()["token"]
    assert first != second
    assert logout(server, second).status == 200
    assert me(server, second).status == 401 and me(server, first).status == 200


# ---------------------------------------------------------------- revocation closes sockets


def closes_within(ws, code, t0, limit=1.0):
    """The socket gets a close frame with code by t0 + limit."""
    left = t0 + limit - time.monotonic()
    assert left > 0, "no time left"
    try:
        f = ws.expect_close(code, timeout=left)
    except (TimeoutError, OSError) as e:
        raise AssertionError(f"no close {code} within {limit}s: {e!r}")
    took = time.monotonic() - t0
    assert took <= limit, took
    return f


def still_open(ws):
    ws.send_json("ping", id="alive")
    assert ws.recv_json("pong", skip=("join", "leave", "typing", "history", "msg"))["id"] \
        == "alive"


def test_sign_out_closes_that_sessions_sockets(server):
    account_token(server, "someone")
    assert register(server, "alice").status == 201
    a = login(server, "alice").json()["token"]
    b = login(server, "alice").json()["token"]
    socks = [ws_join(server, a, how=h)[0] for h in ("join", "bearer", "cookie")]
    other, _ = ws_join(server, b)
    t0 = time.monotonic()
    assert logout(server, a).status == 200
    for s in socks:
        closes_within(s, 4001, t0)
    assert_token_refused(server, a)
    still_open(other)
    assert me(server, b).status == 200
    # sign-out by cookie (with our Origin) as the web client does
    t0 = time.monotonic()
    r = api(server, "POST", "/api/logout", cookie=b, origin=True)
    assert r.status == 200
    closes_within(other, 4001, t0)
    assert_token_refused(server, b)


def test_sign_out_everywhere_closes_every_socket(server):
    account_token(server, "someone")
    assert register(server, "alice").status == 201
    toks = [login(server, "alice").json()["token"] for _ in range(3)]
    socks = [ws_join(server, t, how=h)[0] for t, h in zip(toks, ("join", "bearer", "cookie"))]
    socks.append(ws_join(server, toks[0])[0])
    bob, _ = ws_join(server, account_token(server, "bob"))
    t0 = time.monotonic()
    assert api(server, "POST", "/api/logout-all", token=toks[1]).status == 200
    for s in socks:
        closes_within(s, 4001, t0)
    for t in toks:
        assert_token_refused(server, t)
    still_open(bob)


def test_password_change_closes_the_other_sessions_sockets(server):
    account_token(server, "someone")
    assert register(server, "alice").status == 201
    here = login(server, "alice").json()["token"]
    there = login(server, "alice").json()["token"]
    mine, _ = ws_join(server, here)
    theirs = [ws_join(server, there, how=h)[0] for h in ("join", "bearer")]
    t0 = time.monotonic()
    r = api(server, "POST", "/api/password",
            {"password": password_for("alice"), "new_password": "stolen no more"}, token=here)
    assert r.status == 200, r
    for s in theirs:
        closes_within(s, 4001, t0)
    assert_token_refused(server, there)
    still_open(mine)
    assert me(server, here).status == 200


def test_revoking_one_session_closes_its_sockets(server):
    account_token(server, "someone")
    assert register(server, "alice").status == 201
    here = login(server, "alice").json()["token"]
    lost = login(server, "alice", headers={"User-Agent": "lost laptop"}).json()["token"]
    s, _ = ws_join(server, lost)
    sid = [x["id"] for x in api(server, "GET", "/api/sessions", token=here).json()["sessions"]
           if x["agent"] == "lost laptop"][0]
    t0 = time.monotonic()
    assert api(server, "DELETE", f"/api/sessions/{sid}", token=here).status == 200
    closes_within(s, 4001, t0)
    assert_token_refused(server, lost)


@pytest.mark.parametrize("action,code,undo,state", [("ban", 4003, "unban", "banned"),
                                                     ("deactivate", 4004, "activate",
                                                      "deactivated")])
def test_ban_and_deactivation_close_every_socket(server, action, code, undo, state):
    mod = account_token(server, "mod", role="admin")
    assert register(server, "mallory").status == 201
    toks = [login(server, "mallory").json()["token"] for _ in range(2)]
    socks = [ws_join(server, toks[0])[0], ws_join(server, toks[1], how="bearer")[0],
             ws_join(server, toks[1], how="cookie")[0]]
    bystander, _ = ws_join(server, account_token(server, "alice"))
    uid = users(server, mod)["mallory"]["id"]
    t0 = time.monotonic()
    r = admin(server, mod, uid, action)
    assert r.status == 200, r
    for s in socks:
        closes_within(s, code, t0)
    for t in toks:
        assert_token_refused(server, t)
    still_open(bystander)
    # sign-in tells the state only after the right password
    r = login(server, "mallory", source=addr(1))
    assert (r.status, r.code) == (403, state), r
    r = login(server, "mallory", "wrong password", source=addr(2))
    assert (r.status, r.code) == (401, "bad_credentials"), r
    assert users(server, mod)["mallory"]["state"] == state
    # the name stays taken, also for a guest
    ws = RawWS(server.port)
    ws.send_json("join", {"user": "mallory"})
    assert ws.recv_json("error")["code"] in ("name_taken", "banned")
    ws.close()
    assert admin(server, mod, uid, undo).status == 200
    assert login(server, "mallory", source=addr(3)).status == 200


def test_a_banned_guest_is_closed_and_cannot_come_back(server):
    mod = account_token(server, "mod", role="admin")
    ws, w = ws_join(server, user="troll")
    t0 = time.monotonic()
    assert admin(server, mod, w["user_id"], "ban").status == 200
    closes_within(ws, 4003, t0)
    for payload in ({"user": "troll"}, {"user": "troll", "session": w["session"]},
                    {"user": "TROLL"}):
        again = RawWS(server.port)
        again.send_json("join", payload)
        e = again.recv_json("error", "welcome")
        assert e["type"] == "error" and e["code"] in ("banned", "name_taken"), (payload, e)
        again.close()


# ---------------------------------------------------------------- privilege escalation


def test_privilege_escalation_through_rest(server):
    account_token(server, "alice")
    owner_tok = server.tokens["\0owner"]
    mal = account_token(server, "mallory")
    ada = account_token(server, "ada", role="admin")
    everyone = users(server, owner_tok)
    me_id, alice_id = everyone["mallory"]["id"], everyone["alice"]["id"]
    owner_id, ada_id = everyone["root-owner"]["id"], everyone["ada"]["id"]
    # a member: no user administration, on others or on themself
    for uid in (alice_id, owner_id, me_id):
        for action, body in (("ban", None), ("unban", None), ("deactivate", None),
                             ("activate", None), ("reset", None), ("role", {"role": "owner"}),
                             ("role", {"role": "admin"}), ("role", {"role": "member"})):
            r = admin(server, mal, uid, action, body)
            assert (r.status, r.code) == (403, "forbidden"), (uid, action, body, r)
        # a role that is not one an account can have is refused as such
        r = admin(server, mal, uid, "role", {"role": "guest"})
        assert r.status in (400, 403), r
    assert invite(server, mal).status == 403
    assert invite(server, mal, role="member").status == 403
    assert api(server, "GET", "/api/invites", token=mal).status == 403
    # crafted fields are ignored where they are not part of the request
    r = api(server, "PATCH", "/api/me", {"display_name": "m", "role": "owner", "name": "alice",
                                         "id": owner_id, "guest": True}, token=mal)
    assert r.status == 200
    u = me(server, mal).json()["user"]
    assert (u["id"], u["name"], u["role"], u["guest"]) == (me_id, "mallory", "member", False)
    r = register(server, "mallory2", role="owner", id=owner_id, guest=False, state="active",
                 source=addr(1))
    assert r.status == 201 and r.json()["user"]["role"] == "member", r
    assert r.json()["user"]["id"] != owner_id
    # duplicate keys: whichever the parser keeps, no right is gained
    raw = ('{"role": "member", "role": "owner"}').encode()
    r = api(server, "POST", f"/api/users/{me_id}/role", raw=raw, token=mal)
    assert r.status in (400, 403), r
    raw = ('{"name": "mallory3", "password": "long enough pw", "role": "owner", '
           '"role": "owner"}').encode()
    r = api(server, "POST", "/api/register", raw=raw, source=addr(2))
    assert r.status in (201, 400), r
    if r.status == 201:
        assert r.json()["user"]["role"] == "member"
    # odd ids in the path
    for bad in ("0", "-1", f"{me_id}.0", f"0{owner_id}", "1e0", f"{owner_id}/../{me_id}",
                "99999999999999999999999"):
        r = admin(server, mal, bad, "role", {"role": "owner"})
        assert r.status in (400, 403, 404), (bad, r)
    # an admin: not above their own role, not over owners or other admins
    assert admin(server, ada, ada_id, "role", {"role": "owner"}).status == 403
    assert admin(server, ada, owner_id, "role", {"role": "member"}).status == 403
    assert admin(server, ada, owner_id, "ban").status == 403
    assert admin(server, ada, owner_id, "reset").status == 403
    assert admin(server, ada, alice_id, "role", {"role": "owner"}).status == 403
    other_admin = account_token(server, "adam", role="admin")
    adam_id = users(server, owner_tok)["adam"]["id"]
    assert admin(server, ada, adam_id, "ban").status == 403
    assert me(server, other_admin).status == 200
    roles = {n: u["role"] for n, u in users(server, owner_tok).items()}
    assert roles["mallory"] == "member" and roles["ada"] == "admin" and \
        roles["root-owner"] == "owner" and roles["alice"] == "member"


def test_privilege_escalation_through_json(server):
    alice_tok = account_token(server, "alice")
    mal_tok = account_token(server, "mallory")

    async def answer(c, type_, payload, id):
        await c.send_json(type_, payload, id=id)
        while True:
            m = await c.recv_json(skip=())
            if m.get("id") == id:
                return m

    async def code(c, type_, payload, id="x"):
        m = await answer(c, type_, payload, id)
        assert m["type"] == "error", (type_, payload, m)
        return m["code"]

    async def flow():
        alice, _, _ = await Client.joined(server, "alice", token=alice_tok)
        # the token decides who one is, whatever else the join says
        mal = await Client.connect(server)
        w = await mal.join("alice", token=mal_tok, role="owner", guest=True, user_id=1)
        assert (w["user"], w["role"], w["guest"]) == ("mallory", "member", False), w
        await mal.recv_json("history")
        root = (await alice.msg("alice's words"))["payload"]["seq"]
        await answer(alice, "channel_create", {"name": "town"}, "c1")
        await answer(mal, "channel_join", {"channel": "town"}, "j1")
        secret = await answer(alice, "channel_create", {"name": "secret", "private": True}, "c2")
        assert secret["type"] == "channel"
        # a member may not delete or edit someone else's message, however the request is
        # dressed up
        for extra in ({}, {"user": "alice"}, {"role": "owner"}, {"own": True}):
            assert await code(mal, "delete", {"seq": root, **extra}) == "forbidden", extra
            assert await code(mal, "edit", {"seq": root, "text": "mine", **extra}) == \
                "forbidden", extra
        raw = ('{"type": "delete", "id": "dup", "payload": {"seq": %d, "user": "mallory", '
               '"user": "alice"}}' % root)
        await mal.send_raw(raw)
        await mal.send_json("ping", id="after-dup")
        got = []
        while True:
            m = await mal.recv_json(skip=("join", "leave", "typing", "msg"))
            if m.get("id") == "after-dup":
                break
            got.append(m)
        # refused either way: as bad JSON (duplicate keys) or as not hers to delete
        assert len(got) == 1 and got[0]["type"] == "error" and \
            got[0]["code"] in ("bad_json", "forbidden"), got
        # nor kick from a channel she did not create, nor from #general
        assert await code(mal, "channel_kick", {"channel": "town", "user": "alice"}) == \
            "forbidden"
        assert await code(mal, "channel_kick", {"channel": "general", "user": "alice"}) == \
            "forbidden"
        # the message is intact
        h = await answer(alice, "history", {"channel": "general"}, "h")
        assert [(x.get("kind", "msg"), x.get("text")) for x in h["payload"]["messages"]] == \
            [("msg", "alice's words")]

        # a guest: no private channel, no channel creation, no DM, no invite, no topic
        gina = await Client.connect(server)
        w = await gina.join("gina", role="owner", guest=False, user_id=1)
        assert (w["role"], w["guest"]) == ("guest", True), w
        await gina.recv_json("history")
        assert await code(gina, "channel_join", {"channel": "secret"}) == "no_such_channel"
        for private in (False, True):
            assert await code(gina, "channel_create", {"name": f"g{int(private)}",
                                                       "private": private}) == "forbidden"
        assert await code(gina, "dm_open", {"users": ["alice"]}) == "forbidden"
        assert await code(gina, "dm_open", {"users": ["mallory", "alice"]}) == "forbidden"
        assert await code(gina, "channel_invite", {"channel": "general", "user": "mallory"}) \
            in ("forbidden",)
        assert await code(gina, "channel_topic", {"channel": "general", "topic": "pwned"}) == \
            "forbidden"
        assert await code(gina, "channel_kick", {"channel": "town", "user": "alice"}) == \
            "forbidden"
        # and nobody can bring a guest into a private channel or a DM
        assert await code(alice, "channel_invite", {"channel": "secret", "user": "gina"}) == \
            "forbidden"
        assert await code(alice, "dm_open", {"users": ["gina"]}) in ("forbidden",)
        # a guest's message is the guest's, whatever it claims
        await gina.send_json("msg", {"text": "I am alice", "user": "alice", "guest": False},
                             id="gm")
        m = await alice.recv_json("msg", skip=("join", "leave", "typing", "ack"))
        assert (m["payload"]["user"], m["payload"]["guest"]) == ("gina", True), m
        listed = await answer(gina, "channel_list", None, "l")
        assert "secret" not in [c["name"] for c in listed["payload"]["channels"]]
        for c in (alice, mal, gina):
            await c.close()

    run(flow())


# ---------------------------------------------------------------- channels one is not in


def normalised(raw, name):
    """The frame's text with the channel's name replaced (ids aside)."""
    return raw.replace(name, "<CHANNEL>")


async def raw_answer(c, type_, payload, id):
    """Sends a request; returns the raw text of the frame that answers it (its id), and
    every other frame read meanwhile."""
    await c.send_json(type_, payload, id=id)
    others = []
    while True:
        raw = await c.recv_raw()
        m = json.loads(raw)
        if m.get("id") == id:
            return raw, others
        others.append(raw)


def requests_on(ch, seq):
    return [
        ("msg", {"channel": ch, "text": "hello?"}),
        ("msg", {"channel": ch, "text": "hello?", "thread": seq}),
        ("msg", {"channel": ch, "text": "hello?", "cid": "k1"}),
        ("history", {"channel": ch}),
        ("history", {"channel": ch, "after": 0, "limit": 5}),
        ("history", {"channel": ch, "before": seq + 1}),
        ("resume", {"channels": {ch: 0}}),
        ("resume", {"channels": {"general": 0, ch: 0}}),
        ("read", {"channel": ch, "seq": seq}),
        ("thread", {"channel": ch, "seq": seq}),
        ("edit", {"channel": ch, "seq": seq, "text": "mine"}),
        ("delete", {"channel": ch, "seq": seq}),
        ("react", {"channel": ch, "seq": seq, "emoji": "👀"}),
        ("channel_join", {"channel": ch}),
        ("channel_leave", {"channel": ch}),
        ("channel_invite", {"channel": ch, "user": "carol"}),
        ("channel_invite", {"channel": ch, "user": "alice"}),
        ("channel_topic", {"channel": ch, "topic": "mine now"}),
        ("channel_kick", {"channel": ch, "user": "alice"}),
        ("search", {"q": f"plans in:{ch}"}),
        ("search", {"q": f"plans in:#{ch}"}),
        ("typing", {"channel": ch}),
    ]


def test_channels_one_is_not_in_do_not_exist(make_server):
    """For a private channel and a DM carol is not in, every request type is answered
    byte for byte as for a channel that does not exist (the names aside); she receives
    nothing of them, and they appear nowhere for her. Carol sends every request type four
    times as fast as she can: a flood on purpose, so the rate limit is raised out of the
    way (it answers before any channel is looked at, so it could tell nothing anyway)."""
    server = make_server("--rate", "1000", "--burst", "1000")
    toks = {n: account_token(server, n) for n in ("alice", "bob", "carol")}

    async def flow():
        alice, _, _ = await Client.joined(server, "alice", token=toks["alice"])
        bob, _, _ = await Client.joined(server, "bob", token=toks["bob"])
        carol, _, _ = await Client.joined(server, "carol", token=toks["carol"])
        await alice.send_json("channel_create", {"name": "secrets", "private": True}, id="c")
        await alice.recv_json("channel", skip=("join", "leave", "typing", "msg"))
        await alice.send_json("channel_invite", {"channel": "secrets", "user": "bob"}, id="i")
        await alice.recv_json("invited", skip=("join", "leave", "typing", "msg", "channel"))
        await alice.msg("plans for the merger", channel="secrets")
        await alice.send_json("dm_open", {"users": ["bob"]}, id="d")
        dm = (await alice.recv_json("channel", skip=("join", "leave", "typing", "msg",
                                                     "history")))["payload"]["channel"]["name"]
        await alice.msg("plans, between us", channel=dm)
        fake_dm = "dm-" + "0" * (len(dm) - 3)
        pairs = (("secrets", "secretz"), (dm, fake_dm))
        leaked, differ = [], []
        n = 0
        for hidden, missing in pairs:
            for type_, payload in requests_on(hidden, 1):
                if type_ == "typing":
                    await asyncio.sleep(1.1)  # under the typing throttle, each of the two
                got = []
                for ch in (hidden, missing):
                    n += 1
                    p = json.loads(json.dumps(payload).replace(
                        json.dumps(hidden)[1:-1], json.dumps(ch)[1:-1]))
                    if type_ == "typing":
                        # typing has no answer of its own on success: a ping behind it
                        # shows whether an error came first
                        await carol.send_json(type_, p, id=f"q{n}")
                        await carol.send_json("ping", id=f"p{n}")
                        frames = []
                        while True:
                            raw = await carol.recv_raw()
                            frames.append(raw)
                            if json.loads(raw).get("id") == f"p{n}":
                                break
                        got.append([re.sub(r'"ts":\d+', '"ts":0', normalised(f, ch)).replace(
                            f'"q{n}"', '"ID"').replace(f'"p{n}"', '"PID"') for f in frames])
                        continue
                    raw, others = await raw_answer(carol, type_, p, f"q{n}")
                    leaked += [o for o in others if hidden in o]
                    got.append(normalised(raw, ch).replace(f'"q{n}"', '"ID"'))
                if got[0] != got[1]:
                    differ.append((type_, payload, got))
                elif not isinstance(got[0], list) and (
                        json.loads(got[0])["type"] != "error" or
                        json.loads(got[0])["code"] != "no_such_channel"):
                    differ.append((type_, payload, got))
        # a join straight into it: the same answer too
        for_join = []
        for ch in ("secrets", "secretz", dm, fake_dm):
            c = await Client.connect(server)
            await c.send_json("join", {"token": toks["carol"], "channel": ch}, id="j")
            for_join.append(normalised(await c.recv_raw(), ch))
            await c.close()
        if not (for_join[0] == for_join[1] and for_join[2] == for_join[3]) or \
                json.loads(for_join[0])["code"] != "no_such_channel":
            differ.append(("join", "channel", for_join))
        # nothing of them anywhere
        raw, _ = await raw_answer(carol, "channel_list", None, "l")
        assert "secrets" not in raw and dm not in raw
        raw, _ = await raw_answer(carol, "search", {"q": "plans"}, "s")
        assert json.loads(raw)["payload"]["messages"] == []
        await alice.msg("more plans", channel="secrets")
        await alice.msg("more plans", channel=dm)
        try:
            while True:
                raw = await carol.recv_raw(timeout=0.3)
                leaked.append(raw)
        except Exception:
            pass
        assert not [x for x in leaked if "secrets" in x or dm in x or "plans" in x], leaked
        # bob, who is in both, is not affected by carol's attempts
        h = await raw_answer(bob, "history", {"channel": "secrets"}, "bh")
        texts = [m["text"] for m in json.loads(h[0])["payload"]["messages"]
                 if m.get("kind", "msg") == "msg"]  # not the channel lines (joined, ...)
        assert texts == ["plans for the merger", "more plans"], texts
        for c in (alice, bob, carol):
            await c.close()
        assert not differ, "answers that tell a hidden channel from a missing one:\n" + \
            "\n".join(map(repr, differ))

    run(flow(), timeout=90)


# ---------------------------------------------------------------- impersonation


FORMS = {
    "case": "Alice",
    "fullwidth": "ＡＬＩＣＥ",
    "cyrillic a": "\u0430lice",
    "zero-width space": "ali\u200bce",
    "bidi override": "\u202ealice",
}
INVISIBLE = ("zero-width space", "bidi override")


@pytest.mark.parametrize("form", list(FORMS), ids=list(FORMS))
def test_impersonating_a_registered_name(server, form):
    account_token(server, "alice")
    name = FORMS[form]
    ok = ("bad_name", "name_taken") if form in INVISIBLE else ("name_taken",)
    # a new account
    r = register(server, name, source=addr(1))
    assert r.status in (400, 409) and r.code in ok, (name, r)
    # a guest, with and without a made-up token, while alice is away and while she is here
    for present in (False, True):
        there = ws_join(server, account_token(server, "alice"))[0] if present else None
        for payload in ({"user": name}, {"user": name, "session": "0" * 64}):
            ws = RawWS(server.port)
            ws.send_json("join", payload)
            e = ws.recv_json("error", "welcome")
            assert e["type"] == "error" and e["code"] in ok, (name, payload, e)
            ws.close()
        if there:
            there.close()
    # a guest that holds a name is impersonated no better
    holder, _ = ws_join(server, user="bob")
    # (for bob the Cyrillic letter is о, U+043E)
    bobs = {"case": "Bob", "fullwidth": "ＢＯＢ", "cyrillic a": "b\u043eb",
            "zero-width space": "b\u200bob", "bidi override": "\u202ebob"}
    r = register(server, bobs[form], source=addr(2))
    assert r.status in (400, 409) and r.code in ok, (bobs[form], r)
    ws = RawWS(server.port)
    ws.send_json("join", {"user": bobs[form]})
    e = ws.recv_json("error", "welcome")
    assert e["type"] == "error" and e["code"] in ok, (bobs[form], e)
    ws.close()
    holder.close()


# ---------------------------------------------------------------- invites


def test_expired_used_up_and_revoked_invites(make_server):
    server = make_server("--registration", "invite")
    owner = register(server, "boss").json()["token"]

    def new_invite(**kw):
        r = invite(server, owner, **kw)
        assert r.status == 201, r
        return r.json()

    def signup(name, tok, i):
        return register(server, name, invite=tok, source=addr(i))

    once = new_invite()
    assert signup("first", once["token"], 1).status == 201
    r = signup("second", once["token"], 2)
    assert (r.status, r.code) == (403, "bad_invite"), r
    twice = new_invite(max_uses=2)
    assert signup("t1", twice["token"], 3).status == 201
    assert signup("t2", twice["token"], 4).status == 201
    assert signup("t3", twice["token"], 5).code == "bad_invite"
    short = new_invite(expires_in=1)
    time.sleep(1.5)
    assert signup("late", short["token"], 6).code == "bad_invite"
    revoked = new_invite(max_uses=5)
    r = api(server, "DELETE", f"/api/invites/{revoked['invite']['id']}", token=owner)
    assert r.status == 200 and r.json() == {"ok": True}
    assert signup("rev", revoked["token"], 7).code == "bad_invite"
    r = api(server, "DELETE", "/api/invites/999999", token=owner)
    assert (r.status, r.code) == (404, "not_found")
    listed = {i["id"]: i for i in api(server, "GET", "/api/invites", token=owner)
              .json()["invites"]}
    assert listed[revoked["invite"]["id"]]["revoked"] is True
    assert listed[once["invite"]["id"]]["uses"] == 1
    # made-up, mangled and stored forms of a token are not invites
    live = new_invite(max_uses=10)
    stored = [h for (h,) in db_rows(server, "SELECT hash FROM invites")]
    assert token_hash(live["token"]) in stored
    for i, bad in enumerate(["0" * 32, live["token"].upper(), live["token"][:-1],
                             live["token"] + "0", token_hash(live["token"]), "", None]):
        r = signup(f"fake{i}", bad, 10 + i)
        assert r.status in (400, 403), (bad, r)
        assert r.code in ("bad_invite", "bad_payload"), (bad, r)
    # a reset link is not an invite, and an invite is not a reset link
    uid = users(server, owner)["first"]["id"]
    reset = admin(server, owner, uid, "reset").json()["token"]
    assert signup("viareset", reset, 30).code == "bad_invite"
    r = api(server, "POST", "/api/reset", {"token": live["token"], "password": "new password!"})
    assert (r.status, r.code) == (403, "bad_invite")
    assert signup("legit", live["token"], 31).status == 201


def test_an_invite_cannot_grant_more_than_its_creator_has(make_server):
    server = make_server("--registration", "invite")
    owner = register(server, "boss").json()["token"]
    tok = invite(server, owner, role="admin").json()["token"]
    ada = register(server, "ada", invite=tok).json()["token"]
    tok = invite(server, owner).json()["token"]
    mem = register(server, "mem", invite=tok).json()["token"]
    r = invite(server, ada, role="owner")
    assert (r.status, r.code) == (403, "forbidden"), r
    r = api(server, "POST", "/api/invites", raw=b'{"role": "admin", "role": "owner"}',
            token=ada)
    assert r.status in (400, 403) or r.json()["invite"]["role"] != "owner", r
    for role in ("member", "admin", "owner"):
        assert invite(server, mem, role=role).status == 403, role
    assert invite(server, mem, role="guest").status in (400, 403)
    r = invite(server, ada, role="king")
    assert r.status == 400, r
    r = invite(server, ada, role="admin", max_uses=3)
    assert r.status == 201, r
    granted = r.json()["token"]
    assert register(server, "ad2", invite=granted, source=addr(1)).json()["user"]["role"] == \
        "admin"
    # the creator loses the rank: the invite no longer grants it
    r = admin(server, owner, users(server, owner)["ada"]["id"], "role", {"role": "member"})
    assert r.status == 200
    problems = []
    r = register(server, "ad3", invite=granted, source=addr(2))
    if not (r.status == 403 or r.json()["user"]["role"] == "member"):
        problems.append(("creator demoted to member", r))
    # nor does an invite of a banned creator
    tok = invite(server, owner, role="admin").json()["token"]
    ad4 = register(server, "ad4", invite=tok, source=addr(3)).json()["token"]
    granted = invite(server, ad4, role="admin", max_uses=2).json()["token"]
    assert admin(server, owner, users(server, owner)["ad4"]["id"], "ban").status == 200
    r = register(server, "ad5", invite=granted, source=addr(4))
    if not (r.status == 403 or r.json()["user"]["role"] == "member"):
        problems.append(("creator banned", r))
    assert me(server, mem).status == 200
    assert not problems, problems


def test_the_last_owner_cannot_step_down(server):
    account_token(server, "someone")
    boss = server.tokens["\0owner"]
    everyone = users(server, boss)
    boss_id = everyone["root-owner"]["id"]
    for role in ("admin", "member"):
        r = admin(server, boss, boss_id, "role", {"role": role})
        assert (r.status, r.code) == (409, "last_owner"), (role, r)
    r = admin(server, boss, boss_id, "role", {"role": "guest"})
    assert r.status in (400, 409), r
    for action in ("ban", "deactivate"):
        r = admin(server, boss, boss_id, action)
        assert r.status in (403, 409), (action, r)
    assert me(server, boss).json()["user"]["role"] == "owner"
    # with a second owner, one may step down, and then the other is the last
    second = account_token(server, "second")
    second_id = users(server, boss)["second"]["id"]
    assert admin(server, boss, second_id, "role", {"role": "owner"}).status == 200
    r = admin(server, boss, boss_id, "role", {"role": "member"})
    assert r.status == 200, r
    r = admin(server, second, second_id, "role", {"role": "admin"})
    assert (r.status, r.code) == (409, "last_owner"), r
    # the demoted one cannot climb back
    assert admin(server, boss, boss_id, "role", {"role": "owner"}).status == 403
    roles = {n: u["role"] for n, u in users(server, second).items()}
    assert roles["second"] == "owner" and roles["root-owner"] == "member"


def test_guest_join_flood_from_one_address(server):
    """Guests cost nothing to make, so one address may make only so many: a flood of
    guest joins from one address is cut off (rate_limited), while other addresses, and
    accounts from the flooding address, still get in."""
    got = []
    for i in range(100):
        ws = RawWS(server.port, source="127.0.9.9")
        ws.send_json("join", {"user": f"bot{i}"})
        m = ws.recv_json("welcome", "error")
        got.append(m["type"] if m["type"] == "welcome" else m["code"])
        ws.close()
        if got[-1] != "welcome":
            break
    assert got[-1] == "rate_limited" and set(got[:-1]) == {"welcome"}, got
    assert len(got) > 5, got  # a family behind one address can still come in
    ws = RawWS(server.port, source="127.0.9.10")
    ws.send_json("join", {"user": "human"})
    assert ws.recv_json("welcome", "error")["type"] == "welcome"
    ws.close()
    tok = account_token(server, "member")
    ws = RawWS(server.port, source="127.0.9.9")
    ws.send_json("join", {"token": tok})
    assert ws.recv_json("welcome", "error")["type"] == "welcome"
    ws.close()


def test_guest_joins_per_address_is_a_flag(make_server):
    """--guest-joins sets how many new guests one address makes a minute (a school behind
    one NAT needs more than 30, a benchmark's crowd far more): the next one is refused
    rate_limited, a guest back with its token is not a new one, and 0 is refused at start."""
    server = make_server("--guest-joins", "3")
    tokens = []
    for i in range(3):
        ws = RawWS(server.port, source="127.0.9.20")
        ws.send_json("join", {"user": f"pupil{i}"})
        m = ws.recv_json("welcome", "error")
        assert m["type"] == "welcome", m
        tokens.append(m["payload"]["session"])
        ws.close()
    ws = RawWS(server.port, source="127.0.9.20")
    ws.send_json("join", {"user": "pupil3"})
    m = ws.recv_json("welcome", "error")
    assert (m["type"], m.get("code")) == ("error", "rate_limited"), m
    ws.close()
    ws = RawWS(server.port, source="127.0.9.20")
    ws.send_json("join", {"user": "pupil0", "session": tokens[0]})
    assert ws.recv_json("welcome", "error")["type"] == "welcome"
    ws.close()
    r = subprocess.run([parley_bin(), "--guest-joins", "0", "--port", "0"], capture_output=True,
                       text=True, timeout=10)
    assert r.returncode == 2 and "--guest-joins must be at least 1" in r.stderr, r
