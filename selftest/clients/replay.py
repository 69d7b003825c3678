"""Replay scenarios through a client other than pycurl, and judge what it shows.

A scenario is replayable when its client step is a plain request (`perform`, `setopt`) and the
client can express every option; otherwise it is skipped with the reason. The fault servers are
the runner's (`selftest.runner.Runner`), so every client meets the very same server. Verdict:

    pass  the code/status is what that libcurl generation returns ([expect] with
          [expect.libcurl7] / [expect.wordpress] applied) and `explain` of the message the site
          admin sees names the expected diagnosis
    fail  either one is off; the reason says which
    skip  impossible entry, simulated (injected) scenario, not a plain request, an option or
          feature the client lacks
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from selftest.classify import classify
from selftest.clients import php
from selftest.clients.dnsjail import jailed
from selftest.clients.php_workers import Workers
from selftest.errors import UsageError
from selftest.explain import Explanation, explain
from selftest.machine import missing_requirement
from selftest.observe import Observation
from selftest.runner import Result, Runner, compare
from selftest.scenario import Expect, Requires, Scenario
from selftest.sent import Watch
from selftest.steps import SetupFailed
from selftest.steps import get as get_step
from selftest.steps.box import BoxSequenceArgs, run_sequence
from selftest.transport import Request

#: (filled [client] table, command prefix: the DNS jail or [], the replayer's php workers or None)
#: -> (an Observation, the admin's message), or why the client cannot express the scenario.
Replay = Callable[[Mapping[str, Any], list[str], "Workers | None"],
                  "tuple[Observation, str] | str"]


class Inexpressible(Exception):
    """Raised inside a Box sequence when the client cannot send one of its requests."""


@dataclass
class ClientReplayer:
    """Replays scenarios through one client; use as a context manager.

    Inside the `with`, requests are answered by long-lived php workers (one php start per
    worker, not per request: `selftest.clients.php_workers`), all of them killed at its end;
    outside it, and for a request in the DNS jail, each request has a php process of its own.
    """

    name: str
    build: php.PhpBuild
    #: Turns a filled [client] table into a request, runs it, returns (Observation, message).
    replay: Replay
    runner: Runner
    wordpress: bool = False
    #: Extra facts for the run header and every result (WordPress's version, ...).
    facts: Mapping[str, Any] = field(default_factory=dict)
    #: The php workers while the replayer is entered.
    workers: Workers | None = field(default=None, init=False, repr=False)

    def __enter__(self) -> ClientReplayer:
        self.workers = Workers()
        return self

    def __exit__(self, *exc_info: object) -> None:
        workers, self.workers = self.workers, None
        if workers is not None:
            workers.close()

    def describe(self) -> dict[str, Any]:
        return {"name": self.name, **self.build.to_dict(), **self.facts}

    def run(self, scenario: Scenario) -> Result:
        started = time.monotonic()
        entry = self.runner.entry(scenario)
        skip = self._skip_reason(scenario, entry.reproduction, entry.reason)
        if skip is not None:
            return self._result(scenario, "skip", skip, started, entry.reproduction)
        assert scenario.expect is not None
        client = self.runner.filled(scenario)
        watch = Watch.of(self.runner.context(scenario).server)
        if scenario.step == "box-sequence":
            return self._sequence(scenario, client, started, watch)
        names = php.names_needing_an_answer(client)
        with tempfile.TemporaryDirectory(prefix="selftest-client-") as folder:
            log = Path(folder) / "dns.log"
            prefix: list[str] | str = []
            if names:
                prefix = _jail(scenario, names, log)
            outcome = (prefix if isinstance(prefix, str)
                       else self.replay(client, prefix, self.workers))
            jail = log.read_text(encoding="utf-8") if log.is_file() else ""
        if isinstance(outcome, str):
            return self._result(scenario, "skip", outcome, started, "real")
        obs, message = outcome
        return self._judge(scenario, obs, message, names, jail, started, watch)

    def _sequence(self, scenario: Scenario, client: Mapping[str, Any], started: float,
                  watch: Watch) -> Result:
        """A Box sequence, each request sent by this client; its judge is the runner's."""
        args = get_step("box-sequence").parse(client, scenario.path)
        assert isinstance(args, BoxSequenceArgs)
        try:
            outcome = run_sequence(args, self.runner.context(scenario), self._send)
        except Inexpressible as exc:
            return self._result(scenario, "skip", str(exc), started, "real")
        if isinstance(outcome, SetupFailed):
            return replace(self._result(scenario, "fail", outcome.message(), started, "real"),
                           setup_failed=outcome)
        return self._judge(scenario, outcome, admin_message(outcome), [], "", started, watch)

    def _send(self, request: Request) -> Observation:
        """One request of a Box sequence through this client (the sequence is the runner's)."""
        outcome = self.replay(php.request_table(request), [], self.workers)
        if isinstance(outcome, str):
            raise Inexpressible(outcome)
        return outcome[0]

    def _judge(self, scenario: Scenario, obs: Observation, message: str, names: list[str],
               jail: str, started: float, watch: Watch) -> Result:
        assert scenario.expect is not None
        # The phase is pycurl's to check: libcurl 7.88 records CONNECT_TIME only once TLS is
        # up too, so a failed handshake reads as "connect" there.
        expected = replace(scenario.expect.for_client(self.build.libcurl_major,
                                                      wordpress=self.wordpress), phase=None)
        diagnosis = classify(obs, self.runner.catalog)
        explanation = explain(message, self.runner.catalog) if message else None
        explained = explained_ids(explanation)
        if not diagnosis.ids and explanation is not None:
            # The client failed in its own words with nothing on the wire to classify
            # (WordPress: "Too many redirects", "A valid URL was not provided."): those words
            # are all the evidence there is, and explain is what reads them.
            diagnosis = explanation.diagnosis
        problems = compare(expected, obs, diagnosis) + _message_problems(
            expected, message, explained) + watch.problems(scenario.expect.sent)
        observed = {**obs.to_dict(), "message": message, "explain": explained}
        if names:
            observed["local_dns_answer"] = _jail_facts(names, jail)
            if "interfaces: lo\n" not in jail:
                problems.append(f"the DNS jail did not hold (its log: {jail.strip()!r})")
        return Result(
            scenario=scenario.id, documents=scenario.documents, title=scenario.title,
            verdict="fail" if problems else "pass", reason="; ".join(problems),
            observed=observed, diagnosis=diagnosis.ids, detail=diagnosis.detail,
            duration_ms=_elapsed_ms(started),
            client=self._client_facts(expected))

    def _skip_reason(self, scenario: Scenario, reproduction: str, reason: str) -> str | None:
        if reproduction == "impossible":
            return reason or "the catalog marks this code impossible to reproduce"
        if scenario.step == "inject":
            return "simulated: the observation is injected, there is no request to replay"
        if scenario.step not in ("perform", "setopt", "box-sequence"):
            return (f"its client step {scenario.step!r} is more than a plain request "
                    f"{self.name} can replay")
        if scenario.expect is None:
            return "the scenario has no [expect] table"
        unknown = set(scenario.client) - php.REQUEST_KEYS
        if unknown and scenario.step != "box-sequence":
            return f"{self.name} replay cannot carry [client] key(s) {sorted(unknown)}"
        return self._missing(scenario.requires)

    def _missing(self, requires: Requires) -> str | None:
        why = f": {requires.reason}" if requires.reason else ""
        for protocol in requires.protocols:
            if protocol.lower() not in self.build.protocols:
                return f"PHP's libcurl {self.build.libcurl} lacks the {protocol} protocol{why}"
        for feature in requires.features:
            if feature.upper() not in self.build.features:
                return f"PHP's libcurl {self.build.libcurl} lacks the {feature} feature{why}"
        # The server side still runs here, in Python: its own needs are this machine's.
        return missing_requirement(Requires(python=requires.python, programs=requires.programs,
                                            env=requires.env, reason=requires.reason))

    def _client_facts(self, expected: Expect) -> dict[str, Any]:
        facts: dict[str, Any] = {"name": self.name, "libcurl": self.build.libcurl,
                                 "expected_curl_code": list(expected.curl_code),
                                 "expected_diagnosis": list(expected.diagnosis)}
        if expected.http_status is not None:
            facts["expected_http_status"] = expected.http_status
        if expected.reason:
            facts["differs_because"] = expected.reason
        return facts

    def _result(self, scenario: Scenario, verdict: str, reason: str, started: float,
                reproduction: str) -> Result:
        return Result(scenario=scenario.id, documents=scenario.documents, title=scenario.title,
                      verdict="skip" if verdict == "skip" else "fail", reason=reason,
                      reproduction=reproduction, duration_ms=_elapsed_ms(started),
                      client={"name": self.name, "libcurl": self.build.libcurl})


