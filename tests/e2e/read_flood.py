"""A read flood, run as its own process by test_stalls.py (so that its work does not slow
down the chatting pair the test measures):

    python3 read_flood.py PORT KIND CONNECTIONS SECONDS

joins CONNECTIONS guests (from their own 127.0.x.y source addresses), then has each send
requests of KIND without waiting for answers, keeping at most AHEAD unanswered (far more
than the server lets one session have in flight, so its bound is what answers), for SECONDS.
Then it hangs up every connection at once, without a close handshake, with requests still
queued, and prints one JSON summary line: {"sent": n, "answers": {"results": n,
"rate_limited": n, ...}}.

KIND: search (a word in every stored message: each search sorts every match), thread (the
thread of seq 1), history (pages of 200 before a random seq). Every wait is bounded."""
import asyncio
import collections
import json
import random
import sys
import time

import websockets

AHEAD = 64
DEADLINE = 60.0


def request(kind, i, top):
    if kind == "search":
        return {"type": "search", "id": str(i), "payload": {"q": "deploy", "limit": 50}}
    if kind == "thread":
        return {"type": "thread", "id": str(i), "payload": {"channel": "general", "seq": 1}}
    before = random.randint(2, max(2, top))
    return {"type": "history", "id": str(i),
            "payload": {"channel": "general", "before": before, "limit": 200}}


async def one(port, kind, n, seconds, tally, counts):
    ws = await asyncio.wait_for(websockets.connect(
        f"ws://127.0.0.1:{port}/ws", compression=None, max_size=None, max_queue=None,
        ping_interval=None, local_addr=(f"127.0.{60 + n // 250}.{1 + n % 250}", 0)), 10)
    await ws.send(json.dumps({"type": "join", "payload": {"user": f"reader{n}"}}))
    top = 2
    while True:
        m = json.loads(await asyncio.wait_for(ws.recv(), 10))
        if m["type"] == "welcome":
            top = m["payload"]["channels"][0]["last_seq"]
        if m["type"] == "history":
            break
    sent = answered = 0
    stop = time.monotonic() + seconds

    async def reader():
        nonlocal answered
        async for raw in ws:
            m = json.loads(raw)
            if m.get("id") is not None:
                answered += 1
                tally[m["code"] if m["type"] == "error" else m["type"]] += 1

    task = asyncio.create_task(reader())
    while time.monotonic() < stop:
        if sent - answered < AHEAD:
            await ws.send(json.dumps(request(kind, sent, top)))
            sent += 1
        else:
            await asyncio.sleep(0.002)
    counts.append(sent)
    ws.transport.abort()  # hang up, requests still queued: no close handshake
    task.cancel()


async def main(port, kind, conns, seconds):
    tally, counts = collections.Counter(), []
    await asyncio.wait_for(asyncio.gather(
        *(one(port, kind, i, seconds, tally, counts) for i in range(conns)),
        return_exceptions=True), DEADLINE)
    print(json.dumps({"sent": sum(counts), "answers": dict(tally)}), flush=True)


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), float(sys.argv[4])))
