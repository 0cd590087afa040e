"""Archiving and deleting channels in the real web client (docs/protocol.md, "Archiving and
deleting channels"), driven through headless Chromium.

Hooks (data-testid), besides test_browser_channels.py's:
  header    channel-menu-open (the channel's settings menu: only for those who may archive
            or delete it), its items channel-archive, channel-unarchive, channel-delete;
            channel-header-archived (a tag beside the name of an archived channel)
  dialogs   channel-archive-confirm (and channel-archive-error); channel-delete-name (type
            the channel's name), channel-delete-confirm (enabled once it matches),
            channel-delete-error
  composer  channel-archived-bar in its place while the channel is archived, with
            channel-archived-unarchive for those who may
  sidebar   channel-archived-toggle folds the Archived group, channel-archived-list holds
            its channel-items (collapsed: only the channel shown)
  browse    channel-browse-archived, a tag in an archived channel's row
An admin (made through the REST API by the server's owner) signs in through the first
page; the other people sign up, as members.
"""
import uuid

import pytest

pytest.importorskip("selenium")
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402

from accounts import account_token, admin, me  # noqa: E402
from test_browser import PASSWORD, pytestmark, tid  # noqa: E402,F401
from test_browser_channels import dumping, log_in, server, users  # noqa: E402,F401


def menu_items(u):
    """The hooks of the settings menu's displayed items, in order."""
    return u.js("return Array.from(document.querySelectorAll('#channel-menu [role=menuitem]'))"
                ".filter(b => !b.hidden).map(b => b.dataset.testid);")


def in_archived_group(u, channel):
    return u.js("const it = document.querySelector(arguments[0] + '[data-channel=\"' + arguments[1] + '\"]');"
                "return !!(it && it.closest(arguments[2]));",
                tid("channel-item"), channel, tid("channel-archived-list"))


def item_shown(u, channel):
    return u.js("const it = document.querySelector(arguments[0] + '[data-channel=\"' + arguments[1] + '\"]');"
                "return !!(it && it.offsetParent !== null);", tid("channel-item"), channel)


def read_only(u):
    """The archived bar stands in for the composer."""
    return u.shown("channel-archived-bar") and not u.shown("composer")


def writable(u):
    return u.shown("composer") and not u.shown("channel-archived-bar")


def open_menu_item(u, item):
    u.click("channel-menu-open")
    u.wait(lambda: u.shown(item), f"{item} in the settings menu")
    u.click(item)


def sign_in_admin(server, u):
    """u becomes an admin account (the server's owner is made for it), then signs in."""
    account_token(server, u.name, password=PASSWORD, role="admin")
    u.password = PASSWORD


def test_admin_archives_unarchives_and_deletes_a_channel_live(server, users, tmp_path):
    ada, mia, nick = users("ada", "mia", "nick")
    dumping(server, tmp_path, (ada, mia, nick), lambda: run_lifecycle(server, ada, mia, nick))


