"""Accounts in the real web client (docs/protocol.md, "Accounts"), driven through headless Chromium.

Hooks (data-testid), besides test_browser.py's and test_browser_channels.py's:
  first page  signup-name, signup-display, signup-password, signup-submit, signup-invite
              (the token of an /#invite= link), signin-name, signin-password,
              signin-submit, reset-password, reset-submit, auth-error (under the form that
              was sent), auth-notice (why one is back: signed out elsewhere, banned,
              deactivated), login-name and login-submit (the guest entry, always there
              when guests are allowed)
  profile     profile-open, profile-display, profile-save, password-current,
              password-new, password-submit, password-ok / password-error, sessions-list
              holding session rows (data-current="true" on this browser's) with
              session-revoke, logout, logout-all
  admin       admin-open (owners and admins), admin-users holding admin-user rows
              (data-name, data-state) with user-role, user-ban / user-unban,
              user-deactivate / user-activate, user-reset (then reset-link);
              invite-role, invite-max-uses, invite-expiry, invite-create, invite-link,
              admin-invites holding invite-row (data-state) with invite-revoke
  names       badge-guest and badge-role (data-role) next to names
  members     channel-members-open (the header's member count), members-list holding
              member rows (data-name) with member-kick
The servers here hash passwords fast (PARLEY_TEST_FAST_HASH=1).
"""
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

pytest.importorskip("selenium")
from selenium.common.exceptions import StaleElementReferenceException  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402

from test_browser import FAST_HASH, PASSWORD, pytestmark, tid  # noqa: E402,F401
from test_browser_channels import ChannelUser, dumping  # noqa: E402

OPEN = ("--registration", "open")


class AccountUser(ChannelUser):
    """A ChannelUser that also drives the account pages."""

    def row(self, testid, name):
        """The displayed row [data-testid=testid][data-name=name], or None. Lists are drawn
        again after each change: a row found a moment ago may be gone."""
        try:
            found = self.d.find_elements(By.CSS_SELECTOR, f'{tid(testid)}[data-name="{name}"]')
            return found[0] if found and found[0].is_displayed() else None
        except StaleElementReferenceException:
            return None

    def row_state(self, testid, name):
        """data-state of that row, or None."""
        return self.js("const r = document.querySelector(arguments[0]);"
                       "return r ? r.dataset.state || null : null;",
                       f'{tid(testid)}[data-name="{name}"]')

    def row_click(self, testid, name, button):
        """Clicks a button of that row once it is there and enabled."""
        def ready():
            try:
                row = self.row(testid, name)
                btn = row and row.find_element(By.CSS_SELECTOR, tid(button))
                return btn if btn and btn.is_displayed() and btn.is_enabled() else None
            except StaleElementReferenceException:
                return None
        for _ in range(5):
            btn = self.wait(ready, f"{button} on the {testid} row of {name}")
            try:
                btn.click()
                return
            except StaleElementReferenceException:
                time.sleep(0.1)
        raise AssertionError(f"{self.label}: {button} of {name} kept going stale")

    def notice(self):
        found = [t.strip() for t in self.texts("auth-notice") if t.strip()]
        return found[0] if found and self.shown("auth-notice") else ""

    def link(self, testid):
        """The text of a link the page hands over (invite-link, reset-link)."""
        self.wait(lambda: any(t.startswith("http") for t in self.texts(testid)), f"{testid} to show a link")
        return next(t for t in self.texts(testid) if t.startswith("http")).strip()

    def close_dialog(self, testid):
        self.js("const d = document.querySelector(arguments[0]).closest('dialog'); if (d.open) d.close();",
                tid(testid))

    def sessions(self):
        """[(session id, current)] in the profile's list."""
        return [tuple(x) for x in self.js(
            "return Array.from(document.querySelectorAll(arguments[0]),"
            " r => [r.dataset.sessionId, r.dataset.current === 'true']);", tid("session"))]

    def message_badges(self, text, testid):
        """The texts of the testid badges inside the message row holding text."""
        return self.js("const r = Array.from(document.querySelectorAll(arguments[0]))"
                       ".find(e => e.textContent.includes(arguments[1]));"
                       "return r ? Array.from(r.querySelectorAll(arguments[2]), b => b.textContent) : null;",
                       tid("message"), text, tid(testid))

    def online_badges(self, name, testid):
        return self.js("const u = Array.from(document.querySelectorAll(arguments[0]))"
                       ".find(e => e.textContent.trim() === arguments[1]);"
                       "const row = u && u.closest('.person');"
                       "return row ? Array.from(row.querySelectorAll(arguments[2]), b => b.textContent) : null;",
                       tid("online-user"), name, tid(testid))


