"""Runner.run_all: scenarios of different servers side by side, of one server in order."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from selftest.runner import Result, Runner
from selftest.scenario import Scenario


def _scenario(name: str, fault: str | None, serial: str = "", **attributes: object) -> Scenario:
    return Scenario(id=name, documents="curl:52", title=name, path=Path(f"{name}.toml"),
                    fault=fault, attributes=attributes, serial=serial)


def _result(scenario: Scenario) -> Result:
    return Result(scenario=scenario.id, documents=scenario.documents, title="", verdict="pass")


@pytest.fixture(scope="module")
def runner() -> Runner:
    return Runner()


def test_different_servers_run_at_the_same_time(runner: Runner) -> None:
    """Two scenarios of different servers meet at a barrier: they ran concurrently."""
    barrier = threading.Barrier(2, timeout=10)

    def run(scenario: Scenario) -> Result:
        barrier.wait()  # sequential runs would break the barrier (BrokenBarrierError)
        return _result(scenario)

    chosen = [_scenario("a", "stall"), _scenario("b", "refuse")]
    assert [r.scenario for r in runner.run_all(chosen, jobs=4, run=run)] == ["a", "b"]


def test_one_server_runs_its_scenarios_in_order_one_at_a_time(runner: Runner) -> None:
    """Scenarios sharing a server (one fake Box, its clock) never overlap and keep file order."""
    active: list[str] = []
    seen: list[tuple[str, int]] = []
    lock = threading.Lock()

    def run(scenario: Scenario) -> Result:
        with lock:
            active.append(scenario.id)
            seen.append((scenario.id, sum(a.startswith("box") for a in active)))
        threading.Event().wait(0.01)
        with lock:
            active.remove(scenario.id)
        return _result(scenario)

    chosen = [_scenario(f"box{i}", "fakebox", space_used=1) for i in range(5)]
    chosen += [_scenario(f"other{i}", "stall", delay=i) for i in range(5)]
    results = runner.run_all(chosen, jobs=8, run=run)
    assert [r.scenario for r in results] == [s.id for s in chosen]
    box_runs = [(name, overlap) for name, overlap in seen if name.startswith("box")]
    assert [name for name, _ in box_runs] == [f"box{i}" for i in range(5)]
    assert all(overlap == 1 for _, overlap in box_runs)


def test_serial_scenario_runs_alone(runner: Runner) -> None:
    """A scenario declaring `serial` runs when nothing else does."""
    running = []
    alone = []
    lock = threading.Lock()

    def run(scenario: Scenario) -> Result:
        with lock:
            running.append(scenario.id)
            if scenario.serial:
                alone.append(running == [scenario.id])
        threading.Event().wait(0.01)
        with lock:
            running.remove(scenario.id)
        return _result(scenario)

    chosen = [_scenario(f"s{i}", "stall", delay=i) for i in range(6)]
    chosen.insert(3, _scenario("env", None, serial="sets KRB5 environment variables"))
    results = runner.run_all(chosen, jobs=8, run=run)
    assert [r.scenario for r in results] == [s.id for s in chosen]
    assert alone == [True]


def test_stop_lets_no_further_scenario_start(runner: Runner) -> None:
    """Once `stop` is set the running scenarios finish and no other starts."""
    stop = threading.Event()

    def run(scenario: Scenario) -> Result:
        stop.set()
        return _result(scenario)

    chosen = [_scenario(f"x{i}", "fakebox", space_used=1) for i in range(5)]
    assert [r.scenario for r in runner.run_all(chosen, jobs=4, run=run, stop=stop)] == ["x0"]


def test_a_worker_error_reaches_the_caller(runner: Runner) -> None:
    """A malformed scenario's error (raised on a worker thread) is raised by run_all."""

    def run(scenario: Scenario) -> Result:
        raise ValueError(scenario.id)

    with pytest.raises(ValueError, match="bad"):
        runner.run_all([_scenario("bad", "stall")], jobs=4, run=run)


def test_a_worker_error_lets_no_further_scenario_start(runner: Runner) -> None:
    """After a group raised, the scenario running beside it finishes and no other starts."""
    stop, beside = threading.Event(), threading.Event()
    started: list[str] = []

    def run(scenario: Scenario) -> Result:
        started.append(scenario.id)
        if scenario.id == "bad":
            beside.wait(10)
            raise ValueError(scenario.id)
        beside.set()
        assert stop.wait(10), "the error did not stop the run"
        return _result(scenario)

    chosen = [_scenario("bad", "stall"), _scenario("beside", "refuse"),
              _scenario("later", "close-without-reply"), _scenario("last", "reset-on-accept")]
    with pytest.raises(ValueError, match="bad"):
        runner.run_all(chosen, jobs=2, run=run, stop=stop)
    assert sorted(started) == ["bad", "beside"]