def run_lifecycle(server, ada, mia, nick):
    tag = uuid.uuid4().hex[:6]
    chan = f"plans-{tag}"
    sign_in_admin(server, ada)
    log_in(server, ada, mia, nick)

    # --- #general is never archived nor deleted: its menu holds Integrations alone
    assert ada.header("channel-header-name") == "general"
    ada.click("channel-menu-open")
    ada.wait(lambda: ada.shown("channel-menu"), "the settings menu of #general")
    assert menu_items(ada) == ["channel-hooks"], menu_items(ada)
    ada.d.switch_to.active_element.send_keys(Keys.ESCAPE)
    ada.wait(lambda: not ada.shown("channel-menu"), "Escape to close the menu")
    assert not mia.shown("channel-menu-open"), "a settings menu in #general for a member"

    # --- mia makes a public channel and adds the others; nick keeps it open
    mia.create_channel(chan)
    mia.invite("nick")
    mia.invite("ada")
    for u in (ada, nick):
        u.wait(lambda u=u: chan in u.channels(), f"#{chan} in {u.name}'s sidebar")
        u.open_channel(chan)
    before = f"before the archive {tag}"
    nick.say(before)
    for u in (ada, mia):
        u.wait_message("nick", before)

    # --- members see no such actions: neither nick nor mia, who made the channel
    for u in (mia, nick):
        assert not u.shown("channel-menu-open"), f"{u.name} sees the settings menu"

    # --- the admin's menu: archive and delete, no unarchive
    ada.click("channel-menu-open")
    ada.wait(lambda: ada.shown("channel-menu"), "the settings menu to open")
    assert menu_items(ada) == ["channel-hooks", "channel-archive", "channel-delete"], menu_items(ada)
    ada.click("channel-archive")
    ada.wait(lambda: ada.dialog_open("channel-archive-confirm"), "the archive dialog")
    assert chan in ada.js("return document.getElementById('archive-title').textContent;")
    ada.click("channel-archive-confirm")
    ada.wait(lambda: not ada.dialog_open("channel-archive-confirm"),
             f"the archive dialog to close (its error: {ada.dialog_error('channel-archive-confirm')!r})")

    # --- read-only for everyone, live: the bar replaces the composer
    for u in (ada, nick):
        u.wait(lambda u=u: read_only(u), f"{u.name}'s composer replaced by the archived bar")
        assert u.shown("channel-header-archived")
    assert ada.shown("channel-archived-unarchive"), "no Unarchive on the admin's bar"
    assert not nick.shown("channel-archived-unarchive"), "an Unarchive button for a member"
    assert not nick.shown("channel-menu-open")
    # nothing to act on in its messages either: no action bars, no reaction button
    assert nick.js("return document.querySelectorAll('.messages .msg-actions').length;") == 0
    # the admin's menu now offers to unarchive
    ada.click("channel-menu-open")
    ada.wait(lambda: menu_items(ada) == ["channel-hooks", "channel-unarchive", "channel-delete"],
             "Unarchive in the menu")
    ada.d.switch_to.active_element.send_keys(Keys.ESCAPE)
    ada.wait(lambda: not ada.shown("channel-menu"), "Escape to close the menu")

    # --- the sidebar: an Archived group, collapsed; it still lists the channel shown
    mia.wait(lambda: in_archived_group(mia, chan), f"#{chan} in mia's Archived group")
    assert in_archived_group(nick, chan) and item_shown(nick, chan)
    nick.open_channel("general")
    nick.wait(lambda: not item_shown(nick, chan), "the collapsed group to hide the archived channel")
    assert nick.js("return document.getElementById('archived-count').textContent;") == "1"
    nick.click("channel-archived-toggle")
    nick.wait(lambda: item_shown(nick, chan), "the expanded group to list it")
    assert writable(nick), "#general's composer gone"

    # --- the channel browser tags it
    nick.click("channel-browse-open")
    row = nick.find("channel-browse-item", chan)
    nick.wait(lambda: row.find_elements(By.CSS_SELECTOR, tid("channel-browse-archived")),
              "the archived tag in the browser")
    nick.d.switch_to.active_element.send_keys(Keys.ESCAPE)
    nick.wait(lambda: not nick.dialog_open("channel-browse-item"), "Escape to close the browser")
    nick.open_channel(chan)
    assert read_only(nick)

    # --- unarchive from the bar: the composer comes back, live, and nick posts again
    ada.click("channel-archived-unarchive")
    for u in (ada, nick):
        u.wait(lambda u=u: writable(u), f"{u.name}'s composer back after the unarchive")
        assert not u.shown("channel-header-archived")
    nick.wait(lambda: not in_archived_group(nick, chan), f"#{chan} back among the channels")
    after = f"after the unarchive {tag}"
    nick.say(after)
    ada.wait_message("nick", after)

    # --- delete: the dialog names the channel and asks for its name
    mia.open_channel("general")
    open_menu_item(ada, "channel-delete")
    ada.wait(lambda: ada.dialog_open("channel-delete-confirm"), "the delete dialog")
    text = ada.js("return document.getElementById('chdel-dialog').textContent;")
    assert f"#{chan}" in text and "everyone" in text, text
    confirm = ada.find("channel-delete-confirm")
    assert not confirm.is_enabled(), "delete enabled before the name is typed"
    ada.type_into("channel-delete-name", "plans")
    assert not confirm.is_enabled(), "delete enabled for a wrong name"
    ada.type_into("channel-delete-name", chan)
    ada.wait(confirm.is_enabled, "delete to be enabled once the name matches")
    confirm.click()
    ada.wait(lambda: not ada.dialog_open("channel-delete-confirm"),
             f"the delete dialog to close (its error: {ada.dialog_error('channel-delete-confirm')!r})")

    # --- gone live from every sidebar; who had it open lands on #general with a notice
    for u in (ada, mia, nick):
        u.wait(lambda u=u: chan not in u.channels(), f"#{chan} to leave {u.name}'s sidebar")
    for u in (ada, nick):
        u.wait(lambda u=u: u.header("channel-header-name") == "general" and u.active() == "general",
               f"{u.name} on #general")
        assert writable(u)
    nick.wait(lambda: any(f"#{chan} was deleted" in t for t in nick.toasts("info")),
              "nick's notice that the channel was deleted")
    ada.wait(lambda: any(f"Deleted #{chan}" in t for t in ada.toasts("info")), "ada's notice")
    assert nick.js("return localStorage.getItem('parley.channel');") == "general"
    assert mia.header("channel-header-name") == "general"
    for u in (ada, mia, nick):
        assert u.toasts("error") == [], f"{u.name}: error toasts {u.toasts('error')}"
        assert u.connected()


