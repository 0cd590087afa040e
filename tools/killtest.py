#!/usr/bin/python3
"""killtest - kill -9 parley under load and check that nothing acknowledged is lost.

    tools/killtest.py --bin build/parley [--rounds 3] [--clients 4] [--seconds 2]

One database, N rounds. Each round: JSON clients send messages as fast as the rate limit
(raised to 1000/s) allows, recording every `ack`; at a random instant the server gets
SIGKILL; it is restarted on the same database and a fresh client pages through the whole
history. Checked (docs/protocol.md, "Ordering and durability"):

  - every acknowledged message is stored, at the acknowledged seq, with the text sent;
  - the channel's seqs are exactly 1..max (no gap) and `welcome` reports last_seq = max;
  - no message is stored twice, no seq is acknowledged twice, a connection's acks and
    live `msg`s come in increasing seq order;
  - after the restart a new message gets seq max+1.

At the end the server is stopped with SIGTERM (exit code 0 expected) and the SQLite file
is checked directly the same way. Prints one summary line; exits 1 on any violation.
Needs only the Python standard library and `websockets` (10.x asyncio API).
"""
import argparse
import asyncio
import json
import os
import random
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time

import websockets

CHANNEL = "general"
START_TIMEOUT = 20      # s for the server to print its port
STOP_TIMEOUT = 20       # s for a SIGTERM'd server to exit
REPLY_TIMEOUT = 10      # s for any one reply
PAGE = 200
WINDOW = 64             # unacknowledged messages in flight per client
PACE = 900              # messages/s per client: under --rate 1000, so few rate_limited


class Violations(list):
    def add(self, text):
        self.append(text)
        if len(self) <= 30:
            print("VIOLATION:", text, flush=True)


