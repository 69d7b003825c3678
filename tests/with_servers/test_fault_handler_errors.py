"""A fault server whose connection handler raises fails the test or scenario that started it."""

from __future__ import annotations

import contextlib
import socket
from pathlib import Path

import pytest

from selftest import faults, steps
from selftest.faults._base import FaultHandlerError
from selftest.faults.tcp import CloseWithoutReply
from selftest.runner import Runner
from selftest.scenario import load

pytest_plugins = ["pytester"]


@pytest.fixture
def _registries_complete() -> None:
    """pytester forgets the modules an inner run imported: every fault and step module is
    registered before it (here, not at collection: every xdist worker collects this file)."""
    faults.load_all()
    steps.load_all()


def _buggy(self: CloseWithoutReply, conn: socket.socket) -> None:
    raise ValueError("bug in the fault handler")


def _poke(url_port: str) -> None:
    with socket.create_connection(("127.0.0.1", int(url_port)), timeout=5) as conn:
        conn.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        with contextlib.suppress(OSError):  # closed (or reset) once the handler raised
            conn.recv(1)


def test_start_fault_reraises_a_handler_error(monkeypatch: pytest.MonkeyPatch) -> None:
    """Leaving `start_fault` raises FaultHandlerError, caused by what the handler raised."""
    monkeypatch.setattr(CloseWithoutReply, "handle", _buggy)
    with pytest.raises(FaultHandlerError, match="bug in the fault handler") as caught, \
            faults.start_fault("close-without-reply") as server:
        _poke(server.urls["port"])
    assert isinstance(caught.value.__cause__, ValueError)


def test_a_quiet_server_raises_nothing() -> None:
    """A server whose handlers all returned leaves the block quietly."""
    with faults.start_fault("close-without-reply") as server:
        _poke(server.urls["port"])


def test_runner_fails_the_scenario_whose_handler_raised(monkeypatch: pytest.MonkeyPatch) -> None:
    """The scenario that met the bug fails, naming it; the next one is judged afresh."""
    scenario = load(Path(__file__).parents[2] / "scenarios" / "curl-52.toml")
    with Runner() as runner:
        monkeypatch.setattr(CloseWithoutReply, "handle", _buggy)
        result = runner.run(scenario)
        assert result.verdict == "fail"
        assert "connection handler raised ValueError('bug in the fault handler')" in result.reason
        monkeypatch.undo()
        assert runner.run(scenario).verdict == "pass"


@pytest.mark.usefixtures("_registries_complete")  # set up before pytester: usefixtures come first
def test_fault_server_fixture_reraises_at_teardown(pytester: pytest.Pytester) -> None:
    """The plugin's fault_server fixture errors the test at teardown (check_handler_errors)."""
    pytester.makepyfile(test_inner="""
        import socket
        from selftest.faults.tcp import CloseWithoutReply

        def buggy(self, conn):
            raise ValueError("bug in the fault handler")

        def test_uses_a_buggy_fault(fault_server, monkeypatch):
            monkeypatch.setattr(CloseWithoutReply, "handle", buggy)
            server = fault_server("close-without-reply")
            with socket.create_connection(("127.0.0.1", int(server.urls["port"]))) as conn:
                conn.sendall(b"GET / HTTP/1.1\\r\\n\\r\\n")
                try:
                    conn.recv(1)
                except OSError:
                    pass
    """)
    # Not the plugins this test never uses: schemathesis' and anyio's (as pyproject.toml's addopts)
    # and hypothesis' (its summary imports hypothesis); pytester forgets what an inner run
    # imported, so that run imported them afresh (~1 s of CPU).
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "-p", "no:schemathesis",
                                          "-p", "no:anyio", "-p", "no:hypothesispytest")
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["*FaultHandlerError*bug in the fault handler*"])