def admin_message(obs: Observation) -> str:
    """The client's own words when it had some (WordPress's WP_Error), else PHP's rendering."""
    return str(obs.details.get("message") or "") or php.admin_message(obs)


def _jail(scenario: Scenario, names: list[str], log: Path) -> list[str] | str:
    """The command prefix running the client in the DNS jail, or why it cannot."""
    if scenario.fault is not None:
        return (f"{', '.join(names)} must fail to resolve while a local server is reached: "
                "the DNS jail has no way out to that server")
    command = jailed([], log)
    return command


def _jail_facts(names: list[str], log: str) -> dict[str, Any]:
    """What the jail saw: the names asked of its local DNS server, and its only interface."""
    asked = sorted({line.split(": ", 1)[1] for line in log.splitlines()
                    if line.startswith("question: ")})
    interfaces = next((line.split(": ", 1)[1] for line in log.splitlines()
                       if line.startswith("interfaces: ")), "")
    return {"names": names, "asked_locally": asked, "interfaces": interfaces}


def explained_ids(explanation: Explanation | None) -> list[str]:
    """Every id explain named: its chain, then those of its further findings (a paste of a
    status line, a challenge and a body may be read as several), each id once, in order."""
    if explanation is None:
        return []
    ids = list(explanation.diagnosis.ids)
    for finding in explanation.to_dict().get("findings") or ():
        ids += [i for i in finding.get("diagnosis", ()) if i not in ids]
    return ids


