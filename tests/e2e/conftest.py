"""Shared fixtures: a real parley process on 127.0.0.1 with a fresh database.

The binary is $PARLEY_BIN (make test points it at the ASan+UBSan build), else
build-test/parley, else build/parley. Each server logs to its own file; on stop we check
that it exited 0, which under ASan also means no leak and no undefined behaviour.
With PARLEY_VALGRIND=1 the server runs under valgrind's memcheck instead (use a build
without sanitizers), and any error or definite leak makes it exit non-zero.

Accounts (issue 11): unless a test says otherwise, a server runs with `--registration open`
(any test may make accounts) and `--guest-ttl 0` (a guest's name is free again as soon as
its last connection leaves, as names were before accounts), and with PARLEY_TEST_FAST_HASH=1
(argon2 at the fast limits the server allows for tests). A flag the test gives itself (as
`--flag value` or `--flag=value`, or its PARLEY_* twin in env=) wins over the default;
defaults=False starts the server without these default flags, fast_hash=False with the real
argon2 parameters. The Makefile's PARLEY_THREADS (and any other PARLEY_* variable of the
environment) reaches the server as is.

Backends (issue 13): by default a server runs on the SQLite file <tmp>/parley.db. With
PARLEY_TEST_BACKEND=shared, every server the test gave no db=, store= or --bus of its own
runs with `--store` on a PostgreSQL schema of its own and `--bus` on a redis-server of its
own instead (backends.Shared): one throwaway cluster for the session, a schema and a
redis-server for each database path, so that servers that would share a file (a restart,
restart() after kill9(), a second process on it) share the schema, which outlives them, and
the bus, while two tests, or two databases of one test, never meet. A test about the SQLite
file itself is marked `sqlite_only` and skipped there, saying so; one that fails on the
shared backend because of a known parley bug is marked `shared_xfail(reason=...)`, a strict
xfail there only.
"""
import csv
import io
import os
import re
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest

from backends import Shared

ROOT = Path(__file__).resolve().parents[2]
BACKEND = os.environ.get("PARLEY_TEST_BACKEND", "sqlite")
if BACKEND not in ("sqlite", "shared"):
    raise RuntimeError(f"PARLEY_TEST_BACKEND={BACKEND}: sqlite (the default) or shared")
SHARED = Shared() if BACKEND == "shared" else None


def pytest_configure(config):
    config.addinivalue_line("markers", "sqlite_only: about the SQLite file itself, or not about "
                            "the store at all (a tool that runs once is enough: Alertmanager); "
                            "skipped with PARLEY_TEST_BACKEND=shared")
    config.addinivalue_line("markers", "shared_xfail(reason): a known parley bug on "
                            "PostgreSQL + Redis; a strict xfail with PARLEY_TEST_BACKEND=shared")
    config.addinivalue_line("markers", "serial: needs the machine to itself (a flood, a stall, "
                            "a deadline under load): scripts/test-all runs it alone, after the "
                            "others ran in parallel processes")


def pytest_report_header(config):
    return f"parley backend: {BACKEND}"


def pytest_collection_modifyitems(config, items):
    if SHARED is None:
        return
    for item in items:
        if item.get_closest_marker("sqlite_only"):
            item.add_marker(pytest.mark.skip(
                reason="about the SQLite file; PARLEY_TEST_BACKEND=shared runs on PostgreSQL"))
        m = item.get_closest_marker("shared_xfail")
        if m:
            item.add_marker(pytest.mark.xfail(strict=True, reason=m.kwargs["reason"]))


def pytest_sessionfinish(session, exitstatus):
    if SHARED is not None:
        SHARED.close()


@pytest.fixture(autouse=True)
def shared_groups():
    """With the shared backend, stops the redis-servers of the groups the test made once it
    is done (a server of a module's fixture keeps its group to the end of the session)."""
    if SHARED is None:
        yield
        return
    before = set(SHARED.groups)
    yield
    SHARED.release(before)


def parley_bin():
    env = os.environ.get("PARLEY_BIN")
    if env:
        return env
    for cand in (ROOT / "build-test" / "parley", ROOT / "build" / "parley"):
        if cand.exists():
            return str(cand)
    raise RuntimeError("no parley binary: run make build or set PARLEY_BIN")


# flag -> default value, for servers started by the fixtures (see the module's doc)
DEFAULT_FLAGS = {"--registration": "open", "--guest-ttl": "0"}


def with_defaults(args, env):
    """args with DEFAULT_FLAGS added in front, except those the test set (in args or as the
    PARLEY_* twin in env)."""
    out = []
    for flag, value in DEFAULT_FLAGS.items():
        twin = "PARLEY_" + flag[2:].upper().replace("-", "_")
        given = any(a == flag or str(a).startswith(flag + "=") for a in args)
        if not given and twin not in env:
            out += [flag, value]
    return out + list(args)


