"""Resume and join history along each of their paths: the in-memory ring of recent
messages, the store (paged, flow-controlled) for older ranges, and the ring primed from the
store after a restart. Every path must give exactly N+1..M, in order, once."""
import asyncio
import json

import websockets

RING = 256  # CHAT_RECENT in src/chat/chat_hub.h


async def recv_type(ws, want, timeout=20):
    while True:
        m = json.loads(await asyncio.wait_for(ws.recv(), timeout))
        if m["type"] == want:
            return m


async def join(url, user, session=None, **kw):
    ws = await websockets.connect(url, max_size=None, **kw)
    payload = {"user": user}
    if session:
        payload["session"] = session
    await ws.send(json.dumps({"type": "join", "payload": payload}))
    welcome = await recv_type(ws, "welcome")
    history = await recv_type(ws, "history")
    return ws, welcome, history


async def post(url, n, size=10):
    """Sends n acknowledged messages from a writer; returns the last seq."""
    ws, _, _ = await join(url, "writer")
    pad = "x" * max(0, size - 8)
    last = 0
    # In batches, reading as it goes: a writer that never reads its own echoes is a slow
    # consumer under a small --max-outbound, and would rightly be closed 1013.
    for start in range(0, n, 20):
        batch = range(start, min(n, start + 20))
        for i in batch:
            await ws.send(json.dumps({"type": "msg", "id": i, "payload": {"text": f"{i:07d} {pad}"}}))
        for _ in batch:
            last = (await recv_type(ws, "ack"))["payload"]["seq"]
    await ws.close()
    return last


async def resume(url, user, session, frm, **kw):
    ws, _, _ = await join(url, user, session, **kw)
    await ws.send(json.dumps({"type": "resume", "id": "r", "payload": {"channels": {"general": frm}}}))
    seqs = []
    while True:
        m = json.loads(await asyncio.wait_for(ws.recv(), 30))
        if m["type"] == "msg":
            seqs.append(m["payload"]["seq"])
        elif m["type"] == "resumed":
            await ws.close()
            return seqs, m


def check_resume(url, frm, last, **kw):
    async def flow():
        ws, welcome, _ = await join(url, "reader", **kw)
        session = welcome["payload"]["session"]
        await ws.close()
        seqs, done = await resume(url, "reader", session, frm, **kw)
        assert seqs == list(range(frm + 1, last + 1)), (seqs[:5], seqs[-5:], len(seqs))
        r = done["payload"]["channels"]["general"]
        assert r == {"from": frm + 1, "to": last, "recovered": True}
        assert done["id"] == "r"

    asyncio.run(flow())


def test_resume_from_the_ring_and_from_the_store(make_server):
    srv = make_server("--rate", "100000", "--burst", "100000")
    last = asyncio.run(post(srv.url + "/ws", RING + 344))
    check_resume(srv.url + "/ws", last - 10, last)  # in the ring
    check_resume(srv.url + "/ws", 0, last)  # older than the ring: the store, in pages
    check_resume(srv.url + "/ws", last - RING - 1, last)  # just past the ring's edge
    check_resume(srv.url + "/ws", last, last)  # nothing missed


def test_paged_resume_larger_than_the_outbound_bound(make_server):
    """600 messages of ~1 KB = 600 KB to resume through a 64 KiB outbound bound: it must
    arrive whole, in pages, and not be mistaken for a slow consumer."""
    srv = make_server("--rate", "100000", "--burst", "100000", "--max-outbound", "64k")
    last = asyncio.run(post(srv.url + "/ws", 600, size=1000))
    check_resume(srv.url + "/ws", 0, last)


def test_ring_is_primed_from_the_store_after_a_restart(make_server):
    srv = make_server("--rate", "100000", "--burst", "100000")
    last = asyncio.run(post(srv.url + "/ws", 300))
    assert srv.stop() == 0
    srv.restart()

    async def flow():
        ws, welcome, history = await join(srv.url + "/ws", "late")
        msgs = history["payload"]["messages"]
        assert [m["seq"] for m in msgs] == list(range(last - 49, last + 1))
        assert history["payload"]["more"] is True
        assert welcome["payload"]["channels"][0]["last_seq"] == last
        # A new message after the restart continues the seqs and reaches the joiner live.
        await ws.send(json.dumps({"type": "msg", "payload": {"text": "after restart"}}))
        m = await recv_type(ws, "msg")
        assert m["payload"]["seq"] == last + 1
        await ws.close()

    asyncio.run(flow())
    check_resume(srv.url + "/ws", last - 20, last + 1)


def test_resume_bigger_than_the_bound_then_live(make_server):
    """Regression: a resume queued past --max-outbound made the next bounded send (the
    resumed frame, or the next live message) look like a slow consumer: closed 1013 on
    every retry. The pager now keeps the backlog under half the bound."""
    srv = make_server("--rate", "100000", "--burst", "100000", "--max-outbound", "256k")
    url = srv.url + "/ws"
    last = asyncio.run(post(url, 150, size=4000))
    # Uncompressed: repeated letters would deflate to nothing and never fill a queue.
    check_resume(url, 70, last, compression=None)  # 80 x 4 KB from the ring
    check_resume(url, 0, last, compression=None)  # 150 x 4 KB

    async def live_after_resume():
        ws, welcome, _ = await join(url, "reader2", compression=None)
        session = welcome["payload"]["session"]
        await ws.close()
        ws, _, _ = await join(url, "reader2", session, compression=None)
        await ws.send(json.dumps({"type": "resume", "payload": {"channels": {"general": 0}}}))
        w, _, _ = await join(url, "writer2")
        await w.send(json.dumps({"type": "msg", "payload": {"text": "live " + "y" * 3990}}))
        seqs = []
        while True:
            m = json.loads(await asyncio.wait_for(ws.recv(), 20))
            if m["type"] == "msg":
                seqs.append(m["payload"]["seq"])
                if m["payload"]["text"].startswith("live"):
                    break
        assert seqs == list(range(1, last + 2)), (len(seqs), seqs[-3:])
        await ws.close()
        await w.close()

    asyncio.run(live_after_resume())
