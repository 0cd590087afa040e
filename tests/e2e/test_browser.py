"""Two headless Chromium users chat through the real web client served at `/`.

The page is driven only through its data-testid hooks: login-name, login-submit (the
guest entry of the first page), composer (Enter sends), message (one per shown message,
textContent has author and text), online-user (one per online user: its text is the
name), connection-status (says "connected" when connected).
Accounts (User.signup, User.signin; docs/protocol.md, "Accounts"): the first page's
signup-name, signup-password, signup-display, signup-submit, signin-name,
signin-password, signin-submit, and auth-error under the form that was sent.
On failure, screenshots, page HTML and the browser console of both users are saved in
the test's tmp dir (printed in the failure report).
The doors in a real browser: the client runs with no Content-Security-Policy report, and a
page of another site cannot open the chat's socket.
"""
import http.server
import os
import re
import shutil
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

pytest.importorskip("selenium")
from selenium import webdriver  # noqa: E402
from selenium.common.exceptions import TimeoutException, WebDriverException  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"

pytestmark = pytest.mark.skipif(
    not (os.path.exists(CHROMIUM) and os.path.exists(CHROMEDRIVER)),
    reason=f"needs {CHROMIUM} and {CHROMEDRIVER} (apt-get install chromium chromium-driver)")

WAIT = 10            # s for anything the page should do promptly
RECONNECT_WAIT = 20  # s for the page to come back after a server restart
CONNECTED = re.compile(r"\bconnected\b", re.I)   # not "disconnected", not "reconnecting"
PASSWORD = "correct horse battery"  # for accounts the tests sign up
# Servers whose tests sign up accounts: anyone may register, and passwords hash fast.
ACCOUNTS = ("--registration", "open")
FAST_HASH = {"PARLEY_TEST_FAST_HASH": "1"}


def tid(name):
    return f'[data-testid="{name}"]'


