"""How `selftest reproduce` shows its results: text lines, JSON, JUnit XML, TTY progress."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, TextIO

from selftest.report import SCHEMA_VERSION, JUnitCase, dump_json, write_junit
from selftest.runner import Result

if TYPE_CHECKING:
    from selftest.environment import Environment

_TAGS = {"pass": "PASS", "fail": "FAIL", "skip": "SKIP"}


def progress(index: int, total: int, name: str, env: Environment) -> None:
    """A self-erasing progress line on the Environment's stderr, only when it is a terminal."""
    if not env.stderr_isatty:
        return
    line = f"[{index}/{total}] {name}" if total else ""
    env.stderr.write(f"\r\033[K{line}")
    env.stderr.flush()


def report(results: Sequence[Result], *, as_json: bool, verbose: bool,
           junit_xml: str | None, out: TextIO, client: Mapping[str, Any] | None = None,
           streamed: bool = False, interrupted: tuple[str, int] | None = None) -> None:
    """Write the results to `out` (the Environment's stdout). `client` describes a client other
    than pycurl (--client php/wordpress) for the header; `streamed`: a ResultStream already wrote
    the header and the results' lines; `interrupted`: (signal name, scenarios selected) when a
    signal ended the run. The JUnit file is written last: a failing write never hides the
    results."""
    if as_json:
        doc: dict[str, Any] = {"schema_version": SCHEMA_VERSION}
        if client:
            doc["client"] = dict(client)
        doc["results"] = [r.to_dict(wire=verbose) for r in results]
        if interrupted:
            doc["interrupted"] = {"signal": interrupted[0], "selected": interrupted[1]}
        dump_json(doc, out)
    else:
        for result in [] if streamed else results:
            if client and result is results[0]:
                print(client_header(client), file=out)
            for line in text_lines(result, verbose=verbose):
                print(line, file=out)
        note = (f"; interrupted by {interrupted[0]} after {len(results)} of {interrupted[1]}"
                if interrupted else "")
        print(summary(results) + note, file=out)
    out.flush()
    if junit_xml:
        write_junit(junit_xml, "selftest reproduce", [junit_case(r) for r in results])


class ResultStream:
    """Each result's text lines as soon as it and every scenario before it in `order` finished
    (a pipe or a CI log sees them as they come, yet in the order chosen, though scenarios run
    side by side), the status word coloured on a terminal; the progress line, if any, is erased
    first. `flush()` writes what is still held back (a run stopped before an earlier one ended).
    """

    def __init__(self, env: Environment, *, verbose: bool, order: Sequence[str] = ()) -> None:
        self._env, self._verbose, self._count = env, verbose, 0
        self._order, self._next = list(order), 0
        self._held: dict[str, list[tuple[Result, Mapping[str, Any] | None]]] = {}

    def __call__(self, result: Result, client: Mapping[str, Any] | None = None) -> None:
        """Take a finished result: write it and every held-back one now due, in the chosen order."""
        if not self._order:
            self._write(result, client)
            return
        self._held.setdefault(result.scenario, []).append((result, client))
        while self._next < len(self._order) and self._held.get(self._order[self._next]):
            held = self._held[self._order[self._next]].pop(0)
            self._next += 1
            self._write(*held)

    def flush(self) -> None:
        """Write every result still held back, in the chosen order."""
        for name in self._order[self._next:]:
            for held in self._held.pop(name, []):
                self._write(*held)
        self._next = len(self._order)

    def _write(self, result: Result, client: Mapping[str, Any] | None) -> None:
        """One result's lines on stdout (its status word coloured), the progress line erased."""
        out = self._env.stdout
        if self._env.stderr_isatty:
            self._env.stderr.write("\r\033[K")
        if client and not self._count:
            out.write(client_header(client) + "\n")
        lines = text_lines(result, verbose=self._verbose)
        word, rest = lines[0].split(" ", 1)
        out.write("\n".join([f"{self._env.status_word(word)} {rest}", *lines[1:]]) + "\n")
        out.flush()
        self._count += 1


def text_lines(result: Result, *, verbose: bool = False) -> list[str]:
    """`PASS curl-52  curl:52 Empty reply from server  (12 ms)` and what explains it."""
    tag = " [simulated]" if result.simulated and result.verdict != "skip" else ""
    lines = [f"{_TAGS[result.verdict]} {result.scenario}  {result.documents} {result.title}"
             f"{tag}  ({result.duration_ms:.0f} ms)"]
    if result.diagnosis:
        lines.append(f"     diagnosis: {' -> '.join(result.diagnosis)}")
    if result.detail:
        lines.append(f"     detail: {result.detail}")
    if result.reason:
        lines.append(f"     {'why' if result.verdict == 'fail' else 'reason'}: {result.reason}")
    if result.client and result.observed.get("message") and result.verdict != "fail":
        message = " | ".join(str(result.observed["message"]).splitlines())
        lines.append(f"     message: {message[:157] + '...' if len(message) > 160 else message}")
    if result.client.get("differs_because"):
        lines.append(f"     libcurl {result.client['libcurl']}: {result.client['differs_because']}")
    if verbose:
        lines.extend(f"     | {line}" for line in result.wire)
    return lines


def client_header(client: Mapping[str, Any]) -> str:
    """`client: php — PHP 8.2.36, libcurl 7.88.1 (OpenSSL/3.0.19); features: ...`."""
    wordpress = f", WordPress {client['wordpress']}" if client.get("wordpress") else ""
    return (f"client: {client['name']} — PHP {client['php_version']}{wordpress}, "
            f"libcurl {client['libcurl']} ({client['ssl']}); "
            f"features: {' '.join(client.get('features', ()))}")


def summary(results: Sequence[Result]) -> str:
    """The closing line: passed, failed, skipped, and how many passes were real or simulated."""
    count = {v: sum(r.verdict == v for r in results) for v in _TAGS}
    simulated = sum(r.verdict == "pass" and r.simulated for r in results)
    return (f"{count['pass']} passed, {count['fail']} failed, {count['skip']} skipped "
            f"({count['pass'] - simulated} real, {simulated} simulated)")


def junit_case(result: Result) -> JUnitCase:
    """The JUnit test case of one scenario's result (simulated passes tagged)."""
    tag = "[simulated] " if result.simulated and result.verdict == "pass" else ""
    observed = ", ".join(f"{k}={v}" for k, v in result.observed.items())
    return JUnitCase(
        name=result.scenario, classname=f"selftest.reproduce.{result.documents.split(':')[0]}",
        status=result.verdict, message=tag + (result.reason or result.title),
        details=f"{result.reason}\nobserved: {observed}\ndiagnosis: {list(result.diagnosis)}",
        duration_ms=result.duration_ms,
    )
