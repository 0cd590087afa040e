"""Limits on what people may do (issue 12, item 2): one rate limiter, per user and per
address, with a cost per request type (docs/protocol.md, "Rate limit and quotas").

Each finding of the attack run is a test here, and fails on the code before the limiter:
one connection created the server's 4,095 channels in 0.6 s, added 20,000 members to a
channel in 0.5 s, and sent 30-40k topic changes to #general in 5 s, which disconnected a
member reading at phone speed; fifty tabs of one user got fifty times the message rate;
guests from one address each had a bucket of their own.

Floods go over raw sockets (wsraw.RawWS), pipelined in chunks whose answers are read
before the next, so neither side's buffers decide the outcome. Every loop is bounded and
every wait has a deadline.
"""
import json
import struct
import threading
import time

from accounts import account_token
from wsraw import OP_CLOSE, OP_PONG, RawWS, SockReader, run, Client

RATE, BURST = 20, 40  # the server's defaults


def frame(msg):
    """A masked text frame of msg (a dict) with the all-zero mask: building thousands of
    frames must not cost the test more than the server."""
    b = json.dumps(msg).encode()
    n = len(b)
    if n < 126:
        head = struct.pack("!BB", 0x81, 0x80 | n)
    else:
        head = struct.pack("!BBH", 0x81, 0x80 | 126, n)
    return head + b"\0\0\0\0" + b


def pipeline(ws, requests, chunk=500, timeout=30):
    """Sends requests [(type, payload, id)] in chunks, reading each chunk's answers (the
    frames carrying their ids) before the next; returns ({id: answer}, seconds taken)."""
    got = {}
    start = time.monotonic()
    deadline = start + timeout
    for k in range(0, len(requests), chunk):
        part = requests[k:k + chunk]
        ws.send_raw(b"".join(frame({"type": t, "id": i, "payload": p}) for t, p, i in part))
        want = {i for _, _, i in part}
        while want:
            assert time.monotonic() < deadline, f"{len(want)} answers missing"
            m = ws.recv_data().json()
            if m.get("id") in want:
                want.discard(m["id"])
                got[m["id"]] = m
    return got, time.monotonic() - start


def ask(ws, type_, payload, id="q"):
    """One request, sent again after its retry_after_ms while it is rate_limited (a few
    times at most); returns its answer."""
    for _ in range(10):
        got, _ = pipeline(ws, [(type_, payload, id)])
        m = got[id]
        if m["type"] != "error" or m["code"] != "rate_limited":
            return m
        time.sleep(m["retry_after_ms"] / 1000)
    raise AssertionError(f"{type_} still rate_limited")


def outcome(m):
    return m["code"] if m["type"] == "error" else m["type"]


def tally(answers):
    out = {}
    for m in answers.values():
        out[outcome(m)] = out.get(outcome(m), 0) + 1
    return out


def joined(server, name, **kw):
    """A RawWS joined as the account name (welcome read)."""
    ws = RawWS(server.port, **kw)
    ws.join(name, token=account_token(server, name))
    return ws


