"""Files and images in the real web client (issue 14 item 3; web/files.js), in headless Chromium.

Two people: alice, an account (her browser fetches files with its session cookie), and bob,
a guest (his page fetches them with his session token). Alice attaches an image with the
paperclip's file input and sends it with text; bob drops another one on the conversation
and a text file too. Each sees the other's image inline, with width and height set before
it loaded (the list does not jump), opens it full size in the lightbox and closes it with
Esc; the text file is a card with its name, size and a download link.

Hooks: attach (the paperclip), file-input, attach-tray holding attach-chip, file-image
(a message's image link), file-card, lightbox, lightbox-close.
"""
import base64
import struct
import uuid
import zlib

import pytest

pytest.importorskip("selenium")
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402

from test_browser import pytestmark, tid, users  # noqa: E402,F401
from test_browser_channels import dumping  # noqa: E402


def png(w, h, blue=180):
    """A real w x h PNG: a gradient."""
    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xffffffff))
    raw = b"".join(b"\x00" + b"".join(bytes((x * 255 // w, y * 255 // h, blue)) for x in range(w))
                   for y in range(h))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


# Drops files (name, type, base64) on the conversation as a user's drag would.
DROP = """
const dt = new DataTransfer();
for (const [name, type, b64] of arguments[0]) {
  const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  dt.items.add(new File([bytes], name, { type }));
}
const main = document.querySelector('[data-testid="composer"]').closest("main");
main.dispatchEvent(new DragEvent("dragenter", { dataTransfer: dt, bubbles: true }));
main.dispatchEvent(new DragEvent("dragover", { dataTransfer: dt, bubbles: true, cancelable: true }));
main.dispatchEvent(new DragEvent("drop", { dataTransfer: dt, bubbles: true, cancelable: true }));
"""

# The images of the message holding a text: [width attr, height attr, aspect-ratio,
# naturalWidth, complete], one per image.
IMAGES = """
const row = Array.from(document.querySelectorAll('[data-testid="message"]'))
  .find((e) => e.textContent.includes(arguments[0]));
if (!row) return null;
return Array.from(row.querySelectorAll('[data-testid="file-image"] img')).map((i) =>
  [i.getAttribute("width"), i.getAttribute("height"), i.style.aspectRatio, i.naturalWidth, i.complete]);
"""


@pytest.fixture
def server(make_server, tmp_path):
    """Files under <tmp> whatever the store (the shared backend has no SQLite file)."""
    return make_server("--files", str(tmp_path / "parley.files"))


def wait_chips_done(u, n):
    u.wait(lambda: u.js("return document.querySelectorAll("
                        "'[data-testid=\"attach-chip\"].is-done').length") == n,
           f"{n} uploads done in the tray")


def send_text(u, text):
    box = u.d.find_element(By.CSS_SELECTOR, tid("composer"))
    box.send_keys(text)
    box.send_keys(Keys.ENTER)
    u.wait(lambda: box.get_attribute("value") == "", "the composer to clear")


def open_and_close_lightbox(u, text, want_w):
    link = u.d.execute_script(
        "const row = Array.from(document.querySelectorAll('[data-testid=\"message\"]'))"
        ".find((e) => e.textContent.includes(arguments[0]));"
        "return row.querySelector('[data-testid=\"file-image\"]');", text)
    link.click()
    u.wait(lambda: u.js("const d = document.querySelector('[data-testid=\"lightbox\"]');"
                        "return !!d && d.open;"), "the lightbox to open")
    u.wait(lambda: u.js("const i = document.querySelector('.lightbox-img');"
                        "return i && i.complete && i.naturalWidth;") == want_w,
           "the full-size image to load in the lightbox")
    u.d.switch_to.active_element.send_keys(Keys.ESCAPE)
    u.wait(lambda: not u.js("return document.querySelector('[data-testid=\"lightbox\"]').open;"),
           "Esc to close the lightbox")


def test_images_and_files_between_an_account_and_a_guest(server, users, tmp_path):
    alice, bob = users("alice", "bob")
    for u in (alice, bob):
        u.js = u.d.execute_script
    dumping(server, tmp_path, (alice, bob), lambda: run_files(server, alice, bob, tmp_path))


def run_files(server, alice, bob, tmp_path):
    tag = uuid.uuid4().hex[:6]
    alice.open(server.http)
    alice.signup()
    bob.open(server.http)
    bob.login()
    alice.wait(lambda: "bob" in alice.online(), "alice to see bob")

    # --- alice: the paperclip's file input, then text, Enter
    pic = tmp_path / "sunset.png"
    pic.write_bytes(png(400, 300))
    assert alice.shown("attach")
    alice.d.find_element(By.CSS_SELECTOR, tid("file-input")).send_keys(str(pic))
    wait_chips_done(alice, 1)
    hers = f"the view {tag}"
    send_text(alice, hers)
    alice.wait(lambda: not alice.shown("attach-tray"), "the tray to empty once sent")

    # bob (a guest) sees it inline, sized before it loads, then loaded
    bob.wait_message("alice", hers)
    bob.wait(lambda: (bob.js(IMAGES, hers) or [[0, 0, 0, 0, False]])[0][3] == 400,
             "alice's image to load for bob")
    w, h, ratio, natural, done = bob.js(IMAGES, hers)[0]
    assert (w, h) == ("360", "270") and ratio == "400 / 300", (w, h, ratio)
    open_and_close_lightbox(bob, hers, 400)

    # --- bob: a drop of an image and a text file
    note = b"meeting notes\n"
    bob.js(DROP, [["chart.png", "image/png", base64.b64encode(png(120, 80, 60)).decode()],
                  ["notes.txt", "text/plain", base64.b64encode(note).decode()]])
    wait_chips_done(bob, 2)
    his = f"numbers {tag}"
    send_text(bob, his)
    alice.wait_message("bob", his)
    alice.wait(lambda: (alice.js(IMAGES, his) or [[0, 0, 0, 0, False]])[0][3] == 120,
               "bob's image to load for alice")
    w, h, ratio, _, _ = alice.js(IMAGES, his)[0]
    assert (w, h, ratio) == ("120", "80", "120 / 80")
    card = alice.js("const row = Array.from(document.querySelectorAll('[data-testid=\"message\"]'))"
                    ".find((e) => e.textContent.includes(arguments[0]));"
                    "const c = row.querySelector('[data-testid=\"file-card\"]');"
                    "return c && [c.textContent, c.getAttribute('href'), c.getAttribute('download')];",
                    his)
    assert card and "notes.txt" in card[0] and f"{len(note)} B" in card[0], card
    assert card[1].startswith("/files/") and card[2] == "notes.txt"
    open_and_close_lightbox(alice, his, 120)
    alice.d.save_screenshot(str(tmp_path / "screenshot-files.png"))  # for the README

    # --- after a reload, history draws them again at their size
    alice.d.refresh()
    alice.wait_connected()
    alice.wait_message("alice", hers)
    alice.wait(lambda: (alice.js(IMAGES, hers) or [[0]])[0][0] == "360", "the image from history")


def test_a_thread_reply_carries_an_image(server, users, tmp_path):
    alice, bob = users("alice", "bob")
    for u in (alice, bob):
        u.js = u.d.execute_script
    dumping(server, tmp_path, (alice, bob), lambda: run_thread_files(server, alice, bob, tmp_path))


# The images of the thread panel's reply holding a text, as IMAGES.
PANEL_IMAGES = IMAGES.replace('[data-testid="message"]', '#thread-panel [data-testid="thread-msg"]')


def run_thread_files(server, alice, bob, tmp_path):
    tag = uuid.uuid4().hex[:6]
    alice.open(server.http)
    alice.signup()
    bob.open(server.http)
    bob.login()
    alice.wait(lambda: "bob" in alice.online(), "alice to see bob")
    parent = f"photos from the offsite {tag}"
    send_text(alice, parent)
    bob.wait_message("alice", parent)

    # alice opens the thread and attaches an image with the panel's own paperclip
    open_thread = ("const row = Array.from(document.querySelectorAll('[data-testid=\"message\"]'))"
                   ".find((e) => e.textContent.includes(arguments[0]));"
                   "row.querySelector(arguments[1]).click();")
    alice.js(open_thread, parent, tid("msg-reply"))
    alice.wait(lambda: alice.js("return !document.getElementById('thread-panel').hidden;"),
               "the thread panel to open")
    pic = tmp_path / "beach.png"
    pic.write_bytes(png(300, 200, 90))
    alice.d.find_element(By.CSS_SELECTOR, "#thread-panel " + tid("file-input")).send_keys(str(pic))
    wait_chips_done(alice, 1)
    assert not alice.js("return document.querySelector('main " + tid("attach-tray") + "').hidden === false;"), \
        "the reply's file shown in the main composer's tray"
    box = alice.d.find_element(By.CSS_SELECTOR, tid("thread-composer"))
    reply = f"the beach {tag}"
    box.send_keys(reply)
    box.send_keys(Keys.ENTER)
    alice.wait(lambda: box.get_attribute("value") == "", "the thread composer to clear")
    alice.wait(lambda: (alice.js(PANEL_IMAGES, reply) or [[0, 0, 0, 0]])[0][3] == 300,
               "the reply's image in alice's panel")

    # bob opens the thread from the reply count and sees the image at its size
    bob.wait(lambda: bob.js("return !!document.querySelector(arguments[0]);", tid("thread-open")),
             "the reply count on the parent")
    bob.js("document.querySelector(arguments[0]).click();", tid("thread-open"))
    bob.wait(lambda: (bob.js(PANEL_IMAGES, reply) or [[0, 0, 0, 0]])[0][3] == 300,
             "the reply's image in bob's panel")
    w, h, ratio, _, _ = bob.js(PANEL_IMAGES, reply)[0]
    assert (w, h, ratio) == ("300", "200", "300 / 200"), (w, h, ratio)
    assert not any(reply in m for m in bob.messages()), "the reply in the main list"
