"""Failures of what several parley processes share (issue 13, item 4; docs/scaling.md,
"What happens when something fails"), each alone, with real processes: parley processes on
one PostgreSQL store (a throwaway cluster, as test_postgres.py starts) and one redis-server.

- A process frozen (SIGSTOP) in the middle of a write transaction, holding its channels'
  rows: the others' writes to those channels wait a few seconds at most (PostgreSQL ends
  the frozen transaction), and once it runs again its writes are answered `unavailable`,
  retried and stored once, its clients' streams gapless and without a duplicate.
- PostgreSQL stopped (a fast shutdown) and crashed (an immediate one), then started again,
  under writers on two processes: every write during the outage is answered `unavailable`
  (none hangs, none is acknowledged), /readyz is 503 on both and 200 again after, and
  retries with the same cid are stored once, at their original seq when they had committed.
- PostgreSQL that stops answering without closing anything (SIGSTOP): each process gives
  its writer's session up after 15 s of silence, answers `unavailable`, /readyz 503.
- A COMMIT that PostgreSQL carried out but whose answer never came back (a proxy drops the
  answers): `unavailable`, then the retry is answered with the seq it was stored at.
- A process cut off from Redis (a proxy between it and redis-server stops passing bytes):
  its messages still reach the other process, and the other's reach it, through the
  store's position check, in order and once; live again once the proxy passes again.

Each test ends with the same checks: every acknowledged (channel, cid) stored once at the
seq its ack said, nothing sent and not acknowledged, each channel's seqs 1..last, and every
client's live stream gapless, in order and without a duplicate.
"""
import asyncio
import json
import os
import random
import re
import signal
import subprocess
import time
from collections import Counter

import pytest
import websockets

from conftest import Server
from test_cluster import need, psql_rows
from test_postgres import SCRIPT, cluster, pg_store  # noqa: F401 (fixtures)
from test_shared import free_port, redis  # noqa: F401 (fixture)
from wsraw import Client, get, run

FLAGS = ("--rate", "100000", "--burst", "100000", "--guest-ttl", "3600")
ACK_BOUND = 10  # seconds: a write on a process nothing is wrong with is acknowledged within
HUNG_BOUND = 30  # seconds: a write waiting for a PostgreSQL that stopped answering is refused
FROZEN_BOUND = 15  # seconds: a write waiting for rows a stopped process holds (~5 s) is acked
SKIP = ("join", "leave", "typing", "history", "channel", "resumed", "pong")


def named(store, name):
    """store with its sessions named `name` in pg_stat_activity (application_name)."""
    return f"{store}&application_name={name}"


class Guest:
    """One guest on one process, reading in the background: its writes in flight, what was
    acknowledged, what was answered `unavailable`, and the live stream of each channel."""

    def __init__(self, server, name):
        self.server, self.name = server, name
        self.pending = {}  # cid -> channel: sent, not acknowledged yet
        self.acked = {}  # cid -> (channel, seq)
        self.acked_at = {}  # cid -> time.monotonic() of its (first) ack
        self.sent_at = {}  # cid -> when it was last sent
        self.unavailable = {}  # cid -> when it was answered `unavailable` (until sent again)
        self.refused = 0  # `unavailable` answers in all
        self.duplicates = 0  # acks marked duplicate: a retry of a write already stored
        self.stream = {}  # channel -> seqs received live, in order
        self.base = {}  # channel -> last_seq in the welcome
        self.problems = []
        self.n = 0

    async def start(self):
        self.c, welcome, _ = await Client.joined(self.server, self.name)
        self.base = {ch["name"]: ch["last_seq"] for ch in welcome["channels"]}
        self.reader = asyncio.create_task(self.read())
        return self

    async def read(self):
        try:
            async for raw in self.c.ws:
                self.handle(json.loads(raw))
        except websockets.ConnectionClosed:
            pass
        self.problems.append("connection closed")

    def handle(self, m):
        t, p = m.get("type"), m.get("payload", {})
        if t in ("msg", "channel_event"):  # the channel lines hold seqs too
            self.stream.setdefault(p["channel"], []).append(p["seq"])
        elif t == "ack":
            cid, got = p["cid"], (p["channel"], p["seq"])
            self.duplicates += bool(p.get("duplicate"))
            if self.acked.get(cid, got) != got:
                self.problems.append(f"{cid} acked as {self.acked[cid]} and as {got}")
            self.acked[cid] = got
            self.acked_at.setdefault(cid, time.monotonic())
            self.pending.pop(cid, None)
        elif t == "error" and m.get("code") == "unavailable" and m.get("id") in self.pending:
            self.unavailable[m["id"]] = time.monotonic()
            self.refused += 1
        elif t not in SKIP:
            self.problems.append(f"unexpected {m}")

    async def send(self, channel="general", cid=None):
        if cid is None:
            self.n += 1
            cid = f"{self.name}-{self.n}"
        self.pending[cid] = channel
        self.sent_at[cid] = time.monotonic()
        self.unavailable.pop(cid, None)
        await self.c.send_json("msg", {"channel": channel, "text": cid, "cid": cid}, id=cid)
        return cid

    async def acked_within(self, cid, seconds):
        """Whether cid is acknowledged within seconds."""
        deadline = time.monotonic() + seconds
        while cid not in self.acked and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        return cid in self.acked

    async def settle(self, seconds):
        """Sends again, with the same cid, every write answered `unavailable` (or unanswered
        for 3 s) until all are acknowledged; fails past the bound."""
        deadline = time.monotonic() + seconds
        while self.pending:
            assert time.monotonic() < deadline, f"{self.name}: never acked {list(self.pending)[:5]}"
            now = time.monotonic()
            for cid, ch in list(self.pending.items()):
                if cid in self.unavailable or now - self.sent_at[cid] > 3:
                    await self.send(ch, cid)
            await asyncio.sleep(0.2)

    async def close(self):
        self.reader.cancel()
        await self.c.ws.close()


