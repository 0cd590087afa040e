#!/usr/bin/python3
"""web/style.css is one file appended to by feature: a block left open (an @media without
its closing brace) silently moves every later rule under its condition, so the desktop
loses styles that only phones then get. Checks that braces balance and that every section
header ("/* ---------- ...") sits at the top level.
Usage: css_check.py STYLE.css"""
import re
import sys


def problems(text):
    found = []
    depth = 0
    i = 0
    line = 1
    while i < len(text):
        if text.startswith("/*", i):
            end = text.find("*/", i + 2)
            if end < 0:
                found.append(f"line {line}: a comment never closed")
                break
            if text.startswith("/* ----------", i) and depth:
                found.append(f"line {line}: a section starts inside a block {depth} deep")
            line += text.count("\n", i, end)
            i = end + 2
            continue
        c = text[i]
        if c in "\"'":
            m = re.compile(r"%s(?:\\.|[^%s\\\n])*%s" % (c, c, c)).match(text, i)
            if not m:
                found.append(f"line {line}: a string never closed")
                break
            i = m.end()
            continue
        if c == "\n":
            line += 1
        elif c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
            if depth < 0:
                found.append(f"line {line}: a closing brace with nothing open")
                depth = 0
        i += 1
    if depth:
        found.append(f"end of file: {depth} block(s) left open")
    return found


def main():
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    with open(sys.argv[1], encoding="utf-8") as f:
        found = problems(f.read())
    for p in found:
        print(f"{sys.argv[1]}: {p}", file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
