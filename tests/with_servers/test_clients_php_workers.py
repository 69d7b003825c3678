"""PHP and WordPress replays reuse long-lived php workers, and no worker outlives its use.

A worker (`php_replay.php serve`, `wp_replay.php serve`) answers one request per line; the pool
(`selftest.clients.php_workers.Workers`) lends it to one request at a time, drops it when it
timed out or died, and kills every worker when the replayer's `with` ends.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from php_here import needs_php

from selftest.clients import php, wordpress
from selftest.clients.php_workers import Workers
from selftest.clients.replay import php_replayer
from selftest.errors import SelftestError
from selftest.faults import start_fault
from selftest.runner import Runner
from selftest.scenario import load, scenarios_dir

pytestmark = needs_php

OK = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
_WP_DEFAULT = Path.home() / ".cache/selftest/wordpress/usr/share/wordpress"


class _Interrupted(Exception):
    """What the test's SIGTERM handler raises (as the CLI's second signal does)."""


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


@pytest.fixture(scope="module")
def build() -> php.PhpBuild:
    return php.describe()


@pytest.fixture
def workers() -> Iterator[Workers]:
    pool = Workers()
    try:
        yield pool
    finally:
        pool.close()


@pytest.fixture(scope="module")
def origin() -> Iterator[str]:
    with start_fault("raw-reply", reply=OK) as server:
        yield f"http://127.0.0.1:{server.urls['port']}/"


@pytest.fixture
def silent() -> Iterator[str]:
    """A port whose connections complete (the kernel's backlog) and are never answered."""
    with socket.create_server(("127.0.0.1", 0), backlog=8) as listener:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/"


def _get(build: php.PhpBuild, url: str, workers: Workers, *, timeout_ms: int = 5000,
         curl_timeout_ms: int | None = None) -> int:
    """One GET through php.run with `workers`; the pid of the php that answered it.

    `curl_timeout_ms` is libcurl's own limit when it differs from the one the process gets."""
    table = {"url": url, "timeout_ms": curl_timeout_ms or timeout_ms}
    calls, why = php.php_options(table, build)
    assert why is None
    obs = php.run(build, {"url": url, "timeout_ms": timeout_ms}, calls, workers=workers)
    assert obs.curl_code == 0
    assert obs.http_status == 200
    return int(obs.details["pid"])


def test_two_requests_are_served_by_one_worker(build: php.PhpBuild, workers: Workers,
                                               origin: str) -> None:
    """A second request goes to the php that answered the first: no new process."""
    first = _get(build, origin, workers)
    second = _get(build, origin, workers)
    assert first == second
    assert workers.pids() == [first]


def test_a_timeout_kills_the_worker_and_the_next_request_gets_a_new_one(
        build: php.PhpBuild, workers: Workers, origin: str, silent: str,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A worker that does not answer in time is killed (its process is gone), with today's
    words; the next request is answered by a fresh worker."""
    pid = _get(build, origin, workers)
    monkeypatch.setattr(php, "PROCESS_SLACK_S", 0.3)
    with pytest.raises(SelftestError, match=r"^php did not finish within 0\.5 s$"):
        _get(build, silent, workers, timeout_ms=200, curl_timeout_ms=60_000)
    assert _gone(pid)
    assert workers.pids() == []
    monkeypatch.undo()
    fresh = _get(build, origin, workers)
    assert fresh != pid
    assert workers.pids() == [fresh]


def test_a_worker_that_dies_mid_request_is_no_json(build: php.PhpBuild, workers: Workers,
                                                   origin: str) -> None:
    """A worker that ends while it answers (here PHP's own fatal error) gives the "no JSON"
    error with its stderr, and the next request gets a fresh worker."""
    command = [build.php, "-d", "display_errors=stderr", "-d", "log_errors=0",
               str(php.script_path()), "serve"]

    def ask(options: object) -> dict[str, object]:
        request = {"url": origin, "options": options, "body_limit_bytes": 100}
        return workers.ask("test", command, json.dumps(request).encode(), 5)

    pid = ask([])["pid"]
    with pytest.raises(SelftestError, match=r"^php printed no JSON \(exit 255\): .*TypeError"):
        ask(None)  # array_merge() of null: a TypeError nothing catches
    assert workers.pids() == []
    assert _gone(int(str(pid)))
    assert ask([])["pid"] != pid


def test_an_exception_while_waiting_kills_the_worker(build: php.PhpBuild, workers: Workers,
                                                     origin: str, silent: str) -> None:
    """An exception raised while a worker answers (a signal's) propagates, the worker killed."""
    pid = _get(build, origin, workers)

    def interrupted(_signum: int, _frame: object) -> None:
        raise _Interrupted

    previous = signal.signal(signal.SIGTERM, interrupted)
    main = threading.main_thread().ident
    assert main is not None
    timer = threading.Timer(0.5, signal.pthread_kill, (main, signal.SIGTERM))
    timer.start()
    try:
        with pytest.raises(_Interrupted):
            _get(build, silent, workers, timeout_ms=20_000)
    finally:
        timer.cancel()
        signal.signal(signal.SIGTERM, previous)
    assert _gone(pid)
    assert workers.pids() == []


def test_no_php_is_left_after_the_replayer_exits() -> None:
    """Scenarios replayed side by side leave workers; the replayer's end kills every one."""
    scenarios = [load(scenarios_dir() / f"{name}.toml") for name in ("curl-0", "curl-7", "curl-52")]
    with Runner() as runner, php_replayer(runner) as replayer:
        results = runner.run_all(scenarios * 2, run=replayer.run, jobs=3)
        assert replayer.workers is not None
        pids = replayer.workers.pids()
    assert [r.verdict for r in results] == ["pass"] * 6
    assert pids
    assert len(pids) <= 3
    assert all(_gone(pid) for pid in pids)
    assert replayer.workers is None


def test_wordpress_workers_are_keyed_by_their_constants(build: php.PhpBuild, workers: Workers,
                                                         origin: str) -> None:
    """WP_PROXY_* are constants: other constants are another process; the same ones reuse it."""
    wp_path = os.environ.get("SELFTEST_WP_PATH") or str(_WP_DEFAULT)
    assert Path(wp_path, "wp-includes", "class-wp-http.php").is_file(), f"no WordPress at {wp_path}"

    def pid(constants: dict[str, str]) -> int:
        request = {"url": origin, "args": {"timeout": 3, "redirection": 0},
                   "constants": constants}
        obs, _message = wordpress.run(build, wp_path, request, 3000, workers=workers)
        return int(obs.details["pid"])

    proxied = {"WP_PROXY_HOST": "127.0.0.1", "WP_PROXY_PORT": "9"}
    plain = pid({})
    assert pid({}) == plain
    other = pid(proxied)
    assert other != plain
    assert pid(proxied) == other
    assert workers.pids() == sorted([plain, other])


def test_reproduce_replays_php_side_by_side_on_its_jobs(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """`reproduce --client php -j 3` replays on 3 threads, each lent a worker of its own (it
    used to force one at a time)."""
    from selftest.cli import main

    seen: dict[str, object] = {}
    real = Runner.run_all

    def recording(self: Runner, *args: object, **kwargs: object) -> object:
        seen["jobs"] = kwargs.get("jobs")
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Runner, "run_all", recording)
    assert main(["reproduce", "--client", "php", "-j", "3", "curl-7", "curl-52"]) == 0
    assert seen["jobs"] == 3
    assert "2 passed" in capsys.readouterr().out
