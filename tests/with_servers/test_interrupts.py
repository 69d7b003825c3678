"""Signals: no fault server keeps a handler it installed; every command unwinds and cleans up."""

from __future__ import annotations

import shutil
import signal
import sys
import textwrap
from pathlib import Path

import pytest
from signalling import EXPECTED_STATUS, interrupt, selftest_argv

from selftest.faults import start_fault
from selftest.interrupts import Interrupted, keep_signal_handlers, signals_raise

_ROOT = Path(__file__).resolve().parents[2]
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
    try:
        print("ready", flush=True)
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


_STOPS = pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP],
                                 ids=["SIGINT", "SIGTERM", "SIGHUP"])


@_STOPS
def test_reproduce_box_layer_unwinds_on_a_stop_signal(tmp_path: Path, signum: int) -> None:
    """A signal mid-run: what finished is reported, exit 128+N, no temporary file is left."""
    done = interrupt(selftest_argv("reproduce", "--layer", "box"), signum, tmp_path / "tmp")
    assert done.returncode == EXPECTED_STATUS[signum], done.stderr
    assert done.stderr.strip().splitlines()[-1] == \
        f"selftest: interrupted ({signal.Signals(signum).name})"
    assert f"interrupted by {signal.Signals(signum).name} after " in done.stdout
    assert "Traceback" not in done.stderr
    assert done.left == []


@_STOPS
@pytest.mark.parametrize("scenario", ["box-access-denied-item-locked", "curl-60"])
def test_serve_stops_and_cleans_up_on_a_stop_signal(tmp_path: Path, signum: int,
                                                     scenario: str) -> None:
    """`serve` ends on any stop signal with exit 0 (its normal end) and removes its files."""
    done = interrupt(selftest_argv("serve", scenario), signum, tmp_path / "tmp",
                     ready_line="# serving until Ctrl-C")
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert done.left == []


@pytest.mark.parametrize("command", [("serve", "curl-60"), ("reproduce", "--layer", "box")])
def test_ctrl_c_pressed_over_and_over_leaves_no_traceback_and_no_file(
        tmp_path: Path, command: tuple[str, ...]) -> None:
    """Ctrl-C again and again (every 2 ms until the command has ended): still one line, no
    traceback (an atexit clean-up cut short by a late one printed one), nothing left behind."""
    done = interrupt(selftest_argv(*command), signal.SIGINT, tmp_path / "tmp",
                     ready_line="# serving until Ctrl-C" if command[0] == "serve" else None,
                     repeat_s=0.002)
    assert done.returncode in (0, 130), done.stderr
    assert "Traceback" not in done.stderr and "Exception ignored" not in done.stderr, done.stderr
    assert done.left == []


@pytest.mark.slow
@_STOPS
def test_pytest_plugin_session_unwinds_on_a_stop_signal(tmp_path: Path, signum: int,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """Scenario items under pytest: the session stops, servers and files go, exit 2/143/129."""
    # Eight fake Box scenarios (temporary files: a JWT config with its key) in a scenario folder
    # of their own (README's first line; includes still come from scenarios/). The signal comes
    # during the first; seven are left not yet run. Collecting all 56 box-* files cost each
    # session ~1.3 s of CPU, and naming eight files of scenarios/ made pytest walk that folder's
    # ~230 entries once per file.
    folder = tmp_path / "scenarios"
    folder.mkdir()
    shutil.copy(_ROOT / "scenarios" / "README.md", folder)
    for path in sorted((_ROOT / "scenarios").glob("box-*.toml"))[:8]:
        shutil.copy(path, folder)
    # Only the plugins scenario items need: selftest's (what is under test) and xdist (the
    # addopts name -n); the others that register through entry points (hypothesis, anyio,
    # pytest-httpserver...) cost the session ~0.5 s of CPU each time and are not used here.
    argv = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "xdist.plugin",
            "-n", "0", "-p", "selftest.pytest_plugin", "--rootdir", str(_ROOT), str(folder)]
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    done = interrupt(argv, signum, tmp_path / "tmp", cwd=_ROOT)
    # pytest's own exit status for Ctrl-C is 2 ("interrupted"); SIGTERM/SIGHUP give 128+N.
    wanted = 2 if signum == signal.SIGINT else EXPECTED_STATUS[signum]
    assert done.returncode == wanted, done.stdout[-2000:]
    assert "KeyboardInterrupt" in done.stdout or "stopped after the running test" in done.stdout
    assert done.left == []


def test_private_key_files_are_owner_only() -> None:
    """The fake Box's JWT config (it holds a private key) is 0600 in a 0700 folder."""
    with start_fault("fakebox") as server:
        config = Path(server.urls["box_config"])
        assert config.stat().st_mode & 0o777 == 0o600
        assert config.parent.stat().st_mode & 0o777 == 0o700
    assert not config.parent.exists()