async def caught_up(guests, targets, seconds):
    """Waits until every guest received each channel's last seq; fails past the bound."""
    deadline = time.monotonic() + seconds
    while True:
        late = [(g.name, ch, (g.stream.get(ch) or [0])[-1], top) for g in guests
                for ch, top in targets.items() if top and (g.stream.get(ch) or [0])[-1] < top]
        if not late:
            return
        assert time.monotonic() < deadline, f"not delivered: {late[:6]}"
        await asyncio.sleep(0.1)


def stored_targets(store):
    return {r[0]: int(r[1]) for r in psql_rows(store, "SELECT channel, max(seq) FROM messages "
                                                      "GROUP BY channel")}


def run_stopping(coro, timeout, servers):
    """run(coro, timeout), then every server in `servers` (a list the coroutine may still
    fill) is stopped whatever happened, sent SIGCONT first; each must have exited 0 (under
    ASan: no leak), which is checked only when the run itself passed."""
    try:
        run(coro, timeout)
    finally:
        for s in servers:
            if s.proc and s.proc.poll() is None:
                s.proc.send_signal(signal.SIGCONT)
        codes = [(s, s.stop()) for s in servers if s.proc]
    for s, code in codes:
        assert code == 0, s.logs()[-3000:]


def check_end(store, guests, targets):
    """The checks every test here ends with (see the module's doc); returns figures."""
    rows = psql_rows(store, "SELECT channel, seq, coalesce(cid, '') FROM messages "
                            "ORDER BY channel, seq")
    for ch, top in targets.items():
        assert [int(r[1]) for r in rows if r[0] == ch] == list(range(1, top + 1)), \
            f"{ch}: stored seqs with a gap or twice"
    stored = Counter((r[0], r[2]) for r in rows if r[2])
    at = {(r[0], r[2]): int(r[1]) for r in rows if r[2]}
    acked = {(ch, cid): seq for g in guests for cid, (ch, seq) in g.acked.items()}
    lost = [k for k in acked if stored[k] == 0]
    twice = [k for k in acked if stored[k] > 1]
    wrong = [k for k, seq in acked.items() if at.get(k) != seq]
    assert not lost and not twice and not wrong, (lost[:5], twice[:5], wrong[:5])
    for g in guests:
        assert not g.pending, (g.name, "sent and never acknowledged", list(g.pending)[:5])
        assert not g.problems, (g.name, g.problems[:5])
        for ch, seqs in g.stream.items():
            first = g.base.get(ch, 0) + 1
            assert seqs == list(range(first, targets[ch] + 1)), \
                (g.name, ch, "a gap, a duplicate or out of order", Counter(seqs).most_common(2),
                 seqs[:5], seqs[-5:])
    return {"acked": len(acked), "stored": len(rows), "lost": len(lost),
            "stored_twice": len(twice), "duplicate_acks": sum(g.duplicates for g in guests)}


