"""The Debian package (issue 15 item 5; `make deb`, scripts/build-deb, packaging/): it builds
from a release binary, `dpkg -i` installs it, the installed binary started as the installed
unit starts it (its ExecStart and EnvironmentFile, with a temporary state directory and a
free port in place of /var/lib/parley and 8000, as an unprivileged user, since systemd does
not run here) serves /healthz and a WebSocket chat and drains on the unit's stop signal;
the man page documents every flag; `dpkg -r` removes it and `dpkg --purge` its conffile.

It installs into the machine (/usr/bin/parley): root only, as CI runs; skipped otherwise.
The package wants a release build: build/parley when there is one (and it is not a
sanitizer build), else one made (and kept, so that a second run only checks) in build-pkg/.
"""
import asyncio
import gzip
import os
import pwd
import re
import shlex
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import types
from pathlib import Path

import pytest

from wsraw import Client, get, run

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [
    pytest.mark.sqlite_only,
    pytest.mark.skipif(os.geteuid() != 0, reason="installs a package with dpkg: needs root "
                       "(CI runs as root)"),
    pytest.mark.skipif(not shutil.which("dpkg-deb"), reason="needs dpkg-deb (Debian)"),
]


def sanitized(binary):
    libs = subprocess.run(["ldd", str(binary)], capture_output=True, text=True).stdout
    return bool(re.search(r"lib(asan|tsan|ubsan)", libs))


def release_binary():
    """build/parley when it is a release build, else build-pkg/parley, made (or brought up to
    date) here: a Release build without debug information, the quickest to compile (some
    20 s of two idle cores from nothing; the directory is kept, so a second run only checks)."""
    own = ROOT / "build" / "parley"
    if own.exists() and not sanitized(own):
        return own
    bdir = ROOT / "build-pkg"
    t = time.monotonic()
    # under the lock `make test`'s background build of the same directory holds
    # (scripts/test-all): this waits for it, then finds it done
    subprocess.run(["flock", str(ROOT / "build-pkg.lock"), "sh", "-c",
                    'cmake -S "$1" -B "$2" -DCMAKE_BUILD_TYPE=Release >/dev/null && '
                    'cmake --build "$2" -j2 --target parley >/dev/null', "-", str(ROOT), str(bdir)],
                   check=True, capture_output=True)
    print(f"release build for the package: {time.monotonic() - t:.1f} s")
    return bdir / "parley"


def dpkg(*args):
    """dpkg, waiting for its lock while another dpkg or apt runs (other jobs install too)."""
    deadline = time.monotonic() + 120
    while True:
        p = subprocess.run(["dpkg", *args], capture_output=True, text=True)
        if p.returncode == 0 or "lock" not in p.stderr or time.monotonic() > deadline:
            return p
        time.sleep(1)


def installed():
    p = subprocess.run(["dpkg-query", "-W", "-f=${Status}", "parley"], capture_output=True,
                       text=True)
    return p.stdout.strip()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def unit_command(unit_text, env_file, state, port):
    """The unit's ExecStart as argv and its EnvironmentFile as variables, with the state
    directory and the port replaced."""
    m = re.search(r"^ExecStart=(.*)$", unit_text, re.M)
    argv = [a.replace("/var/lib/parley", str(state)) for a in shlex.split(m.group(1))]
    env = {}
    for line in Path(env_file).read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            k, _, v = line.partition("=")
            env[k] = v
    env["PARLEY_PORT"] = str(port)
    return argv, env


@pytest.fixture
def deb(tmp_path):
    if installed().startswith("install ok"):
        pytest.skip("a parley package is already installed here: not ours to remove")
    binary = release_binary()
    out = subprocess.run([str(ROOT / "scripts" / "build-deb"), str(binary), str(tmp_path)],
                         check=True, capture_output=True, text=True).stdout.strip()
    yield Path(out)
    if installed():
        dpkg("--purge", "parley")


