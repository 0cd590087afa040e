"""The web client under a sub-path (issue 15 item 5, --base-path): Chromium opens
http://127.0.0.1:PORT/chat/ of a server started with --base-path /chat, where nothing is
served outside /chat/. The client finds its scripts, its socket and the REST API under the
page's own base: an account signs up (its cookie, Path=/chat/, brings it back after a
reload), a guest joins, the two chat both ways, every resource the page loaded was under
/chat/, and the links it hands out are."""
import os
import uuid

import pytest

from test_browser import CHROMEDRIVER, CHROMIUM, User, csp_reports

pytestmark = pytest.mark.skipif(
    not (os.path.exists(CHROMIUM) and os.path.exists(CHROMEDRIVER)),
    reason=f"needs {CHROMIUM} and {CHROMEDRIVER} (apt-get install chromium chromium-driver)")


def test_client_under_a_base_path(make_server, tmp_path):
    server = make_server("--base-path", "/chat")
    base = f"http://127.0.0.1:{server.port}/chat"
    alice = User("alice", tmp_path)
    bob = User("bob", tmp_path)
    try:
        tag = uuid.uuid4().hex[:6]
        alice.open(base)
        alice.signup()
        bob.open(base)
        bob.login()
        alice.wait(lambda: "bob" in alice.online(), "alice to see bob online")
        alice.say(f"under a path {tag}")
        bob.wait_message("alice", f"under a path {tag}")
        bob.say(f"and back {tag}")
        alice.wait_message("bob", f"and back {tag}")
        alice.d.refresh()
        alice.signed_in()
        alice.wait_message("bob", f"and back {tag}")
        assert csp_reports(alice) == []
        loaded = alice.d.execute_script(
            "return performance.getEntriesByType('resource').map((e) => e.name)"
            ".concat([location.href]);")
        outside = [u for u in loaded if not u.startswith(base + "/")]
        assert not outside, outside
        assert any(u.endswith("/chat/app.js") for u in loaded), loaded
        # The links it hands out (an invite, a password reset) are under the base too.
        link = alice.d.execute_async_script(
            "const done = arguments[arguments.length - 1];"
            "import('./auth_data.js').then((m) => done(m.linkFor('/#invite=abc')));")
        assert link == base + "/#invite=abc", link
    except BaseException:
        shots = [u.dump(tmp_path, "failure") for u in (alice, bob)]
        print(f"screenshots: {', '.join(map(str, shots))}\nserver log:\n{server.logs()[-3000:]}")
        raise
    finally:
        alice.quit()
        bob.quit()