@pytest.fixture
def accounts(make_server):
    """accounts(*flags) -> a started server that hashes passwords fast."""
    def make(*flags):
        return make_server(*flags, env=FAST_HASH)
    return make


@pytest.fixture
def browsers(tmp_path):
    """browsers(*names) -> AccountUsers, started in parallel, closed at the end. A name may
    be (name, label): two browsers of one person."""
    made = []

    def make(*specs):
        specs = [s if isinstance(s, tuple) else (s, s) for s in specs]
        with ThreadPoolExecutor(len(specs)) as pool:
            futures = [pool.submit(AccountUser, n, tmp_path, label) for n, label in specs]
        made.extend(f.result() for f in futures if not f.exception())
        for f in futures:
            if f.exception():
                raise f.exception()
        return [f.result() for f in futures]

    yield make
    for u in made:
        u.quit()


# ------------------------------------------------------------------ invite links


def test_owner_invites_and_a_newcomer_signs_up_through_the_link(accounts, browsers, tmp_path):
    server = accounts("--registration", "invite")  # once the owner exists
    olga, ann, nick = browsers("olga", "ann", "nick")
    dumping(server, tmp_path, (olga, ann, nick), lambda: run_invite(server, olga, ann, nick))


def run_invite(server, olga, ann, nick):
    tag = uuid.uuid4().hex[:6]

    # --- an empty server offers the owner account, and the guest entry, nothing else
    olga.open(server.http)
    olga.wait(lambda: olga.shown("signup-name"), "the owner form")
    form = olga.js("return document.querySelector(arguments[0]).closest('form').textContent;",
                   tid("signup-submit"))
    assert "owner" in form.lower(), form
    assert not olga.shown("signin-name"), "a sign-in form on a server without accounts"
    assert olga.shown("login-name") and olga.shown("login-submit"), "no guest entry"
    olga.signup(display="Olga Owner")
    olga.wait(lambda: olga.shown("admin-open"), "the owner's admin button")

    # --- the owner makes an invite link
    olga.press("admin-open")
    olga.press("invite-create")
    link = olga.link("invite-link")
    assert "/#invite=" in link, link
    token = link.split("#invite=", 1)[1]
    olga.close_dialog("invite-create")

    # --- without a link: sign in and the guest entry, no sign-up
    nick.open(server.http)
    nick.wait(lambda: nick.shown("signin-name"), "the sign-in form")
    assert not nick.shown("signup-name") and nick.shown("login-name")

    # --- ann follows the link: the sign-up form, the invite filled in
    ann.d.get(link)
    ann.wait(lambda: ann.shown("signup-name"), "the sign-up form of the invite")
    assert ann.d.find_element(By.CSS_SELECTOR, tid("signup-invite")).get_attribute("value") == token
    ann.signup(display="Ann Example")
    assert "#invite=" not in ann.d.current_url, "the used link stays in the address bar"
    olga.wait(lambda: "ann" in olga.online(), "ann online for olga")

    # --- they chat; names show display names, the owner her badge
    hello = f"hello from the newcomer {tag}"
    ann.say(hello)
    olga.wait_message("ann", hello)
    olga.wait_message("Ann Example", hello)
    reply = f"welcome aboard {tag}"
    olga.say(reply)
    ann.wait_message("olga", reply)
    ann.wait(lambda: ann.message_badges(reply, "badge-role") == ["owner"], "the owner badge on olga's message")
    assert ann.message_badges(hello, "badge-role") == [] and ann.message_badges(hello, "badge-guest") == []
    assert not ann.shown("admin-open"), "a member sees the admin page"

    # --- the invite is used up: the same link no longer signs anyone up
    olga.press("admin-open")
    olga.wait(lambda: olga.js("return Array.from(document.querySelectorAll(arguments[0]),"
                              " r => r.dataset.state);", tid("invite-row")) == ["used"],
              "the invite listed as used up")
    olga.close_dialog("invite-create")
    nick.d.get(link)  # same page, another hash: the first page follows it
    nick.wait(lambda: nick.shown("signup-name"), "the sign-up form of the link")
    nick.fill("signup-name", "nick")
    nick.fill("signup-password", PASSWORD)
    nick.press("signup-submit")
    nick.wait(lambda: "invite" in nick.auth_error().lower(), "the used invite refused")
    assert nick.first_page()
    for u in (olga, ann):
        assert u.toasts("error") == [], f"{u.name}: error toasts {u.toasts('error')}"