class Parley:
    """One parley process on its own log file; the database outlives it."""

    def __init__(self, binary, workdir, db, extra):
        self.binary, self.workdir, self.db, self.extra = binary, workdir, db, list(extra)
        self.proc = None
        self.port = None
        self.runs = 0
        self.env = dict(os.environ)
        self.env.setdefault("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=0")
        self.env.setdefault("UBSAN_OPTIONS", "print_stacktrace=1:halt_on_error=1")

    def start(self):
        self.runs += 1
        self.log = os.path.join(self.workdir, f"parley-{self.runs}.log")
        cmd = [self.binary, "--host", "127.0.0.1", "--port", "0", "--db", self.db,
               "--rate", "1000", "--burst", "1000", *self.extra]
        with open(self.log, "w") as logf:
            self.proc = subprocess.Popen(cmd, stdout=logf, stderr=subprocess.STDOUT, env=self.env)
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            with open(self.log) as f:
                m = re.search(r"listening on http://127\.0\.0\.1:(\d+)", f.read())
            if m:
                self.port = int(m.group(1))
                return self
            if self.proc.poll() is not None:
                break
            time.sleep(0.02)
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(STOP_TIMEOUT)
        raise RuntimeError(f"parley did not start; log {self.log}:\n{self.tail()}")

    @property
    def url(self):
        return f"ws://127.0.0.1:{self.port}/ws"

    def kill9(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(STOP_TIMEOUT)

    def terminate(self):
        """SIGTERM; returns the exit code (the process is killed if it hangs: None)."""
        if self.proc.poll() is not None:
            return self.proc.returncode
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(STOP_TIMEOUT)
            return None

    def tail(self, n=3000):
        if not self.runs:
            return ""
        try:
            with open(self.log, errors="replace") as f:
                return f.read()[-n:]
        except OSError:
            return ""


# ---------------------------------------------------------------- protocol helpers

async def connect(url):
    return await websockets.connect(url, subprotocols=["parley.v1"], open_timeout=REPLY_TIMEOUT,
                                    close_timeout=2, ping_interval=None, max_size=2 ** 22,
                                    max_queue=None)


async def recv_json(ws, timeout=REPLY_TIMEOUT):
    return json.loads(await asyncio.wait_for(ws.recv(), timeout))


async def wait_for(ws, pred, timeout=REPLY_TIMEOUT, what="a reply"):
    """Reads frames until pred(frame) is true; returns that frame."""
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError(f"no {what} within {timeout} s")
        m = await recv_json(ws, left)
        if pred(m):
            return m


async def join(url, user):
    """Connects and joins; returns (ws, welcome payload)."""
    ws = await connect(url)
    await ws.send(json.dumps({"type": "join", "payload": {"user": user, "channel": CHANNEL}}))
    m = await wait_for(ws, lambda m: m.get("type") in ("welcome", "error"), what="welcome")
    if m["type"] != "welcome":
        await ws.close()
        raise RuntimeError(f"join {user!r} refused: {m}")
    return ws, m["payload"]


def last_seq_of(welcome):
    for ch in welcome.get("channels", []):
        if ch.get("name") == CHANNEL:
            return ch.get("last_seq")
    return None


async def fetch_all(ws, v):
    """Pages back through the whole channel with `history`; returns {seq: msg payload}."""
    out = {}
    before = None
    n = 0
    while True:
        n += 1
        rid = f"hist-{n}"
        payload = {"channel": CHANNEL, "limit": PAGE}
        if before is not None:
            payload["before"] = before
        await ws.send(json.dumps({"type": "history", "id": rid, "payload": payload}))
        m = await wait_for(ws, lambda m: m.get("id") == rid, what=f"history {rid}")
        if m.get("type") != "history":
            v.add(f"history request {payload} answered with {m}")
            return out
        msgs = m["payload"].get("messages", [])
        seqs = [x["seq"] for x in msgs]
        if seqs != sorted(seqs) or len(set(seqs)) != len(seqs):
            v.add(f"history page before={before} not strictly oldest first: {seqs[:10]}...")
        for x in msgs:
            if before is not None and x["seq"] >= before:
                v.add(f"history before={before} returned seq {x['seq']}")
            if x["seq"] in out:
                v.add(f"history returned seq {x['seq']} twice")
            out[x["seq"]] = x
        more = m["payload"].get("more")
        if not msgs:
            if more:
                v.add(f"empty history page before={before} says more=true")
            return out
        if not more:
            if min(seqs) != 1:
                v.add(f"history page before={before} says more=false but oldest is {min(seqs)}")
            return out
        if before is not None and min(seqs) >= before:
            v.add("history paging does not go back")
            return out
        before = min(seqs)


# ---------------------------------------------------------------- load

class Ledger:
    """Everything acknowledged so far, across rounds: seq -> (user, text)."""

    def __init__(self):
        self.acked = {}
        self.sent_texts = set()
        self.rate_limited = 0
        self.in_flight = 0      # sent, unanswered when the server died
        self.closes = {}

    def ack(self, v, seq, user, text, where):
        if not isinstance(seq, int) or seq < 1:
            v.add(f"{where}: ack with bad seq {seq!r}")
            return
        if seq in self.acked:
            v.add(f"{where}: seq {seq} acknowledged twice: {self.acked[seq]} and {(user, text)}")
            return
        self.acked[seq] = (user, text)


async def load_client(url, user, ledger, v, stop, dying, rng):
    """Sends paced, windowed messages until `stop` is set or the connection dies."""
    try:
        ws, _ = await join(url, user)
    except Exception as e:
        if not dying.is_set():  # the kill may land before we are in
            v.add(f"{user}: could not join before the kill: {e!r}")
        return
    pending = {}                  # request id -> text
    window = asyncio.Semaphore(WINDOW)
    state = {"last_ack": 0, "last_msg": 0}

    async def reader():
        async for raw in ws:
            m = json.loads(raw)
            t = m.get("type")
            if t == "ack":
                text = pending.pop(m.get("id"), None)
                if text is None:
                    v.add(f"{user}: ack for unknown id {m.get('id')!r}")
                    continue
                window.release()
                seq = m["payload"].get("seq")
                if m["payload"].get("channel") != CHANNEL:
                    v.add(f"{user}: ack in channel {m['payload'].get('channel')!r}")
                if isinstance(seq, int) and seq <= state["last_ack"]:
                    v.add(f"{user}: ack seq {seq} after ack seq {state['last_ack']}")
                state["last_ack"] = max(state["last_ack"], seq if isinstance(seq, int) else 0)
                ledger.ack(v, seq, user, text, user)
            elif t == "msg":
                seq = m["payload"].get("seq")
                if not isinstance(seq, int) or seq <= state["last_msg"]:
                    v.add(f"{user}: live msg seq {seq!r} after {state['last_msg']}")
                else:
                    state["last_msg"] = seq
            elif t == "error":
                if m.get("code") == "rate_limited" and m.get("id") in pending:
                    pending.pop(m["id"])
                    window.release()
                    ledger.rate_limited += 1
                else:
                    v.add(f"{user}: unexpected error {m}")

    rtask = asyncio.ensure_future(reader())
    k = 0
    t0 = time.monotonic()
    try:
        while not stop.is_set() and not rtask.done():
            try:
                await asyncio.wait_for(window.acquire(), 1)
            except asyncio.TimeoutError:
                continue
            k += 1
            delay = t0 + k / PACE - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            pad = "".join(rng.choice("abcdé€😀 ") for _ in range(rng.randrange(0, 60)))
            text = f"{user} n{k} {pad}"
            rid = f"{user}-{k}"
            pending[rid] = text
            ledger.sent_texts.add(text)
            await ws.send(json.dumps({"type": "msg", "id": rid,
                                      "payload": {"channel": CHANNEL, "text": text}}))
    except websockets.ConnectionClosed:
        pass
    # The server is gone (or about to be): collect what is still arriving, then stop.
    try:
        await asyncio.wait_for(rtask, REPLY_TIMEOUT)
    except websockets.ConnectionClosed:
        pass
    except asyncio.TimeoutError:
        rtask.cancel()
        v.add(f"{user}: connection still open {REPLY_TIMEOUT} s after the server stopped")
    ledger.in_flight += len(pending)
    code = ws.close_code
    ledger.closes[code] = ledger.closes.get(code, 0) + 1
    await ws.close()


async def load_round(srv, rnd, nclients, seconds, ledger, v, rng, stopper):
    """Runs the clients, calls stopper(srv) at a random instant, waits for the clients to
    finish; returns stopper's result."""
    acked_before = len(ledger.acked)
    stop, dying = asyncio.Event(), asyncio.Event()
    tasks = [asyncio.ensure_future(
        load_client(srv.url, f"load-r{rnd}-c{i}", ledger, v, stop, dying,
                    random.Random(rng.random())))
        for i in range(nclients)]
    await asyncio.sleep(rng.uniform(0.3, max(0.35, seconds)))
    dying.set()
    # in a thread: the clients keep reading acks while a SIGTERM'd server drains
    result = await asyncio.get_running_loop().run_in_executor(None, stopper, srv)
    stop.set()
    done, not_done = await asyncio.wait(tasks, timeout=REPLY_TIMEOUT * 2)
    for t in not_done:
        t.cancel()
        v.add("a load client did not finish")
    for t in done:
        if t.exception():
            v.add(f"load client crashed: {t.exception()!r}")
    if len(ledger.acked) == acked_before:
        v.add(f"round {rnd}: no message was acknowledged before the server stopped")
    return result


# ---------------------------------------------------------------- checks

def check_store(stored, ledger, v, where):
    """stored: {seq: (user, text)} of the whole channel."""
    if not stored:
        if ledger.acked:
            v.add(f"{where}: channel empty but {len(ledger.acked)} messages were acknowledged")
        return 0
    top = max(stored)
    missing = sorted(set(range(1, top + 1)) - set(stored))
    if missing:
        v.add(f"{where}: {len(missing)} seq(s) missing in 1..{top}: {missing[:10]}")
    lost = 0
    for seq, (user, text) in sorted(ledger.acked.items()):
        got = stored.get(seq)
        if got != (user, text):
            lost += 1
            if lost <= 10:
                v.add(f"{where}: acknowledged seq {seq} {(user, text)!r} stored as {got!r}")
    if lost > 10:
        v.add(f"{where}: ... {lost} acknowledged messages lost or changed in all")
    texts = {}
    for seq, (_user, text) in stored.items():
        if text in ledger.sent_texts:
            if text in texts:
                v.add(f"{where}: text {text!r} stored twice, seqs {texts[text]} and {seq}")
            texts[text] = seq
    return top


async def verify_after_restart(srv, rnd, ledger, v):
    """Fresh client on the restarted server: history, last_seq, then seq max+1."""
    ws, welcome = await join(srv.url, f"check-r{rnd}")
    try:
        msgs = await fetch_all(ws, v)
        stored = {s: (m.get("user"), m.get("text")) for s, m in msgs.items()}
        top = check_store(stored, ledger, v, f"round {rnd} history")
        if last_seq_of(welcome) != top:
            v.add(f"round {rnd}: welcome last_seq {last_seq_of(welcome)} but history max {top}")
        text = f"after restart {rnd}"
        await ws.send(json.dumps({"type": "msg", "id": "after",
                                  "payload": {"channel": CHANNEL, "text": text}}))
        m = await wait_for(ws, lambda m: m.get("id") == "after", what="ack after restart")
        if m.get("type") != "ack":
            v.add(f"round {rnd}: message after restart answered with {m}")
        else:
            seq = m["payload"]["seq"]
            if seq != top + 1:
                v.add(f"round {rnd}: first message after restart got seq {seq}, expected {top + 1}")
            ledger.ack(v, seq, f"check-r{rnd}", text, f"check-r{rnd}")
        return top
    finally:
        await ws.close()


def read_sqlite(db):
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
    try:
        rows = con.execute("SELECT seq, user, text FROM messages WHERE channel = ?",
                           (CHANNEL,)).fetchall()
    finally:
        con.close()
    return {seq: (user, text) for seq, user, text in rows}


# ---------------------------------------------------------------- main

async def run(args, v):
    rng = random.Random(args.seed)
    workdir = tempfile.mkdtemp(prefix="killtest-")
    db = os.path.join(workdir, "parley.db")
    srv = Parley(args.bin, workdir, db, ["--sync", args.sync])
    ledger = Ledger()
    top = 0
    print(f"killtest: seed {args.seed}, dir {workdir}", flush=True)
    try:
        srv.start()
        for rnd in range(1, args.rounds + 1):
            await load_round(srv, rnd, args.clients, args.seconds, ledger, v, rng,
                             lambda s: s.kill9())
            srv.start()
            top = await verify_after_restart(srv, rnd, ledger, v)
            print(f"round {rnd}: killed -9, {len(ledger.acked)} acked so far, history 1..{top} "
                  f"ok={not v}", flush=True)
        code = srv.terminate()
        if code != 0:
            v.add(f"SIGTERM: parley exited {code}:\n{srv.tail()}")
        stored = read_sqlite(db)
        top = check_store(stored, ledger, v, "sqlite after SIGTERM")
    except BaseException:
        v.add(f"aborted; last server log:\n{srv.tail(1500)}")
        raise
    finally:
        if srv.proc and srv.proc.poll() is None:
            srv.proc.kill()
            srv.proc.wait(STOP_TIMEOUT)
        if v or args.keep:
            print(f"killtest: kept {workdir}", flush=True)
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    return ledger, top


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bin", required=True, help="parley binary")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--clients", type=int, default=4)
    ap.add_argument("--seconds", type=float, default=2.0, help="longest load before the kill")
    ap.add_argument("--sync", choices=["normal", "full"], default="normal")
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--keep", action="store_true", help="keep the temp dir (db and logs)")
    args = ap.parse_args()
    if args.seed is None:
        args.seed = random.randrange(1 << 30)
    v = Violations()
    t0 = time.monotonic()
    try:
        ledger, top = asyncio.run(asyncio.wait_for(run(args, v), 60 + args.rounds * (args.seconds + 40)))
    except Exception as e:  # a crash of the harness or the server is a failure too
        v.add(f"aborted: {e!r}")
        ledger, top = Ledger(), 0
    status = "FAIL" if v else "OK"
    print(f"killtest: {status} rounds={args.rounds} clients={args.clients} "
          f"acked={len(ledger.acked)} unanswered_at_kill={ledger.in_flight} max_seq={top} "
          f"rate_limited={ledger.rate_limited} "
          f"violations={len(v)} seed={args.seed} {time.monotonic() - t0:.1f}s", flush=True)
    return 1 if v else 0


if __name__ == "__main__":
    sys.exit(main())