class User:
    """One browser window logged in (or about to be) as one chat user: a guest, or the
    account `name` once signup() or signin() ran (then `password` is set). `label` names
    the browser (its profile and dumps) when two windows are the same person."""

    def __init__(self, name, tmp, label=None, args=()):
        """args: more Chromium flags (test_browser_tls.py: --ignore-certificate-errors)."""
        self.name = name
        self.label = label or name
        self.password = None
        profile = tmp / f"chrome-{self.label}"
        shutil.rmtree(profile, ignore_errors=True)
        opts = webdriver.ChromeOptions()
        opts.binary_location = CHROMIUM
        for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                    "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync", "--window-size=1280,800",
                    "--disable-dev-shm-usage", f"--user-data-dir={profile}", *args):
            opts.add_argument(arg)
        opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        self.d = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=opts)
        self.d.set_page_load_timeout(WAIT * 2)
        self.d.set_script_timeout(WAIT)

    # --- reading the page

    def texts(self, testid):
        return self.d.execute_script(
            "return Array.from(document.querySelectorAll(arguments[0]), e => e.textContent);",
            tid(testid))

    def status(self):
        found = self.texts("connection-status")
        return found[0].strip() if found else None

    def connected(self):
        s = self.status()
        return bool(s and CONNECTED.search(s))

    def online(self):
        return {t.strip() for t in self.texts("online-user")}

    def messages(self):
        return [" ".join(t.split()) for t in self.texts("message")]

    def shown(self, testid):
        """Whether an element with that hook is displayed."""
        return any(e.is_displayed() for e in self.d.find_elements(By.CSS_SELECTOR, tid(testid)))

    def first_page(self):
        """The first page shows (and the chat does not)."""
        return self.d.execute_script(
            "const l = document.getElementById('login'), a = document.getElementById('app');"
            "return !!l && !l.hidden && !!a && a.hidden;")

    def message_with(self, needle):
        """The message element whose textContent contains needle, or None."""
        return self.d.execute_script(
            "return Array.from(document.querySelectorAll(arguments[0]))"
            ".find(e => e.textContent.includes(arguments[1])) || null;", tid("message"), needle)

    # --- waiting

    def wait(self, cond, what, timeout=WAIT):
        try:
            return WebDriverWait(self.d, timeout, poll_frequency=0.05).until(lambda _d: cond())
        except TimeoutException:
            raise AssertionError(
                f"{self.label}: timed out after {timeout} s waiting for {what}; "
                f"status={self.status()!r} online={sorted(self.online())} "
                f"messages={self.messages()[-8:]}") from None

    def wait_connected(self, timeout=WAIT):
        self.wait(self.connected, 'connection-status to say "connected"', timeout)

    def wait_message(self, author, text, timeout=WAIT):
        def seen():
            return any(author in m and text in m for m in self.messages())
        self.wait(seen, f"a message by {author!r} with {text!r}", timeout)

    # --- acting

    def open(self, base):
        self.d.get(base + "/")
        self.wait(lambda: self.texts("login-name") or self.connected(),
                  "the login form ([data-testid=login-name])")

    def login(self):
        """Logs in through the form (unless the page already rejoined on its own): the
        guest entry, or the sign-in form for a user who has an account."""
        def ready():
            if self.connected():
                return "in"
            if self.password:
                return "signin" if self.shown("signin-name") else None
            boxes = self.d.find_elements(By.CSS_SELECTOR, tid("login-name"))
            return "form" if boxes and boxes[0].is_displayed() else None
        how = self.wait(ready, "the login form or a connection")
        if how == "in":
            return
        if how == "signin":
            self.signin()
            return
        box = self.d.find_element(By.CSS_SELECTOR, tid("login-name"))
        box.clear()
        box.send_keys(self.name)
        buttons = self.d.find_elements(By.CSS_SELECTOR, tid("login-submit"))
        assert buttons, "no [data-testid=login-submit] on the page"
        buttons[0].click()
        self.wait_connected()
        self.wait(lambda: self.name in self.online(), f"{self.name} in their own online list")

    def fill(self, testid, text):
        self.wait(lambda: self.shown(testid), f"[data-testid={testid}] to be shown")
        box = next(e for e in self.d.find_elements(By.CSS_SELECTOR, tid(testid)) if e.is_displayed())
        box.clear()
        box.send_keys(text)

    def press(self, testid):
        self.wait(lambda: self.shown(testid), f"[data-testid={testid}] to be shown")
        btn = next(e for e in self.d.find_elements(By.CSS_SELECTOR, tid(testid)) if e.is_displayed())
        self.wait(btn.is_enabled, f"[data-testid={testid}] to be enabled")
        btn.click()

    def signed_in(self):
        self.wait_connected()
        self.wait(lambda: self.name in self.online(), f"{self.name} in their own online list")

    def signup(self, password=PASSWORD, display=None):
        """Creates the account `name` through the first page's sign-up form (the owner
        form on an empty server) and waits for the chat."""
        self.fill("signup-name", self.name)
        if display is not None:
            self.fill("signup-display", display)
        self.fill("signup-password", password)
        self.press("signup-submit")
        self.password = password
        self.signed_in()

    def signin(self, password=None):
        """Signs in as `name` through the first page's sign-in form."""
        self.password = password or self.password or PASSWORD
        self.fill("signin-name", self.name)
        self.fill("signin-password", self.password)
        self.press("signin-submit")
        self.signed_in()

    def auth_error(self):
        found = [t.strip() for t in self.texts("auth-error") if t.strip()]
        return found[0] if found else ""

    def say(self, text):
        composers = self.d.find_elements(By.CSS_SELECTOR, tid("composer"))
        assert composers, "no [data-testid=composer] on the page"
        box = composers[0]
        self.wait(box.is_enabled, "the composer to be enabled")
        box.send_keys(text)
        box.send_keys(Keys.ENTER)
        # Enter sent it: the box empties
        self.wait(lambda: box.get_attribute("value") == "", "the composer to clear after Enter")

    def dump(self, tmp, tag):
        """Screenshot, HTML and console log for debugging; returns the screenshot path."""
        shot = tmp / f"{tag}-{self.label}.png"
        try:
            self.d.save_screenshot(str(shot))
            (tmp / f"{tag}-{self.label}.html").write_text(self.d.page_source)
            logs = self.d.get_log("browser")
            (tmp / f"{tag}-{self.label}.console.txt").write_text(
                "\n".join(f"{e.get('level')} {e.get('message')}" for e in logs))
        except WebDriverException:
            pass
        return shot

    def quit(self):
        try:
            self.d.quit()
        except WebDriverException:
            pass


@pytest.fixture
def users(server, tmp_path):
    """users(*names) -> new browsers, started in parallel; all are closed (before the
    server stops) at the end."""
    made = []

    def make(*names):
        with ThreadPoolExecutor(len(names)) as pool:
            futures = [pool.submit(User, name, tmp_path) for name in names]
        made.extend(f.result() for f in futures if not f.exception())
        for f in futures:
            if f.exception():
                raise f.exception()
        return [f.result() for f in futures]

    yield make
    for u in made:
        u.quit()


def test_two_users_chat(server, users, tmp_path):
    alice, bob = users("alice", "bob")
    try:
        run_chat(server, alice, bob)
    except BaseException:
        shots = [u.dump(tmp_path, "failure") for u in (alice, bob)]
        print(f"screenshots: {', '.join(map(str, shots))}\nserver log:\n{server.logs()[-3000:]}")
        raise