# ------------------------------------------------------------------ sessions


def test_one_person_in_two_browsers_then_signs_out_everywhere(accounts, browsers, tmp_path):
    server = accounts(*OPEN)
    laptop, phone = browsers(("sam", "sam-laptop"), ("sam", "sam-phone"))
    dumping(server, tmp_path, (laptop, phone), lambda: run_two_browsers(server, laptop, phone))


def run_two_browsers(server, laptop, phone):
    tag = uuid.uuid4().hex[:6]
    laptop.open(server.http)
    laptop.signup()
    phone.open(server.http)
    phone.wait(lambda: phone.shown("signin-name"), "the sign-in form")

    # --- a wrong password, then the right one
    phone.fill("signin-name", "sam")
    phone.fill("signin-password", "not the password")
    phone.press("signin-submit")
    phone.wait(lambda: phone.auth_error() == "Wrong name or password.", "the bad_credentials text")
    phone.signin(PASSWORD)

    # --- both chat as sam
    one = f"from the laptop {tag}"
    laptop.say(one)
    phone.wait_message("sam", one)
    two = f"from the phone {tag}"
    phone.say(two)
    laptop.wait_message("sam", two)
    assert laptop.online() == {"sam"} and phone.online() == {"sam"}

    # --- a reload stays signed in (the cookie)
    phone.d.refresh()
    phone.wait_connected()
    phone.wait_message("sam", two)
    assert not phone.first_page()

    # --- the profile lists both sessions, this one marked
    laptop.press("profile-open")
    laptop.wait(lambda: len(laptop.sessions()) == 2, "two sessions in the profile")
    assert [cur for _, cur in laptop.sessions()].count(True) == 1, laptop.sessions()

    # --- sign out everywhere: both browsers are back on the first page
    laptop.press("logout-all")
    laptop.wait(laptop.first_page, "the laptop's first page")
    phone.wait(phone.first_page, "the phone's first page")
    phone.wait(lambda: "signed out" in phone.notice().lower(), "the phone's notice")
    assert not phone.connected()
    phone.d.refresh()  # and it stays signed out
    phone.wait(lambda: phone.shown("signin-name"), "the sign-in form after a reload")
    assert phone.first_page()

    # --- back in on both; signing out on one leaves the other
    phone.signin()
    laptop.signin()
    laptop.press("profile-open")
    laptop.wait(lambda: len(laptop.sessions()) == 2, "two sessions again")
    laptop.press("logout")
    laptop.wait(laptop.first_page, "the laptop's first page")
    assert laptop.notice() == ""
    time.sleep(1.5)  # revocations close sockets within a second: none should close here
    assert phone.connected() and not phone.first_page()
    after = f"still here {tag}"
    phone.say(after)
    phone.wait_message("sam", after)


# ------------------------------------------------------------------ moderation


def test_admin_bans_someone_who_is_chatting(accounts, browsers, tmp_path):
    server = accounts(*OPEN)
    ada, mia = browsers("ada", "mia")
    dumping(server, tmp_path, (ada, mia), lambda: run_ban(server, ada, mia))


