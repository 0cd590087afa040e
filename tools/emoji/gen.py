#!/usr/bin/python3
"""gen.py - build-time tool: writes the web client's emoji data (web/emoji.js loads it).

Usage: gen.py EMOJI_TEST_TXT OUT.js

From maintained data only, both Debian packages (scripts/deps installs them):
  - Unicode's emoji-test.txt (package unicode-data): every fully-qualified emoji, its
    CLDR name, its group, in Unicode's order (the picker's order);
  - the `emoji` Python module (package python3-emoji): the GitHub/Slack-style shortcodes
    (its aliases, e.g. :coffee: for U+2615, :+1: for thumbs up) and its CLDR-based ones.
Skin-tone variants and the Component group are left out: the picker shows base emoji
(the server accepts any emoji as a reaction, so other clients' choices still render).

The output is an ES module, compact (one string, parsed on load), so the page fetches it
only when a :shortcode: or the picker first needs it:
  export const GROUPS = [group name, ...];
  export const DATA = "EMOJI\\tGROUP_INDEX\\tNAME\\tCODE CODE...\\n...";
The first code of a row is the preferred one (written back into the composer); an empty
NAME is the last code with its underscores as spaces.
"""
import json
import re
import sys
import unicodedata

SKIN_TONES = set(range(0x1F3FB, 0x1F400))
LINE = re.compile(r"^([0-9A-F ]+?)\s*;\s*fully-qualified\s*#\s*\S+\s+E[\d.]+\s+(.+)$")
CODE_OK = re.compile(r"^[a-z0-9_+-]+$")


def fail(msg):
    sys.stderr.write("tools/emoji/gen.py: " + msg + "\n")
    sys.exit(1)


def slug(name):
    """'flag: Åland Islands' -> 'flag_aland_islands' (shortcodes are ASCII)."""
    s = unicodedata.normalize("NFKD", name.lower())
    s = "".join(c for c in s if not unicodedata.combining(c))
    s = re.sub(r"[^a-z0-9+-]+", "_", s).strip("_")
    return s


def read_test(path):
    groups, rows, group = [], [], None
    try:
        f = open(path, encoding="utf-8")
    except OSError as e:
        fail(f"cannot read {path} ({e.strerror}): install Debian's unicode-data (scripts/deps)")
    with f:
        for line in f:
            if line.startswith("# group:"):
                group = line.split(":", 1)[1].strip()
                if group != "Component":
                    groups.append(group)
                continue
            m = LINE.match(line)
            if not m or group in (None, "Component"):
                continue
            cps = [int(x, 16) for x in m.group(1).split()]
            if SKIN_TONES.intersection(cps):
                continue
            rows.append(("".join(map(chr, cps)), len(groups) - 1, m.group(2).strip()))
    if len(rows) < 1000 or not groups:
        fail(f"{path} holds {len(rows)} emoji: not Unicode's emoji-test.txt?")
    return groups, rows


def main():
    if len(sys.argv) != 3:
        sys.stderr.write("usage: gen.py EMOJI_TEST_TXT OUT.js\n")
        sys.exit(2)
    try:
        import emoji
    except ImportError:
        fail("the Python module `emoji` is missing: install Debian's python3-emoji (scripts/deps)")
    known = emoji.EMOJI_DATA
    groups, rows = read_test(sys.argv[1])
    taken, out = set(), []
    for ch, g, name in rows:
        info = known.get(ch) or known.get(ch.replace("\ufe0f", "")) or {}
        cands = [a.strip(":") for a in info.get("alias", [])]
        if info.get("en"):
            cands.append(info["en"].strip(":"))
        cands.append(slug(name))
        codes = []
        for c in cands:
            c = slug(c) if not CODE_OK.match(c.lower()) else c.lower()
            if c and CODE_OK.match(c) and c not in taken:
                taken.add(c)
                codes.append(c)
        if not codes:
            continue  # every name it could have is another's: findable by name only
        if "\t" in name or "\n" in name:
            fail(f"a tab or newline in the name of U+{ord(ch[0]):04X}")
        # Most names are their last code with spaces: left out, the page derives them.
        shown = "" if codes[-1].replace("_", " ") == name else name
        out.append(f"{ch}\t{g}\t{shown}\t{' '.join(codes)}")
    version = getattr(emoji, "__version__", "?")
    with open(sys.argv[2], "w", encoding="utf-8") as f:
        f.write("// Generated at build time by tools/emoji/gen.py from Unicode's emoji-test.txt\n"
                f"// (unicode-data) and python3-emoji {version}'s shortcodes: do not edit.\n")
        f.write("export const GROUPS = " + json.dumps(groups, ensure_ascii=False) + ";\n")
        f.write("export const DATA = " + json.dumps("\n".join(out), ensure_ascii=False) + ";\n")


if __name__ == "__main__":
    main()
