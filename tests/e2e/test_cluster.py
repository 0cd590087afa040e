"""Chaos through a load balancer: three parley processes on one PostgreSQL store and one
redis-server bus, behind HAProxy (the configuration of scripts/cluster, docs/scaling.md).

Twelve guests, members of three channels, send keyed messages (`cid`) through HAProxy for
about 24 s while a parley process is killed with SIGKILL every ~5 s (and started again on
its port), redis-server is killed once and started again empty, and PostgreSQL is stopped
for ~2 s while a parley process and redis-server are dead (the process is started again
once PostgreSQL is back: a process cannot start without its store). Writes meanwhile are answered `unavailable`,
HAProxy sees every /readyz 503 and refuses new connections, and clients send again. A
client whose connection drops connects again through HAProxy, joins with its session token,
resumes every channel from the last seq it saw and sends again, with the same cid, whatever
was not acknowledged. At the end (docs/protocol.md, "Several processes"):

- every acknowledged (channel, cid) is stored exactly once, and nothing acknowledged is lost;
- each channel's seqs in PostgreSQL are 1..last, with no gap and no duplicate;
- each client received every seq 1..last of each channel, nothing de-duplicated: on each
  connection the resume from the last seq it saw came whole and in order, and after
  `resumed` each message once, in order, with no gap: nothing comes twice, since each join
  carries its resume (docs/protocol.md, "Resume").

Run with -s it prints its figures (kills, messages acknowledged and stored, lost, ...).

Real processes only, all started and stopped here. Skipped, saying why, when haproxy,
redis-server or PostgreSQL's server programs are missing (scripts/deps test installs them).
"""
import asyncio
import json
import random
import shutil
import signal
import socket
import subprocess
import time
from collections import Counter

import pytest
import websockets

from accounts import account_token
from conftest import ROOT, Server
from test_postgres import SCRIPT as PG_SCRIPT, cluster, pg_store  # noqa: F401 (fixtures)
from test_shared import Redis, free_port, redis  # noqa: F401 (fixture)
from wsraw import Client, run

CLIENTS = 12
CHANNELS = ("general", "ops", "design")
CHAOS_SECONDS = 24
KILL_EVERY = 5
SEND_EVERY = 0.3  # seconds between a client's messages: 40 a second in all
RESEND_AFTER = 3  # seconds an unacknowledged write waits before it is sent again
REDIS_AT = 1  # redis-server is killed with the second parley process
PG_AT = 1  # and PostgreSQL is stopped while it is dead, midway, so that writers meet it
PG_DOWN = 2  # seconds


def need(program):
    if not shutil.which(program):
        pytest.skip(f"{program} is not installed (scripts/deps test)")


class HAProxy:
    """HAProxy in the foreground on a free port, configured by scripts/cluster."""

    def __init__(self, tmp, backends):
        self.port = free_port()
        cfg = subprocess.run([str(ROOT / "scripts" / "cluster"), "haproxy-cfg", str(self.port),
                              *map(str, backends)], check=True, capture_output=True,
                             text=True).stdout
        # Fast health checks: a restarted process is back in the rotation within 0.3 s.
        cfg = cfg.replace("inter 1s fall 2 rise 1", "inter 300ms fall 1 rise 1")
        (tmp / "haproxy.cfg").write_text(cfg)
        self.log = open(tmp / "haproxy.log", "w")
        self.proc = subprocess.Popen(["haproxy", "-db", "-f", str(tmp / "haproxy.cfg")],
                                     stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), 0.2).close()
                return
            except OSError:
                assert self.proc.poll() is None, "haproxy exited"
                time.sleep(0.05)
        raise RuntimeError("haproxy did not start")

    # What wsraw.Client and accounts need of a server.
    @property
    def url(self):
        return f"ws://127.0.0.1:{self.port}"

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)
        self.log.close()


