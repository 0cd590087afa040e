"""Incoming webhooks in the real web client (docs/api.md, "Incoming webhooks"), driven
through headless Chromium: an admin opens the channel settings' Integrations, makes a
webhook, copies its URL (shown once), a tool posts to it with curl, and everyone sees the
message under the app's name with an APP badge and its emoji as the avatar; deleting the
webhook kills its URL.

Hooks (data-testid), besides test_browser_channel_admin.py's:
  menu      channel-hooks (Integrations, for those who may manage the channel's webhooks)
  dialog    hooks-dialog; hooks-name, hooks-create, hooks-error; hooks-url (the new URL,
            shown once) and hooks-copy; hooks-list of hook-row, each with hook-delete
  messages  badge-app beside an app's name, app-avatar in place of a person's avatar
"""
import json
import uuid

import pytest

pytest.importorskip("selenium")

from test_browser import pytestmark, tid  # noqa: E402,F401
from test_browser_channel_admin import menu_items, sign_in_admin  # noqa: E402
from test_browser_channels import dumping, log_in, server, users  # noqa: E402,F401
from test_webhooks import curl  # noqa: E402


def hook_rows(u):
    return u.js("return Array.from(document.querySelectorAll(arguments[0]),"
                " r => r.querySelector('.row-title').firstChild.textContent);", tid("hook-row"))


def app_message(u, needle):
    """(name, badge, avatar text) of the message holding needle, or None."""
    return u.js("const m = Array.from(document.querySelectorAll(arguments[0]))"
                ".find(e => e.textContent.includes(arguments[1]));"
                "if (!m) return null;"
                "const b = m.querySelector(arguments[2]), a = m.querySelector(arguments[3]);"
                "return [m.querySelector('.msg-author').textContent, b ? b.textContent : '',"
                " a ? a.textContent : ''];",
                tid("message"), needle, tid("badge-app"), tid("app-avatar"))


def test_admin_makes_a_webhook_and_its_message_shows_as_an_app(server, users, tmp_path):
    ada, nick = users("ada", "nick")
    dumping(server, tmp_path, (ada, nick), lambda: run(server, ada, nick))


def run(server, ada, nick):
    tag = uuid.uuid4().hex[:6]
    sign_in_admin(server, ada)
    log_in(server, ada, nick)
    # a member has no Integrations in #general
    assert not nick.shown("channel-menu-open")

    ada.click("channel-menu-open")
    ada.wait(lambda: menu_items(ada) == ["channel-hooks"], "Integrations in #general's menu")
    ada.click("channel-hooks")
    ada.wait(lambda: ada.dialog_open("hooks-name"), "the Integrations dialog")
    ada.wait(lambda: "No webhooks" in (ada.header("hooks-dialog") or ""), "the empty list")
    # a name is needed
    ada.click("hooks-create")
    ada.wait(lambda: ada.dialog_error("hooks-name"), "the missing name's error")
    ada.type_into("hooks-name", f"Deploys {tag}")
    ada.click("hooks-create")
    ada.wait(lambda: ada.shown("hooks-url"), "the new webhook's URL")
    url = ada.js("return document.querySelector(arguments[0]).textContent;", tid("hooks-url"))
    assert url.startswith(server.http + "/hooks/") and len(url.rsplit("/", 1)[1]) == 64, url
    assert ada.shown("hooks-copy")
    ada.wait(lambda: hook_rows(ada) == [f"Deploys {tag}"], "the webhook in the list")

    # A tool posts; both see it as the app's, with the badge and the emoji avatar.
    text = f"build {tag} is green"
    assert curl(url, json.dumps({"text": text, "icon_emoji": ":rocket:"})) == (200, "ok")
    for u in (ada, nick):
        u.wait(lambda u=u: app_message(u, text) is not None, f"{u.name} to see the app's message")
        u.wait(lambda u=u: app_message(u, text)[2] == "🚀", f"{u.name}: the rocket avatar")
        name, badge, _ = app_message(u, text)
        assert name == f"Deploys {tag}" and badge == "APP", app_message(u, text)
    # An app's name opens no profile card: nobody holds it.
    assert nick.js("const m = Array.from(document.querySelectorAll(arguments[0]))"
                   ".find(e => e.textContent.includes(arguments[1]));"
                   "return !m.querySelector('[data-card]');", tid("message"), text)

    # Closed and opened again: the URL is not shown again; deleting kills it.
    ada.js("document.getElementById('hooks-dialog').close();")
    ada.click("channel-menu-open")
    ada.click("channel-hooks")
    ada.wait(lambda: hook_rows(ada) == [f"Deploys {tag}"], "the list again")
    assert not ada.shown("hooks-url"), "the URL shown a second time"
    ada.click("hook-delete")
    ada.wait(lambda: hook_rows(ada) == [], "the webhook gone from the list")
    assert curl(url, json.dumps({"text": "after"})) == (404, "no_service")