def run_ban(server, ada, mia):
    tag = uuid.uuid4().hex[:6]
    ada.open(server.http)
    ada.signup()  # the owner
    mia.open(server.http)
    mia.signup()
    chatter = f"just chatting {tag}"
    mia.say(chatter)
    ada.wait_message("mia", chatter)

    # --- the ban closes her page: the first page, saying why
    ada.press("admin-open")
    ada.row_click("admin-user", "mia", "user-ban")
    mia.wait(mia.first_page, "mia's first page")
    mia.wait(lambda: "banned" in mia.notice().lower(), "the banned notice")
    assert not mia.connected()
    ada.wait(lambda: "mia" not in ada.online(), "mia gone from the online list")
    ada.wait(lambda: ada.row_state("admin-user", "mia") == "banned", "mia listed as banned")

    # --- she cannot sign in while banned
    mia.fill("signin-name", "mia")
    mia.fill("signin-password", PASSWORD)
    mia.press("signin-submit")
    mia.wait(lambda: "banned" in mia.auth_error().lower(), "the banned sign-in error")

    # --- unbanned, she comes back; deactivated, she goes again
    ada.row_click("admin-user", "mia", "user-unban")
    ada.wait(lambda: ada.row_state("admin-user", "mia") == "active", "mia active")
    mia.signin()
    ada.row_click("admin-user", "mia", "user-deactivate")
    mia.wait(mia.first_page, "mia's first page again")
    mia.wait(lambda: "deactivated" in mia.notice().lower(), "the deactivated notice")


# ------------------------------------------------------------------ guests


def test_guest_entry_still_works(accounts, browsers, tmp_path):
    server = accounts(*OPEN)
    ada, gus = browsers("ada", "gus")
    dumping(server, tmp_path, (ada, gus), lambda: run_guest(server, ada, gus))


def run_guest(server, ada, gus):
    tag = uuid.uuid4().hex[:6]
    ada.open(server.http)
    ada.signup()
    gus.open(server.http)
    gus.login()  # login-name and login-submit, as before accounts
    hi = f"hi from a guest {tag}"
    gus.say(hi)
    ada.wait_message("gus", hi)

    # --- guests are marked where their names show
    ada.wait(lambda: ada.message_badges(hi, "badge-guest") == ["guest"], "the guest badge on gus's message")
    ada.wait(lambda: ada.online_badges("gus", "badge-guest") == ["guest"], "the guest badge in the online list")
    assert ada.online_badges("ada", "badge-guest") == []

    # --- no member controls for guests
    for testid in ("channel-create-open", "admin-open", "channel-invite-open"):
        assert not gus.shown(testid), f"a guest sees {testid}"
    assert gus.js("return Array.from(document.querySelectorAll(arguments[0]))"
                  ".every(e => !e.closest('button'));", tid("online-user")), "a guest may open DMs"

    # --- a reload: straight back in as gus, with this device's token (no name asked)
    gus.d.refresh()
    gus.login()
    gus.wait_message("gus", hi)

    # --- a registered name is nobody's guest name
    gus.press("signout")
    gus.wait(gus.first_page, "the first page after leaving")
    gus.fill("login-name", "ada")
    gus.press("login-submit")
    gus.wait(lambda: "taken" in gus.auth_error().lower(), "name_taken for a registered name")
    assert gus.first_page()


# ------------------------------------------------------------------ the profile


def test_profile_password_and_reset_link(accounts, browsers, tmp_path):
    server = accounts(*OPEN)
    otto, pia = browsers("otto", "pia")
    dumping(server, tmp_path, (otto, pia), lambda: run_profile(server, otto, pia))


