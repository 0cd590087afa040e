// Unit tests of web/format.js's parser (its pure half) and web/emoji.js's search, under
// node. Usage: node tests/web/format_test.mjs WEB_DIR [EMOJI_DATA_JS]
// The web client's modules are ES modules in files named .js without a package.json, so
// they are copied to a scratch folder that says "type": "module".
import assert from "node:assert/strict";
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const [web, data] = process.argv.slice(2);
if (!web) { console.error("usage: format_test.mjs WEB_DIR [EMOJI_DATA_JS]"); process.exit(2); }
const dir = mkdtempSync(join(tmpdir(), "parley-format-"));
process.on("exit", () => rmSync(dir, { recursive: true, force: true }));
writeFileSync(join(dir, "package.json"), '{"type": "module"}');
for (const f of ["format.js", "emoji.js"]) copyFileSync(join(web, f), join(dir, f));
if (data) copyFileSync(data, join(dir, "emoji_data.js"));
const { parse, parseInline } = await import(pathToFileURL(join(dir, "format.js")));

let failures = 0;
function check(what, got, want) {
  try { assert.deepStrictEqual(got, want); } catch (e) {
    failures++;
    console.error("FAIL " + what + "\n  got:  " + JSON.stringify(got) + "\n  want: " + JSON.stringify(want));
  }
}
const inl = (s, names) => parseInline(s, names);
const b = (...c) => ({ t: "b", c });
const i = (...c) => ({ t: "i", c });
const s = (...c) => ({ t: "s", c });

// Emphasis hugs its words.
check("bold", inl("a *b* c"), ["a ", b("b"), " c"]);
check("italic", inl("_it is_"), [i("it is")]);
check("strike", inl("~gone~!"), [s("gone"), "!"]);
check("spaced markers stay", inl("a * b *"), ["a * b *"]);
check("space before closer", inl("*a *"), ["*a *"]);
check("inside words", inl("snake_case_name and 2*3*4"), ["snake_case_name and 2*3*4"]);
check("closer before a letter", inl("*a*b"), ["*a*b"]);
check("no crossing lines", inl("*a\nb*"), ["*a\nb*"]);
check("unclosed", inl("*bold"), ["*bold"]);
check("doubled marker", inl("**x**"), ["**x**"]);
check("empty", inl("**"), ["**"]);
check("nested", inl("_a *b* c_"), [i("a ", b("b"), " c")]);
check("nested tight", inl("*_x_*"), [b(i("x"))]);
check("after punctuation", inl("(*x*)"), ["(", b("x"), ")"]);
check("unicode words", inl("é*x*"), ["é*x*"]);
// Code: nothing inside, one line.
check("code", inl("run `a *b* _c_` now"), ["run ", { t: "code", text: "a *b* _c_" }, " now"]);
check("code in bold", inl("*see `x`*"), [b("see ", { t: "code", text: "x" })]);
check("code not across lines", inl("`a\nb`"), ["`a\nb`"]);
check("code right after the opener", inl("*`a*`*"), [b({ t: "code", text: "a*" })]);
check("marker in a link does not close", inl("*x https://a.org/*y z*"), [b("x ", { t: "link", href: "https://a.org/*y" }, " z")]);
check("marker in code does not close", inl("*a `b*` c*"), [b("a ", { t: "code", text: "b*" }, " c")]);
// Links: http(s) only, trailing punctuation outside, markers inside kept.
check("link", inl("see https://x.org/a_b_c."), ["see ", { t: "link", href: "https://x.org/a_b_c" }, "."]);
check("link in bold", inl("*https://x.org*"), [b({ t: "link", href: "https://x.org" })]);
check("no javascript:", inl("javascript:alert(1)"), ["javascript:alert(1)"]);
check("bare scheme", inl("http:// x"), ["http:// x"]);
check("html stays text", inl("<img src=x onerror=alert(1)>"), ["<img src=x onerror=alert(1)>"]);
// Mentions: only the names given, not inside words.
check("mention", inl("hi @bob_x!", ["bob_x"]), ["hi ", { t: "mention", name: "bob_x" }, "!"]);
check("no mention in a word", inl("a@bob", ["bob"]), ["a@bob"]);
check("unknown name", inl("@carol", ["bob"]), ["@carol"]);
// Emoji shortcodes.
check("emoji", inl("tea :coffee: :+1:"), ["tea ", { t: "emoji", code: "coffee" }, " ", { t: "emoji", code: "+1" }]);
check("emoji case", inl(":Coffee:"), [{ t: "emoji", code: "coffee" }]);
check("no emoji after a digit", inl("12:100:3"), ["12:100:3"]);
check("emoji in italic", inl("_:taco:_"), [i({ t: "emoji", code: "taco" })]);

// Blocks.
const p = (...c) => ({ t: "p", c });
check("plain", parse("hello\nworld"), [p("hello\nworld")]);
check("fence", parse("look:\n```\nint *p = 0;\n_x_\n```\nok"),
  [p("look:"), { t: "pre", text: "int *p = 0;\n_x_" }, p("ok")]);
check("fence one line", parse("```a *b*```"), [{ t: "pre", text: "a *b*" }]);
check("empty fence stays text", parse("a ``` ``` b"), [p("a ``` ``` b")]);
check("two fences", parse("```a```\n```b```"), [{ t: "pre", text: "a" }, { t: "pre", text: "b" }]);
check("unclosed fence", parse("```abc"), [p("```abc")]);
check("quote", parse("> *said*\n> more\nafter"), [{ t: "quote", c: [p(b("said"), "\nmore")] }, p("after")]);
check("quote with a list", parse("> - a\n> - b"), [{ t: "quote", c: [{ t: "ul", items: [["a"], ["b"]] }] }]);
check("bullets", parse("- one\n* _two_\n• three"), [{ t: "ul", items: [["one"], [i("two")], ["three"]] }]);
check("numbers", parse("3. c\n4) d"), [{ t: "ol", start: 3, items: [["c"], ["d"]] }]);
check("not a list", parse("-x\n1.5 apples\n*bold* start"), [p("-x\n1.5 apples\n", b("bold"), " start")]);
check("blank lines between blocks", parse("- a\n\ntext\n\n"), [{ t: "ul", items: [["a"]] }, p("text")]);
check("gt not at start", parse("a > b"), [p("a > b")]);

if (data) {
  const emoji = await import(pathToFileURL(join(dir, "emoji.js")));
  await emoji.load();
  check("coffee", emoji.byCode("coffee") && emoji.byCode("coffee").char, "\u2615");
  check("thumbs up aliases", ["+1", "thumbsup"].map((c) => emoji.byCode(c) && emoji.byCode(c).char), ["👍", "👍"]);
  check("taco first", emoji.search("taco")[0].char, "🌮");
  check("search by name word", emoji.search("beverage").some((e) => e.char === "\u2615"), true);
  check("groups", emoji.groups().includes("Food & Drink"), true);
  check("big set", emoji.all().length > 1500, true);
  check("no skin tones", emoji.all().some((e) => /[\u{1F3FB}-\u{1F3FF}]/u.test(e.char)), false);
}

if (failures) { console.error(failures + " failed"); process.exit(1); }
console.log("format_test: all passed");