def run_chat(server, alice, bob):
    tag = uuid.uuid4().hex[:6]

    # --- log in, see each other
    alice.open(server.http)
    alice.login()
    bob.open(server.http)
    bob.login()
    alice.wait(lambda: {"alice", "bob"} <= alice.online(), "alice to see bob online")
    bob.wait(lambda: {"alice", "bob"} <= bob.online(), "bob to see alice online")

    # --- talk both ways
    hello = f"first words {tag}"
    alice.say(hello)
    bob.wait_message("alice", hello)
    reply = f"a reply {tag}"
    bob.say(reply)
    alice.wait_message("bob", reply)
    alice.wait_message("alice", hello)

    # --- markup is shown as text, never parsed
    markup = f"<b>bold</b><script>x</script> {tag}"
    alice.say(markup)
    for u in (bob, alice):
        u.wait_message("alice", markup)
        el = u.message_with(markup)
        assert el is not None
        assert markup in el.get_attribute("textContent")
        assert el.find_elements(By.TAG_NAME, "b") == [], f"{u.name}: <b> was parsed as HTML"
        assert el.find_elements(By.TAG_NAME, "script") == [], f"{u.name}: <script> in the DOM"
    assert alice.connected() and bob.connected()

    # --- reload: the history comes back
    bob.d.refresh()
    bob.login()
    for author, text in (("alice", hello), ("bob", reply), ("alice", markup)):
        bob.wait_message(author, text)
    assert sum(markup in m for m in bob.messages()) == 1, bob.messages()
    alice.wait(lambda: "bob" in alice.online(), "bob back in alice's online list")

    # --- the server restarts under an open page: it reconnects and chats on
    code = server.stop()
    assert code == 0, f"parley exited {code} on SIGTERM:\n{server.logs()[-3000:]}"
    alice.wait(lambda: not alice.connected(), "alice's status to leave \"connected\"")
    server.restart()
    alice.wait_connected(RECONNECT_WAIT)
    bob.wait_connected(RECONNECT_WAIT)
    after = f"back after the restart {tag}"
    alice.say(after)
    bob.wait_message("alice", after)
    alice.wait_message("alice", after)

    # every message is shown once, in both windows
    for u in (alice, bob):
        msgs = u.messages()
        for text in (hello, reply, markup, after):
            assert sum(text in m for m in msgs) == 1, f"{u.name}: {text!r} shown in {msgs}"


# ---------------------------------------------------------------- the doors (test_doors.py)

OPEN_SOCKET = """
const done = arguments[arguments.length - 1];
const ws = new WebSocket(arguments[0], "parley.v1");
ws.onopen = () => { done("open"); ws.close(); };
ws.onclose = (e) => done("closed " + e.code);
"""


def csp_reports(user):
    """The console's reports of something the Content-Security-Policy blocked (the log is
    read, and emptied, by the call)."""
    return [e.get("message", "") for e in user.d.get_log("browser")
            if "Content Security Policy" in e.get("message", "")]


@pytest.fixture
def other_site():
    """A plain page of another origin (http://127.0.0.1:OTHER_PORT/), as any site a user
    visits; yields its URL."""
    class Page(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            body = b"<!doctype html><title>another site</title><p>nothing to see"
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Page)
    t = threading.Thread(target=httpd.serve_forever, daemon=True)
    t.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()
    httpd.server_close()


def test_client_runs_under_its_csp_and_other_sites_cannot_connect(server, users, other_site,
                                                                   tmp_path):
    """The web client works under its Content-Security-Policy: signing up, chatting and
    coming back after a reload (the cookie on a same-origin read and on the socket) with no
    report in the console. A page of another site cannot open the chat's socket through the
    same browser (which carries the session cookie along), while the client's own page can."""
    (alice,) = users("alice")
    try:
        alice.open(server.http)
        alice.signup()
        alice.say("under the policy")
        alice.wait_message("alice", "under the policy")
        alice.d.refresh()
        alice.signed_in()  # the session cookie brought her back, no form
        alice.wait_message("alice", "under the policy")
        assert csp_reports(alice) == []
        ws_url = f"ws://127.0.0.1:{server.port}/ws"
        assert alice.d.execute_async_script(OPEN_SOCKET, ws_url) == "open"
        alice.d.get(other_site)
        assert alice.d.execute_async_script(OPEN_SOCKET, ws_url) == "closed 1006"
    except BaseException:
        shot = alice.dump(tmp_path, "failure")
        print(f"screenshot: {shot}\nserver log:\n{server.logs()[-3000:]}")
        raise
