"""Shared fixtures: a real parley process on 127.0.0.1 with a fresh database.

The binary is $PARLEY_BIN (make test points it at the ASan+UBSan build), else
build-test/parley, else build/parley. Each server logs to its own file; on stop we check
that it exited 0, which under ASan also means no leak and no undefined behaviour.
With PARLEY_VALGRIND=1 the server runs under valgrind's memcheck instead (use a build
without sanitizers), and any error or definite leak makes it exit non-zero.
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


class Server:
    """One parley process. start() waits until it listens and learns its port."""

    def __init__(self, tmp: Path, *args, db=None, env=None):
        self.tmp = tmp
        self.db = str(db or tmp / "parley.db")
        self.args = list(args)
        self.env = dict(os.environ, **(env or {}))
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
        cmd = [parley_bin(), "--host", "127.0.0.1", "--port", str(port), "--db", self.db,
               *self.args]
        if os.environ.get("PARLEY_VALGRIND"):
            cmd = ["valgrind", "-q", "--error-exitcode=99", "--leak-check=full",
                   "--errors-for-leak-kinds=definite", "--show-leak-kinds=definite", *cmd]
        self.proc = subprocess.Popen(cmd, stdout=logf, stderr=subprocess.STDOUT, env=self.env)
        logf.close()
        deadline = time.monotonic() + (60 if os.environ.get("PARLEY_VALGRIND") else 15)
        while time.monotonic() < deadline:
            m = re.search(r"listening on http://127\.0\.0\.1:(\d+)", self.log.read_text())
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

    def kill9(self):
        self.proc.kill()
        self.proc.wait()

    def restart(self):
        """Starts again on the same port and database."""
        self.start(self.port)
        return self

    def logs(self):
        return "".join(p.read_text() for p in sorted(self.tmp.glob("parley-*.log")))


@pytest.fixture
def make_server(tmp_path):
    """make_server(*flags) -> a started Server; every one is stopped and checked at the end."""
    servers = []

    def make(*args, **kw):
        s = Server(tmp_path, *args, **kw).start()
        servers.append(s)
        return s

    yield make
    for s in servers:
        if s.proc and s.proc.poll() is None:
            code = s.stop()
            assert code == 0, f"parley exited {code}:\n{s.logs()[-4000:]}"


@pytest.fixture
def server(make_server):
    return make_server()