def _message_problems(expected: Expect, message: str, explained: list[str]) -> list[str]:
    """The message must carry the expected words, and explain must name every expected id
    (the same rule as explain's own corpus: each id in some finding's chain)."""
    problems = []
    if expected.message and expected.message not in message:
        problems.append(f"message {message!r} does not contain {expected.message!r}")
    missing = [i for i in expected.diagnosis if i not in explained]
    if missing:
        problems.append(f"explain of the message {message!r} gives {explained}, "
                        f"missing {missing}")
    return problems


def _elapsed_ms(started: float) -> float:
    return round((time.monotonic() - started) * 1000, 1)


def php_replayer(runner: Runner, php_executable: str | None = None) -> ClientReplayer:
    """A replayer for PHP's own curl_* (the PHP on PATH). Raises ClientMissing without it."""
    build = php.describe(php_executable)

    def replay(client: Mapping[str, Any], prefix: list[str],
               workers: Workers | None) -> tuple[Observation, str] | str:
        calls, why = php.php_options(client, build)
        if why is not None:
            return why
        obs = php.run(build, client, calls, prefix, workers=workers)
        return obs, admin_message(obs)

    return ClientReplayer("php", build, replay, runner)


def replayer_for(name: str, runner: Runner, wp_path: str | None = None) -> ClientReplayer:
    """The replayer `selftest reproduce --client NAME` uses. Raises ClientMissing / UsageError."""
    if name == "php":
        if wp_path:
            raise UsageError("--wp-path goes with --client wordpress")
        return php_replayer(runner)
    if name == "wordpress":
        if not wp_path:
            raise UsageError("--client wordpress needs --wp-path DIR (a WordPress install)")
        return wordpress_replayer(runner, wp_path)
    raise UsageError(f"no client {name!r}: pycurl, php or wordpress")


def wordpress_replayer(runner: Runner, wp_path: str,
                       php_executable: str | None = None) -> ClientReplayer:
    """A replayer for WordPress's wp_remote_request at `wp_path` on the PHP on PATH."""
    from selftest.clients import wordpress

    build = php.describe(php_executable)
    facts = wordpress.describe(wp_path, build)

    def replay(client: Mapping[str, Any], prefix: list[str],
               workers: Workers | None) -> tuple[Observation, str] | str:
        request, why = wordpress.wp_request(client)
        if why is not None:
            return why
        return wordpress.run(build, wp_path, request, int(client.get("timeout_ms", 30_000)),
                             prefix, workers=workers)

    return ClientReplayer("wordpress", build, replay, runner, wordpress=True, facts=facts)
