"""People in the real web client (issue 14 item 7), driven through headless Chromium with
three browsers and one account that stays offline.

Hooks (data-testid), besides test_browser_accounts.py's:
  account     avatar-file (the photo's file input), avatar-upload, avatar-remove, avatar-ok,
              profile-title, profile-tz, profile-tz-here, profile-ok
  card        person-card (the dialog; data-user), card-display, card-name, card-title,
              card-time ("14:05 local time"), card-state (Online / Offline), card-message;
              any element with data-card="NAME" opens it (message authors, avatars, member
              rows; online-list rows are buttons that open it)
  directory   people-open (the sidebar's "People"), directory-search, directory-list holding
              directory-person rows (data-name)
  new DM      dm-new-open (the "+" beside Direct messages), dm-new-search, dm-new-list holding
              dm-new-person toggles (data-name, aria-pressed), dm-new-chip (data-name), dm-new-submit
"""
import datetime
import hashlib
import uuid
import zoneinfo

import pytest

pytest.importorskip("selenium")
from selenium.webdriver.common.by import By  # noqa: E402

from accounts import account_token, api  # noqa: E402
from test_browser import pytestmark, tid  # noqa: E402,F401
from test_browser_accounts import OPEN, accounts, browsers  # noqa: E402,F401
from test_browser_channels import dumping  # noqa: E402
from test_profiles import PNG  # noqa: E402


def card(u):
    """What the open profile card shows, or None."""
    return u.js(
        "const d = document.getElementById('card-dialog');"
        "if (!d || !d.open) return null;"
        "const t = (id) => { const e = d.querySelector('[data-testid=' + id + ']');"
        "  return e && !e.hidden && e.offsetParent !== null ? e.textContent.trim() : ''; };"
        "const img = d.querySelector('.avatar-img');"
        "return {user: d.dataset.user, display: t('card-display'), name: t('card-name'),"
        " title: t('card-title'), time: t('card-time'), state: t('card-state'),"
        " message: t('card-message'), img: img ? img.getAttribute('src') : ''};")


def close_card(u):
    u.js("document.getElementById('card-dialog').close();")


def click_author(u, name, needle):
    """Clicks the author name of the message holding needle."""
    el = u.js("const m = Array.from(document.querySelectorAll(arguments[0]))"
              ".find(e => e.textContent.includes(arguments[1]));"
              "return m && m.querySelector('.name-label[data-card=\"' + arguments[2] + '\"]');",
              tid("message"), needle, name)
    assert el, f"no author label of {name} on the message {needle!r}"
    el.click()


def message_avatar_src(u, needle):
    return u.js("const m = Array.from(document.querySelectorAll(arguments[0]))"
                ".find(e => e.textContent.includes(arguments[1]));"
                "const i = m && m.querySelector('.msg-gutter .avatar-img');"
                "return i ? i.getAttribute('src') : '';", tid("message"), needle)


def tokyo_times():
    now = datetime.datetime.now(zoneinfo.ZoneInfo("Asia/Tokyo"))
    return {(now + datetime.timedelta(minutes=d)).strftime("%H:%M") + " local time" for d in (-1, 0, 1)}


def test_profiles_card_directory_and_a_group_dm(accounts, browsers, tmp_path):
    server = accounts(*OPEN)
    # dave has an account and never comes online.
    dave = account_token(server, "dave")
    assert api(server, "PATCH", "/api/me", {"title": "Keeps the books"}, token=dave).status == 200
    ann, ben, cat = browsers("ann", "ben", "cat")
    dumping(server, tmp_path, (ann, ben, cat), lambda: run_people(server, tmp_path, ann, ben, cat))