class Chatter:
    """One guest: its messages in flight, what was acknowledged, and every seq delivered to
    it per channel, across connections, in arrival order."""

    def __init__(self, lb, name, session):
        self.lb, self.name, self.session = lb, name, session
        self.last = {ch: 0 for ch in CHANNELS}
        self.stream = {ch: [] for ch in CHANNELS}
        self.pending = {}  # cid -> [channel, text, time sent]
        self.acked = {}  # cid -> (channel, seq)
        self.duplicates = 0  # acks saying "duplicate": a retry of a write already stored
        self.connections = 0
        # per connection: {"from": {channel: resumed from}, "pre": {channel: seqs before
        # `resumed`}, "post": {channel: seqs after it}}
        self.conns = []
        self.sent = 0
        self.problems = []
        self.last_rx = time.monotonic()
        self.errors = Counter()  # code -> how many (unavailable, rate_limited: sent again)

    def done(self, targets):
        return (targets is not None and not self.pending and
                all(self.last[ch] >= targets[ch] for ch in CHANNELS))

    async def run(self, stop_at, state):
        while not self.done(state["targets"]):
            try:
                await self.connection(stop_at, state)
            except (websockets.ConnectionClosed, OSError, asyncio.TimeoutError,
                    websockets.InvalidHandshake):
                pass
            await asyncio.sleep(0.1 + random.random() * 0.2)

    async def connection(self, stop_at, state):
        c = await Client.connect(self.lb)
        try:
            # the join carries the resume: nothing live comes between them (docs/protocol.md,
            # "Resume"), so nothing may come twice
            # (events: the channel lines' seqs come too, so every stored seq is seen)
            await c.send_json("join", {"user": self.name, "session": self.session,
                                       "resume": dict(self.last), "events": True})
            while True:
                m = json.loads(await c.recv_raw(10))
                if m["type"] == "welcome":
                    break
                if m["type"] == "error":  # e.g. the session not yet known there: again
                    return
            self.connections += 1
            self.conns.append({"from": dict(self.last), "resumed": False,
                               "pre": {ch: [] for ch in CHANNELS},
                               "post": {ch: [] for ch in CHANNELS}})
            for cid, p in self.pending.items():
                await self.send(c, cid, p)
            next_send = time.monotonic() + SEND_EVERY * random.random()
            while not self.done(state["targets"]):
                now = time.monotonic()
                if now < stop_at and now >= next_send:
                    self.sent += 1
                    cid = f"{self.name}-{self.sent}"
                    self.pending[cid] = [random.choice(CHANNELS), f"{self.name} {self.sent}", 0]
                    await self.send(c, cid, self.pending[cid])
                    next_send = now + SEND_EVERY
                for cid, p in list(self.pending.items()):
                    if now - p[2] > RESEND_AFTER:
                        await self.send(c, cid, p)
                try:
                    raw = await c.recv_raw(0.1)
                except asyncio.TimeoutError:
                    continue
                self.last_rx = time.monotonic()
                self.handle(json.loads(raw))
        finally:
            await c.ws.close()

    async def send(self, c, cid, p):
        p[2] = time.monotonic()
        await c.send_json("msg", {"channel": p[0], "text": p[1], "cid": cid}, id=cid)

    def handle(self, m):
        t, p = m.get("type"), m.get("payload", {})
        # Every seq'd event of a channel counts: the channel lines (who joined) hold seqs too.
        if t in ("msg", "channel_event"):
            ch = p["channel"]
            self.stream[ch].append(p["seq"])
            if self.conns:
                k = self.conns[-1]
                k["post" if k["resumed"] else "pre"][ch].append(p["seq"])
            self.last[ch] = max(self.last[ch], p["seq"])
        elif t == "ack":
            cid = p["cid"]
            self.duplicates += bool(p.get("duplicate"))
            got = (p["channel"], p["seq"])
            if cid in self.acked and self.acked[cid] != got:
                self.problems.append(f"{cid} acked as {self.acked[cid]} and as {got}")
            self.acked[cid] = got
            self.pending.pop(cid, None)
        elif t == "resumed":
            if self.conns:
                self.conns[-1]["resumed"] = True
            for ch, r in p["channels"].items():
                if not r["recovered"]:
                    self.problems.append(f"resume of {ch} not recovered: {r}")
        elif t == "error":
            self.errors[m.get("code")] += 1
            self.first_error = getattr(self, "first_error", None) or (time.monotonic(), m)
        if t == "error" and m.get("code") not in ("unavailable", "rate_limited"):
            self.problems.append(f"error {m}")


