"""A sign-in flood, run as its own process by test_accounts_attacks.py (so that its work
does not slow down the chatting pair the test measures):

    python3 flood.py PORT COUNT PASSWORD_BYTES

opens COUNT connections at once (from 127.0.x.y source addresses, COUNT/ADDRS each, so
that the per-address limits are not what answers), then has each send
`POST /api/login {"name": "floodN", "password": "AAAA..."}` with a password of
PASSWORD_BYTES bytes, reads the answer, and prints one JSON summary line:
{"answers": {"401 bad_credentials": n, "413": n, "reset": n, ...}, "seconds": s}.
Every wait is bounded; the whole run stops after DEADLINE seconds."""
import asyncio
import collections
import json
import sys
import time

ADDRS = 100  # source addresses the connections are spread over
DEADLINE = 90.0
CHUNK = 64 * 1024


def source(i):
    return f"127.0.{20 + (i % ADDRS) // 200}.{2 + (i % ADDRS) % 200}"


async def read_answer(reader):
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ")[1])
    length = 0
    for line in lines[1:]:
        k, _, v = line.partition(":")
        if k.strip().lower() == "content-length":
            length = int(v.strip())
    body = await reader.readexactly(length) if length else b""
    code = ""
    try:
        code = json.loads(body).get("error", "")
    except (ValueError, AttributeError):
        pass
    return f"{status} {code}".strip()


async def one(port, i, size, password, go, answers, ready):
    try:
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection("127.0.0.1", port, local_addr=(source(i), 0)), 20)
    except (OSError, asyncio.TimeoutError) as e:
        answers[f"connect failed: {type(e).__name__}"] += 1
        ready.append(i)
        return
    ready.append(i)
    await go.wait()
    prefix = b'{"name": "flood%d", "password": "' % i
    suffix = b'"}'
    length = len(prefix) + size + len(suffix)
    head = (f"POST /api/login HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {length}\r\n"
            "Connection: close\r\n\r\n").encode()

    async def send():
        try:
            writer.write(head + prefix)
            for off in range(0, size, CHUNK):
                writer.write(password[off:off + CHUNK])
                await writer.drain()
            writer.write(suffix)
            await writer.drain()
        except (OSError, asyncio.CancelledError):
            pass

    sender = asyncio.ensure_future(send())
    try:
        answers[await asyncio.wait_for(read_answer(reader), 60)] += 1
    except (asyncio.IncompleteReadError, ConnectionError):
        answers["reset"] += 1
    except asyncio.TimeoutError:
        answers["timeout"] += 1
    except OSError as e:
        answers[f"error: {type(e).__name__}"] += 1
    finally:
        sender.cancel()
        writer.close()


async def main(port, count, size):
    password = memoryview(b"A" * size)
    answers = collections.Counter()
    go = asyncio.Event()
    ready = []
    tasks = [asyncio.ensure_future(one(port, i, size, password, go, answers, ready))
             for i in range(count)]
    # every connection is open (or failed) before the first byte of any request
    while len(ready) < count:
        await asyncio.sleep(0.05)
    t0 = time.monotonic()
    go.set()
    await asyncio.gather(*tasks)
    return {"answers": dict(answers), "seconds": round(time.monotonic() - t0, 3)}


if __name__ == "__main__":
    port, count, size = (int(a) for a in sys.argv[1:4])
    out = asyncio.run(asyncio.wait_for(main(port, count, size), DEADLINE))
    print(json.dumps(out), flush=True)
