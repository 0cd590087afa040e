"""Limits that hold across processes sharing a store and a bus (issue 13, item 3).

A user's request rate is one budget wherever they are connected: the messages they send on
another process are charged to their bucket here too (docs/protocol.md, "Several
processes"), so two connections on two processes do not buy twice the rate.
"""
import asyncio
import time

from accounts import account_token
from test_shared import redis  # noqa: F401 (fixture)
from wsraw import Client, run

RATE, BURST, SECONDS = 20, 20, 4


async def flood(server, token, tag, until):
    """Sends a message every 10 ms until `until`; returns how many were acked."""
    c = await Client.connect(server)
    await c.send_json("join", {"token": token})
    await c.recv_json("welcome")
    sent = acked = 0

    async def reader():
        nonlocal acked
        while True:
            m = await c.recv_json(skip=("join", "leave", "typing", "history", "msg", "presence",
                                        "channel", "read"), timeout=30)
            if m["type"] == "ack":
                acked += 1
            else:
                assert m["type"] == "error" and m["code"] == "rate_limited", m

    task = asyncio.ensure_future(reader())
    while time.monotonic() < until:
        sent += 1
        await c.send_json("msg", {"channel": "general", "text": f"{tag}{sent}",
                                  "cid": f"{tag}{sent}"})
        await asyncio.sleep(0.01)
    await asyncio.sleep(1)  # the last answers
    if task.done():
        task.result()  # the reader's failure, raised here
    task.cancel()
    await c.close()
    return sent, acked


def test_one_rate_across_processes(make_server, redis, tmp_path):
    """One account flooding through two processes gets about one rate (burst + rate x time,
    with at most a burst of debt and the bus's lag), not two: without the shared charge each
    process would pass burst + rate x time, 2 x (20 + 80) = 200 in all."""
    flags = ("--bus", redis.url, "--rate", str(RATE), "--burst", str(BURST))
    db = tmp_path / "shared.db"
    a = make_server(*flags, db=db)
    b = make_server(*flags, db=db)
    token = account_token(a, "amy")

    async def go():
        # the account must be known on b (processes re-read accounts within a second)
        for _ in range(50):
            c = await Client.connect(b)
            await c.send_json("join", {"token": token})
            m = await c.recv_json("welcome", "error")
            await c.close()
            if m["type"] == "welcome":
                break
            await asyncio.sleep(0.1)
        until = time.monotonic() + SECONDS
        return await asyncio.gather(flood(a, token, "a", until), flood(b, token, "b", until))

    (sent_a, acked_a), (sent_b, acked_b) = run(go(), 60)
    total = acked_a + acked_b
    one_rate = BURST + RATE * SECONDS
    assert sent_a > one_rate and sent_b > one_rate, "the clients did not flood"
    assert acked_a > 0 and acked_b > 0, (acked_a, acked_b)
    # one bucket's worth, plus a burst of debt each and the bus's lag: well under two rates
    assert total <= one_rate + BURST + 20, (acked_a, acked_b)