def test_channel_menu_by_keyboard_on_a_phone_and_a_refusal(server, users, tmp_path):
    ada, nick = users("ada", "nick")
    dumping(server, tmp_path, (ada, nick), lambda: run_phone(server, ada, nick))


def run_phone(server, ada, nick):
    tag = uuid.uuid4().hex[:6]
    chan = f"ops-{tag}"
    sign_in_admin(server, ada)
    log_in(server, ada, nick)

    # --- a member who made a private channel may archive it, not delete it
    secret = f"secret-{tag}"
    nick.create_channel(secret, private=True)
    nick.click("channel-menu-open")
    nick.wait(lambda: menu_items(nick) == ["channel-hooks", "channel-archive"],
              "Integrations and Archive alone in nick's menu")
    nick.d.switch_to.active_element.send_keys(Keys.ESCAPE)
    nick.wait(lambda: not nick.shown("channel-menu"), "Escape to close the menu")
    nick.open_channel("general")

    ada.create_channel(chan)
    ada.invite("nick")
    nick.wait(lambda: chan in nick.channels(), f"#{chan} in nick's sidebar")
    nick.open_channel(chan)
    ada.d.set_window_size(390, 800)
    nick.d.set_window_size(390, 800)

    # --- the menu by keyboard alone: open with Enter, arrows move, Escape closes
    btn = ada.find("channel-menu-open")
    btn.send_keys(Keys.ENTER)
    ada.wait(lambda: ada.shown("channel-menu"), "Enter to open the menu")
    focused = lambda: ada.js("return document.activeElement.dataset.testid || '';")  # noqa: E731
    assert focused() == "channel-hooks", focused()
    ada.d.switch_to.active_element.send_keys(Keys.ARROW_DOWN)
    assert focused() == "channel-archive", focused()
    ada.d.switch_to.active_element.send_keys(Keys.ARROW_DOWN)
    assert focused() == "channel-delete", focused()
    ada.d.switch_to.active_element.send_keys(Keys.ARROW_DOWN)
    assert focused() == "channel-hooks", "the arrows do not wrap around"
    ada.d.switch_to.active_element.send_keys(Keys.ESCAPE)
    ada.wait(lambda: not ada.shown("channel-menu"), "Escape to close the menu")
    assert focused() == "channel-menu-open", "focus not back on the menu button"

    # the menu fits the phone's screen
    btn.send_keys(Keys.ARROW_DOWN)
    ada.wait(lambda: ada.shown("channel-menu"), "ArrowDown to open the menu")
    box = ada.js("const r = document.getElementById('channel-menu').getBoundingClientRect();"
                 "return [r.left, r.right, window.innerWidth];")
    assert box[0] >= 0 and box[1] <= box[2], f"the menu overflows the screen: {box}"
    ada.d.switch_to.active_element.send_keys(Keys.ARROW_DOWN)  # past Integrations
    ada.d.switch_to.active_element.send_keys(Keys.ENTER)  # Archive channel
    ada.wait(lambda: ada.dialog_open("channel-archive-confirm"), "the archive dialog")
    ada.d.switch_to.active_element.send_keys(Keys.ENTER)  # its focused button: archive
    nick.wait(lambda: read_only(nick), "nick's composer replaced on a phone")
    bar = nick.js("const r = document.getElementById('archived-bar').getBoundingClientRect();"
                  "return [r.left, r.right, window.innerWidth];")
    assert bar[0] >= 0 and bar[1] <= bar[2], f"the archived bar overflows the screen: {bar}"
    ada.wait(lambda: ada.shown("channel-archived-unarchive"), "ada's Unarchive button")

    # --- the server refuses (ada is no admin any more): the error shows where she asked
    owner = server.tokens["\0owner"]
    uid = me(server, server.tokens["ada"]).json()["user"]["id"]
    r = admin(server, owner, uid, "role", {"role": "member"})
    assert r.status == 200, r
    ada.click("channel-archived-unarchive")
    ada.wait(lambda: any("forbidden" in t for t in ada.toasts("error")), "the refusal in a toast")
    assert read_only(ada) and read_only(nick), "still archived after the refusal"
