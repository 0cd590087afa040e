#!/usr/bin/python3
"""tools/screenshot.py - the README's screenshots, from the real server and web client.

Starts build/parley on a scratch database and a free port, registers a few accounts and
fills the chat through the JSON protocol (channels, a direct message, formatted messages,
a thread with reactions, a channel with unread messages), then signs in to the web client
in headless Chromium as one of them and saves: the channel with its thread open
(docs/screenshot.png), a search (docs/screenshot-search.png), a channel opened at its
first unread message (docs/screenshot-unread.png) and the conversation switcher
(docs/screenshot-switcher.png). Run it after `make build`:

    tools/screenshot.py [out-dir]
"""
import asyncio
import http.client
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
from selenium.webdriver.common.keys import Keys

ROOT = Path(__file__).resolve().parent.parent
FLAGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--window-size=1280,800", "--hide-scrollbars"]


PASSWORD = "screenshot password"
TOKENS = {}


def register(port, name, display):
    """Registers account name (the first is the owner) and keeps its token."""
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    c.request("POST", "/api/register", json.dumps({"name": name, "password": PASSWORD,
                                                    "display_name": display}),
              {"Content-Type": "application/json"})
    r = c.getresponse()
    body = json.loads(r.read())
    assert r.status == 201, (r.status, body)
    TOKENS[name] = body["token"]


async def say(url, user, steps):
    """Joins as account user and sends steps: (type, payload) pairs, each waited for; a
    payload may be a function of the previous answer. Returns the answers."""
    last, answers = None, []
    async with websockets.connect(url, max_size=None) as ws:
        await ws.send(json.dumps({"type": "join", "payload": {"token": TOKENS[user]}}))
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
        ("msg", {"channel": "general", "text": "Morning all! Standup moves to *10:30* today."}),
        ("msg", {"channel": "design", "text": "New icon set is up for review :tada:"}),
    ])
    await say(url, "sam", [
        ("msg", {"channel": "design", "text": "Love the rounded corners. @maria can we try "
                 "the darker accent on buttons?"}),
    ])
    await say(url, "alex", [
        ("msg", {"channel": "design", "text": "Darker accent works for me, contrast is "
                 "better too (4.8:1)."}),
        ("msg", {"channel": "ops", "text": "Deploy of 2.4.1 is done, no errors so far."}),
        ("msg", {"channel": "design", "text": "The token change, for the record:\n```\n"
                 "--accent: #4a3aff;\n--accent-strong: #2f22c9;\n```\n> contrast 4.8:1 "
                 "on white, _AA_ for body text"}),
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
        ("msg", {"channel": "design", "text": "Agreed, shipping it with the *v2 launch*. "
                 "Thanks both! :rocket:"}),
        ("react", {"channel": "design", "seq": icons + 1, "emoji": "👍"}),
    ])
    # #random: maria read the first messages; the rest came while she was away
    lunch = [
        ("sam", "Anyone for lunch at the Thai place?"), ("alex", "Count me in :ramen:"),
        ("sam", "Booked a table for 12:30"), ("alex", "I'll be 5 minutes late, start without me"),
        ("sam", "They have a new *green curry*, highly recommended"),
        ("alex", "Next week: the ramen place on Oak Street?"),
        ("sam", "Deal. Also: board games on Friday evening, who's in?"),
        ("alex", "Me! I'll bring _Azul_"),
    ]
    for who in ("sam", "alex"):
        await say(url, who, [("channel_join", {"channel": "random"})])
    await say(url, lunch[0][0], [("msg", {"channel": "random", "text": lunch[0][1]})])
    await say(url, "maria", [("read", {"channel": "random", "seq": 1})])
    for who, text in lunch[1:]:
        await say(url, who, [("msg", {"channel": "random", "text": text})])


def main():
    out = Path(sys.argv[1] if len(sys.argv) > 1 else ROOT / "docs")
    out.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix="parley-shot-"))
    log = open(tmp / "parley.log", "w")
    proc = subprocess.Popen([str(ROOT / "build" / "parley"), "--port", "0", "--db",
                             str(tmp / "parley.db"), "--registration", "open"],
                            stdout=log, stderr=subprocess.STDOUT)
    try:
        port = None
        for _ in range(200):
            m = re.search(r"listening on http://127\.0\.0\.1:(\d+)", (tmp / "parley.log").read_text())
            if m:
                port = int(m.group(1))
                break
            time.sleep(0.05)
        for name, display in (("maria", "Maria Chen"), ("sam", "Sam Okafor"),
                              ("alex", "Alex Rivera")):
            register(port, name, display)
        asyncio.run(fill(f"ws://127.0.0.1:{port}/ws"))
        opts = webdriver.ChromeOptions()
        for f in FLAGS:
            opts.add_argument(f)
        d = webdriver.Chrome(options=opts)
        try:
            d.get(f"http://127.0.0.1:{port}/")
            time.sleep(1.0)
            d.find_element(By.CSS_SELECTOR, '[data-testid="signin-name"]').send_keys("maria")
            d.find_element(By.CSS_SELECTOR, '[data-testid="signin-password"]').send_keys(PASSWORD)
            d.find_element(By.CSS_SELECTOR, '[data-testid="signin-submit"]').click()
            time.sleep(2.0)
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
            d.execute_script("const b = document.getElementById('search-close'); if (b) b.click();")
            time.sleep(0.5)
            d.find_element(By.CSS_SELECTOR, '[data-testid="channel-item"][data-channel="random"]').click()
            time.sleep(1.5)
            d.save_screenshot(str(out / "screenshot-unread.png"))
            d.find_element(By.TAG_NAME, "body").send_keys(Keys.CONTROL, "k")
            time.sleep(0.5)
            d.switch_to.active_element.send_keys("a")
            time.sleep(0.5)
            d.save_screenshot(str(out / "screenshot-switcher.png"))
        finally:
            d.quit()
    finally:
        proc.terminate()
        proc.wait()
    print(out)


if __name__ == "__main__":
    main()
