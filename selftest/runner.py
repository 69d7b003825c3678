"""Run scenarios: start the fault server, run the client step, classify, compare, give a Result.

Fault servers are started once per (fault, attributes) and reused by every scenario of a run that
asks for the same one; `Runner.close()` (or leaving the `with` block) stops them all. A network
failure is the finding, not an error: only a malformed scenario raises (ScenarioError).

The main thread never blocks in a lock or a Condition while scenarios run or servers stop: it
polls (selftest.interrupts.wait_interruptibly), so that a stop signal is seen at once and its
exception cannot break a lock. An interrupt of run_all stops every server at once, so that
the scenarios under way end now rather than at their own timeouts.

Verdicts (docs/contracts.md §7, the honesty rules):
    pass  the expected code/status was observed and the classifier named the expected chain
    fail  anything else, with the reason; also an injected observation for a `real` entry
    skip  the catalog says `impossible` (its reason), or this machine lacks a prerequisite
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any, Literal

from selftest import catalog as catalog_module
from selftest import faults, steps
from selftest.catalog import Catalog, Entry
from selftest.classify import Diagnosis, classify
from selftest.errors import ScenarioError
from selftest.interrupts import acquire, spawn, wait_futures
from selftest.machine import missing_requirement, resolve_options
from selftest.observe import Observation
from selftest.scenario import Expect, Scenario, fill, placeholders_in
from selftest.sent import Watch
from selftest.steps import Context, SetupFailed

Verdict = Literal["pass", "fail", "skip"]


@dataclass(frozen=True)
class Result:
    """One scenario's outcome, in the `selftest reproduce --json` shape (docs/contracts.md §6)."""

    scenario: str
    documents: str
    title: str
    verdict: Verdict
    reason: str = ""
    #: "real" or "simulated" for what ran; the catalog entry's label for a skip.
    reproduction: str = "real"
    observed: Mapping[str, Any] = field(default_factory=dict)
    diagnosis: tuple[str, ...] = ()
    detail: str = ""
    duration_ms: float = 0.0
    wire: tuple[str, ...] = ()
    #: For a client other than pycurl: its name, libcurl, and what that generation must return.
    client: Mapping[str, Any] = field(default_factory=dict)
    #: The scenario's set-up did not work (the observed request never ran); verdict "fail".
    setup_failed: SetupFailed | None = None

    @property
    def simulated(self) -> bool:
        return self.reproduction == "simulated"

    def to_dict(self, *, wire: bool = False) -> dict[str, Any]:
        out: dict[str, Any] = {
            "scenario": self.scenario, "documents": self.documents,
            "reproduction": self.reproduction, "observed": dict(self.observed),
            "diagnosis": list(self.diagnosis), "detail": self.detail or None,
            "verdict": self.verdict, "reason": self.reason or None,
            "duration_ms": self.duration_ms,
        }
        if wire:
            out["wire"] = list(self.wire)
        if self.client:
            out["client"] = dict(self.client)
        if self.setup_failed is not None:
            out["setup_failed"] = self.setup_failed.to_dict()
        return out


#: Scenarios of different servers run side by side on this many threads by default: most of a
#: scenario's time is waiting (timeouts of 100-300 ms, a fake's latency), not computing. More
#: threads were no faster on 2 cores and, under load, let a peer miss its client's 2 s guard
#: (16 threads: 1 failing run in 3; 4 threads: 0 in 16).
DEFAULT_JOBS = 4
#: Faults whose servers cost CPU to start and to serve (a fake Box: a CA, RSA keys, werkzeug):
#: at most HEAVY_JOBS of their groups run at once. Python runs one thread at a time, and a dozen
#: of them computing starved the socket peers of other scenarios (curl-52's server did not get
#: to close its connection within the client's 2 s on this loaded machine).
HEAVY_FAULTS = frozenset({"fakebox"})
HEAVY_JOBS = 2
#: How long an interrupted run waits for a result being reported (a progress line, a stream).
REPORT_TIMEOUT_S = 1.0
#: How long an interrupted run waits for the scenarios under way once their servers stopped
#: (they end in milliseconds then; a hang guard), so that their temporary folders go.
UNWIND_TIMEOUT_S = 10.0
#: How long close() waits for the servers to stop (all at once; some take a second).
STOP_TIMEOUT_S = 10.0
#: Groups start longest first (a run ends when its longest group does), by the durations this
#: machine recorded (selftest.durations); a scenario never timed counts as GUESS_MS, or as
#: GUESS_OUTSIDE_MS when it needs a program or Python module of its own (a C compiler for
#: curl:54, aioquic for curl:95), which is what makes a scenario slow to start.
GUESS_MS = 20.0
GUESS_OUTSIDE_MS = 300.0


