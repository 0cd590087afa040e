"""How the web client looks and fits: the theme switch (light, dark, the system's) and tap
targets at phone width. Real headless Chromium (test_browser.py's User).

Hooks: theme-open (the sidebar's theme button), theme-menu, theme-system, theme-light,
theme-dark (its radio items, aria-checked); menu-btn opens the sidebar at phone width.
"""
import pytest

pytest.importorskip("selenium")
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402

# pytestmark: skipped, like test_browser.py, when Chromium or its driver is missing
from test_browser import ACCOUNTS, FAST_HASH, User, pytestmark, tid  # noqa: E402,F401

LIGHT_BG = "rgb(255, 255, 255)"
DARK_BG = "rgb(27, 28, 32)"


@pytest.fixture
def server(make_server):
    return make_server(*ACCOUNTS, env=FAST_HASH)


@pytest.fixture
def people(tmp_path, server):
    made = []

    def make(name):
        u = User(name, tmp_path)
        made.append(u)
        return u

    yield make
    for u in made:
        u.quit()


def dumping(server, tmp_path, people, run):
    try:
        run()
    except BaseException:
        shots = [u.dump(tmp_path, "failure") for u in people]
        print(f"screenshots: {', '.join(map(str, shots))}\nserver log:\n{server.logs()[-3000:]}")
        raise


def js(u, script, *args):
    return u.d.execute_script(script, *args)


def system_prefers(u, scheme):
    u.d.execute_cdp_cmd("Emulation.setEmulatedMedia",
                        {"features": [{"name": "prefers-color-scheme", "value": scheme}]})


def background(u):
    return js(u, "return getComputedStyle(document.body).backgroundColor;")


def checked(u):
    return js(u, "const c = document.querySelector('#theme-menu [aria-checked=\"true\"]');"
                 "return c ? c.dataset.choice : null;")


def pick(u, choice):
    u.press("theme-open")
    u.wait(lambda: u.shown("theme-menu"), "the theme menu")
    u.press("theme-" + choice)
    u.wait(lambda: not u.shown("theme-menu"), "the theme menu to close")


def test_theme_switch_light_dark_system(server, people, tmp_path):
    alice = people("alice")
    dumping(server, tmp_path, [alice], lambda: run_theme(server, alice))


def run_theme(server, alice):
    system_prefers(alice, "light")
    alice.open(server.http)
    alice.login()
    # the system's theme, followed while nothing is chosen
    assert background(alice) == LIGHT_BG and checked(alice) == "system"
    system_prefers(alice, "dark")
    alice.wait(lambda: background(alice) == DARK_BG, "the system's dark theme")
    system_prefers(alice, "light")
    alice.wait(lambda: background(alice) == LIGHT_BG, "the system's light theme")
    # dark, chosen: it holds whatever the system prefers, and across a reload
    pick(alice, "dark")
    assert background(alice) == DARK_BG and checked(alice) == "dark"
    assert js(alice, "return localStorage.getItem('parley.theme');") == "dark"
    assert alice.d.find_element(By.CSS_SELECTOR, tid("theme-open")).get_attribute(
        "aria-label") == "Theme: Dark"
    alice.d.refresh()
    # applied by the blocking script in <head>, before app.js has run
    alice.wait(lambda: js(alice, "return document.readyState;") != "loading", "the page")
    assert js(alice, "return document.documentElement.dataset.theme;") == "dark"
    assert background(alice) == DARK_BG
    alice.login()
    assert checked(alice) == "dark" and background(alice) == DARK_BG
    # light, chosen, against a dark system; by keyboard: Enter opens, arrows move, Esc closes
    system_prefers(alice, "dark")
    pick(alice, "light")
    assert background(alice) == LIGHT_BG and checked(alice) == "light"
    btn = alice.d.find_element(By.CSS_SELECTOR, tid("theme-open"))
    btn.send_keys(Keys.ENTER)
    alice.wait(lambda: alice.shown("theme-menu"), "the theme menu")
    assert js(alice, "return document.activeElement.dataset.choice;") == "light"
    alice.d.switch_to.active_element.send_keys(Keys.ARROW_UP)
    assert js(alice, "return document.activeElement.dataset.choice;") == "system"
    alice.d.switch_to.active_element.send_keys(Keys.ESCAPE)
    alice.wait(lambda: not alice.shown("theme-menu"), "Esc to close the menu")
    assert js(alice, "return document.activeElement.id;") == "theme-open"
    assert checked(alice) == "light"
    # back to the system's: nothing stored, and the system decides again
    pick(alice, "system")
    assert js(alice, "return localStorage.getItem('parley.theme');") is None
    alice.wait(lambda: background(alice) == DARK_BG, "the system's dark theme again")
    system_prefers(alice, "light")
    alice.wait(lambda: background(alice) == LIGHT_BG, "the system's light theme again")