async def settle_and_check(store, guests):
    """How most tests here end: every guest's writes answered, every channel's last seq
    delivered to every guest, check_end, the guests closed; returns check_end's figures."""
    for g in guests:
        await g.settle(30)
    targets = stored_targets(store)
    await caught_up(guests, targets, 20)
    figures = check_end(store, guests, targets)
    for g in guests:
        await g.close()
    return figures


# ---------------------------------------------------------------- a frozen process


def writer_in_transaction(store, name):
    """Whether process `name`'s writer session waits for its client inside a transaction
    that holds rows (an xid: it locked its channels), idle between the pipeline's syncs:
    what store_pg makes sure PostgreSQL's idle-in-transaction timeout can end. A process
    stopped in the middle of writing one message leaves its session `active` (PostgreSQL
    reading the rest of it), which no timeout ends: that instant is not the case tested."""
    rows = psql_rows(store, "SELECT count(*) FROM pg_stat_activity WHERE application_name = "
                            f"'{name}' AND wait_event = 'ClientRead' "
                            "AND state = 'idle in transaction' AND backend_xid IS NOT NULL")
    return int(rows[0][0]) > 0


def test_frozen_process_holding_channel_rows(tmp_path, pg_store, redis):
    """Three processes write #general; A is frozen (SIGSTOP) while its writer holds the
    channel's row in the middle of a large batch. B's and C's writes are acknowledged within
    FROZEN_BOUND all the same (PostgreSQL ends the transaction after 5 s); A, running again,
    answers its batch `unavailable`, its clients retry, and nothing is stored twice."""
    need("redis-server")
    names = ("pa", "pb", "pc")
    servers = [Server(tmp_path / n, "--bus", redis.url, *FLAGS, store=named(pg_store, n))
               for n in names]
    for s in servers:
        s.tmp.mkdir()
        s.start()
    a, b, c = servers
    figures = Counter()

    async def go():
        # Two guests on A: one writes large batches, one only reads (A's stream after the
        # freeze, with no duplicate); one guest on each of B and C.
        blaster, reader_a = await Guest(a, "blast").start(), await Guest(a, "ra").start()
        gb, gc = await Guest(b, "gb").start(), await Guest(c, "gc").start()
        guests = [blaster, reader_a, gb, gc]
        await asyncio.sleep(1.5)  # the guests' sessions reach every process
        for g in guests:
            assert await g.acked_within(await g.send(), ACK_BOUND), g.name
        frozen = False
        for attempt in range(20):
            for _ in range(300):  # more than a pipeline's depth: the batch reads mid-way
                await blaster.send()
            await asyncio.sleep(random.random() * 0.05)
            a.proc.send_signal(signal.SIGSTOP)
            deadline = time.monotonic() + 1
            while not frozen and time.monotonic() < deadline:
                frozen = writer_in_transaction(pg_store, "pa")
            figures["attempts"] += 1
            if frozen:
                break
            a.proc.send_signal(signal.SIGCONT)
            await blaster.settle(30)
        assert frozen, "A's writer was never caught inside a transaction"
        try:
            t0 = time.monotonic()
            cb, cc = await gb.send(), await gc.send()
            activity = ("SELECT application_name, state, wait_event_type, wait_event, "
                        "backend_xid, left(query, 40) FROM pg_stat_activity "
                        "WHERE application_name LIKE 'p_'")
            assert await gb.acked_within(cb, FROZEN_BOUND), \
                ("B stalled behind the frozen process", gb.refused, psql_rows(pg_store, activity))
            assert await gc.acked_within(cc, FROZEN_BOUND), \
                ("C stalled behind the frozen process", gc.refused, psql_rows(pg_store, activity))
            figures["stall_ms"] = int(1000 * (max(gb.acked_at[cb], gc.acked_at[cc]) - t0))
            for g in (gb, gc):  # and they go on
                assert await g.acked_within(await g.send(), ACK_BOUND), g.name
            assert not writer_in_transaction(pg_store, "pa")
        finally:
            a.proc.send_signal(signal.SIGCONT)
        for g in guests:
            await g.settle(30)
        figures["unavailable"] = blaster.refused
        for g in (gb, gc):
            await g.send()
        figures.update(await settle_and_check(pg_store, guests))

    run_stopping(go(), 150, servers)
    print(f"\nfrozen: {dict(figures)}")
    assert figures["unavailable"] > 0, "A's frozen batch was not refused"