class Runner:
    """Runs scenarios in one process, sharing fault servers; use as a context manager."""

    def __init__(self, catalog: Catalog | None = None, *, verbose: bool = False,
                 port: int = 0) -> None:
        self.catalog = catalog if catalog is not None else catalog_module.load()
        self.verbose = verbose
        #: Listen on this port instead of a free one (`selftest serve --port`; one server only).
        self.port = port
        self._servers: dict[tuple[str, str], faults.FaultServer] = {}
        self._lock = threading.Lock()
        self._starting: dict[tuple[str, str], threading.Lock] = {}
        #: Servers being stopped early, as their group finished (close() waits for them).
        self._stoppers: list[Future[None]] = []
        self._closed = False

    def run_all(self, scenarios: Sequence[Scenario], *, jobs: int = DEFAULT_JOBS,
                run: Callable[[Scenario], Result] | None = None,
                on_result: Callable[[Result], None] | None = None,
                stop: threading.Event | None = None,
                durations: Mapping[str, float] | None = None) -> list[Result]:
        """Run `scenarios`; the results come back in their order.

        Scenarios that share a fault server (the same fault and attributes: one fake Box, its
        clock and its rate limiter) run one after another, in order, as they always did; those
        of different servers run side by side on `jobs` threads. A scenario with `serial` runs
        alone, after the others. `on_result` is called as each one finishes (under a lock).
        When `stop` is set, no further scenario starts: the ones running finish and the results
        so far are returned. An interrupt (a KeyboardInterrupt on this thread) stops every
        server at once, so that the scenarios under way end unreported, and is raised once they
        unwound. `durations` ({scenario id: ms}, selftest.durations) order the groups: the
        longest starts first.
        """
        run = run or self.run
        stop = stop or threading.Event()
        results: dict[int, Result] = {}
        report_lock = threading.Lock()
        muted: list[bool] = []  # the run was interrupted: what ends now goes unreported

        def one(index: int, scenario: Scenario) -> None:
            result = run(scenario)
            with report_lock:
                if muted:
                    return
                results[index] = result
                if on_result is not None:
                    on_result(result)

        def group(members: list[tuple[int, Scenario]]) -> None:
            for index, scenario in members:
                if stop.is_set():
                    return
                one(index, scenario)

        def group_then_release(members: list[tuple[int, Scenario]]) -> None:
            group(members)
            self._release(members[0][1])  # no other group shares its server

        def mute() -> None:
            """Report nothing more: the caller reports the interrupted run."""
            held = acquire(report_lock, REPORT_TIMEOUT_S)  # a result being reported now
            muted.append(True)
            if held:
                report_lock.release()

        parallel, serial = self._groups(scenarios, jobs, durations or {})
        if parallel:
            self._run_groups(parallel, group_then_release, jobs, stop, mute)
        group(serial)
        return [results[i] for i in sorted(results)]

    def _groups(self, scenarios: Sequence[Scenario], jobs: int, durations: Mapping[str, float]
                ) -> tuple[list[list[tuple[int, Scenario]]], list[tuple[int, Scenario]]]:
        """(groups that may run side by side, longest first; the scenarios that run alone)."""
        if jobs <= 1:
            return [], list(enumerate(scenarios))
        groups: dict[tuple[str, str], list[tuple[int, Scenario]]] = {}
        serial: list[tuple[int, Scenario]] = []
        for index, scenario in enumerate(scenarios):
            if scenario.serial:
                serial.append((index, scenario))
            else:
                key = self._key(scenario) if scenario.fault else ("", scenario.id)
                groups.setdefault(key, []).append((index, scenario))
        def expected_ms(members: list[tuple[int, Scenario]]) -> float:
            return sum(durations.get(s.id, _guess_ms(s)) for _, s in members)

        return sorted(groups.values(), key=expected_ms, reverse=True), serial

    def _run_groups(self, groups: list[list[tuple[int, Scenario]]],
                    group: Callable[[list[tuple[int, Scenario]]], None], jobs: int,
                    stop: threading.Event, mute: Callable[[], None]) -> None:
        """Run `groups` on `jobs` lanes (threads taking the next group; fake Box groups on at
        most HEAVY_JOBS lanes of their own) while this thread waits, signal-safe (see
        interrupts.wait_interruptibly). A group's error stops further scenarios and is raised
        here once the lanes are done. An interrupt of the wait stops every server first, so
        that the scenarios under way end now (one may wait for a reply far longer than a
        person who signalled twice), then waits for the lanes to unwind (their temporary
        folders go), at most UNWIND_TIMEOUT_S, and is raised; what ends meanwhile is `mute`d."""
        heavy = deque(g for g in groups if g[0][1].fault in HEAVY_FAULTS)
        light = deque(g for g in groups if g[0][1].fault not in HEAVY_FAULTS)
        order = {id(members): n for n, members in enumerate([*heavy, *light])}
        errors: dict[int, BaseException] = {}

        def lane(queue: deque[list[tuple[int, Scenario]]]) -> None:
            while not stop.is_set():
                try:
                    members = queue.popleft()  # atomic: no lock among the lanes
                except IndexError:
                    return
                try:
                    group(members)
                except BaseException as exc:  # a malformed scenario: raised by the caller
                    errors[order[id(members)]] = exc
                    stop.set()  # let no further scenario start
                    return

        lanes = [spawn(lane, heavy) for _ in range(min(jobs, HEAVY_JOBS, len(heavy)))]
        lanes += [spawn(lane, light) for _ in range(min(jobs, len(light)))]
        try:
            wait_futures(lanes, None)
        except KeyboardInterrupt:
            stop.set()  # let no further scenario start
            mute()
            self.close()
            _wait_out(lanes, UNWIND_TIMEOUT_S)
            raise
        if errors:
            raise errors[min(errors)]

    def __enter__(self) -> Runner:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _release(self, scenario: Scenario) -> None:
        """Stop `scenario`'s server in the background: its group is done (proxy.py takes ~0.3 s
        to stop, which would otherwise be added to the end of every run that used it)."""
        if scenario.fault is None:
            return
        key = self._key(scenario)
        with self._lock:
            server = self._servers.pop(key, None)
            if server is None:
                return
            self._stoppers.append(spawn(server.stop))

    def close(self) -> None:
        """Stop every fault server this runner started, all at once (some take a second); a
        server asked for afterwards is refused (a scenario still running after an interrupt
        must not start one that nobody stops)."""
        with self._lock:
            self._closed = True
            servers, self._servers = list(self._servers.values()), {}
            released, self._stoppers = self._stoppers, []
        stoppers = [spawn(server.stop) for server in servers] + released
        interrupted = _wait_out(stoppers, STOP_TIMEOUT_S)
        if interrupted is not None:
            raise interrupted

    def entry(self, scenario: Scenario) -> Entry:
        """The catalog entry `scenario` documents. Raises ScenarioError when there is none."""
        found = self.catalog.find(scenario.documents)
        if found is None:
            raise ScenarioError(f"{scenario.path}: documents {scenario.documents!r}, "
                                "which is not in the catalog")
        return found

    def run(self, scenario: Scenario) -> Result:
        started = time.monotonic()
        entry = self.entry(scenario)
        skip = self._skip_reason(scenario, entry)
        if skip is not None:
            return _result(scenario, "skip", skip, entry.reproduction, started)
        if scenario.expect is None:
            raise ScenarioError(f"{scenario.path}: needs an [expect] table "
                                f"({scenario.documents} is {entry.reproduction}, not impossible)")
        step = steps.get(scenario.step)
        args = step.parse(self.client_table(scenario), scenario.path)
        context = self.context(scenario)
        watch = Watch.of(context.server)
        obs = step.run(args, context)
        if isinstance(obs, SetupFailed):
            return Result(
                scenario=scenario.id, documents=scenario.documents, title=scenario.title,
                verdict="fail", duration_ms=_elapsed_ms(started), setup_failed=obs,
                reason="; ".join([obs.message(), *self._handler_errors(scenario)]))
        diagnosis = classify(obs, self.catalog)
        problems = (_compare(scenario.expect, obs, diagnosis) + _honesty(obs, entry)
                    + self._handler_errors(scenario) + watch.problems(scenario.expect.sent))
        return Result(
            scenario=scenario.id, documents=scenario.documents, title=scenario.title,
            verdict="fail" if problems else "pass", reason="; ".join(problems),
            reproduction="simulated" if obs.simulated else "real",
            observed=obs.to_dict(), diagnosis=diagnosis.ids, detail=diagnosis.detail,
            duration_ms=_elapsed_ms(started), wire=tuple(obs.details.get("wire", ())),
        )

    def client_table(self, scenario: Scenario) -> dict[str, Any]:
        """The [client] table the step parses: placeholders filled, "@NAME" options resolved."""
        client = self.filled(scenario)
        if isinstance(client.get("options"), Mapping):
            client["options"] = resolve_options(client["options"], scenario.path)
        return client

    def filled(self, scenario: Scenario) -> dict[str, Any]:
        """The [client] table (step defaults and includes applied) with the placeholders of the
        fault server and the test PKI filled; those the step defines itself are left to it."""
        step = steps.get(scenario.step)
        table = step.check(scenario.client, scenario.path)
        own = step.own_names(table)
        names = self.placeholders(scenario, own)
        clash = sorted(own & set(names))
        if clash:
            raise ScenarioError(f"{scenario.path}: {{{clash[0]}}} is both a name the step "
                                f"{scenario.step!r} saves and a placeholder of the server: "
                                "choose another name")
        filled: dict[str, Any] = fill(table, names, scenario.path, own)
        return filled

    def context(self, scenario: Scenario) -> Context:
        """What the step gets besides its table: the started fault server, the run's options."""
        server = self.server(scenario) if scenario.fault is not None else None
        return Context(server=server, verbose=self.verbose)

    def placeholders(self, scenario: Scenario, own: frozenset[str] = frozenset()
                     ) -> dict[str, str]:
        """What `{name}` may stand for: the fault server's urls, then the test PKI's files
        (`own`: names the step fills itself, never looked up here)."""
        names: dict[str, str] = {}
        wanted = placeholders_in(dict(scenario.client)) - own
        if wanted & _PKI_NAMES:
            from selftest.faults._certs import pki

            names.update(pki().placeholders())
        if scenario.fault is not None:
            urls = self.server(scenario).urls
            names.update(urls)
            for name in wanted - names.keys():
                with contextlib.suppress(KeyError):  # made on first use (a fake's JWT app)
                    names[name] = urls[name]
        return names

    def _key(self, scenario: Scenario) -> tuple[str, str]:
        assert scenario.fault is not None
        return scenario.fault, repr(sorted(self._attributes(scenario).items()))

    def _attributes(self, scenario: Scenario) -> dict[str, Any]:
        return {**scenario.attributes, **({"port": self.port} if self.port else {})}

    def server(self, scenario: Scenario) -> faults.FaultServer:
        """The running fault server for `scenario`, started on first use (thread-safe)."""
        assert scenario.fault is not None
        key = self._key(scenario)
        with self._lock:
            starting = self._starting.setdefault(key, threading.Lock())
        with starting:  # one start per server; servers of other keys start meanwhile
            with self._lock:
                server = self._servers.get(key)
            if server is not None:
                return server
            if self._closed:
                raise _refused(scenario)
            server = self._start(scenario)
            with self._lock:
                closed = self._closed
                if not closed:
                    self._servers[key] = server
            if closed:  # close() came while it started
                server.stop()
                raise _refused(scenario)
            return server

    def _start(self, scenario: Scenario) -> faults.FaultServer:
        assert scenario.fault is not None
        server = faults.create(scenario.fault, **self._attributes(scenario))
        try:
            faults.start_or_stop(server)
        except OSError as exc:
            raise ScenarioError(f"{scenario.path}: fault {scenario.fault!r} "
                                f"could not start: {exc}") from exc
        return server

    def _handler_errors(self, scenario: Scenario) -> list[str]:
        """A fault handler that raised is a harness bug: the scenario fails, naming it."""
        if scenario.fault is None:
            return []
        with self._lock:  # its server, not a new one: close() may have stopped it meanwhile
            server = self._servers.get(self._key(scenario))
        take = getattr(server, "take_errors", None)
        errors = take() if take is not None else []
        return [f"the {scenario.fault!r} fault server's connection handler raised {exc!r} "
                "(a bug of the fault server)" for exc in errors[:1]]

    @staticmethod
    def _skip_reason(scenario: Scenario, entry: Entry) -> str | None:
        if entry.reproduction == "impossible":
            return entry.reason or "the catalog marks this code impossible to reproduce"
        return missing_requirement(scenario.requires)


