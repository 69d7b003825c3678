"""Ctrl-C and SIGTERM during `selftest preflight` (a real process, a real signal): the run stops
at once instead of waiting for its deadline, reports what finished, writes the JUnit file and
exits 130 / 143; a second signal changes nothing and never prints a traceback. Also: a terminal
that cannot show '→' and a `php` on PATH that hangs."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from php_here import hanging_php
from signalling import communicate_or_dump

from selftest.checks import tls
from selftest.checks.probes.context import Context, Options
from selftest.faults import start_fault

#: A deadline far beyond the hang guard below: a run that waits for it fails the test.
DEADLINE_S = "300"
HANG_GUARD_S = 60


@pytest.fixture
def tarpit() -> Iterator[str]:
    """A server that accepts and never answers the TLS handshake: tls, clock, token and quota
    would wait for the whole deadline."""
    with start_fault("stall", read_request=False) as server:
        yield f"https://127.0.0.1:{server.urls['port']}"


def start(base: str, tmp_path: Path, client: str | None = "pycurl") -> subprocess.Popen[str]:
    """`selftest preflight` against `base`, TMPDIR its own; `client` None is the default path
    (PHP's cURL beside pycurl when php is on PATH)."""
    env = dict(os.environ, BOX_ACCESS_TOKEN="t0ken-for-tests", TMPDIR=str(tmp_path / "tmp"),
               PYTHONFAULTHANDLER="1")  # a hang prints its stacks (communicate_or_dump)
    (tmp_path / "tmp").mkdir()
    chosen = ["--client", client] if client else []
    return subprocess.Popen(
        [sys.executable, "-m", "selftest", "preflight", "--api-base", base, "--upload-base",
         base + "/api", "--timeout", DEADLINE_S, "--junit-xml", str(tmp_path / "junit.xml"),
         *chosen],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def interrupt(process: subprocess.Popen[str], *signals: int) -> tuple[str, str]:
    """Wait until dns and proxy are reported, send the signals, collect the output."""
    assert process.stdout is not None
    seen = []
    while not any(line.startswith("PASS  proxy") for line in seen):
        line = process.stdout.readline()
        assert line, "the report ended before the proxy check"
        seen.append(line)
    for signum in signals:
        process.send_signal(signum)
        time.sleep(0.05)
    out, err = communicate_or_dump(process, HANG_GUARD_S)
    return "".join(seen) + out, err


@pytest.mark.parametrize(("signals", "status"), [
    ((signal.SIGINT,), 130), ((signal.SIGTERM,), 143),
    ((signal.SIGINT, signal.SIGINT), 130), ((signal.SIGTERM, signal.SIGTERM), 143),
])
def test_interrupt_reports_what_finished(tarpit: str, tmp_path: Path,
                                         signals: tuple[int, ...], status: int) -> None:
    """The run stops long before its deadline, prints finished checks and the interrupted
    ones, writes JUnit, exits 128 + signal; no traceback, no file left in TMPDIR."""
    process = start(tarpit, tmp_path)
    out, err = interrupt(process, *signals)
    assert process.returncode == status, err
    assert "PASS  dns" in out and "interrupted before it finished" in out
    assert out.rstrip().splitlines()[-1].endswith("skipped")
    assert "Traceback" not in err and "interrupted" in err
    assert (tmp_path / "junit.xml").read_text().count("<testcase") == 6
    assert list((tmp_path / "tmp").iterdir()) == []


def test_latin1_terminal_never_gets_a_traceback(tmp_path: Path) -> None:
    """With PYTHONIOENCODING=latin-1 the report's '→' is written as '->', not a traceback."""
    reply = ('HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Bearer realm="Service", '
             'error="invalid_token"\r\nContent-Length: 0\r\n\r\n')
    with start_fault("raw-reply", reply=reply) as server:
        base = server.urls["url"].rstrip("/")
        env = dict(os.environ, PYTHONIOENCODING="latin-1", BOX_ACCESS_TOKEN="t0ken-for-tests")
        done = subprocess.run([sys.executable, "-m", "selftest", "preflight", "--api-base", base,
                               "--upload-base", base, "--only", "token"], env=env,
                              capture_output=True, timeout=HANG_GUARD_S, check=False)
    assert done.returncode == 1, done.stderr
    assert b"Traceback" not in done.stderr
    assert b"All-in-One WP Migration -> Settings -> Box" in done.stdout


@pytest.mark.slow
def test_hanging_php_is_killed_with_its_children(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """A `php` on PATH that hangs (and starts a child) is bounded by the run's deadline, killed
    with its whole process group, and named as a local problem, not the network's."""
    pidfile = tmp_path / "child.pid"
    hanging_php(tmp_path, monkeypatch, f"sleep 300 &\necho $! > {pidfile}\nsleep 300")
    options = Options(api_base="http://127.0.0.1:9", upload_base="http://127.0.0.1:9/api",
                      custom_bases=True, timeout_s=2)
    ctx = Context(options)
    facts = tls.php_module.probe(ctx.run_child)
    assert isinstance(facts, str)
    assert "did not answer" in facts and "not of the network" in facts
    child = int(pidfile.read_text())
    assert not alive(child), "php's child outlived it"


def alive(pid: int) -> bool:
    """Whether `pid` still runs (a zombie waiting for its reaper does not count)."""
    for _ in range(50):
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except FileNotFoundError:
            return False
        if state == "Z":
            return False
        time.sleep(0.02)
    return True


def test_hanging_php_leaves_the_handshakes_their_time(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """With a `php` that hangs, the tls check still handshakes (no timeout blamed on the
    network) and warns that PHP on this machine did not answer."""
    import trustme
    from preflight_servers import MiniBox, serve_minibox

    hanging_php(tmp_path, monkeypatch)
    ca = trustme.CA()
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    with serve_minibox(MiniBox(ca=ca)) as box:
        ctx = Context(Options(api_base=box.url, upload_base=box.url, custom_bases=True,
                              cacert=str(ca_file), timeout_s=3))
        result = tls.run(ctx)
    assert result.status == "warn", result.summary
    assert "not of the network" in result.summary
    assert result.evidence["hosts"][0]["curl_code"] == 0


def php_with_curl() -> bool:
    """Whether a `php` with the curl extension is on PATH (the default run's second opinion)."""
    from selftest.clients import opinions

    return opinions.second_opinion() is not None


@pytest.mark.skipif(not php_with_curl(), reason="no php with the curl extension on PATH "
                                                "(Debian: apt-get install php-cli php-curl)")
@pytest.mark.parametrize(("signum", "status"), [
    (signal.SIGINT, 130), (signal.SIGTERM, 143), (signal.SIGHUP, 129),
])
def test_interrupt_with_php_beside_leaves_no_temporary_entry(tarpit: str, tmp_path: Path,
                                                             signum: int, status: int) -> None:
    """On the default path (PHP's cURL as the second opinion, its requests hanging in the
    tarpit), a stop signal ends the run at once and leaves nothing in TMPDIR, no php behind."""
    process = start(tarpit, tmp_path, client=None)
    out, err = interrupt(process, signum)
    assert process.returncode == status, err
    assert "Traceback" not in err
    assert "interrupted before it finished" in out
    assert list((tmp_path / "tmp").iterdir()) == []
    assert php_children_of(process.pid, tmp_path) == []


def php_children_of(pid: int, tmp_path: Path, *, settle: bool = True) -> list[int]:
    """Processes other than `pid` running with this test's TMPDIR in their environment (php
    started by the run, in their own sessions); with `settle`, given a second to go away."""
    marker = f"TMPDIR={tmp_path / 'tmp'}".encode()
    for _ in range(50 if settle else 1):
        found = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit() or int(entry.name) == pid:
                continue
            try:
                if marker in (entry / "environ").read_bytes().split(b"\0") and \
                        alive(int(entry.name)):
                    found.append(int(entry.name))
            except OSError:
                continue
        if not found:
            return []
        time.sleep(0.02)
    return found


@pytest.mark.skipif(not php_with_curl(), reason="no php with the curl extension on PATH "
                                                "(Debian: apt-get install php-cli php-curl)")
def test_php_requests_never_touch_the_disk(tarpit: str, tmp_path: Path) -> None:
    """While PHP's requests hang (the bearer token in each), nothing of theirs is in TMPDIR, so
    even an exit that runs no clean-up at all (SIGKILL) leaves no `selftest-php-*` behind."""
    process = start(tarpit, tmp_path, client=None)
    assert process.stdout is not None
    while not process.stdout.readline().startswith("PASS  proxy"):
        pass
    in_flight: list[int] = []
    for _ in range(HANG_GUARD_S * 10):
        in_flight = php_children_of(process.pid, tmp_path, settle=False)
        if in_flight:
            break
        time.sleep(0.1)
    assert in_flight, "PHP's requests never started"
    process.kill()
    process.communicate(timeout=HANG_GUARD_S)
    try:
        assert list((tmp_path / "tmp").iterdir()) == []
    finally:
        for pid in in_flight:  # SIGKILL ran no clean-up: the php processes are ours to end
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pid, signal.SIGKILL)