# ---------------------------------------------------------------- PostgreSQL goes away


def healthz(server):
    try:
        return get(server.port, "/readyz").status
    except OSError:
        return None


async def until_health(servers, status, seconds):
    deadline = time.monotonic() + seconds
    while any(healthz(s) != status for s in servers):
        assert time.monotonic() < deadline, \
            f"/readyz never {status}: {[healthz(s) for s in servers]}"
        await asyncio.sleep(0.1)


def test_postgresql_restarted(tmp_path, cluster, pg_store, redis):
    """Two processes with writers on each; PostgreSQL is stopped (fast shutdown), then
    crashed (immediate), and started again each time. During each outage: /readyz 503 on
    both, every write answered `unavailable` within ACK_BOUND and none acknowledged; after
    it: /readyz 200, the same cids sent again are stored once (a write that had committed
    before the outage keeps its seq: its retry is answered duplicate).

    `--sync full`: the test cluster runs with synchronous_commit off, so a crash loses the
    last commits PostgreSQL reported, acknowledged or not (the writes of the last ~200 ms:
    this test found it so); parley's writes ask for it on."""
    need("redis-server")
    d, _ = cluster
    servers = []
    for n in ("pa", "pb"):
        (tmp_path / n).mkdir()
        servers.append(Server(tmp_path / n, "--bus", redis.url, *FLAGS, "--sync", "full",
                              store=pg_store).start())
    figures = Counter()

    async def go():
        guests = [await Guest(s, f"g{i}{j}").start() for i, s in enumerate(servers)
                  for j in range(2)]
        await asyncio.sleep(1.5)
        stop = asyncio.Event()

        async def write(g):
            while not stop.is_set():
                await g.send()
                await asyncio.sleep(0.1 + random.random() * 0.1)

        writers = [asyncio.create_task(write(g)) for g in guests]
        for how in ("pause", "crash"):
            await asyncio.sleep(1.5)
            subprocess.run([SCRIPT, how, d], check=True, timeout=60)
            try:
                await until_health(servers, 503, ACK_BOUND)
                down = time.monotonic()
                acked_before = {g.name: set(g.acked) for g in guests}
                await asyncio.sleep(2)
                probes = [(g, await g.send()) for g in guests]
                await asyncio.sleep(1)
                for g, cid in probes:  # answered, and refused: no write hangs
                    deadline = time.monotonic() + ACK_BOUND
                    while cid not in g.unavailable and time.monotonic() < deadline:
                        await asyncio.sleep(0.05)
                    assert cid in g.unavailable, (g.name, "a write during the outage unanswered")
                for s in servers:
                    assert s.proc.poll() is None, s.logs()[-2000:]
                # Nothing sent while the store was down is acknowledged while it still is.
                for g in guests:
                    late = [cid for cid in set(g.acked) - acked_before[g.name]
                            if g.sent_at[cid] >= down]
                    assert not late, (g.name, "acked during the outage", late[:5])
            finally:
                subprocess.run([SCRIPT, "resume", d], check=True, timeout=60)
            await until_health(servers, 200, 30)
            figures["outages"] += 1
            for g in guests:  # sent again with the same cids, as a client does
                for cid in list(g.unavailable):
                    if cid in g.pending:
                        await g.send(g.pending[cid], cid)
        await asyncio.sleep(1)
        stop.set()
        await asyncio.gather(*writers)
        for g in guests:
            await g.settle(30)
        figures["unavailable"] = sum(g.refused for g in guests)
        targets = stored_targets(pg_store)
        await caught_up(guests, targets, 20)
        figures.update(check_end(pg_store, guests, targets))
        for g in guests:
            await g.close()

    run_stopping(go(), 150, servers)
    print(f"\npostgresql: {dict(figures)}")
    assert figures["outages"] == 2


# ---------------------------------------------------------------- cut off from Redis


