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


async def join(url, user, session=None):
    ws = await websockets.connect(url, max_size=None)
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
    for i in range(n):
        await ws.send(json.dumps({"type": "msg", "id": i, "payload": {"text": f"{i:07d} {pad}"}}))
    last = 0
    for _ in range(n):
        last = (await recv_type(ws, "ack"))["payload"]["seq"]
    await ws.close()
    return last


async def resume(url, user, session, frm):
    ws, _, _ = await join(url, user, session)
    await ws.send(json.dumps({"type": "resume", "id": "r", "payload": {"channels": {"general": frm}}}))
    seqs = []
    while True:
        m = json.loads(await asyncio.wait_for(ws.recv(), 30))
        if m["type"] == "msg":
            seqs.append(m["payload"]["seq"])
        elif m["type"] == "resumed":
            await ws.close()
            return seqs, m


def check_resume(url, frm, last):
    async def flow():
        ws, welcome, _ = await join(url, "reader")
        session = welcome["payload"]["session"]
        await ws.close()
        seqs, done = await resume(url, "reader", session, frm)
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