def check_connection(name, ch, k):
    """One connection's stream of ch: before `resumed`, the resume (which the join carried),
    from its `from` + 1, in order, each once, nothing missing; after `resumed`, the live
    stream going on from there, in order, each once. Returns how many came twice (0)."""
    pre, post, start = k["pre"][ch], k["post"][ch], k["from"][ch]
    assert all(s > start for s in pre + post), (name, ch, "a seq older than the resume's", k)
    top = max(pre, default=start)
    assert pre == list(range(start + 1, top + 1)), (name, ch, "resume gap or repeat", pre)
    assert post == list(range(top + 1, top + 1 + len(post))), \
        (name, ch, "after `resumed`: a gap, a duplicate or out of order", pre[-5:], post[:10])
    return len(pre) - len(set(pre))


def psql_rows(url, sql):
    out = subprocess.run(["psql", "-X", "-A", "-t", "-F", "|", "-v", "ON_ERROR_STOP=1", url,
                          "-c", sql], check=True, capture_output=True, text=True, timeout=60)
    return [line.split("|") for line in out.stdout.splitlines() if line]


@pytest.fixture
def chaos_cluster(tmp_path, cluster, pg_store):
    need("haproxy")
    need("redis-server")
    redis = Redis(tmp_path).start()
    flags = ("--bus", redis.url, "--rate", "1000", "--burst", "1000", "--guest-ttl", "3600",
             "--max-conns-per-ip", "0")
    backends = [free_port() for _ in range(3)]
    lb_port = free_port()
    servers, lb = [], None
    try:
        for i, port in enumerate(backends):
            d = tmp_path / f"p{i}"
            d.mkdir()
            s = Server(d, *flags, "--public-url", f"http://127.0.0.1:{lb_port}", store=pg_store)
            servers.append(s.start(port))
        lb = HAProxy(tmp_path, backends)
        yield lb, servers, redis, pg_store, cluster[0]
    finally:
        if lb:
            lb.stop()
        for s in servers:
            s.stop(signal.SIGKILL)
        redis.stop()


async def prepare(lb):
    """The channels (made by an account), and the guests, each a member of all of them."""
    token = account_token(lb, "maker")
    for _ in range(30):  # the other processes read the new account within a second
        maker = await Client.connect(lb)
        await maker.send_json("join", {"token": token})
        if (await maker.recv_json("welcome", "error"))["type"] == "welcome":
            break
        await maker.close()
        await asyncio.sleep(0.1)
    for ch in CHANNELS[1:]:
        await maker.send_json("channel_create", {"name": ch}, id=ch)
        await maker.recv_json("channel", skip=("join", "leave", "typing", "history"), timeout=10)
    await maker.close()
    sessions = {}
    for i in range(CLIENTS):
        name = f"g{i}"
        c, welcome, _ = await Client.joined(lb, name)
        sessions[name] = welcome["session"]
        for ch in CHANNELS[1:]:
            await c.send_json("channel_join", {"channel": ch}, id=ch)
            while (await c.recv_json(skip=()))["type"] != "channel":
                pass
        await c.close()
    return sessions


async def chaos(servers, redis, pg_dir, stop_at, figures):
    """Kills a parley process every KILL_EVERY seconds (round robin) and starts it again a
    second later; kills redis-server once, midway, and starts it again (empty); stops
    PostgreSQL once for PG_DOWN seconds while a process is dead."""
    n, redis_done = 0, False
    while time.monotonic() + KILL_EVERY - 1 < stop_at:
        await asyncio.sleep(KILL_EVERY - 1)
        s = servers[n % len(servers)]
        s.proc.send_signal(signal.SIGKILL)
        s.proc.wait()
        figures["kills"] += 1
        print(f"kill {n % len(servers)} at {time.monotonic():.1f}")
        if not redis_done and n == REDIS_AT:
            redis.stop()
            print(f"redis killed at {time.monotonic():.1f}")
            figures["redis_kills"] += 1
        await asyncio.sleep(1)
        if n == PG_AT:
            await asyncio.to_thread(subprocess.run, [PG_SCRIPT, "pause", pg_dir], check=True,
                                    timeout=60)
            print(f"postgresql stopped at {time.monotonic():.1f}")
            await asyncio.sleep(PG_DOWN)
            await asyncio.to_thread(subprocess.run, [PG_SCRIPT, "resume", pg_dir], check=True,
                                    timeout=60)
            figures["pg_restarts"] += 1
        await asyncio.to_thread(s.restart)
        if not redis_done and n == REDIS_AT:
            await asyncio.to_thread(redis.start)
            redis_done = True
        n += 1