class Cut:
    """A TCP proxy from a free port to a server (redis-server, PostgreSQL), in the test's
    loop. cut(): bytes stop passing either way on every connection, old or new (as a network
    partition: nothing is closed, nothing answers); `trigger` (bytes): once a client sends
    them, the server's answers stop passing (what the client sends still does); mend(): the
    stuck connections are closed, new ones pass."""

    def __init__(self, target_port):
        self.target = target_port
        self.port = free_port()
        self.blocked = False
        self.answers_blocked = False
        self.trigger = None
        self.conns = []

    async def start(self):
        self.server = await asyncio.start_server(self.accept, "127.0.0.1", self.port)
        return self

    @property
    def url(self):
        return f"redis://127.0.0.1:{self.port}"

    async def accept(self, r, w):
        try:
            ur, uw = await asyncio.open_connection("127.0.0.1", self.target)
        except OSError:
            w.close()
            return
        self.conns += [w, uw]
        await asyncio.gather(self.pipe(r, uw, True), self.pipe(ur, w, False),
                             return_exceptions=True)
        for x in (w, uw):
            x.close()

    async def pipe(self, r, w, up):
        while data := await r.read(65536):
            if self.blocked or (not up and self.answers_blocked):
                continue
            w.write(data)
            await w.drain()
            if up and self.trigger and self.trigger in data:
                self.trigger = None
                self.answers_blocked = True

    def cut(self):
        self.blocked = True

    def mend(self):
        for w in self.conns:
            w.close()
        self.conns = []
        self.blocked = self.answers_blocked = False

    async def stop(self):
        self.mend()
        self.server.close()
        await self.server.wait_closed()


def test_process_cut_off_from_redis(tmp_path, pg_store, redis):
    """A on redis-server, B on it through a proxy that is cut for 8 s: A's messages reach
    B's reader, and B's reach A's, through the store's position check (within ACK_BOUND),
    in order and once; once the proxy passes again, both go on live."""
    need("redis-server")
    servers = []

    async def go():
        proxy = await Cut(redis.port).start()
        for n in ("pa", "pb"):
            (tmp_path / n).mkdir()
        a = Server(tmp_path / "pa", "--bus", redis.url, *FLAGS, store=pg_store)
        b = Server(tmp_path / "pb", "--bus", proxy.url, *FLAGS, store=pg_store)
        for s in (a, b):
            servers.append(await asyncio.to_thread(s.start))
        try:
            ga, gb = await Guest(a, "alice").start(), await Guest(b, "bob").start()
            guests = [ga, gb]
            await asyncio.sleep(1.5)

            async def exchange(n):
                """n writes each (acked), then both readers get every one."""
                for _ in range(n):
                    for g in guests:
                        await g.send()
                for g in guests:
                    await g.settle(ACK_BOUND)
                await caught_up(guests, stored_targets(pg_store), ACK_BOUND)

            await exchange(2)
            proxy.cut()
            t0 = time.monotonic()
            await exchange(3)  # the heartbeat has not noticed yet
            await asyncio.sleep(4)
            await exchange(3)  # B's bus is down by now
            cut_for = time.monotonic() - t0
            assert "bus: down" in b.logs() and "bus: down" not in a.logs(), \
                "the proxy did not cut B alone off"
            proxy.mend()
            await asyncio.sleep(1)
            await exchange(3)
            targets = stored_targets(pg_store)
            figures = check_end(pg_store, guests, targets)
            print(f"\nredis cut: {figures}, cut for {cut_for:.1f} s")
            assert figures["acked"] == 22
            for g in guests:
                await g.close()
        finally:
            await proxy.stop()
        for s in servers:
            code = await asyncio.to_thread(s.stop)
            assert code == 0, s.logs()[-3000:]
        assert b.logs().count("bus: up") >= 2, "B never had its bus back"

    run_stopping(go(), 120, servers)


# ---------------------------------------------------------------- PostgreSQL stops answering


def pg_processes(d):
    """The pids of the cluster in d: its postmaster and every process it started."""
    home = open(f"{d}/cluster").read().strip()
    top = int(open(f"{home}/data/postmaster.pid").readline())
    pids = [top]
    for p in os.listdir("/proc"):
        try:
            if p.isdigit() and int(open(f"/proc/{p}/stat").read().rsplit(")", 1)[1].split()[1]) == top:
                pids.append(int(p))
        except (OSError, IndexError, ValueError):
            pass
    return pids


