"""Observability (issue 15, item 6): /metrics histograms (store commit, loop lag, delivery,
sign-in) and counters per close code and per error code, on one loop and on four; /readyz
(ready to serve) apart from /healthz (alive), while draining and while the bus is down;
--log-format json, and no message text, token or password in the log at info level."""
import asyncio
import json
import re
import signal
import time

import pytest
import websockets

from accounts import login, register
from backends import Redis
from wsraw import Client, connect, get, run, upgrade_request

HISTOGRAMS = ("parley_store_commit_seconds", "parley_loop_lag_seconds",
              "parley_delivery_seconds", "parley_sign_in_seconds")


def metrics(server):
    return get(server.port, "/metrics").body.decode()


def histogram(text, name):
    """(cumulative buckets [(le, n)], sum, count) of one histogram, checked for its form."""
    buckets = [(le, int(n)) for le, n in
               re.findall(r"^" + name + r'_bucket\{le="([^"]+)"\} (\d+)$', text, re.M)]
    assert buckets and buckets[-1][0] == "+Inf", f"no buckets of {name}"
    assert f"# TYPE {name} histogram" in text
    counts = [n for _, n in buckets]
    assert counts == sorted(counts), f"{name}: buckets not cumulative: {buckets}"
    bounds = [float(le) for le, _ in buckets[:-1]]
    assert bounds == sorted(bounds)
    total = float(re.search(r"^" + name + r"_sum (\S+)$", text, re.M).group(1))
    count = int(re.search(r"^" + name + r"_count (\d+)$", text, re.M).group(1))
    assert count == counts[-1]
    return buckets, total, count


def counter(text, name, code):
    m = re.search(r"^" + name + r'\{code="' + re.escape(code) + r'"\} (\d+)$', text, re.M)
    return int(m.group(1)) if m else 0


def wait_for(cond, what, seconds=15):
    deadline = time.monotonic() + seconds
    while not cond():
        assert time.monotonic() < deadline, f"never {what}"
        time.sleep(0.05)


@pytest.mark.parametrize("threads", ["1", "4"])
def test_histograms_and_counters_move(make_server, threads):
    server = make_server("--threads", threads)
    before = metrics(server)
    for name in HISTOGRAMS:
        histogram(before, name)
    assert counter(before, "parley_ws_closes_total", "1008") == 0
    assert counter(before, "parley_errors_total", "auth_failed") == 0
    assert register(server, "ann", "a long password 1").status == 201
    assert login(server, "ann", "a long password 1").status == 200

    async def flow():
        a, _, _ = await Client.joined(server, "alice")
        b, _, _ = await Client.joined(server, "bob")
        for i in range(5):
            await a.msg(f"hello {i}")
        # A join with a token that is no session: error auth_failed, then close 1008.
        c = await Client.connect(server)
        await c.send_json("join", {"token": "0" * 64})
        err = await c.recv_json("error")
        assert err["code"] == "auth_failed"
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await c.recv_raw()
        assert closed.value.code == 1008
        await a.ws.close()
        await b.ws.close()

    run(flow())
    wait_for(lambda: histogram(metrics(server), "parley_loop_lag_seconds")[2] > 0,
             "a loop lag observed")
    after = metrics(server)
    _, _, commits = histogram(after, "parley_store_commit_seconds")
    assert commits >= 5
    _, _, delivered = histogram(after, "parley_delivery_seconds")
    assert delivered >= 5
    _, signin_sum, signins = histogram(after, "parley_sign_in_seconds")
    assert signins == 1 and signin_sum > 0
    assert counter(after, "parley_ws_closes_total", "1008") == 1
    assert counter(after, "parley_errors_total", "auth_failed") == 1


def test_readyz_while_draining(make_server):
    """Draining: /readyz 503 "draining" at once, /healthz still 200 (the process is alive)."""
    server = make_server()
    assert get(server.port, "/readyz").status == 200
    assert get(server.port, "/healthz").status == 200
    # A WebSocket that never answers the close keeps the drain going (up to 3 s).
    with connect(server.port) as s:
        s.sendall(upgrade_request())
        assert b" 101 " in s.recv(4096)
        server.proc.send_signal(signal.SIGTERM)
        wait_for(lambda: get(server.port, "/readyz").status == 503, "503 while draining")
        r = get(server.port, "/readyz")
        assert r.json() == {"status": "draining"}
        assert get(server.port, "/healthz").status == 200
    assert server.proc.wait(30) == 0


@pytest.mark.sqlite_only
def test_readyz_while_the_bus_is_down(make_server, tmp_path):
    redis = Redis(tmp_path).start()
    try:
        server = make_server("--bus", redis.url)
        wait_for(lambda: get(server.port, "/readyz").status == 200, "ready with the bus up")
        redis.stop()
        wait_for(lambda: get(server.port, "/readyz").status == 503, "503 with the bus down")
        assert get(server.port, "/readyz").json() == {"status": "bus_down"}
        assert get(server.port, "/healthz").status == 200
        redis.start()
        wait_for(lambda: get(server.port, "/readyz").status == 200, "ready again", 30)
    finally:
        redis.stop()


def test_json_logs_hold_no_secrets(make_server):
    """--log-format json: every line a JSON object with ts, level and msg; after a chat with a
    known secret text, a sign-in with a known password and a token in use, none of them is
    in the log (info level)."""
    server = make_server("--log-format", "json")
    secret, password = "zebra-quartz-4711", "correct horse battery 99"
    r = register(server, "kim", password)
    assert r.status == 201
    token = json.loads(r.body)["token"]

    async def flow():
        a, _, _ = await Client.joined(server, "kim", token=token)
        b, _, _ = await Client.joined(server, "lee")
        await a.msg(f"the secret is {secret}")
        await b.msg(f"{secret} received")
        bad = await Client.connect(server)
        await bad.send_json("join", {"token": token[::-1]})
        await bad.recv_json("error")
        await a.ws.close()
        await b.ws.close()

    run(flow())
    assert login(server, "kim", password).status == 200
    assert server.stop() == 0
    text = server.log.read_text()
    lines = [json.loads(line) for line in text.splitlines() if line.strip()]
    assert len(lines) >= 3
    for line in lines:
        assert {"ts", "level", "msg"} <= line.keys(), line
        assert line["level"] in ("info", "warn", "error"), line
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", line["ts"]), line
    assert any("listening on" in line["msg"] for line in lines)
    for s in (secret, password, token, token[::-1]):
        assert s not in text, f"{s!r} is in the log"