def test_chaos_through_haproxy(chaos_cluster):
    lb, servers, redis, store, pg_dir = chaos_cluster
    figures = Counter()

    async def go():
        sessions = await prepare(lb)
        # Other processes learn of the guests' sessions from the store within a second.
        await asyncio.sleep(1.5)
        chatters = [Chatter(lb, name, tok) for name, tok in sessions.items()]
        state = {"targets": None}
        stop_at = time.monotonic() + CHAOS_SECONDS
        print(f"start at {time.monotonic():.1f}")
        tasks = [asyncio.create_task(c.run(stop_at, state)) for c in chatters]
        await chaos(servers, redis, pg_dir, stop_at, figures)
        deadline = stop_at + 20

        async def probe():
            """What each process answers to a write in each channel, directly."""
            out = {}
            for i, srv in enumerate(servers):
                c = await Client.connect(srv)
                await c.join("g0", session=sessions["g0"])
                await c.send_json("channel_list", {}, id="l")
                out[(i, "list")] = [(x["name"], x.get("members")) for x in (await c.recv_json(
                    "channels", skip=("join", "leave", "history", "typing", "msg")))["payload"]["channels"]]
                for ch in CHANNELS:
                    await c.send_json("msg", {"channel": ch, "text": "probe"}, id="p")
                    m = await c.recv_json("ack", "error", skip=("join", "leave", "history",
                                                                 "typing", "msg", "channel"))
                    out[(i, ch)] = m["type"] if m["type"] == "ack" else m["code"]
                await c.close()
            return out

        def where():
            now = time.monotonic()
            rows = psql_rows(store, "SELECT channel, max(seq) FROM messages GROUP BY channel")
            return rows, [(c.name, sorted(set(p[0] for p in c.pending.values())), c.last,
                           c.connections, round(now - c.last_rx, 1), dict(c.errors)) for c in chatters]

        while time.monotonic() < stop_at or any(c.pending for c in chatters):
            await asyncio.sleep(0.2)
            for t in tasks:
                if t.done():
                    t.result()  # a failure inside a chatter fails the test here
            if time.monotonic() > deadline:
                print([(c.name, round(c.first_error[0], 1), c.first_error[1]) for c in chatters
                       if getattr(c, "first_error", None)])
                raise AssertionError(f"writes never acknowledged: {where()} {await probe()} "
                    f"{psql_rows(store, 'SELECT * FROM channels')} "
                    f"{psql_rows(store, 'SELECT channel, kind, count(*) FROM messages GROUP BY 1, 2')} "
                    f"{psql_rows(store, 'SELECT channel, count(*) FROM members GROUP BY 1')}")
        rows = psql_rows(store, "SELECT channel, max(seq) FROM messages GROUP BY channel")
        state["targets"] = dict({ch: 0 for ch in CHANNELS}, **{r[0]: int(r[1]) for r in rows})
        done, _ = await asyncio.wait(tasks, timeout=deadline - time.monotonic())
        assert len(done) == len(tasks), f"not delivered by {state['targets']}: {where()}"
        for t in tasks:
            t.result()
        return chatters, state["targets"]

    t0 = time.monotonic()
    chatters, targets = run(go(), 80)
    rows = psql_rows(store, "SELECT channel, seq, author, coalesce(cid, '') FROM messages "
                            "ORDER BY channel, seq")
    stored = Counter((r[0], r[3]) for r in rows if r[3])
    for ch in CHANNELS:
        seqs = [int(r[1]) for r in rows if r[0] == ch]
        assert seqs == list(range(1, targets[ch] + 1)), f"{ch}: stored seqs with a gap"
    acked = {(ch, cid): seq for c in chatters for cid, (ch, seq) in c.acked.items()}
    by_seq = {(r[0], int(r[1])): r[3] for r in rows}
    lost = [k for k in acked if stored[k] == 0]
    twice = [k for k in acked if stored[k] > 1]
    wrong = [k for k, seq in acked.items() if by_seq.get((k[0], seq)) != k[1]]
    figures.update(messages_acked=len(acked), messages_stored=len(rows), lost=len(lost),
                   stored_twice=len(twice),
                   duplicate_acks=sum(c.duplicates for c in chatters),
                   unavailable=sum(c.errors["unavailable"] for c in chatters),
                   connections=sum(c.connections for c in chatters))
    for c in chatters:  # counted first, so that the figures print before any check fails
        for ch in CHANNELS:
            for k in c.conns:
                pre = k["pre"][ch]
                figures["delivered_twice"] += len(pre) - len(set(pre))
    print(f"\nchaos: {dict(figures)}, channels {targets}, {time.monotonic() - t0:.1f} s")
    assert not lost and not twice and not wrong, (lost[:5], twice[:5], wrong[:5])
    assert len(acked) == sum(c.sent for c in chatters), "a sent message was never acked"
    for c in chatters:
        assert not c.problems, (c.name, c.problems[:5])
        for ch in CHANNELS:
            assert sorted(set(c.stream[ch])) == list(range(1, targets[ch] + 1)), \
                (c.name, ch, "a message never delivered")
            for k in c.conns:
                check_connection(c.name, ch, k)
    for s in servers:  # each process alive at the end still serves
        assert s.proc.poll() is None, s.logs()[-2000:]
    assert figures["kills"] >= 3 and figures["redis_kills"] == 1 and figures["pg_restarts"] == 1
    assert figures["unavailable"] > 0, "no write met the PostgreSQL outage"