def test_postgresql_stops_answering(tmp_path, cluster, pg_store, redis):
    """PostgreSQL stops answering without closing anything (every process of the cluster
    stopped with SIGSTOP: as a partition, or a machine that hangs, where the kernel still
    acknowledges what is sent). Each process gives its writer's session up after 15 s of
    silence: the write in flight is answered `unavailable` and /readyz is 503 within
    HUNG_BOUND, later writes at once; once PostgreSQL answers again, 200, and retries of the
    same cids are stored once."""
    need("redis-server")
    d, _ = cluster
    servers = []
    for n in ("pa", "pb"):
        (tmp_path / n).mkdir()
        servers.append(Server(tmp_path / n, "--bus", redis.url, *FLAGS,
                              store=pg_store).start())
    figures = Counter()

    async def go():
        guests = [await Guest(s, f"g{i}").start() for i, s in enumerate(servers)]
        await asyncio.sleep(1.5)
        for g in guests:
            assert await g.acked_within(await g.send(), ACK_BOUND), g.name
        pids = pg_processes(d)
        for p in pids:
            os.kill(p, signal.SIGSTOP)
        try:
            t0 = time.monotonic()
            sent = [(g, await g.send()) for g in guests]
            await until_health(servers, 503, HUNG_BOUND)
            figures["healthz_503_ms"] = int(1000 * (time.monotonic() - t0))
            for g, cid in sent:
                deadline = time.monotonic() + HUNG_BOUND
                while cid not in g.unavailable and time.monotonic() < deadline:
                    await asyncio.sleep(0.05)
                assert cid in g.unavailable, (g.name, "a write never answered while "
                                              "PostgreSQL hung")
            probes = [(g, await g.send()) for g in guests]
            for g, cid in probes:  # refused at once now
                deadline = time.monotonic() + ACK_BOUND
                while cid not in g.unavailable and time.monotonic() < deadline:
                    await asyncio.sleep(0.05)
                assert cid in g.unavailable, g.name
        finally:
            for p in pids:
                os.kill(p, signal.SIGCONT)
        await until_health(servers, 200, 60)
        figures.update(await settle_and_check(pg_store, guests))

    run_stopping(go(), 150, servers)
    print(f"\npostgresql hung: {dict(figures)}")


@pytest.mark.parametrize("shared", [True, False], ids=["two_processes", "alone"])
def test_commit_whose_answer_was_lost(tmp_path, pg_store, redis, shared):
    """A reaches PostgreSQL through a proxy that drops every answer from the moment A's writer
    sends a COMMIT (the Bind of its statement "w1", PW_COMMIT): PostgreSQL commits alice's
    message, A never hears so. A gives the session up (15 s of silence) and answers
    `unavailable`; sent again with the same cid once the proxy passes again, the write is
    answered with the seq it was stored at, marked duplicate, stored once, and every reader
    gets it once, in order. Shared: with B beside it on the bus; alone: A without --bus (on
    PostgreSQL the store gives seqs even then: a hub giving them itself would give N again)."""
    need("redis-server")
    servers = []

    async def go():
        pg_port = int(re.search(r"@127\.0\.0\.1:(\d+)/", pg_store).group(1))
        proxy = await Cut(pg_port).start()
        for n in ("pa", "pb"):
            (tmp_path / n).mkdir()
        bus = ("--bus", redis.url) if shared else ()
        a = Server(tmp_path / "pa", *bus, *FLAGS,
                   store=pg_store.replace(f":{pg_port}/", f":{proxy.port}/"))
        b = Server(tmp_path / "pb", *bus, *FLAGS, store=pg_store)
        for s in (a, b) if shared else (a,):
            servers.append(await asyncio.to_thread(s.start))
        try:
            ga = await Guest(a, "alice").start()
            guests = [ga, await Guest(b, "bob").start()] if shared else [ga]
            await asyncio.sleep(1.5)
            for g in guests:
                assert await g.acked_within(await g.send(), ACK_BOUND), g.name
            proxy.trigger = b"\x00w1\x00"  # a Bind: the unnamed portal, then "w1"
            cid = await ga.send()
            deadline = time.monotonic() + HUNG_BOUND
            while cid not in ga.unavailable and time.monotonic() < deadline:
                await asyncio.sleep(0.1)
            assert cid in ga.unavailable, "a write whose COMMIT went unanswered, unanswered"
            assert cid not in ga.acked
            rows = psql_rows(pg_store, f"SELECT seq FROM messages WHERE cid = '{cid}'")
            assert len(rows) == 1, "the COMMIT whose answer was lost did not commit"
            seq = int(rows[0][0])
            proxy.mend()
            await until_health([a], 200, 30)
            await ga.send("general", cid)
            assert await ga.acked_within(cid, ACK_BOUND)
            assert ga.acked[cid] == ("general", seq) and ga.duplicates == 1, ga.acked[cid]
            for g in guests:
                await g.send()
            for g in guests:
                await g.settle(ACK_BOUND)
            targets = stored_targets(pg_store)
            await caught_up(guests, targets, ACK_BOUND)
            figures = check_end(pg_store, guests, targets)
            print(f"\nlost answer: {figures}, seq {seq}")
            for g in guests:
                await g.close()
        finally:
            await proxy.stop()
        for s in servers:
            code = await asyncio.to_thread(s.stop)
            assert code == 0, s.logs()[-3000:]

    run_stopping(go(), 120, servers)