def run_people(server, tmp_path, ann, ben, cat):
    tag = uuid.uuid4().hex[:6]
    for u in (ann, ben, cat):
        u.open(server.http)
        u.signup()
    hello = f"hello from ann {tag}"
    ann.say(hello)
    ben.wait_message("ann", hello)
    assert message_avatar_src(ben, hello) == "", "a photo before ann uploaded one"

    # --- ann: a photo, what she does, her time zone
    pic = tmp_path / "ann.png"
    pic.write_bytes(PNG)
    ann.press("profile-open")
    ann.d.find_element(By.CSS_SELECTOR, tid("avatar-file")).send_keys(str(pic))
    ann.wait(lambda: ann.shown("avatar-ok") and ann.shown("avatar-remove"), "the photo saved")
    ann.fill("profile-title", "Designs the UI")
    ann.fill("profile-tz", "Asia/Tokyo")
    ann.press("profile-save")
    ann.wait(lambda: ann.shown("profile-ok"), "the profile saved")
    ann.close_dialog("profile-save")
    want_src = "/avatars/" + hashlib.sha256(PNG).hexdigest()
    ann.wait(lambda: ann.js("const i = document.querySelector('#me-avatar .avatar-img');"
                            "return i ? i.getAttribute('src') : '';") == want_src, "ann's own photo")

    # --- ben sees it without a reload: the photo on ann's message, then her card
    ben.wait(lambda: message_avatar_src(ben, hello) == want_src, "ann's photo on her message (live)")
    click_author(ben, "ann", hello)
    ben.wait(lambda: (card(ben) or {}).get("title") == "Designs the UI", "ann's card with her title")
    c = card(ben)
    assert c["user"] == "ann" and c["name"] == "@ann" and c["img"] == want_src, c
    assert c["state"] == "Online", c
    assert c["time"] in tokyo_times(), c
    assert c["message"].startswith("Message"), c
    close_card(ben)

    # --- the directory finds dave, who is offline, and his card says so
    ben.press("people-open")
    ben.fill("directory-search", "dav")
    ben.wait(lambda: ben.js("return Array.from(document.querySelectorAll(arguments[0]),"
                            " e => e.dataset.name);", tid("directory-person")) == ["dave"],
             "dave alone in the directory's results")
    ben.js("document.querySelector(arguments[0] + '[data-name=\"dave\"]').click();", tid("directory-person"))
    ben.wait(lambda: (card(ben) or {}).get("user") == "dave", "dave's card")
    c = card(ben)
    assert (c["title"], c["state"], c["time"]) == ("Keeps the books", "Offline", ""), c
    close_card(ben)
    ben.fill("directory-search", "books")  # a title is searched too
    ben.wait(lambda: ben.js("return Array.from(document.querySelectorAll(arguments[0]),"
                            " e => e.dataset.name);", tid("directory-person")) == ["dave"],
             "dave found by his title")
    ben.close_dialog("directory-search")

    # --- a group DM of three from the "+": ann and cat
    ben.press("dm-new-open")
    for who in ("ann", "cat"):
        ben.fill("dm-new-search", who)
        ben.wait(lambda: ben.js("return !!document.querySelector(arguments[0] + '[data-name=\"' + arguments[1] + '\"]');",
                                tid("dm-new-person"), who), f"{who} in the picker")
        ben.js("document.querySelector(arguments[0] + '[data-name=\"' + arguments[1] + '\"]').click();",
               tid("dm-new-person"), who)
    assert ben.js("return Array.from(document.querySelectorAll(arguments[0]), e => e.dataset.name);",
                  tid("dm-new-chip")) == ["ann", "cat"]
    ben.press("dm-new-submit")
    ben.wait(lambda: ben.header("channel-header-name") in ("ann, cat", "cat, ann"), "the group DM shown")
    text = f"the three of us {tag}"
    ben.say(text)
    ben.wait_message("ben", text)
    for u, others in ((ann, ("ben", "cat")), (cat, ("ann", "ben"))):
        def group(u=u, others=others):
            return u.js("const it = Array.from(document.querySelectorAll(arguments[0] + ' ' + arguments[1]))"
                        ".find(e => { const t = e.querySelector('.channel-name').textContent;"
                        " return t.includes(arguments[2]) && t.includes(arguments[3]); });"
                        "return it ? it.dataset.channel : null;",
                        tid("dm-list"), tid("channel-item"), *others)
        u.wait(group, f"the group DM in {u.name}'s sidebar")
        u.open_channel(group(), header=", ".join(sorted(others)))
        u.wait_message("ben", text)

    # --- the online list opens the card too; its Message opens the 1:1 DM
    def online_row(u, name):
        return u.js("return Array.from(document.querySelectorAll(arguments[0]))"
                    ".find(e => e.textContent.trim() === arguments[1]).closest('button');",
                    tid("online-user"), name)
    online_row(cat, "ann").click()
    cat.wait(lambda: (card(cat) or {}).get("user") == "ann", "ann's card from the online list")
    cat.press("card-message")
    cat.wait(lambda: cat.header("channel-header-name") == "ann", "the 1:1 DM with ann")
