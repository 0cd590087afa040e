"""`join` carrying `resume` (docs/protocol.md, "Resume"): the reconnecting client's join and
its resume served as one, so that no live message slips in between and comes twice (once
live, once again in the resume), on one process and on two sharing a store and a bus.
"""
import asyncio

import pytest

from test_shared import redis  # noqa: F401 (fixture)
from wsraw import Client, run

FAST = ("--rate", "100000", "--burst", "100000")
TOTAL, JOINERS = 600, 8


async def stream_after_join(server, user, seen):
    """Joins as user with resume {"general": seen}; returns the seqs of every msg until the
    stream reaches TOTAL (the resume's and the live ones alike, in arrival order), and the
    resumed payload."""
    c = await Client.connect(server)
    await c.send_json("join", {"user": user, "resume": {"general": seen}}, id="j")
    welcome = await c.recv_json("welcome")
    assert welcome["id"] == "j"
    seqs, resumed = [], None
    while not seqs or seqs[-1] < TOTAL:
        m = await c.recv_json("msg", "resumed", "history", timeout=30)
        assert m["type"] != "history", "a join that resumes general gets no history of it"
        if m["type"] == "resumed":
            resumed = m["payload"]
            assert "id" not in m
        else:
            seqs.append(m["payload"]["seq"])
    await c.close()
    return seqs, resumed


async def traffic_and_joins(writer_server, join_servers):
    a, _, _ = await Client.joined(writer_server, "alice")
    # some history before the joins, so that each has something to resume
    for i in range(50):
        await a.send_json("msg", {"text": f"t{i}", "cid": f"t{i}"})
    acked = 0
    while acked < 50:  # stored before anyone resumes from them
        m = await a.recv_json("ack", skip=("join", "leave", "typing", "history", "msg"),
                              timeout=30)
        acked += m["type"] == "ack"

    async def sender():
        for i in range(50, TOTAL):
            await a.send_json("msg", {"text": f"t{i}", "cid": f"t{i}"})
            if i % 5 == 0:
                await asyncio.sleep(0.002)

    async def joiner(k):
        await asyncio.sleep(0.03 * k)
        server = join_servers[k % len(join_servers)]
        return await stream_after_join(server, f"bob{k}", 10 + k)

    task = asyncio.ensure_future(sender())
    results = await asyncio.gather(*(joiner(k) for k in range(JOINERS)))
    await task
    await a.close()
    for k, (seqs, resumed) in enumerate(results):
        seen = 10 + k
        assert seqs == list(range(seen + 1, TOTAL + 1)), (k, seqs[:20])
        assert resumed and resumed["channels"]["general"]["from"] == seen + 1, resumed
        assert resumed["channels"]["general"]["recovered"] is True
    # the joins did land during the traffic (live messages followed their resumes), or this
    # test proves nothing
    assert sum(1 for _, r in results if r["channels"]["general"]["to"] < TOTAL - 50) >= 2, \
        [r["channels"]["general"]["to"] for _, r in results]
    return results


def test_join_with_resume_has_no_gap_and_no_duplicate(make_server):
    server = make_server(*FAST)
    run(traffic_and_joins(server, [server]), 120)


def test_join_with_resume_across_processes(make_server, redis, tmp_path):
    """Writes on one process, joins with resume on the other: the resume waits for what the
    other process has not heard yet, and nothing comes twice."""
    flags = (*FAST, "--bus", redis.url)
    db = tmp_path / "shared.db"
    a = make_server(*flags, db=db)
    b = make_server(*flags, db=db)
    run(traffic_and_joins(a, [b]), 120)


@pytest.mark.parametrize("resume", [[], "general", 3, {"general": -1}])
def test_join_with_a_bad_resume(make_server, resume):
    server = make_server()

    async def go():
        c = await Client.connect(server)
        await c.send_json("join", {"user": "carol", "resume": resume}, id=1)
        m = await c.recv_json("welcome", "error")
        if isinstance(resume, dict):
            # a well-formed join; the resume it carries is refused as a resume is
            assert m["type"] == "welcome"
            e = await c.recv_json("error", skip=("join", "leave", "typing", "history"))
        else:
            e = m
        assert e["type"] == "error" and e["code"] == "bad_payload", e
        await c.close()

    run(go(), 20)