def test_restarted_process_keeps_every_channel(make_server, pg_store, redis):
    """The chaos test's first find, alone: two processes on PostgreSQL and the bus, three
    channels with 150 messages each; one process killed -9 and started again must still
    know every channel (store_pg's start-up load once lost all but the first it read)."""
    flags = ("--bus", redis.url, "--rate", "1000", "--burst", "1000")
    a = make_server(*flags, store=pg_store)
    b = make_server(*flags, store=pg_store)

    async def fill():
        c = await Client.connect(a)
        await c.join("maker", token=account_token(a, "maker"))
        for ch in CHANNELS[1:]:
            await c.send_json("channel_create", {"name": ch}, id=ch)
            await c.recv_json("channel", skip=("join", "leave", "typing", "history"))
        for i in range(150):
            for ch in CHANNELS:
                await c.send_json("msg", {"channel": ch, "text": f"m{i}", "cid": f"{ch}{i}"})
        seen = 0
        while seen < 150 * len(CHANNELS):
            seen += (await c.recv_json("ack", skip=("join", "leave", "typing", "msg")))[
                "type"] == "ack"
        await c.close()

    async def channels(server):
        for _ in range(30):  # a process reads a new account within a second
            c = await Client.connect(server)
            await c.send_json("join", {"token": account_token(a, "maker")})
            m = await c.recv_json("welcome", "error")
            await c.close()
            if m["type"] == "welcome":
                return {ch["name"]: ch["last_seq"] for ch in m["payload"]["channels"]}
            await asyncio.sleep(0.1)
        raise AssertionError("the account never reached the process")

    async def converged(server, want):
        # Another process hears of a channel and its messages through the bus, a subscription
        # and a catch-up later: a few ms behind, never more than the bound here.
        deadline = time.monotonic() + 5
        while (got := await channels(server)) != want and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        return got

    run(fill(), 60)
    want = {ch: 150 for ch in CHANNELS}
    assert run(converged(b, want), 30) == want
    b.kill9()
    b.restart()
    assert run(channels(b), 30) == want, "a restarted process lost a channel"
