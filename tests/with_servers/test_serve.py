"""`selftest serve`: the URL comes first, the hints work, the curl CLI sees the same code."""

from __future__ import annotations

import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from selftest.cli import main
from selftest.runner import Runner

CURL = shutil.which("curl")
needs_curl = pytest.mark.skipif(CURL is None, reason="the curl command line tool is not installed")


@contextmanager
def serving(*args: str) -> Iterator[list[str]]:
    """Run `selftest serve ARGS` in a subprocess; yield its hint lines; stop it with SIGTERM."""
    process = subprocess.Popen([sys.executable, "-m", "selftest", "serve", *args],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        lines: list[str] = []
        while not lines or lines[-1] != "# serving until Ctrl-C":
            line = process.stdout.readline()
            assert line, f"serve ended early: {process.communicate()[1]}"
            lines.append(line.rstrip("\n"))
        yield lines
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()


def run_hinted_curl(lines: list[str]) -> int:
    """Run the `curl` command line the serve hints give, return its exit code."""
    (command,) = [line[2:] for line in lines if line.startswith("# curl ")]
    return subprocess.run(shlex.split(command), capture_output=True, timeout=30,
                          check=False).returncode


@needs_curl
def test_curl_cli_gets_empty_reply_exit_code() -> None:
    """The curl CLI pointed at `serve curl-52` exits 52, as the scenario expects."""
    with serving("curl-52") as lines:
        assert lines[0].startswith("http://127.0.0.1:") and lines[0].endswith("/")
        assert run_hinted_curl(lines) == 52


@needs_curl
def test_curl_cli_gets_tls_verification_exit_code() -> None:
    """The curl CLI, given the served test CA, fails verification of curl-60's server with 60."""
    with serving("curl-60") as lines:
        assert lines[0].startswith("https://127.0.0.1:")
        assert any(line.startswith("# ca: ") for line in lines)
        assert run_hinted_curl(lines) == 60


def test_port_option_binds_that_port() -> None:
    """--port N serves on 127.0.0.1:N."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with serving("curl-52", "--port", str(port)) as lines:
        assert lines[0] == f"http://127.0.0.1:{port}/"


def test_nothing_to_serve_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    """A scenario with no server (client-only or impossible) exits 2 and says why."""
    assert main(["serve", "curl-6"]) == 2
    assert "nothing to serve" in capsys.readouterr().err
    assert main(["serve", "curl-20"]) == 2


def test_ambiguous_catalog_id_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    """A catalog id with several scenarios asks for one of them."""
    assert main(["serve", "curl:60"]) == 2
    assert "curl-60-expired" in capsys.readouterr().err


def test_sigterm_while_starting_stops_the_servers_and_exits_0(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """SIGTERM that comes before the URL line is out still stops every server (exit 0, no -15)."""
    started: list[Any] = []
    server = Runner.server

    def server_then_sigterm(self: Runner, item: Any) -> Any:
        started.append(server(self, item))
        # Were SIGTERM not caught yet, sending it would end pytest itself: check first.
        assert signal.getsignal(signal.SIGTERM) not in (signal.SIG_DFL, None)
        os.kill(os.getpid(), signal.SIGTERM)
        return started[-1]

    monkeypatch.setattr(Runner, "server", server_then_sigterm)
    before = signal.getsignal(signal.SIGTERM)
    assert main(["serve", "curl-52"]) == 0
    assert started and started[0].stopping
    assert signal.getsignal(signal.SIGTERM) == before
    assert capsys.readouterr().out.startswith("http://127.0.0.1:")


def test_serving_one_scenario_checks_only_that_one(monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    """`serve ID` picks by id and documents; only the served file is checked by its step, so
    a fresh `serve` imports that step alone (each step's import is start-up time)."""
    from selftest import scenario
    from selftest.commands import serve

    checked: list[str] = []
    check = scenario._checked

    def counting(item: scenario.Scenario) -> scenario.Scenario:
        checked.append(item.id)
        return check(item)

    monkeypatch.setattr(scenario, "_checked", counting)
    monkeypatch.setattr(serve, "wait_until_stopped", lambda stop: None)
    assert main(["serve", "curl-52"]) == 0
    assert checked == ["curl-52"]
    assert capsys.readouterr().out.startswith("http://127.0.0.1:")
