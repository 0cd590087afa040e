"""Message formatting and emoji in the real web client (web/format.js, web/emoji.js,
web/emoji_picker.js): headless Chromium users, one writing, one reading.

Hooks beyond test_browser_messages.py's: code-copy (a code block's Copy button), emoji (a
:shortcode: drawn as its emoji; title ":code:"), emoji-search (the picker's search box),
reaction-picker / composer-emoji-picker (the picker opened for a reaction / by a
composer's composer-emoji button) holding reaction-option / emoji-option (data-emoji);
emoji-suggest (":cof" typed in a composer) holding emoji-suggest-option (data-emoji).
The formatted elements are plain HTML ones read by tag: strong, em, del, code, pre,
blockquote, ul, ol, li, a. The text stored and sent stays what was typed: the editor
shows it back unchanged.
"""
import uuid

import pytest

pytest.importorskip("selenium")
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402

from test_browser import pytestmark, tid  # noqa: E402,F401
from test_browser_channels import dumping, log_in, server, users  # noqa: E402,F401
from test_browser_messages import musers  # noqa: E402,F401

# What one row's text shows, read by element.
SHAPE = """
const row = document.querySelector('[data-testid="' + arguments[0] + '"][data-seq="' + arguments[1] + '"]');
if (!row) return null;
const box = row.querySelector('.msg-text');
const all = (sel) => Array.from(box.querySelectorAll(sel), (e) => e.textContent);
const pre = box.querySelector('pre');
return {
  text: box.textContent,
  strong: all('strong'), em: all('em'), del: all('del'), emStrong: all('em strong'),
  code: all(':not(pre) > code'), pre: all('pre'),
  preScrolls: pre ? pre.scrollWidth > pre.clientWidth + 20 && getComputedStyle(pre).overflowX === 'auto' : null,
  preMono: pre ? /mono/i.test(getComputedStyle(pre).fontFamily) : null,
  quote: all('blockquote'), quoteEm: all('blockquote em'),
  ul: all('ul > li'), ol: all('ol > li'), olStart: box.querySelector('ol') ? box.querySelector('ol').start : null,
  links: Array.from(box.querySelectorAll('a'), (a) => a.getAttribute('href')),
  emoji: Array.from(box.querySelectorAll('[data-testid="emoji"]'), (e) => [e.textContent, e.title]),
  pending: box.querySelectorAll('.emoji-pending').length,
  copy: row.querySelectorAll('[data-testid="code-copy"]').length,
  unsafe: row.querySelectorAll('script, img, iframe, [onerror], [onload]').length,
  mentions: all('[data-testid="mention"]'),
  edited: row.querySelectorAll('[data-testid="msg-edited"]').length,
};
"""

COPY = """
const b = document.querySelector('[data-testid="message"][data-seq="' + arguments[0] + '"] [data-testid="code-copy"]');
if (!b) return false;
if (b.textContent === 'Copied') return true;
if (!b.dataset.clicked) { b.dataset.clicked = '1'; b.scrollIntoView({block: 'center'}); b.click(); }
return false;
"""

# The formatter on its own, in the page: each case's element tags, in document order.
IN_PAGE = """
const done = arguments[arguments.length - 1];
import('/format.js').then((f) => {
  const out = {};
  for (const [name, text] of Object.entries(arguments[0])) {
    const div = document.createElement('div');
    f.render(div, text, {mentions: ['bob']});
    out[name] = [Array.from(div.querySelectorAll('*'), (e) => e.tagName.toLowerCase()).join(' '), div.textContent];
  }
  done(out);
}, (e) => done({error: String(e)}));
"""


def set_and_send(user, testid, text):
    """Puts text (newlines and all) in a composer and sends it with Enter."""
    box = user.find(testid)
    user.wait(box.is_enabled, f"{testid} to be enabled")
    user.js("arguments[0].value = arguments[1];"
            "arguments[0].dispatchEvent(new Event('input', {bubbles: true}));", box, text)
    box.send_keys(Keys.ENTER)
    user.wait(lambda: box.get_attribute("value") == "", f"{testid} to clear after Enter")


def shape(user, seq, testid="message"):
    return user.js(SHAPE, testid, seq)


def wait_shape(user, seq, cond, what, testid="message"):
    user.wait(lambda: (lambda s: s is not None and cond(s))(shape(user, seq, testid)),
              f"{what} (row {seq}: {shape(user, seq, testid)})")


