"""The web client over HTTPS (issue 12, item 9): Chromium opens https://127.0.0.1:PORT/ of a
server started with --tls-cert and --tls-key (a self-signed certificate, accepted with
--ignore-certificate-errors), and the client finds its socket by itself: on an https: page
it opens wss: (a ws: socket from an https: page is mixed content, which the browser
blocks, so chatting at all proves it). An account signs up, its Secure cookie brings it
back after a reload, and two users chat both ways."""
import os
import uuid

import pytest

from test_browser import CHROMEDRIVER, CHROMIUM, User, csp_reports
from test_tls import make_cert

pytestmark = pytest.mark.skipif(
    not (os.path.exists(CHROMIUM) and os.path.exists(CHROMEDRIVER)),
    reason=f"needs {CHROMIUM} and {CHROMEDRIVER} (apt-get install chromium chromium-driver)")

TLS_ARGS = ("--ignore-certificate-errors",)


def test_client_uses_wss_on_an_https_page(make_server, tmp_path):
    cert, key = make_cert(tmp_path, "a")
    server = make_server("--tls-cert", str(cert), "--tls-key", str(key))
    base = f"https://127.0.0.1:{server.port}"
    alice = User("alice", tmp_path, args=TLS_ARGS)
    bob = User("bob", tmp_path, args=TLS_ARGS)
    try:
        tag = uuid.uuid4().hex[:6]
        alice.open(base)
        assert alice.d.execute_script("return location.protocol") == "https:"
        alice.signup()
        bob.open(base)
        bob.login()
        alice.wait(lambda: "bob" in alice.online(), "alice to see bob online")
        alice.say(f"over TLS {tag}")
        bob.wait_message("alice", f"over TLS {tag}")
        bob.say(f"and back {tag}")
        alice.wait_message("bob", f"and back {tag}")
        # the session cookie (Secure, set over https) brings alice back without the form
        alice.d.refresh()
        alice.signed_in()
        alice.wait_message("bob", f"and back {tag}")
        assert csp_reports(alice) == []
        # and the page's own socket is wss: a ws: one from this page is refused
        ws = alice.d.execute_async_script(
            "const done = arguments[arguments.length - 1];"
            "try { const w = new WebSocket(arguments[0]); w.onopen = () => done('open');"
            " w.onerror = () => done('error'); } catch (e) { done('refused'); }",
            f"ws://127.0.0.1:{server.port}/ws")
        assert ws in ("refused", "error"), ws
    except BaseException:
        shots = [u.dump(tmp_path, "failure") for u in (alice, bob)]
        print(f"screenshots: {', '.join(map(str, shots))}\nserver log:\n{server.logs()[-3000:]}")
        raise
    finally:
        alice.quit()
        bob.quit()