class Server:
    """One parley process. start() waits until it listens and learns its port."""

    def __init__(self, tmp: Path, *args, db=None, store=None, env=None, defaults=True,
                 fast_hash=True, preexec_fn=None):
        """preexec_fn: run in the child before the binary (e.g. to set a resource limit);
        store: a store URL (--store) instead of the SQLite file db (--db). With the shared
        backend, neither given nor --bus in args: the store and bus of db's group."""
        self.tmp = tmp
        self.preexec_fn = preexec_fn
        self.db = str(db or tmp / "parley.db")
        self.store = store
        self.bus = None
        own_bus = any(a == "--bus" or str(a).startswith("--bus=") for a in args)
        if SHARED is not None and db is None and store is None and not own_bus:
            self.store, self.bus = SHARED.group(self.db, tmp)
        self.args = with_defaults(args, env or {}) if defaults else list(args)
        self.env = dict(os.environ, **(env or {}))
        if fast_hash and "PARLEY_TEST_FAST_HASH" not in (env or {}):
            self.env["PARLEY_TEST_FAST_HASH"] = "1"
        elif not fast_hash:
            self.env.pop("PARLEY_TEST_FAST_HASH", None)
        self.tokens = {}  # account name -> session token (accounts.account_token)
        self.env.setdefault("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=0")
        self.env.setdefault("UBSAN_OPTIONS", "print_stacktrace=1:halt_on_error=1")
        self.proc = None
        self.port = None
        self.runs = 0

    @property
    def where(self):
        """The flags that name this server's database (`parley user` takes them too)."""
        return ["--store", self.store] if self.store else ["--db", self.db]

    def rows(self, sql):
        """The rows of a query on this server's database (SQLite or PostgreSQL), as tuples;
        PostgreSQL's integers as ints (psql gives text)."""
        if not self.store:
            con = sqlite3.connect(f"file:{self.db}?mode=ro", uri=True, timeout=5)
            try:
                return con.execute(sql).fetchall()
            finally:
                con.close()
        out = subprocess.run(["psql", "-X", "-q", "-t", "--csv", "-v", "ON_ERROR_STOP=1",
                              self.store, "-c", sql], check=True, capture_output=True,
                             text=True, timeout=60).stdout
        return [tuple(int(v) if re.fullmatch(r"-?[0-9]+", v) else v for v in row)
                for row in csv.reader(io.StringIO(out))]

    @property
    def url(self):
        return f"ws://127.0.0.1:{self.port}"

    @property
    def http(self):
        return f"http://127.0.0.1:{self.port}"

    def start(self, port=0):
        self.runs += 1
        self.log = self.tmp / f"parley-{self.runs}.log"
        logf = open(self.log, "w")
        bus = ["--bus", self.bus] if self.bus else []
        cmd = [parley_bin(), "--host", "127.0.0.1", "--port", str(port), *self.where, *bus,
               *self.args]
        if os.environ.get("PARLEY_VALGRIND"):
            cmd = ["valgrind", "-q", "--error-exitcode=99", "--leak-check=full",
                   "--errors-for-leak-kinds=definite", "--show-leak-kinds=definite", *cmd]
        self.proc = subprocess.Popen(cmd, stdout=logf, stderr=subprocess.STDOUT, env=self.env,
                                     preexec_fn=self.preexec_fn)
        logf.close()
        # A start takes well under a second on an idle machine; on a loaded one (make test's
        # parallel e2e processes, other builds) it was seen taking over 15 s, starved of CPU.
        # The wait ends as soon as it listens: the bound is only for a server that hangs.
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            m = re.search(r"listening on https?://127\.0\.0\.1:(\d+)", self.log.read_text())
            if m:
                self.port = int(m.group(1))
                return self
            if self.proc.poll() is not None:
                break
            time.sleep(0.02)
        if self.proc.poll() is None:  # hung: not left running after the test
            self.proc.kill()
            self.proc.wait()
        raise RuntimeError(f"parley did not start:\n{self.log.read_text()}")

    def stop(self, sig=signal.SIGTERM, timeout=60):
        """Stops the process; returns its exit code (0 expected after SIGTERM)."""
        if not self.proc or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise

    @property
    def pid(self):
        return self.proc.pid

    def vmrss_kib(self):
        """The server process's resident memory (VmRSS, KiB) from /proc."""
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        raise AssertionError("no VmRSS")

    def kill9(self):
        self.proc.kill()
        self.proc.wait()

    def restart(self):
        """Starts again on the same port and database."""
        self.start(self.port)
        return self

    def logs(self):
        return "".join(p.read_text() for p in sorted(self.tmp.glob("parley-*.log")))


def servers_made(tmp_path, **fixed):
    """For a fixture to yield from: yields make(*flags, **kw) -> a started Server (with the
    keywords `fixed` too), then stops every one made and checks it exited 0."""
    servers = []

    def make(*args, **kw):
        s = Server(tmp_path, *args, **fixed, **kw).start()
        servers.append(s)
        return s

    yield make
    for s in servers:
        if s.proc and s.proc.poll() is None:
            code = s.stop()
            assert code == 0, f"parley exited {code}:\n{s.logs()[-4000:]}"


@pytest.fixture
def make_server(tmp_path):
    """make_server(*flags, env=..., defaults=True, fast_hash=True) -> a started Server; every
    one is stopped and checked at the end."""
    yield from servers_made(tmp_path)


@pytest.fixture
def server(make_server):
    return make_server()
