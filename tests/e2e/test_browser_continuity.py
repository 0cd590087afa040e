"""Continuity in the web client (issue 14, item 5), in a real Chromium: a guest stays in the
chat across a reload (no name asked again), drafts outlive a reload per channel and per
thread, and while the server is down the composer stays usable: what is sent waits, shown
as such, and goes out with its client key once the server is back, stored once.
Leaving forgets the drafts and asks for a name again."""
import uuid

from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from test_browser import RECONNECT_WAIT, tid, users  # noqa: F401 (fixture)
from wsraw import Client, run


def composer_value(u, testid="composer"):
    return u.d.execute_script("const b = document.querySelector(arguments[0]);"
                              "return b ? b.value : null;", tid(testid))


def type_into(u, text):
    box = u.d.find_element(By.CSS_SELECTOR, tid("composer"))
    u.wait(box.is_enabled, "the composer to be enabled")
    box.send_keys(text)


def open_thread(u, seq):
    sel = f'{tid("message")}[data-seq="{seq}"]'
    u.wait(lambda: u.d.find_elements(By.CSS_SELECTOR, sel), f"row {seq}")
    u.d.execute_script("document.querySelector(arguments[0]).querySelector(arguments[1]).click();",
                       sel, tid("msg-reply"))
    u.wait(lambda: u.d.execute_script("const p = document.querySelector(arguments[0]);"
                                      "return !!p && !p.hidden;", tid("thread-panel")),
           "the thread panel to open")


def stored_texts(server, needle):
    """The texts of #general's history containing needle, read by a fresh client."""
    async def go():
        c, _, history = await Client.joined(server, "reader" + uuid.uuid4().hex[:6])
        await c.close()
        return [m["text"] for m in history["messages"] if needle in m.get("text", "")]
    return run(go(), 20)


def test_reload_keeps_the_guest_and_its_drafts(server, users, tmp_path):
    (gina,) = users("gina")
    try:
        gina.open(server.http)
        gina.login()
        tag = uuid.uuid4().hex[:6]
        gina.say(f"first {tag}")
        gina.wait_message("gina", f"first {tag}")

        # --- a reply drafted in the thread of that message, and a draft in #general; then
        # a reload: straight back in, each draft in its box
        seq = gina.d.execute_script(
            "const r = Array.from(document.querySelectorAll(arguments[0]))"
            ".find(e => e.textContent.includes(arguments[1])); return r && r.dataset.seq;",
            tid("message"), f"first {tag}")
        reply_draft = f"a reply half-written {tag}"
        open_thread(gina, seq)
        gina.d.find_element(By.CSS_SELECTOR, tid("thread-composer")).send_keys(reply_draft)
        gina.d.find_element(By.CSS_SELECTOR, tid("thread-close")).click()
        draft = f"half-written {tag}"
        type_into(gina, draft)
        gina.d.refresh()
        gina.wait_connected()
        assert not gina.first_page(), "the name was asked again after a reload"
        assert gina.name in gina.online()
        gina.wait(lambda: composer_value(gina) == draft, "the draft back in the composer")
        open_thread(gina, seq)
        gina.wait(lambda: composer_value(gina, "thread-composer") == reply_draft,
                  "the reply's draft back in the thread's box")
        gina.d.find_element(By.CSS_SELECTOR, tid("thread-close")).click()

        # --- sent, it is no draft any more
        box = gina.d.find_element(By.CSS_SELECTOR, tid("composer"))
        box.send_keys(Keys.ENTER)
        gina.wait_message("gina", draft)
        gina.d.refresh()
        gina.wait_connected()
        gina.wait_message("gina", draft)
        assert composer_value(gina) == "", "a sent message came back as a draft"

        # --- leaving forgets: the first page again, no draft for whoever comes next
        type_into(gina, "not for the next person")
        gina.press("signout")
        gina.wait(gina.first_page, "the first page after leaving")
        gina.d.refresh()
        gina.wait(gina.first_page, "the first page after a reload once gone")
        leftovers = gina.d.execute_script(
            "return Object.keys(localStorage).filter(k => k.startsWith('parley.draft:'));")
        assert leftovers == [], leftovers
    except BaseException:
        print(f"screenshot: {gina.dump(tmp_path, 'failure')}\nserver log:\n{server.logs()[-3000:]}")
        raise


def test_offline_messages_wait_and_go_out_once(server, users, tmp_path):
    (olaf,) = users("olaf")
    try:
        olaf.open(server.http)
        olaf.login()
        tag = uuid.uuid4().hex[:6]
        olaf.say(f"before {tag}")
        olaf.wait_message("olaf", f"before {tag}")

        assert server.stop() == 0
        olaf.wait(lambda: not olaf.connected(), "the status to leave \"connected\"")
        # the box stays usable; what is sent waits, and says so
        text = f"sent while away {tag}"
        olaf.say(text)
        olaf.wait(lambda: olaf.d.execute_script(
            "return Array.from(document.querySelectorAll('.msg-status'))"
            ".some(e => e.textContent.includes('Waiting for connection'));"),
            "the queued message marked as waiting")
        server.restart()
        olaf.wait_connected(RECONNECT_WAIT)
        olaf.wait(lambda: not olaf.d.execute_script(
            "return Array.from(document.querySelectorAll('.msg-status'))"
            ".some(e => e.textContent.trim());"), "the queued message stored", RECONNECT_WAIT)
        olaf.wait_message("olaf", text)
        assert stored_texts(server, text) == [text], "the queued message not stored exactly once"
        assert sum(text in m for m in olaf.messages()) == 1, olaf.messages()
    except BaseException:
        print(f"screenshot: {olaf.dump(tmp_path, 'failure')}\nserver log:\n{server.logs()[-3000:]}")
        raise