# ---- tap targets at phone width ----

PHONE = {"width": 390, "height": 844, "deviceScaleFactor": 3, "mobile": True}
MIN_TAP = 44

# Every visible interactive element in the part given, with its size; links inside
# message text are exempt (inline in a sentence, as WCAG 2.5.8 allows).
MEASURE = """
const root = document.querySelector(arguments[0]);
const sel = 'button, a[href], input:not([type=hidden]), select, textarea, summary, ' +
            '[role=button], [role=menuitem], [role=menuitemradio], [role=tab], [tabindex="0"]';
const out = [];
for (const e of root.querySelectorAll(sel)) {
  // .sr-only: clipped to nothing, never tapped (the file input the paperclip opens)
  if (e.closest('.msg-text, .msg-body p, dialog:not([open]), .sr-only')) continue;
  const r = e.getBoundingClientRect();
  const st = getComputedStyle(e);
  if (r.width === 0 || r.height === 0 || st.visibility === 'hidden' || st.display === 'none')
    continue;
  if (r.right <= 0 || r.left >= innerWidth || r.bottom <= 0 || r.top >= innerHeight) continue;
  const name = e.dataset.testid || e.id || e.getAttribute('aria-label') ||
               (e.className && String(e.className)) || e.tagName;
  out.push([e.tagName.toLowerCase() + ' ' + name, Math.round(r.width * 10) / 10,
            Math.round(r.height * 10) / 10]);
}
return out;
"""


def too_small(u, part):
    found = js(u, MEASURE, part)
    assert found, f"nothing interactive found in {part}"
    return [f for f in found if f[1] < MIN_TAP or f[2] < MIN_TAP]


def test_tap_targets_at_phone_width(server, people, tmp_path):
    alice = people("alice")
    dumping(server, tmp_path, [alice], lambda: run_taps(server, alice))


def run_taps(server, alice):
    d = alice.d
    d.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", PHONE)
    d.execute_cdp_cmd("Emulation.setTouchEmulationEnabled", {"enabled": True, "maxTouchPoints": 5})
    alice.open(server.http)
    alice.wait(lambda: alice.shown("signup-name"), "the owner's sign-up form")
    alice.signup()
    assert js(alice, "return matchMedia('(hover: none)').matches && innerWidth;") == 390
    alice.say("hello from a phone, see https://example.com for more")
    alice.wait_message("alice", "hello from a phone")
    small = too_small(alice, ".main")
    # a tap on a message shows its actions
    js(alice, "document.querySelector('.msg .msg-body, .msg').click();")
    alice.wait(lambda: js(alice, "return !!document.querySelector('.msg.is-touched');"),
               "a tapped message")
    small += too_small(alice, ".msg.is-touched")
    # the sidebar, opened
    js(alice, "document.getElementById('menu-btn').click();")
    alice.wait(lambda: js(alice, "const r = document.getElementById('sidebar')"
                                 ".getBoundingClientRect(); return r.left >= 0 && r.width > 0;"),
               "the sidebar to open")
    alice.wait(lambda: not js(alice, "return document.getAnimations().length;"),
               "the sidebar's animation to end")
    small += too_small(alice, "#sidebar")
    assert not small, "tap targets under 44x44 px: " + "; ".join(
        f"{n} {w}x{h}" for n, w, h in small)