def test_package_installs_serves_and_goes(deb, tmp_path, request):
    version = re.search(r"project\(parley VERSION ([0-9.]+)",
                        (ROOT / "CMakeLists.txt").read_text()).group(1)
    assert deb.name == f"parley_{version}_{subprocess.check_output(['dpkg', '--print-architecture'], text=True).strip()}.deb"
    fields = subprocess.run(["dpkg-deb", "-f", str(deb)], check=True, capture_output=True,
                            text=True).stdout
    assert f"Version: {version}" in fields
    # Depends names the libraries the binary links (dpkg-shlibdeps), SQLite and libuv among them.
    assert re.search(r"^Depends: .*libsqlite3-0.*", fields, re.M), fields
    assert "libuv1" in fields and "libsodium23" in fields, fields

    # Lintian, where it is installed (it is not in scripts/deps: a check for whoever publishes
    # the package), finds nothing but the placeholder maintainer (DEBEMAIL names a real one).
    if shutil.which("lintian"):
        lint = subprocess.run(["lintian", "--suppress-tags",
                               "bogus-mail-host,bogus-mail-host-in-debian-changelog", str(deb)],
                              capture_output=True, text=True, timeout=300)
        tags = [t for t in lint.stdout.splitlines() if re.match(r"[EW]: ", t)]
        assert not tags, lint.stdout

    p = dpkg("-i", str(deb))
    assert p.returncode == 0, p.stderr
    assert installed() == "install ok installed"
    # postinst enabled the unit (deb-systemd-helper works without systemd running) and
    # started nothing: systemd is not running here.
    wants = Path("/etc/systemd/system/multi-user.target.wants/parley.service")
    assert wants.is_symlink(), "postinst did not enable parley.service"
    unit = Path("/lib/systemd/system/parley.service").read_text()
    for line in ("DynamicUser=yes", "StateDirectory=parley", "ProtectSystem=strict",
                 "LimitNOFILE=65536", "Restart=on-failure", "NoNewPrivileges=yes",
                 "EnvironmentFile=-/etc/default/parley", "KillSignal=SIGTERM"):
        assert re.search(rf"^{re.escape(line)}$", unit, re.M), line
    conffiles = subprocess.run(["dpkg-query", "-W", "-f=${Conffiles}", "parley"],
                               capture_output=True, text=True).stdout
    assert "/etc/default/parley" in conffiles
    if shutil.which("systemd-analyze"):
        v = subprocess.run(["systemd-analyze", "verify", "/lib/systemd/system/parley.service"],
                           capture_output=True, text=True, timeout=60)
        assert v.returncode == 0, v.stdout + v.stderr
        # The hardening as systemd scores it (0 best, 10 worst; the unit is at 1.6): a unit
        # loosened past 2.0 fails here.
        sec = subprocess.run(["systemd-analyze", "security", "--offline=true", "--threshold=20",
                              "/lib/systemd/system/parley.service"], capture_output=True,
                             text=True, timeout=60)
        assert sec.returncode == 0, sec.stdout[-3000:] + sec.stderr

    # The man page: installed (or, where dpkg is told to leave man pages out, in the
    # package), and naming every flag the binary has.
    page = Path("/usr/share/man/man8/parley.8.gz")
    assert page.exists()
    w = subprocess.run(["man", "-w", "parley"], capture_output=True, text=True)
    assert w.returncode == 0 and w.stdout.strip() == str(page), w
    roff = gzip.decompress(page.read_bytes()).decode()
    helptext = subprocess.run(["/usr/bin/parley", "--help"], capture_output=True,
                              text=True).stdout
    flags = re.findall(r"^  --([a-z-]+)", helptext, re.M)
    assert len(flags) > 30
    missing = [f for f in flags if "\\-\\-" + f.replace("-", "\\-") not in roff]
    assert not missing, f"flags of --help missing from packaging/parley.8: {missing}"

    # Started as the unit starts it, as a user of no privilege (the unit's is dynamic), in a
    # state directory of its own (outside pytest's, which only root may enter).
    state = Path(tempfile.mkdtemp(prefix="parley-state-"))
    request.addfinalizer(lambda: shutil.rmtree(state, ignore_errors=True))
    os.chown(state, pwd.getpwnam("nobody").pw_uid, pwd.getpwnam("nobody").pw_gid)
    port = free_port()
    argv, env = unit_command(unit, "/etc/default/parley", state, port)
    assert argv[0] == "/usr/bin/parley" and "--db" in argv and "--files" in argv, argv
    log = tmp_path / "parley.log"
    with open(log, "w") as logf:
        proc = subprocess.Popen(["setpriv", "--reuid=nobody", "--regid=nogroup",
                                 "--clear-groups", *argv], cwd=state, stdout=logf,
                                stderr=subprocess.STDOUT,
                                env={"PATH": "/usr/bin:/bin", **env})
    try:
        deadline = time.monotonic() + 30
        while "listening on" not in log.read_text():
            assert proc.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.05)
        assert f"listening on http://127.0.0.1:{port}" in log.read_text()
        health = get(port, "/healthz")
        assert health.status == 200 and health.json() == {"status": "ok"}, health
        srv = types.SimpleNamespace(url=f"ws://127.0.0.1:{port}", port=port)

        async def chat():
            a, _, _ = await Client.joined(srv, "ann")
            b, _, _ = await Client.joined(srv, "ben")
            await a.msg("from the package")
            assert (await b.recv_json("msg"))["payload"]["text"] == "from the package"
            await b.msg("and back")
            assert (await a.recv_json("msg"))["payload"]["text"] == "and back"
            await a.close()
            await b.close()

        run(chat())
        assert (state / "parley.db").exists() and (state / "files").is_dir()
        # The unit's stop signal drains: exit 0.
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0, log.read_text()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()

    # Removed: the binary and the unit go, the conffile stays until purged.
    p = dpkg("-r", "parley")
    assert p.returncode == 0, p.stderr
    assert not Path("/usr/bin/parley").exists()
    assert not Path("/lib/systemd/system/parley.service").exists()
    assert not page.exists()
    assert Path("/etc/default/parley").exists()
    assert installed().startswith("deinstall ok config-files")
    p = dpkg("--purge", "parley")
    assert p.returncode == 0, p.stderr
    assert not Path("/etc/default/parley").exists()
    assert not wants.is_symlink() and not wants.exists()
    assert installed() in ("", "unknown ok not-installed")
