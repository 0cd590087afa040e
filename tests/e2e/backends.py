"""The shared store and bus the e2e tests run parley on: a throwaway PostgreSQL cluster
(scripts/pg-test-server) and redis-servers, for test_postgres.py and test_shared.py's
fixtures and for conftest's PARLEY_TEST_BACKEND=shared, which runs every other test on them.
"""
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PG_SCRIPT = str(ROOT / "scripts" / "pg-test-server")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pg_available():
    return subprocess.run([PG_SCRIPT, "available"]).returncode == 0


class PgCluster:
    """A throwaway cluster: start() -> self, its URL in .url, its directory in .dir (what
    `pg-test-server pause/resume` take); stop() removes it."""

    def __init__(self):
        self.dir = None
        self.url = None

    def start(self):
        self.dir = tempfile.mkdtemp(prefix="parley-pg-e2e-")
        try:
            self.url = subprocess.run([PG_SCRIPT, "start", self.dir], check=True,
                                      capture_output=True, text=True, timeout=120).stdout.strip()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self):
        if self.dir:
            subprocess.run([PG_SCRIPT, "stop", self.dir], timeout=120)
            self.dir = None


def psql(url, sql):
    subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", url, "-c", sql], check=True,
                   capture_output=True, timeout=60)


def new_schema(url, schema):
    """A store URL on a fresh, empty schema of the cluster at url (dropped first if there)."""
    psql(url, f"DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema}")
    return schema_url(url, schema)


def schema_url(url, schema):
    return f"{url}?options=-csearch_path%3D{schema}"


class Redis:
    def __init__(self, tmp):
        self.tmp = tmp
        self.port = free_port()
        self.proc = None

    @property
    def url(self):
        return f"redis://127.0.0.1:{self.port}"

    def start(self):
        """Starts it on self.port; when another process took that port between free_port and
        the start (make test runs the e2e files in several processes), on a new free one."""
        exe = shutil.which("redis-server") or "/usr/bin/redis-server"
        assert os.path.exists(exe), "redis-server is missing: scripts/deps test installs it"
        for attempt in range(3):
            if attempt:
                self.port = free_port()
            if self._start(exe):
                return self
        raise RuntimeError("redis-server did not start")

    def _start(self, exe):
        self.proc = subprocess.Popen(
            [exe, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.tmp)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), 0.2) as s:
                    s.sendall(b"PING\r\n")
                    if s.recv(16).startswith(b"+PONG"):
                        return True
            except OSError:
                if self.proc.poll() is not None:
                    return False  # it exited: the port is taken
                time.sleep(0.05)
        self.stop()
        raise RuntimeError("redis-server did not answer within 10 s")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


class Shared:
    """PARLEY_TEST_BACKEND=shared: what stands for a SQLite file. Each database path a test's
    servers would have opened becomes a group: a schema of its own on one cluster for the
    session, and a redis-server of its own (pub/sub topics are global to a redis-server, so
    two groups on one would hear each other's channels). Servers on one path share the group,
    as they would share the file: a restart, a second process. The cluster starts with the
    first group."""

    SCHEMAS_AT_ONCE = 32  # a psql run costs 0.1-0.3 s, most of a group's making: one for many

    def __init__(self):
        self.cluster = None
        self.groups = {}  # database path -> (store URL, Redis)
        self.made = 0
        self.spare = []  # schemas made, no group's yet

    def schema(self):
        """A store URL on a new, empty schema of the cluster."""
        if not self.spare:
            names = [f"g{self.made + i + 1}" for i in range(self.SCHEMAS_AT_ONCE)]
            self.made += len(names)
            psql(self.cluster.url, "; ".join(f"CREATE SCHEMA {n}" for n in names))
            self.spare = names
        return schema_url(self.cluster.url, self.spare.pop(0))

    def group(self, path, tmp):
        """(store URL, bus URL) for the database path `path`; a new group's redis-server keeps
        its (empty) directory under tmp."""
        if path not in self.groups:
            if self.cluster is None:
                if not pg_available():
                    raise RuntimeError("PARLEY_TEST_BACKEND=shared needs PostgreSQL's server "
                                       "programs (scripts/deps test)")
                self.cluster = PgCluster().start()
            self.groups[path] = (self.schema(), Redis(tmp).start())
        store, redis = self.groups[path]
        return store, redis.url

    def release(self, keep):
        """Stops the redis-server of every group but those in keep (paths)."""
        for path in [p for p in self.groups if p not in keep]:
            self.groups.pop(path)[1].stop()

    def close(self):
        self.release(())
        if self.cluster:
            self.cluster.stop()
            self.cluster = None