_PKI_NAMES = {"ca", "other_ca", "garbage_pem", "missing_file"}


def _wait_out(futures: list[Future[None]], timeout_s: float) -> KeyboardInterrupt | None:
    """Wait for `futures` (at most `timeout_s`) through any signal: a signal during clean-up
    must not leave servers or files behind. The last KeyboardInterrupt that came meanwhile."""
    deadline = time.monotonic() + timeout_s
    interrupted: KeyboardInterrupt | None = None
    while True:
        try:
            wait_futures(futures, max(0.0, deadline - time.monotonic()))
            return interrupted
        except KeyboardInterrupt as exc:
            interrupted = exc


def _refused(scenario: Scenario) -> ScenarioError:
    return ScenarioError(f"{scenario.path}: the run is over (its runner was closed): "
                         f"fault {scenario.fault!r} is not started")


def _guess_ms(scenario: Scenario) -> float:
    """How long a scenario never timed here may take (see GUESS_MS)."""
    outside = scenario.requires.programs or scenario.requires.python
    return GUESS_OUTSIDE_MS if outside else GUESS_MS


def _compare(expect: Expect, obs: Observation, diagnosis: Diagnosis) -> list[str]:
    problems: list[str] = []
    if expect.curl_code and obs.curl_code not in expect.curl_code:
        said = f" ({obs.curl_message})" if obs.curl_message else ""
        problems.append(f"curl code {obs.curl_code}{said}, expected "
                        f"{' or '.join(map(str, expect.curl_code))}")
    checks = (("http_status", obs.http_status), ("connect_status", obs.connect_status),
              ("phase", obs.phase))
    for name, seen in checks:
        wanted = getattr(expect, name)
        if wanted is not None and seen != wanted:
            problems.append(f"{name} {seen}, expected {wanted}")
    if expect.diagnosis and not diagnosis.starts_with(expect.diagnosis):
        problems.append(f"diagnosis {list(diagnosis.ids)} does not start with "
                        f"{list(expect.diagnosis)}")
    return problems


#: Public name for other clients' verdicts (selftest.clients.replay): the same comparison.
compare = _compare


def _honesty(obs: Observation, entry: Entry) -> list[str]:
    if obs.simulated and entry.reproduction == "real":
        return [f"the observation was injected, but the catalog calls {entry.id} real: "
                "a real entry must be reproduced for real"]
    return []


def _result(scenario: Scenario, verdict: Verdict, reason: str, reproduction: str,
            started: float) -> Result:
    return Result(scenario=scenario.id, documents=scenario.documents, title=scenario.title,
                  verdict=verdict, reason=reason, reproduction=reproduction,
                  duration_ms=_elapsed_ms(started))


def _elapsed_ms(started: float) -> float:
    return round((time.monotonic() - started) * 1000, 1)