def most(cost, seconds, rate=RATE, burst=BURST):
    """How many requests of cost can pass in seconds from a full bucket (plus one for the
    rounding of the clock)."""
    return int((burst + rate * seconds) // cost) + 1


# ---------------------------------------------------------------- the findings


def test_a_channel_creation_flood_is_throttled_and_others_still_create(server):
    """4,095 channel_create from one member as fast as one socket goes: a handful pass,
    the rest are answered rate_limited with retry_after_ms at once; another member can
    still create a channel and open a direct message."""
    mallory = joined(server, "mallory")
    reqs = [("channel_create", {"name": f"flood-{i}"}, f"c{i}") for i in range(4095)]
    answers, took = pipeline(mallory, reqs)
    t = tally(answers)
    print(f"\n4,095 creates answered in {took:.2f} s: {t}")
    # the others can still create a channel and open a direct message
    alice = joined(server, "alice")
    account_token(server, "bob")
    got, _ = pipeline(alice, [("channel_create", {"name": "ours"}, "a1"),
                              ("dm_open", {"users": ["bob"]}, "a2")])
    assert outcome(got["a1"]) == "channel" and outcome(got["a2"]) == "channel", got
    assert t.get("channel", 0) <= most(5, took), t
    assert t.get("rate_limited", 0) >= 4095 - most(5, took), t
    assert set(t) <= {"channel", "rate_limited"}, t
    limited = [m for m in answers.values() if outcome(m) == "rate_limited"]
    assert all(0 < m["retry_after_ms"] <= 5000 for m in limited), limited[:3]
    mallory.close()
    alice.close()


def test_an_invite_flood_is_throttled(server):
    """20,000 channel_invite from one member: a few people are added, not thousands."""
    guests = []
    for i in range(40):  # people to invite: guests, held while they are connected
        g = RawWS(server.port)
        g.join(f"extra{i}")
        guests.append(g)
    alice = joined(server, "alice")
    got, _ = pipeline(alice, [("channel_create", {"name": "lobby"}, "c")])
    assert outcome(got["c"]) == "channel", got
    reqs = [("channel_invite", {"channel": "lobby", "user": f"extra{i % 40}"}, f"i{i}")
            for i in range(20000)]
    answers, took = pipeline(alice, reqs, chunk=1000)
    t = tally(answers)
    print(f"\n20,000 invites answered in {took:.2f} s: {t}")
    # once a guest is in, inviting them again is answered `invited` for the toll alone
    added = len({a["payload"]["user"] for a in answers.values() if outcome(a) == "invited"})
    assert added <= most(3, took), t
    assert t.get("rate_limited", 0) >= 20000 - most(1, took), t
    members = ask(alice, "channel_members", {"channel": "lobby"})
    assert len(members["payload"]["users"]) == 1 + added
    for ws in guests + [alice]:
        ws.close()


class SlowReader(threading.Thread):
    """Reads a socket at phone speed (bytes_per_s), frame by frame: counts topic events and
    notes a close frame or the end of the connection; stops at the pong of `until`."""

    def __init__(self, ws, bytes_per_s, until):
        super().__init__(daemon=True)
        self.ws, self.rate, self.until = ws, bytes_per_s, until
        self.topics, self.close_code, self.eof, self.done = 0, None, False, False

    def run(self):
        self.ws.sock.settimeout(60)
        try:
            while True:
                f = self.ws.recv_frame()
                time.sleep((len(f.payload) + 4) / self.rate)
                if f.opcode == OP_CLOSE:
                    self.close_code = f.close_code
                    return
                if f.opcode == OP_PONG and f.payload == self.until:
                    self.done = True
                    return
                if f.opcode == 0x1 and json.loads(f.payload).get("type") == "topic":
                    self.topics += 1
        except (EOFError, OSError):
            self.eof = True


def test_a_topic_flood_does_not_disconnect_a_slow_reader(server):
    """30,000 topic changes on #general, as fast as one socket goes for about 5 s, with a
    member reading at 40 KB/s on a small receive buffer: the reader stays connected and
    gets the few topics that passed."""
    phone = RawWS(server.port, rcvbuf=4096)
    phone.join("phone", token=account_token(server, "phone"))
    reader = SlowReader(phone, 40_000, b"done")
    reader.start()
    mallory = joined(server, "mallory")
    topic = "t" * 240
    reqs = [("channel_topic", {"channel": "general", "topic": f"{topic}{i:05d}"}, f"t{i}")
            for i in range(30000)]
    answers, took = pipeline(mallory, reqs, chunk=1000, timeout=60)
    t = tally(answers)
    print(f"\n30,000 topics answered in {took:.2f} s: {t}")
    phone.send_frame(0x9, b"done")  # a ping: its pong comes after every topic before it
    reader.join(20)
    assert reader.done, (reader.close_code, reader.eof, reader.topics)
    assert reader.topics == t.get("topic", 0)
    assert t.get("topic", 0) <= most(3, took), t
    mallory.close()
    phone.close()


def test_fifty_tabs_share_one_rate(server):
    """Fifty connections of one account, ten messages each at once: the account's one
    bucket answers, not fifty."""
    tabs = [joined(server, "alice") for _ in range(50)]
    start = time.monotonic()
    for k, ws in enumerate(tabs):
        ws.send_raw(b"".join(frame({"type": "msg", "id": f"{k}-{i}", "payload": {"text": "x"}})
                             for i in range(10)))
    acks = limited = 0
    for k, ws in enumerate(tabs):
        want = {f"{k}-{i}" for i in range(10)}
        while want:
            m = ws.recv_data().json()
            if m.get("id") in want:
                want.discard(m["id"])
                acks += m["type"] == "ack"
                limited += m["type"] == "error" and m["code"] == "rate_limited"
    took = time.monotonic() - start
    assert acks <= most(1, took) and acks + limited == 500, (acks, limited, took)
    for ws in tabs:
        ws.close()


def test_guests_from_one_address_share_its_bucket(make_server):
    """Guests cost nothing to make: eight of them from one address share that address's
    bucket (4 times the burst), while a guest elsewhere and an account on that address
    keep their own."""
    server = make_server("--rate", "2", "--burst", "5")
    here = "127.0.77.1"
    guests = []
    for i in range(8):
        g = RawWS(server.port, source=here)
        g.join(f"visitor{i}")
        guests.append(g)
    start = time.monotonic()
    got = {}
    for k, g in enumerate(guests):
        answers, _ = pipeline(g, [("msg", {"text": "hi"}, f"{k}-{i}") for i in range(5)])
        got.update(answers)
    took = time.monotonic() - start
    t = tally(got)
    assert t.get("ack", 0) <= most(1, took, rate=2, burst=20), (t, took)
    assert t.get("rate_limited", 0) >= 40 - most(1, took, rate=2, burst=20), (t, took)
    elsewhere = RawWS(server.port, source="127.0.77.2")
    elsewhere.join("traveller")
    member = RawWS(server.port, source=here)
    member.join("resident", token=account_token(server, "resident"))
    for ws in (elsewhere, member):
        answers, _ = pipeline(ws, [("msg", {"text": "hi"}, f"m{i}") for i in range(5)])
        assert tally(answers) == {"ack": 5}, answers
    for ws in guests + [elsewhere, member]:
        ws.close()


# ---------------------------------------------------------------- quotas


def test_a_member_is_held_at_their_quota_across_a_restart(make_server):
    """With the rate limit out of the way, 4,095 creations from one member stop at the
    member's quota (100); the count comes from the channels' creators, so a restart does not
    reset it. Others still create channels and open direct messages; an admin is not held
    by the members' quota."""
    server = make_server("--rate", "100000", "--burst", "100000")
    mallory = joined(server, "mallory")
    reqs = [("channel_create", {"name": f"flood-{i}"}, f"c{i}") for i in range(4095)]
    answers, took = pipeline(mallory, reqs)
    t = tally(answers)
    print(f"\n4,095 creates, no rate limit, answered in {took:.2f} s: {t}")
    assert t == {"channel": 100, "quota_exceeded": 3995}, t
    refusal = answers["c4094"]
    assert "100 channels" in refusal["message"], refusal
    mallory.close()
    assert server.stop() == 0
    server.restart()
    mallory = joined(server, "mallory")
    got, _ = pipeline(mallory, [("channel_create", {"name": "one-more"}, "again")])
    assert outcome(got["again"]) == "quota_exceeded", got
    alice = joined(server, "alice")
    account_token(server, "bob")
    got, _ = pipeline(alice, [("channel_create", {"name": "ours"}, "a1"),
                              ("dm_open", {"users": ["bob"]}, "a2")])
    assert outcome(got["a1"]) == "channel" and outcome(got["a2"]) == "channel", got
    boss = RawWS(server.port)
    boss.join("boss", token=account_token(server, "boss", role="admin"))
    reqs = [("channel_create", {"name": f"boss-{i}"}, f"b{i}") for i in range(120)]
    answers, _ = pipeline(boss, reqs)
    assert tally(answers) == {"channel": 120}
    for ws in (mallory, alice, boss):
        ws.close()


def test_distinct_emoji_on_a_message_are_capped(server):
    """At most 50 distinct emoji on one message (and 20 reactions of one person on it): a
    new emoji past them is refused too_many; an emoji the message has can still be added
    and any can be taken off."""
    alice, bob, carol = (joined(server, n) for n in ("alice", "bob", "carol"))
    got, _ = pipeline(alice, [("msg", {"text": "react to this"}, "m")])
    seq = got["m"]["payload"]["seq"]
    emoji = [chr(0x1F600 + i) for i in range(51)]
    for who, part in ((alice, emoji[:20]), (bob, emoji[20:40]), (carol, emoji[40:50])):
        answers, _ = pipeline(who, [("react", {"seq": seq, "emoji": e}, f"r{k}")
                                    for k, e in enumerate(part)])
        assert tally(answers) == {"ack": len(part)}, answers
    got, _ = pipeline(carol, [("react", {"seq": seq, "emoji": emoji[50]}, "new"),
                              ("react", {"seq": seq, "emoji": emoji[0]}, "old")])
    assert outcome(got["new"]) == "too_many" and outcome(got["old"]) == "ack", got
    got, _ = pipeline(alice, [("react", {"seq": seq, "emoji": emoji[45]}, "21st"),
                              ("react", {"seq": seq, "emoji": emoji[1]}, "off"),
                              ("react", {"seq": seq, "emoji": emoji[45]}, "20th")])
    assert [outcome(got[k]) for k in ("21st", "off", "20th")] == ["too_many", "ack", "ack"], got
    for ws in (alice, bob, carol):
        ws.close()


def test_invite_links_are_capped(server):
    """An admin holds at most 100 live invite links: the 101st is refused 403
    quota_exceeded until one is revoked."""
    from accounts import api, invite
    owner = account_token(server, "boss", role="admin")
    ids = []
    for i in range(100):
        r = invite(server, owner, role="member")
        assert r.status == 201, (i, r)
        ids.append(r.json()["invite"]["id"])
    r = invite(server, owner, role="member")
    assert (r.status, r.code) == (403, "quota_exceeded"), r
    assert api(server, "DELETE", f"/api/invites/{ids[0]}", token=owner).status == 200
    assert invite(server, owner, role="member").status == 201


# ---------------------------------------------------------------- archiving and deleting


def wait_for(ws, type_, pred=lambda m: True, timeout=5):
    """The next frame of type_ on ws that satisfies pred (others are passed over)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        m = ws.recv_data().json()
        if m.get("type") == type_ and pred(m):
            return m
    raise AssertionError(f"no {type_}")


def test_admins_archive_and_delete_channels(server):
    """An archived channel is read-only (kept across a restart) and leaves channel_list's
    default; unarchived it takes messages again; deleted, its members leave it, its messages
    go (search too, across a restart) and its name is free for a new channel."""
    boss = RawWS(server.port)
    boss.join("boss", token=account_token(server, "boss", role="admin"))
    alice, bob = joined(server, "alice"), joined(server, "bob")
    pipeline(alice, [("channel_create", {"name": "launch"}, "c")])
    pipeline(bob, [("channel_join", {"channel": "launch"}, "j")])
    got, _ = pipeline(alice, [("msg", {"channel": "launch", "text": "the secret plan"}, "m")])
    assert outcome(got["m"]) == "ack", got
    got, _ = pipeline(bob, [("channel_archive", {"channel": "launch"}, "a")])
    assert outcome(got["a"]) == "forbidden", got
    got, _ = pipeline(boss, [("channel_archive", {"channel": "launch"}, "a")])
    assert got["a"]["payload"]["channel"]["archived"] is True, got
    seen = wait_for(bob, "channel", lambda m: m["payload"]["channel"].get("archived"))
    assert seen["payload"]["channel"]["name"] == "launch"

    def read_only(ws):
        got, _ = pipeline(ws, [("msg", {"channel": "launch", "text": "more"}, "m2"),
                               ("history", {"channel": "launch"}, "h"),
                               ("search", {"q": "plan"}, "s"),
                               ("channel_list", {}, "l"),
                               ("channel_list", {"archived": True}, "la")])
        assert outcome(got["m2"]) == "forbidden" and "archived" in got["m2"]["message"], got
        assert [m["text"] for m in got["h"]["payload"]["messages"]] == ["the secret plan"]
        assert [m["text"] for m in got["s"]["payload"]["messages"]] == ["the secret plan"]
        assert "launch" not in [c["name"] for c in got["l"]["payload"]["channels"]]
        assert "launch" in [c["name"] for c in got["la"]["payload"]["channels"]]

    read_only(bob)
    for ws in (boss, alice, bob):
        ws.close()
    assert server.stop() == 0
    server.restart()
    boss = RawWS(server.port)
    boss.join("boss", token=account_token(server, "boss"))
    alice, bob = joined(server, "alice"), joined(server, "bob")
    read_only(bob)
    got, _ = pipeline(boss, [("channel_unarchive", {"channel": "launch"}, "u")])
    assert "archived" not in got["u"]["payload"]["channel"], got
    got, _ = pipeline(bob, [("msg", {"channel": "launch", "text": "back"}, "m3")])
    assert outcome(got["m3"]) == "ack", got
    # deleted: the members leave it, everything of it goes, and its name is free
    got, _ = pipeline(boss, [("channel_delete", {"channel": "launch"}, "d")])
    assert got["d"] == {"type": "channel_deleted", "id": "d", "payload": {"channel": "launch"}}
    for ws in (alice, bob):
        wait_for(ws, "channel_left", lambda m: m["payload"]["channel"] == "launch")
    got, _ = pipeline(bob, [("history", {"channel": "launch"}, "h"), ("search", {"q": "plan"}, "s")])
    assert outcome(got["h"]) == "no_such_channel" and got["s"]["payload"]["messages"] == [], got
    got, _ = pipeline(alice, [("channel_create", {"name": "launch"}, "again")])
    assert got["again"]["payload"]["channel"]["last_seq"] == 0, got
    for ws in (boss, alice, bob):
        ws.close()
    assert server.stop() == 0
    server.restart()
    alice = joined(server, "alice")
    got, _ = pipeline(alice, [("history", {"channel": "launch"}, "h"), ("search", {"q": "plan"}, "s")])
    assert got["h"]["payload"]["messages"] == [] and got["s"]["payload"]["messages"] == [], got
    alice.close()
