"""A stop signal noted while reproduce's runner waits on the main thread is seen at once.

A `Noter` (tests/noting.py) notes a SIGINT in the instant a blocking wait would miss, while the
main thread waits for a scenario whose server stalls far longer than the guard (a runner that
went on waiting, for the scenario's own timeout, fails the test), for a slow server stop in
close(), or for the concurrent copies of a box-sequence request.
"""

from __future__ import annotations

import socket
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import scenario_files
from noting import DEADLINE_S, GUARD_S, Noter, poll

from selftest.interrupts import Interrupted, on_main_thread, signals_raise, signals_stop
from selftest.runner import Result, Runner
from selftest.scenario import Scenario, load

pytestmark = pytest.mark.skipif(not on_main_thread(), reason="signal handlers need the main thread")

#: How long the stalled scenario's client waits for a reply: what an old runner waited out.
STALL_MS = int(GUARD_S * 1000) * 2
STALLED = f"""[server]
fault = "stall"
[client]
url = "{{url}}/"
timeout_ms = {STALL_MS}
[expect]
curl_code = [28]
"""


def stalled(tmp_path: Path) -> Scenario:
    return load(scenario_files.write(tmp_path, "stalled", STALLED, documents="curl:28"))


def refused(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) != 0


class Started:
    """A `run` for run_all that starts the scenario's server first, keeping its port, holds a
    temporary folder while the scenario runs, and says when the scenario began."""

    def __init__(self, runner: Runner, clean_up_s: float = 0.0) -> None:
        self.runner, self.clean_up_s = runner, clean_up_s
        self.began = threading.Event()
        self.ports: list[int] = []
        self.folders: list[str] = []
        self.reported: list[str] = []

    def __call__(self, scenario: Scenario) -> Result:
        self.ports.append(int(self.runner.server(scenario).urls["port"]))
        with tempfile.TemporaryDirectory(prefix="selftest-test-") as folder:
            self.folders.append(folder)  # as a replay's or a step's folder
            self.began.set()
            result = self.runner.run(scenario)
            time.sleep(self.clean_up_s)  # an unwinding that takes a moment
        return result

    def all(self, scenarios: list[Scenario], ended: threading.Event,
            stop: threading.Event | None = None) -> None:
        """The runner's run_all on two threads, with this run; `ended` is set as it ends."""
        try:
            self.runner.run_all(scenarios, jobs=2, run=self, stop=stop,
                                on_result=lambda result: self.reported.append(result.scenario))
        finally:
            ended.set()


def when(condition: Callable[[], bool]) -> threading.Event:
    """An Event set (by a thread of its own) once `condition()` holds."""
    event = threading.Event()
    threading.Thread(target=lambda: poll(condition, DEADLINE_S) and event.set(),
                     daemon=True).start()
    return event


def test_a_signal_noted_as_the_runner_waits_ends_the_run_at_once(tmp_path: Path) -> None:
    """Ctrl-C noted while the main thread waits for a stalled scenario raises Interrupted (not
    a RuntimeError) within the guard, reports nothing after it, and no server is left."""
    ended = threading.Event()
    with Runner() as runner:
        run = Started(runner)
        noter = Noter(run.began, ended.is_set, "_run_groups")
        with signals_raise(), pytest.raises(Interrupted):
            run.all([stalled(tmp_path)], ended)
        assert noter.join() is True, "the runner went on waiting after the signal"
    assert run.reported == []
    assert refused(run.ports[0])


def test_an_interrupted_run_lets_the_scenarios_under_way_clean_up(tmp_path: Path) -> None:
    """The run ends only once the stalled scenario (its server stopped) has unwound: the
    temporary folder it held (as a replay or a step does) is gone when Interrupted is raised."""
    ended = threading.Event()
    with Runner() as runner:
        run = Started(runner, clean_up_s=0.5)
        noter = Noter(run.began, ended.is_set, "_run_groups")
        with signals_raise(), pytest.raises(Interrupted):
            run.all([stalled(tmp_path)], ended)
        assert noter.join() is True
    assert run.folders and not Path(run.folders[0]).exists()


def test_a_second_signal_as_reproduce_waits_stops_the_scenario_under_way(tmp_path: Path) -> None:
    """Under reproduce's signals_stop the first signal lets the stalled scenario go on; a
    second, noted as the runner waits, ends the run within the guard and no server is left."""
    ended = threading.Event()
    with Runner() as runner, signals_stop() as stop:
        run = Started(runner)
        first = Noter(run.began, stop.is_set, "_run_groups")
        second = Noter(when(stop.is_set), ended.is_set, "_run_groups")
        with pytest.raises(Interrupted):
            run.all([stalled(tmp_path)], ended, stop=stop)
        assert first.join() is True, "the first signal was not noted"
        assert second.join() is True, "the runner went on waiting after the second signal"
    assert run.reported == []
    assert refused(run.ports[0])


#: Shorter than close()'s old `join(timeout=10)`, which held a signal noted as it began.
CLOSE_GUARD_S = 5.0


def test_a_signal_noted_as_close_waits_is_seen_at_once(tmp_path: Path) -> None:
    """A signal noted while close() waits for a slow server stop is handled at once, and close()
    still waits for that stop to end: no server is left."""
    runner = Runner()
    server = runner.server(stalled(tmp_path))
    port, original = int(server.urls["port"]), server.stop
    stopping, release, stopped = threading.Event(), threading.Event(), threading.Event()

    def slow_stop() -> None:
        stopping.set()
        release.wait(DEADLINE_S)  # until the noter has its verdict
        original()
        stopped.set()

    server.stop = slow_stop  # type: ignore[method-assign]
    with signals_stop() as stop:
        noter = Noter(stopping, stop.is_set, "close", guard_s=CLOSE_GUARD_S)
        threading.Thread(target=lambda: (noter.join(), release.set()), daemon=True).start()
        runner.close()
        assert stopped.is_set(), "close() returned before the server stopped"
    assert noter.join() is True, "the signal waited for close()'s wait to end"
    assert refused(port)


#: Two copies of one create, the fake Box holding the first for STALL_MS (the second: a 409).
CONCURRENT_CREATES = f"""[server]
fault = "fakebox"
create_processing_ms = {STALL_MS}
[client]
step = "box-sequence"
timeout_ms = {STALL_MS}
[[client.requests]]
method = "POST"
path = "/2.0/folders"
json = {{ name = "held-{{unique}}", parent = {{ id = "0" }} }}
concurrent = 2
[expect]
http_status = 409
"""


def test_a_signal_noted_as_a_box_step_waits_for_its_copies_ends_it_at_once(
        tmp_path: Path) -> None:
    """A scenario run on the main thread (`--jobs 1`, the pytest plugin) whose concurrent
    copies are held by the fake Box raises Interrupted within the guard, not once they end."""
    scenario = load(scenario_files.write(tmp_path, "held", CONCURRENT_CREATES,
                                         documents="box:name_temporarily_reserved"))
    began, ended = threading.Event(), threading.Event()
    with Runner() as runner:
        runner.server(scenario)  # started before the noter looks (it takes a second)
        began.set()
        noter = Noter(began, ended.is_set, "_send")
        with signals_raise(), pytest.raises(Interrupted):
            run_then_set(runner, scenario, ended)
        assert noter.join() is True, "the step went on waiting for its copies"


def run_then_set(runner: Runner, scenario: Scenario, ended: threading.Event) -> None:
    try:
        runner.run(scenario)
    finally:
        ended.set()
