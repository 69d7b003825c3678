"""Signals: no fault server keeps a handler it installed; every command unwinds and cleans up."""

from __future__ import annotations

import signal
import sys
import textwrap
from pathlib import Path

import pytest
from signalling import EXPECTED_STATUS, interrupt

from selftest.faults import start_fault
from selftest.interrupts import Interrupted, keep_signal_handlers, signals_raise

_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT)


def test_proxy_fault_puts_back_every_signal_handler() -> None:
    """Starting and stopping proxy.py leaves SIGINT/SIGTERM/SIGHUP/SIGQUIT as they were."""
    before = {s: signal.getsignal(s) for s in _SIGNALS}
    with start_fault("proxy-auth-required") as server:
        assert server.urls["proxy"].startswith("http://127.0.0.1:")
        assert {s: signal.getsignal(s) for s in _SIGNALS} == before
    assert {s: signal.getsignal(s) for s in _SIGNALS} == before


_AFTER_PROXY = textwrap.dedent("""
    import sys, time
    from selftest.faults import start_fault
    with start_fault("proxy-auth-required"):
        pass
    print("ready", flush=True)
    try:
        time.sleep(60)
    except KeyboardInterrupt:
        sys.exit(130)
    sys.exit(5)
""")


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_signal_after_a_proxy_scenario_is_not_turned_into_exit_0(tmp_path: Path,
                                                                  signum: int) -> None:
    """After the proxy fault ran, Ctrl-C is still a KeyboardInterrupt and SIGTERM still kills."""
    done = interrupt([sys.executable, "-c", _AFTER_PROXY], signum, tmp_path / "tmp",
                     ready_line="ready")
    assert done.returncode == (130 if signum == signal.SIGINT else -signal.SIGTERM), done.stderr
    assert done.left == []


def test_keep_signal_handlers_restores_a_replaced_handler() -> None:
    """A handler replaced inside the block is the old one again afterwards."""
    before = signal.getsignal(signal.SIGUSR1)
    with keep_signal_handlers():
        signal.signal(signal.SIGUSR1, lambda *_: None)
    assert signal.getsignal(signal.SIGUSR1) is before


def test_signals_raise_gives_128_plus_the_signal_and_restores() -> None:
    """SIGTERM inside signals_raise() raises Interrupted (exit 143); the old handler returns."""
    before = signal.getsignal(signal.SIGTERM)
    with pytest.raises(Interrupted) as caught, signals_raise() as stop:
        signal.raise_signal(signal.SIGTERM)
    assert caught.value.exit_status == EXPECTED_STATUS[signal.SIGTERM]
    assert stop.is_set() and stop.signum == signal.SIGTERM
    assert signal.getsignal(signal.SIGTERM) is before
