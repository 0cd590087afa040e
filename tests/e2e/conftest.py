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
"""
import os
import re
import signal
import subprocess
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


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
        store: a store URL (--store) instead of the SQLite file db (--db)."""
        self.tmp = tmp
        self.preexec_fn = preexec_fn
        self.db = str(db or tmp / "parley.db")
        self.store = store
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
    def url(self):
        return f"ws://127.0.0.1:{self.port}"

    @property
    def http(self):
        return f"http://127.0.0.1:{self.port}"

    def start(self, port=0):
        self.runs += 1
        self.log = self.tmp / f"parley-{self.runs}.log"
        logf = open(self.log, "w")
        where = ["--store", self.store] if self.store else ["--db", self.db]
        cmd = [parley_bin(), "--host", "127.0.0.1", "--port", str(port), *where, *self.args]
        if os.environ.get("PARLEY_VALGRIND"):
            cmd = ["valgrind", "-q", "--error-exitcode=99", "--leak-check=full",
                   "--errors-for-leak-kinds=definite", "--show-leak-kinds=definite", *cmd]
        self.proc = subprocess.Popen(cmd, stdout=logf, stderr=subprocess.STDOUT, env=self.env,
                                     preexec_fn=self.preexec_fn)
        logf.close()
        deadline = time.monotonic() + (60 if os.environ.get("PARLEY_VALGRIND") else 15)
        while time.monotonic() < deadline:
            m = re.search(r"listening on https?://127\.0\.0\.1:(\d+)", self.log.read_text())
            if m:
                self.port = int(m.group(1))
                return self
            if self.proc.poll() is not None:
                break
            time.sleep(0.02)
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
