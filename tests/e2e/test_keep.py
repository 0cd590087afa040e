"""Keeping parley for years (issue 15, items 4): `parley --version` and the release in
--help and /metrics; `parley backup` while a server serves and writes, a restore from it;
the refusal of a database written by a newer parley."""
import asyncio
import os
import re
import shutil
import sqlite3
import subprocess

import pytest

from conftest import Server, parley_bin
from wsraw import Client, get, run

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


# ---------------------------------------------------------------- backup and restore


def backup(*args):
    return subprocess.run([parley_bin(), "backup", *map(str, args)], capture_output=True,
                          text=True, timeout=120)


async def texts_in(server, user):
    """The texts of #general a guest joining `server` is replayed (its --history of them)."""
    c, _, history = await Client.joined(server, user)
    await c.ws.close()
    return [m["text"] for m in history["messages"]]


@pytest.mark.sqlite_only
def test_backup_while_serving_and_restore(make_server, tmp_path):
    """A backup taken while a client writes is a whole database holding every message
    acknowledged before it began; a server started on it (the restore) serves them."""
    server = make_server("--rate", "1000", "--burst", "1000")
    copy = tmp_path / "copy" / "backup.db"
    copy.parent.mkdir()

    async def flow():
        w, _, _ = await Client.joined(server, "writer")
        before = [f"before {i}" for i in range(30)]
        for t in before:
            await w.msg(t)
        stop = asyncio.Event()
        during = []

        async def write_on():  # keeps writing while the backup runs
            while not stop.is_set() and len(during) < 2000:
                during.append(f"during {len(during)}")
                await w.msg(during[-1])

        writer = asyncio.create_task(write_on())
        while len(during) < 3:  # the writer is writing when the backup begins
            await asyncio.sleep(0.01)
        # A page per step, 5 ms apart: the copy lasts while the writer writes.
        proc = await asyncio.create_subprocess_exec(
            parley_bin(), "backup", str(copy), *server.where,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
            env=dict(os.environ, PARLEY_TEST_BACKUP_SLOW="1"))
        out, err = await proc.communicate()
        stop.set()
        await writer
        await w.ws.close()
        assert proc.returncode == 0, (out, err)
        assert b"parley.files" in out and b"rsync" in out, out
        return before, during

    before, during = run(flow(), timeout=90)
    con = sqlite3.connect(copy)
    try:
        assert con.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        stored = [r[0] for r in con.execute(
            "SELECT text FROM messages WHERE kind = 'msg' ORDER BY seq")]
    finally:
        con.close()
    assert stored[:len(before)] == before, stored[:40]
    # A prefix of what was written during the backup, with no hole: the snapshot of a moment,
    # the one the backup began at. (A copy restarted at each write would only end once the
    # writer stopped, holding all it wrote.)
    assert stored[len(before):] == during[:len(stored) - len(before)]
    assert len(stored) - len(before) < len(during), (len(stored), len(during))
    assert not (copy.parent / "backup.db.partial").exists()
    # The restore: the server stopped, the copy put back in its place, the server started.
    assert server.stop() == 0
    (tmp_path / "parley.db").unlink()
    for side in ("parley.db-wal", "parley.db-shm"):
        (tmp_path / side).unlink(missing_ok=True)
    shutil.copy(copy, tmp_path / "parley.db")
    restored = make_server("--history", "200")
    texts = run(texts_in(restored, "reader"))
    assert texts[:len(before)] == before and texts == stored, texts[:40]


@pytest.mark.sqlite_only
def test_backup_refusals(tmp_path, server):
    """Bad uses say what is wrong: no FILE, no database, the database itself, PostgreSQL."""
    r = backup()
    assert r.returncode == 2 and "FILE" in r.stderr, r
    r = backup(tmp_path / "x.db", "--db", tmp_path / "missing.db")
    assert r.returncode == 1 and "missing.db" in r.stderr, r
    r = backup(server.db, "--db", server.db)
    assert r.returncode == 1 and "the database itself" in r.stderr, r
    r = backup(tmp_path / "x.db", "--store", "postgresql://parley:secret@db.example/parley")
    assert r.returncode == 2 and "pg_dump" in r.stderr and "secret" not in r.stderr, r
    assert not (tmp_path / "x.db").exists()


# ---------------------------------------------------------------- upgrades and downgrades


def set_schema_version(server, version):
    """Marks the server's database as written by a parley of schema `version`."""
    if not server.store:
        con = sqlite3.connect(server.db)
        con.execute(f"PRAGMA user_version = {version}")
        con.commit()
        con.close()
        return
    subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", server.store, "-c",
                    f"UPDATE meta SET value = {version} WHERE key = 'schema_version'"],
                   check=True, capture_output=True, timeout=60)


def test_newer_schema_refused_with_a_clear_message(server):
    """A database a newer parley wrote (a downgrade) is not opened: the process exits non-zero
    saying so, and the database is left as it was."""
    assert server.stop() == 0
    set_schema_version(server, 999)
    with pytest.raises(RuntimeError) as failed:
        server.restart()
    assert server.proc.wait(30) != 0
    log = str(failed.value)
    assert "was written by a newer parley (schema version 999" in log, log
    assert "refusing to open it" in log and "docs/backups.md" in log, log