def test_formatting_emoji_and_the_picker(server, musers, tmp_path):
    alice, bob = musers("alice", "bob")
    dumping(server, tmp_path, [alice, bob], lambda: run_format(server, alice, bob))


def run_format(server, alice, bob):
    tag = uuid.uuid4().hex[:6]
    log_in(server, alice, bob)
    wide = "x" * 300
    text = (f"*bold {tag}* and _it *both*_ ~gone~ `a *b* _c_` :coffee: https://example.org/a_b?q=1. "
            "<script>window.__xss = 1</script> <img src=x onerror=\"window.__xss = 2\"> "
            "a * b * snake_case_name @bob\n"
            f"```\nint main() {{ return *p; }} // {wide}\n<b>not bold</b>\n```\n"
            "> quoted _text_\n"
            "- one\n- *two*\n"
            "3. third\n4. fourth")
    set_and_send(alice, "composer", text)
    seq = bob.seq_of(f"bold {tag}")

    # --- bob sees the elements, never the markup's HTML
    wait_shape(bob, seq, lambda s: s["emoji"] and not s["pending"], "the :coffee: emoji to be drawn")
    s = shape(bob, seq)
    assert s["strong"][:1] == [f"bold {tag}"], s
    assert s["em"][:1] == ["it both"] and s["emStrong"] == ["both"], s
    assert s["del"] == ["gone"], s
    assert s["code"] == ["a *b* _c_"], s
    assert len(s["pre"]) == 1 and "int main() { return *p; }" in s["pre"][0] and "<b>not bold</b>" in s["pre"][0], s
    assert s["preScrolls"] and s["preMono"], s
    assert s["copy"] == 1, s
    assert s["quote"] == ["quoted text"] and s["quoteEm"] == ["text"], s
    assert s["ul"] == ["one", "two"], s
    assert s["ol"] == ["third", "fourth"] and s["olStart"] == 3, s
    assert s["links"] == ["https://example.org/a_b?q=1"], s
    assert s["emoji"] == [["\u2615", ":coffee:"]], s
    assert s["mentions"] == ["@bob"], s
    assert s["unsafe"] == 0 and bob.js("return window.__xss === undefined;"), s
    assert "<script>window.__xss = 1</script>" in s["text"] and 'onerror="window.__xss = 2"' in s["text"], s
    assert "a * b * snake_case_name" in s["text"], s

    # the Copy button copies (or falls back to selecting and copying) and says so; the
    # row may be drawn anew meanwhile (its @mention), so a new button is clicked again
    bob.wait(lambda: bob.js(COPY, seq), "the Copy button to say Copied")

    # --- the text stays what was typed: alice's editor shows it back as is; an edit
    # is formatted as well
    aseq = alice.seq_of(f"bold {tag}")
    alice.action(aseq, "msg-edit")
    box = alice.find("edit-input")
    assert box.get_attribute("value") == text
    alice.js("arguments[0].value = arguments[1];"
             "arguments[0].dispatchEvent(new Event('input', {bubbles: true}));", box,
             f"*bold {tag}* now ~struck~ :taco:")
    box.send_keys(Keys.ENTER)
    wait_shape(bob, seq, lambda s: s["edited"] and s["del"] == ["struck"] and s["emoji"] == [["🌮", ":taco:"]]
               and not s["pre"], "bob to see the edit formatted")

    # --- a thread reply is formatted the same way
    bob.action(seq, "msg-reply")
    bob.wait(bob.panel_open, "bob's thread panel to open")
    set_and_send(bob, "thread-composer", f"_reply {tag}_ :+1:\n```\nls -l\n```")
    rseq = bob.seq_of(f"reply {tag}", "thread-msg")
    wait_shape(bob, rseq, lambda s: s["em"] == [f"reply {tag}"] and s["emoji"] == [["👍", ":+1:"]]
               and len(s["pre"]) == 1 and s["copy"] == 1, "the reply formatted in the panel", "thread-msg")

    # --- the reaction picker searches the whole set: "taco" finds it, Enter reacts
    bob.action(seq, "msg-react-open")
    picker = bob.find("reaction-picker")
    search = picker.find_element(By.CSS_SELECTOR, tid("emoji-search"))
    bob.wait(lambda: bob.js("return document.activeElement === arguments[0];", search), "the search box focused")
    search.send_keys("taco")
    bob.wait(lambda: bob.js("const o = arguments[0].querySelector(arguments[1]);"
                            "return o && o.dataset.emoji;", picker, tid("reaction-option")) == "🌮",
             "🌮 first for 'taco'")
    search.send_keys(Keys.ENTER)
    bob.wait(lambda: not bob.texts("reaction-picker"), "the picker to close")
    alice.wait_row(aseq, lambda r: r["chips"].get("🌮") == 1, "alice to see bob's 🌮")

    # keyboard: Down goes into the grid, Right moves, Enter picks; "coffee" is first
    bob.action(seq, "msg-react-open")
    picker = bob.find("reaction-picker")
    search = picker.find_element(By.CSS_SELECTOR, tid("emoji-search"))
    search.send_keys("coffee")
    bob.wait(lambda: bob.js("const o = arguments[0].querySelector(arguments[1]);"
                            "return o && o.dataset.emoji;", picker, tid("reaction-option")) == "\u2615",
             "☕ first for 'coffee'")
    search.send_keys(Keys.ARROW_DOWN)
    focused = bob.js("return document.activeElement.dataset.emoji;")
    assert focused == "\u2615", focused
    bob.js("return document.activeElement;").send_keys(Keys.ENTER)
    alice.wait_row(aseq, lambda r: r["chips"].get("\u2615") == 1, "alice to see bob's ☕")

    # recently used first, newest first; groups follow; Escape closes
    bob.action(seq, "msg-react-open")
    picker = bob.find("reaction-picker")
    bob.wait(lambda: bob.js("return arguments[0].querySelectorAll('h4').length;", picker) > 5,
             "the picker's groups")
    heads = bob.js("return Array.from(arguments[0].querySelectorAll('h4'), h => h.textContent);", picker)
    assert heads[0] == "Recently used" and "Food & Drink" in heads, heads
    first = bob.js("return Array.from(arguments[0].querySelectorAll(arguments[1])).slice(0, 2)"
                   ".map(o => o.dataset.emoji);", picker, tid("reaction-option"))
    assert first == ["\u2615", "🌮"], first
    picker.find_element(By.CSS_SELECTOR, tid("emoji-search")).send_keys(Keys.ESCAPE)
    bob.wait(lambda: not bob.texts("reaction-picker"), "Escape to close the picker")
    assert bob.panel_open(), "Escape closed the picker only"

    # --- the composer's picker puts the emoji at the caret
    alice.find("composer").send_keys(f"lunch {tag} ")
    alice.click("composer-emoji")
    cpicker = alice.find("composer-emoji-picker")
    cpicker.find_element(By.CSS_SELECTOR, tid("emoji-search")).send_keys("rocket")
    alice.wait(lambda: alice.js("const o = arguments[0].querySelector(arguments[1]);"
                                "return o && o.dataset.emoji;", cpicker, tid("emoji-option")) == "🚀",
               "🚀 for 'rocket'")
    cpicker.find_element(By.CSS_SELECTOR, tid("emoji-option")).click()
    alice.wait(lambda: alice.find("composer").get_attribute("value") == f"lunch {tag} 🚀", "🚀 in the composer")

    # --- ":cof" offers ☕ as Slack does; Enter takes it (and does not send)
    alice.find("composer").send_keys(" :cof")
    alice.wait(lambda: alice.js("const o = document.querySelector(arguments[0]);"
                                "return o && o.dataset.emoji;", tid("emoji-suggest-option")) == "\u2615",
               "☕ offered for ':cof'")
    alice.find("composer").send_keys(Keys.ENTER)
    alice.wait(lambda: alice.find("composer").get_attribute("value") == f"lunch {tag} 🚀 \u2615 ",
               "☕ in place of ':cof'")
    assert not alice.texts("emoji-suggest")

    # --- the formatter alone, in the page: hostile and literal inputs
    cases = {
        "html": "<img src=x onerror=alert(1)><script>alert(2)</script>",
        "js link": "javascript:alert(1) and data:text/html,x",
        "literal": "a * b * and 2*3*4 and snake_case and *a\nb*",
        "nested": "*bold _and italic_*",
        "code inside": "`*not bold* https://x.org`",
        "one-line fence": "```*x*```",
        "mention": "hi @bob",
    }
    got = alice.d.execute_async_script(IN_PAGE, cases)
    assert got.get("error") is None, got
    assert got["html"] == ["", cases["html"]], got
    assert got["js link"] == ["", cases["js link"]], got
    assert got["literal"] == ["", cases["literal"]], got
    assert got["nested"][0] == "strong em", got
    assert got["code inside"] == ["code", "*not bold* https://x.org"], got
    assert got["one-line fence"][0] == "div pre code button", got
    assert got["mention"][0] == "span", got