# ---------------------------------------------------------------- guests moving


def test_guests_move_when_their_process_dies(tmp_path, pg_store, redis):
    """Twice: 150 guests join a process while one of them streams messages; the process is
    killed (-9) right after the last welcome and every guest rejoins C with its session
    token: each guest the dead process stored is given its own identity back (same user id,
    same token) though C has not re-read the accounts since (it does on a token it cannot
    place), never `name_taken`; one it had not stored yet is a new guest of that name."""
    need("redis-server")
    a, b, c = (Server(tmp_path / n, "--bus", redis.url, *FLAGS, "--max-conns-per-ip", "0",
                      store=named(pg_store, n)) for n in ("ma", "mb", "mc"))
    for s in (a, b, c):
        s.tmp.mkdir()
        s.start()
    n = 150

    async def round(dying, tag):
        streamer, _, _ = await Client.joined(dying, f"streamer{tag}")
        stop = asyncio.Event()

        async def stream():
            i = 0
            while not stop.is_set():
                await streamer.send_json("msg", {"text": f"m{i}", "cid": f"s{tag}{i}"})
                i += 1
                await asyncio.sleep(0.002)

        streaming = asyncio.create_task(stream())
        ids = {}

        async def one(name):
            cl = await Client.connect(dying)
            w = await cl.join(name)
            ids[name] = (w["user_id"], w["session"])
            await cl.close()

        for k in range(0, n, 50):
            await asyncio.gather(*(one(f"mover{tag}{i}") for i in range(k, k + 50)))
        stop.set()
        await streaming
        dying.proc.kill()  # at once: some rows may still be on their way (written behind)
        dying.proc.wait()
        await asyncio.sleep(0.1)  # a COMMIT already sent is carried out, or never

        async def back(name):
            uid, tok = ids[name]
            cl = await Client.connect(c)
            await cl.send_json("join", {"user": name, "session": tok})
            m = await cl.recv_json()
            await cl.close()
            if m["type"] != "welcome":
                return (name, m)
            p = m["payload"]
            return None if (p["user_id"], p["session"]) == (uid, tok) else (name, uid)

        moved = [r for r in await asyncio.gather(*(back(x) for x in ids)) if r]
        # A guest whose row the killed process never committed is a new guest here (its
        # name is free): that is write-behind's price. One whose row it committed is itself.
        stored = {int(r[0]) for r in psql_rows(pg_store, "SELECT u.id FROM users u JOIN "
                                                         "sessions s ON s.user_id = u.id "
                                                         f"WHERE u.name LIKE 'mover{tag}%'")}
        wrong = [r for r in moved if not isinstance(r[1], int) or r[1] in stored]
        assert not wrong, (tag, len(wrong), wrong[:5])
        figures[tag] = (len(stored), len(moved))

    async def go():
        await round(a, "a")
        await round(b, "b")

    figures = {}
    run_stopping(go(), 120, [c])
    print(f"\nguests moved (stored by the dead process or here, new here): {figures}")
    a.stop()
    b.stop()
