"""Keeping parley for years (issue 15, items 4): `parley --version` and the release in
--help and /metrics; `parley backup` while a server serves and writes, a restore from it;
the refusal of a database written by a newer parley."""
import re
import sqlite3
import subprocess

import pytest

from conftest import Server, parley_bin
from wsraw import get

VERSION_RE = r"\d+\.\d+\.\d+"


def cmake_version():
    """The version project() declares in CMakeLists.txt: the one the binary must print."""
    from conftest import ROOT
    m = re.search(r"project\(parley VERSION (" + VERSION_RE + r")", (ROOT / "CMakeLists.txt")
                  .read_text())
    assert m, "no VERSION in CMakeLists.txt's project()"
    return m.group(1)


@pytest.mark.sqlite_only
def test_version_flag_help_and_metrics(server):
    want = cmake_version()
    out = subprocess.run([parley_bin(), "--version"], capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out
    assert out.stdout.startswith(f"parley {want}"), out.stdout
    help_ = subprocess.run([parley_bin(), "--help"], capture_output=True, text=True, timeout=30)
    assert help_.returncode == 0 and want in help_.stdout and "--version" in help_.stdout
    body = get(server.port, "/metrics").body.decode()
    assert f'parley_build_info{{version="{want}"}} 1' in body, body[:500]