def _started_order(runner: Runner, chosen: list[Scenario], **kwargs: object) -> list[str]:
    started: list[str] = []
    lock = threading.Lock()

    def run(scenario: Scenario) -> Result:
        with lock:
            started.append(scenario.id)
        return _result(scenario)

    runner.run_all(chosen, jobs=2, run=run, **kwargs)  # type: ignore[arg-type]
    return started


def test_the_longest_group_starts_first(runner: Runner) -> None:
    """With 2 threads, a one-scenario group recorded as slow starts before a quick one that
    comes earlier (largest-first by count alone started it last, when the others were done)."""
    chosen = [_scenario(f"many{i}", "stall") for i in range(3)]
    chosen += [_scenario("quick", "refuse"), _scenario("slow", None)]
    started = _started_order(runner, chosen, durations={"slow": 900.0, "quick": 5.0})
    assert started.index("slow") < started.index("quick")


def test_a_scenario_needing_an_outside_program_counts_as_slow_when_never_timed(
        runner: Runner) -> None:
    """No record: a scenario that needs a compiler (curl:54's engine) is guessed slow."""
    from selftest.scenario import Requires

    compiler = Scenario(id="compiles", documents="curl:54", title="", path=Path("c.toml"),
                        requires=Requires(programs=("cc",)))
    chosen = [_scenario(f"many{i}", "stall") for i in range(3)]
    chosen += [_scenario("quick", "refuse"), compiler]
    started = _started_order(runner, chosen)
    assert started.index("compiles") < started.index("quick")


def test_serial_must_be_a_string(tmp_path: Path) -> None:
    """`serial = true` is refused at load time: it must say why the scenario runs alone."""
    from selftest.errors import ScenarioError
    from selftest.scenario import load

    path = tmp_path / "x.toml"
    path.write_text('id = "x"\ndocuments = "curl:52"\nserial = true\n', encoding="utf-8")
    with pytest.raises(ScenarioError, match="serial must be a string"):
        load(path)


def test_box_sequence_base_defaults_to_the_fake(tmp_path: Path) -> None:
    """A box-sequence file without `base` gets "{url}"; a file that sets it keeps its own."""
    from selftest.scenario import load

    plain = tmp_path / "plain.toml"
    request = '[[client.requests]]\npath = "/2.0/users/me"\n'  # a sequence needs one
    plain.write_text('id = "plain"\ndocuments = "box:not_found"\n[client]\n'
                     'step = "box-sequence"\n' + request, encoding="utf-8")
    own = tmp_path / "own.toml"
    own.write_text('id = "own"\ndocuments = "box:not_found"\n[client]\n'
                   'step = "box-sequence"\nbase = "{upload_url}"\n' + request, encoding="utf-8")
    assert load(plain).client["base"] == "{url}"
    assert load(own).client["base"] == "{upload_url}"


@pytest.mark.parametrize(("name", "wire"), [
    ("curl-47", b"HTTP/1.1 302 Found\r\nLocation: /again\r\nContent-Length: 0\r\n"
                b"Connection: close\r\n\r\n"),
    ("curl-56-bad-chunk", b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                          b"zz\r\nabc\r\n0\r\n\r\n"),
])
def test_crlf_replies_send_the_bytes_the_escaped_ones_did(name: str, wire: bytes) -> None:
    """A raw-reply written with plain lines and `crlf = "all"` sends exactly the old bytes."""
    from selftest.faults import create
    from selftest.scenario import load

    scenario = load(Path(__file__).parents[2] / "scenarios" / f"{name}.toml")
    assert scenario.fault is not None
    assert create(scenario.fault, **scenario.attributes).reply == wire  # type: ignore[attr-defined]


def test_crlf_headers_keeps_the_body_bytes() -> None:
    """`crlf = "headers"` converts the head's line ends and leaves the body as written."""
    from selftest.faults.http import with_crlf

    assert with_crlf("HTTP/1.1 200 OK\nA: b\n\nline\nend", "headers") == \
        "HTTP/1.1 200 OK\r\nA: b\r\n\r\nline\nend"
    assert with_crlf("x\r\ny", "none") == "x\r\ny"


def test_a_groups_server_is_stopped_when_the_group_is_done() -> None:
    """Once every scenario of a server ran, the server stops then, not at the end of the run."""
    stopped: list[str] = []
    with Runner() as runner:
        def run(scenario: Scenario) -> Result:
            server = runner.server(scenario)
            original = server.stop

            def stop() -> None:
                stopped.append(scenario.id)
                original()
            server.stop = stop  # type: ignore[method-assign]
            return _result(scenario)

        runner.run_all([_scenario("a", "stall"), _scenario("b", "refuse")], jobs=2, run=run)
        for stopper in runner._stoppers:
            stopper.result(timeout=10)
        assert sorted(stopped) == ["a", "b"]  # before close(), which would stop them too