def run_profile(server, otto, pia):
    tag = uuid.uuid4().hex[:6]
    otto.open(server.http)
    otto.signup()
    pia.open(server.http)
    pia.signup()

    # --- a display name
    pia.press("profile-open")
    pia.fill("profile-display", "Pia Pilot")
    pia.press("profile-save")
    pia.wait(lambda: pia.js("return document.getElementById('me-name').textContent;") == "Pia Pilot",
             "the new display name in the sidebar")
    text = f"signed by pia {tag}"
    pia.close_dialog("profile-save")
    pia.say(text)
    otto.d.refresh()  # the directory is read again
    otto.wait_connected()
    otto.wait_message("Pia Pilot", text)

    # --- the password: a wrong current one, then a change
    pia.press("profile-open")
    pia.fill("password-current", "not my password")
    pia.fill("password-new", "a brand new secret")
    pia.press("password-submit")
    pia.wait(lambda: pia.shown("password-error"), "the wrong current password")
    pia.fill("password-current", PASSWORD)
    pia.fill("password-new", "a brand new secret")
    pia.press("password-submit")
    pia.wait(lambda: pia.shown("password-ok"), "the password changed")
    pia.press("logout")
    pia.wait(pia.first_page, "the first page")
    pia.signin("a brand new secret")

    # --- a reset link from the owner sets another one
    otto.press("admin-open")
    otto.row_click("admin-user", "pia", "user-reset")
    link = otto.link("reset-link")
    assert "/#reset=" in link, link
    pia.d.get(link)  # in the chat: the page starts over on the reset form
    pia.wait(lambda: pia.shown("reset-password"), "the reset form")
    pia.fill("reset-password", "reset to this one")
    pia.press("reset-submit")
    pia.signed_in()
    assert "#reset=" not in pia.d.current_url
    pia.password = "reset to this one"
    pia.press("profile-open")
    pia.press("logout")
    pia.wait(pia.first_page, "the first page")
    pia.signin()


# ------------------------------------------------------------------ channel members


def test_channel_creator_removes_a_member(accounts, browsers, tmp_path):
    server = accounts(*OPEN)
    kim, lee = browsers("kim", "lee")
    dumping(server, tmp_path, (kim, lee), lambda: run_kick(server, kim, lee))


def run_kick(server, kim, lee):
    tag = uuid.uuid4().hex[:6]
    chan = f"crew-{tag}"
    kim.open(server.http)
    kim.signup()
    lee.open(server.http)
    lee.signup()
    lee.wait(lambda: "kim" in lee.online(), "kim online")
    lee.create_channel(chan, private=True)  # lee, a member, creates and manages it
    lee.invite("kim")
    kim.wait(lambda: chan in kim.channels(), f"#{chan} in kim's sidebar")
    lee.wait(lambda: lee.members() == 2, "2 members")

    lee.press("channel-members-open")
    lee.row_click("member", "kim", "member-kick")
    kim.wait(lambda: chan not in kim.channels(), f"#{chan} gone from kim's sidebar")
    lee.wait(lambda: lee.row("member", "kim") is None, "kim's row gone")
    lee.close_dialog("members-list")
    lee.wait(lambda: lee.members() == 1, "1 member")
    assert lee.toasts("error") == [], lee.toasts("error")


# ------------------------------------------------------------------ bots


def test_a_bots_messages_carry_the_bot_badge(accounts, browsers, tmp_path):
    server = accounts(*OPEN)
    (ada,) = browsers("ada")
    dumping(server, tmp_path, (ada,), lambda: run_bot_badge(server, ada))


def run_bot_badge(server, ada):
    from accounts import api, register
    tag = uuid.uuid4().hex[:6]
    register(server, "ada", PASSWORD)  # the first account: the owner
    ada.open(server.http)
    ada.signin()
    # --- the owner makes a bot on the admin page: its token shown once
    ada.press("admin-open")
    ada.fill("bot-name", "ci-bot")
    ada.press("bot-create")
    ada.wait(lambda: len("".join(ada.texts("bot-token")).strip()) == 64, "the new bot's token")
    bot = "".join(ada.texts("bot-token")).strip()
    ada.wait(lambda: ada.row("bot-row", "ci-bot") is not None, "the bot listed")
    ada.close_dialog("bot-create")
    # --- its messages carry the BOT badge, a person's do not
    human = f"a person writes {tag}"
    ada.say(human)
    text = f"build {tag} passed"
    r = api(server, "POST", "/api/channels/general/messages", {"text": text}, token=bot)
    assert r.status == 201, r
    ada.wait_message("ci-bot", text)
    ada.wait(lambda: ada.message_badges(text, "badge-bot") == ["BOT"], "the BOT badge on the bot's message")
    assert ada.message_badges(human, "badge-bot") == []
    # --- revoked from the page: the token no longer posts
    ada.press("admin-open")
    ada.row_click("bot-row", "ci-bot", "bot-revoke")
    ada.wait(lambda: api(server, "GET", "/api/me", token=bot).status == 401, "the token revoked")
