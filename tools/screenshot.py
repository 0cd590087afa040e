#!/usr/bin/python3
"""tools/screenshot.py - the README's screenshots, from the real server and web client.

Starts build/parley on a scratch database and a free port, fills it through the JSON
protocol (a few people, channels, a direct message, a thread with reactions), then opens
the web client in headless Chromium as one of them and saves two pictures: the channel
with its thread open (docs/screenshot.png) and a search (docs/screenshot-search.png). Run
it after `make build`:

    tools/screenshot.py [out-dir]
"""
import asyncio
import json
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import websockets
from selenium import webdriver
from selenium.webdriver.common.by import By

ROOT = Path(__file__).resolve().parent.parent
FLAGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--window-size=1280,800", "--hide-scrollbars"]


async def say(url, user, steps):
    """Joins as user and sends steps: (type, payload) pairs, each waited for; a payload may
    be a function of the previous answer. Returns the answers."""
    last, answers = None, []
    async with websockets.connect(url, max_size=None) as ws:
        await ws.send(json.dumps({"type": "join", "payload": {"user": user}}))
        for i, (type_, payload) in enumerate(steps):
            if callable(payload):
                payload = payload(last)
            await ws.send(json.dumps({"type": type_, "id": i, "payload": payload}))
            while True:
                m = json.loads(await asyncio.wait_for(ws.recv(), 10))
                if m.get("id") == i:
                    last = m
                    answers.append(m)
                    break
            await asyncio.sleep(0.05)
    return answers


async def fill(url):
    first = await say(url, "maria", [
        ("channel_create", {"name": "design", "topic": "Pixels, type and the v2 launch"}),
        ("channel_create", {"name": "ops", "private": True, "topic": "On call: maria"}),
        ("channel_create", {"name": "random"}),
        ("channel_invite", {"channel": "design", "user": "alex"}),
        ("channel_invite", {"channel": "design", "user": "sam"}),
        ("channel_invite", {"channel": "ops", "user": "alex"}),
        ("msg", {"channel": "general", "text": "Morning all! Standup moves to 10:30 today."}),
        ("msg", {"channel": "design", "text": "New icon set is up for review."}),
    ])
    await say(url, "sam", [
        ("msg", {"channel": "design", "text": "Love the rounded corners. @maria can we try "
                 "the darker accent on buttons?"}),
        ("msg", {"channel": "random", "text": "Anyone for lunch at the Thai place?"}),
    ])
    await say(url, "alex", [
        ("msg", {"channel": "design", "text": "Darker accent works for me, contrast is "
                 "better too (4.8:1)."}),
        ("msg", {"channel": "ops", "text": "Deploy of 2.4.1 is done, no errors so far."}),
        ("dm_open", {"users": ["maria"]}),
        ("msg", lambda dm: {"channel": dm["payload"]["channel"]["name"],
                            "text": "Got a minute for the on-call handover?"}),
    ])
    icons = first[-1]["payload"]["seq"]  # "New icon set is up for review."
    await say(url, "sam", [
        ("msg", {"channel": "design", "thread": icons, "text": "The settings gear reads "
                 "a bit thin at 16px."}),
        ("react", {"channel": "design", "seq": icons, "emoji": "🎉"}),
    ])
    await say(url, "alex", [
        ("msg", {"channel": "design", "thread": icons, "text": "Bumped its stroke to 1.75, "
                 "pushed to the review branch."}),
        ("react", {"channel": "design", "seq": icons, "emoji": "🎉"}),
        ("react", {"channel": "design", "seq": icons, "emoji": "👀"}),
    ])
    await say(url, "maria", [
        ("msg", {"channel": "design", "thread": icons, "text": "Perfect, approving it now."}),
        ("msg", {"channel": "design", "text": "Agreed, shipping it with the v2 launch. "
                 "Thanks both!"}),
        ("react", {"channel": "design", "seq": icons + 1, "emoji": "👍"}),
    ])


def main():
    out = Path(sys.argv[1] if len(sys.argv) > 1 else ROOT / "docs")
    tmp = Path(tempfile.mkdtemp(prefix="parley-shot-"))
    log = open(tmp / "parley.log", "w")
    proc = subprocess.Popen([str(ROOT / "build" / "parley"), "--port", "0", "--db",
                             str(tmp / "parley.db")], stdout=log, stderr=subprocess.STDOUT)
    try:
        port = None
        for _ in range(200):
            m = re.search(r"listening on http://127\.0\.0\.1:(\d+)", (tmp / "parley.log").read_text())
            if m:
                port = int(m.group(1))
                break
            time.sleep(0.05)
        asyncio.run(fill(f"ws://127.0.0.1:{port}/ws"))
        opts = webdriver.ChromeOptions()
        for f in FLAGS:
            opts.add_argument(f)
        d = webdriver.Chrome(options=opts)
        try:
            d.get(f"http://127.0.0.1:{port}/")
            d.find_element(By.CSS_SELECTOR, '[data-testid="login-name"]').send_keys("maria")
            d.find_element(By.CSS_SELECTOR, '[data-testid="login-submit"]').click()
            time.sleep(1.5)
            d.find_element(By.CSS_SELECTOR, '[data-testid="channel-item"][data-channel="design"]').click()
            time.sleep(1.5)
            d.find_element(By.CSS_SELECTOR, '[data-testid="thread-open"]').click()
            time.sleep(1.0)
            d.save_screenshot(str(out / "screenshot.png"))
            d.find_element(By.CSS_SELECTOR, '[data-testid="thread-close"]').click()
            box = d.find_element(By.CSS_SELECTOR, '[data-testid="search-input"]')
            box.click()
            box.send_keys("accent\n")
            time.sleep(1.0)
            d.save_screenshot(str(out / "screenshot-search.png"))
        finally:
            d.quit()
    finally:
        proc.terminate()
        proc.wait()
    print(out)


if __name__ == "__main__":
    main()
