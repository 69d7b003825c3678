"""The pytest plugin (entry point `pytest11`): scenario files as test items, and fixtures.

The only module of the package that imports pytest. It collects every `*.toml` file of a scenario
folder (this project's `scenarios/`, or any folder whose README.md starts with "# Scenario file
format") as one test item named by the scenario id. A failing scenario fails with what was
observed against what was expected; a skipped one calls `pytest.skip` with its reason.

Fixtures for a project's own tests:
    fault_server   factory: `fault_server("reset-on-accept", delay_ms=0)` -> a started server,
                   stopped at teardown, where its connection handlers' exceptions are re-raised
    selftest_ca    the run's trustme CA (the one behind the `{ca}` placeholder)
    run_scenario   `run_scenario("curl-52")` -> a `selftest.runner.Result`
"""

from __future__ import annotations

import contextlib
import signal
from collections.abc import Callable, Iterator
from pathlib import Path
from types import FrameType
from typing import Any

import pytest

from selftest.interrupts import STOP_SIGNALS, Interrupted, Stop, on_main_thread
from selftest.runner import Result, Runner
from selftest.scenario import Scenario, load, load_all, scenarios_dir

_RUNNER = pytest.StashKey[Runner]()
_SIGNALS = pytest.StashKey[tuple[Stop, contextlib.ExitStack]]()
_README_TITLE = "# Scenario file format"


class ScenarioFailed(Exception):
    """Raised when a scenario's observation does not meet its [expect] table."""

    def __init__(self, result: Result) -> None:
        super().__init__(result.reason)
        self.result = result


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    if file_path.suffix == ".toml" and _is_scenario_folder(file_path.parent):
        return ScenarioFile.from_parent(parent, path=file_path)
    return None


def pytest_sessionfinish(session: pytest.Session) -> None:
    runner = session.config.stash.get(_RUNNER, None)
    if runner is not None:
        runner.close()
        del session.config.stash[_RUNNER]
    signals = session.config.stash.get(_SIGNALS, None)
    if signals is not None:
        stop, handlers = signals
        handlers.close()  # the session's own handlers are back
        del session.config.stash[_SIGNALS]
        if stop.is_set() and stop.signum != signal.SIGINT:
            # pytest says 2 (interrupted) for any KeyboardInterrupt; a SIGTERM/SIGHUP that
            # ended the session is reported as the shell would have: 128 + N.
            session.exitstatus = 128 + stop.signum


def _is_scenario_folder(folder: Path) -> bool:
    if folder.resolve() == scenarios_dir().resolve():
        return True
    readme = folder / "README.md"
    try:
        with readme.open(encoding="utf-8") as handle:
            return handle.readline().strip() == _README_TITLE
    except OSError:
        return False


def _runner(session: pytest.Session) -> Runner:
    config = session.config
    if _RUNNER not in config.stash:
        _catch_stop_signals(session)
        config.stash[_RUNNER] = Runner(verbose=config.get_verbosity() > 1)
    return config.stash[_RUNNER]


def _catch_stop_signals(session: pytest.Session) -> None:
    """From the first scenario on, Ctrl-C/SIGTERM/SIGHUP stop the session after the running test.

    Killed outright (SIGTERM, SIGHUP) or interrupted at an arbitrary point (Ctrl-C's
    KeyboardInterrupt, between a `mkdtemp` and its `try`), the session would leave fault servers
    and temporary files (keys, JWT configs) behind. Instead the first signal asks pytest to stop
    (as `-x` does); it tears down and calls pytest_sessionfinish, which closes the runner and
    restores the handlers. A second signal interrupts the running test at once.
    """
    if not on_main_thread():
        return
    stop = Stop()

    def handler(signum: int, _frame: FrameType | None) -> None:
        if stop.is_set():
            raise Interrupted(signum)
        stop.note(signum)  # no lock: a second signal may land inside this handler (see Stop)
        session.shouldstop = f"{signal.Signals(signum).name}: stopped after the running test"

    handlers = contextlib.ExitStack()
    for signum in STOP_SIGNALS:
        handlers.callback(signal.signal, signum, signal.signal(signum, handler))
    session.config.stash[_SIGNALS] = (stop, handlers)


class ScenarioFile(pytest.File):
    def collect(self) -> Iterator[pytest.Item]:
        scenario = load(self.path)  # a ScenarioError here is a collection error naming the file
        yield ScenarioItem.from_parent(self, name=scenario.id, scenario=scenario)


class ScenarioItem(pytest.Item):
    def __init__(self, *, scenario: Scenario, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.scenario = scenario

    def runtest(self) -> None:
        result = _runner(self.session).run(self.scenario)
        if result.verdict == "skip":
            pytest.skip(f"{self.scenario.documents}: {result.reason}")
        if result.verdict == "fail":
            raise ScenarioFailed(result)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException],
                     style: Any = None) -> str:
        if isinstance(excinfo.value, ScenarioFailed):
            return failure_text(self.scenario, excinfo.value.result)
        return str(super().repr_failure(excinfo, style=style))

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, 0, f"scenario {self.scenario.id} ({self.scenario.documents})"


def failure_text(scenario: Scenario, result: Result) -> str:
    """Observed against expected, in the words of the scenario file."""
    expect = scenario.expect
    lines = [f"{scenario.id}: {scenario.title}", f"  why:      {result.reason}"]
    if expect is not None:
        wanted = {"curl_code": list(expect.curl_code), "http_status": expect.http_status,
                  "connect_status": expect.connect_status, "phase": expect.phase,
                  "diagnosis": list(expect.diagnosis)}
        lines.append(f"  expected: { {k: v for k, v in wanted.items() if v not in (None, [])} }")
    if result.setup_failed is not None:  # nothing was observed: say what was sent instead
        lines.append(f"  set-up:   {' -> '.join(result.setup_failed.sequence) or '-'}")
        return "\n".join(lines)
    lines.append(f"  observed: {dict(result.observed)}")
    lines.append(f"  diagnosis: {list(result.diagnosis)}")
    lines.extend(f"  | {line}" for line in result.wire)
    return "\n".join(lines)


@pytest.fixture
def fault_server() -> Iterator[Callable[..., Any]]:
    """Start fault servers by name; every one is stopped when the test ends."""
    from selftest import faults

    started: list[Any] = []

    def start(name: str, **attributes: Any) -> Any:
        server = faults.create(name, **attributes)
        faults.start_or_stop(server)
        started.append(server)
        return server

    yield start
    for server in reversed(started):
        server.stop()
    for server in started:  # a bug in a fault handler fails the test that started the server
        faults.check_handler_errors(server)


@pytest.fixture(scope="session")
def selftest_ca() -> Any:
    """The run's test CA (trustme.CA); its PEM is the `{ca}` placeholder's file."""
    from selftest.faults._certs import pki

    return pki().ca


@pytest.fixture
def run_scenario(request: pytest.FixtureRequest) -> Callable[[str], Result]:
    """Run a scenario by id (or a path to its file) with the session's shared runner."""

    def run(name: str) -> Result:
        path = Path(name)
        if path.suffix == ".toml":
            return _runner(request.session).run(load(path))
        by_id = {s.id: s for s in load_all()}
        return _runner(request.session).run(by_id[name])

    return run
