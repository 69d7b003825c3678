"""How `selftest preflight` shows its results: the text report, the JSON document, JUnit XML.

Every renderer gets the run's `scrub` (which replaces each secret the run knows of) and the
line redaction, so that no token, key or proxy password reaches stdout, stderr or a file.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TextIO

from selftest.checks import CheckResult, catalog_remedy
from selftest.classify import Diagnosis
from selftest.redact import redact_line

_STATUS_WORD = {"pass": "PASS", "warn": "WARN", "fail": "FAIL", "skip": "SKIP"}

Scrub = Callable[[Any], Any]


def _catalog_lines(result: CheckResult) -> list[str]:
    """What the catalog says of each id of a result's diagnosis, and the primary entry's remedy
    when the check's own remedy is another."""
    from selftest import catalog

    entries = catalog.load()
    lines = []
    for entry_id in result.diagnosis:
        entry = entries.find(entry_id)
        if entry is not None:
            lines.append(f"        {entry_id}: {entry.summary}")
    remedy = catalog_remedy(Diagnosis(result.diagnosis), "")
    if remedy and remedy != result.remedy:
        lines.append(f"        catalog remedy: {remedy}")
    return lines


def render_text(results: Sequence[CheckResult], stream: TextIO) -> None:
    """One line per check; for each problem its diagnosis, summary and remedy."""
    width = max(len(r.check) for r in results) if results else 5
    for result in results:
        stream.write(result_text(result, width))
    stream.write(summary_line(results))


def result_text(result: CheckResult, width: int,
                word: Callable[[str], str] = lambda word: word) -> str:
    """One check's lines; `word` may colour the status word (Environment.status_word)."""
    took = f"  ({result.duration_ms:.0f} ms)" if result.duration_ms else ""
    lines = [f"{word(_STATUS_WORD[result.status])}  {result.check:<{width}}  "
             f"{result.summary}{took}"]
    if result.status in ("fail", "warn"):
        if result.diagnosis:
            lines.append(f"      diagnosis: {', '.join(result.diagnosis)}")
            lines += _catalog_lines(result)
        if result.remedy:
            lines.append(f"      remedy: {result.remedy}")
    elif result.status == "skip" and result.remedy:
        lines.append(f"      {result.remedy}")
    return "".join(line + "\n" for line in lines)


def summary_line(results: Sequence[CheckResult]) -> str:
    """The closing counts line: failed, warned, passed, skipped."""
    counts = {s: sum(r.status == s for r in results) for s in ("fail", "warn", "pass", "skip")}
    return (f"{counts['fail']} failed, {counts['warn']} warned, {counts['pass']} passed, "
            f"{counts['skip']} skipped\n")


#: Characters the report uses that a Latin-1 or ASCII terminal cannot show, and their stand-ins.
_PLAIN = str.maketrans({"\u2192": "->", "\u00b1": "+/-", "\u2026": "...", "\u2014": "-",
                        "\u2013": "-", "\u2019": "'", "\u201c": '"', "\u201d": '"'})


class Tolerant:
    """A text stream that never raises UnicodeEncodeError: on a terminal whose encoding lacks a
    character (PYTHONIOENCODING=latin-1, LANG=C) it is written plainly ('->') or as '?'."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._encoding = getattr(stream, "encoding", None) or "utf-8"

    def write(self, text: str) -> int:
        """Write `text`, plainly or with '?' where the stream's encoding cannot show it."""
        try:
            text.encode(self._encoding)
        except UnicodeEncodeError:
            plain = text.translate(_PLAIN)
            text = plain.encode(self._encoding, "replace").decode(self._encoding)
        except LookupError:
            pass
        return self._stream.write(text)

    def flush(self) -> None:
        """Flush the stream underneath."""
        self._stream.flush()


class StreamedText:
    """The text report written as the checks finish, in report order, secrets scrubbed.

    Give `on_done` to the preflight runner: a check's lines go out as soon as it and every check
    before it have finished (so a log or a pipe sees each as it comes, not all at the end);
    `finish(results)` writes what is left (a check that missed the deadline) and the counts.
    """

    def __init__(self, names: Sequence[str], stream: TextIO, scrub: Scrub,
                 word: Callable[[str], str] = lambda word: word) -> None:
        self._names, self._stream, self._scrub, self._word = list(names), stream, scrub, word
        self._width = max((len(n) for n in names), default=5)
        self._done: dict[str, CheckResult] = {}
        self._written = 0
        self._lock = threading.Lock()

    def on_done(self, result: CheckResult) -> None:
        """Take a finished check's result; write every result now due, in report order."""
        with self._lock:
            self._done.setdefault(result.check, result)
            while (self._written < len(self._names)
                   and self._names[self._written] in self._done):
                self._write(result_text(self._done[self._names[self._written]], self._width,
                                        self._word))
                self._written += 1

    def finish(self, results: Sequence[CheckResult]) -> None:
        """Write the results not yet written (a check that missed the deadline), then the counts."""
        with self._lock:
            for result in results[self._written:]:
                self._write(result_text(result, self._width, self._word))
            self._written = len(results)
            self._write(summary_line(results))

    def _write(self, text: str) -> None:
        """Write text redacted line by line and scrubbed of the run's secrets, then flush."""
        self._stream.write(str(self._scrub(redact_line_block(text))))
        self._stream.flush()


def text_report(results: Sequence[CheckResult], scrub: Scrub) -> str:
    """The text report, secrets scrubbed and every line redacted."""
    text = io.StringIO()
    render_text(results, text)
    return str(scrub(redact_line_block(text.getvalue())))


def json_document(results: Sequence[CheckResult], scrub: Scrub,
                  facts: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """{"schema_version", the run's `facts` (host, timestamps), "checks"}, secrets scrubbed."""
    from selftest.report import SCHEMA_VERSION

    document: dict[str, Any] = scrub({"schema_version": SCHEMA_VERSION, **(facts or {}),
                                      "checks": [r.to_dict() for r in results]})
    return document


def write_junit(path: str, results: Sequence[CheckResult], scrub: Scrub) -> None:
    """One JUnit test case per check to `path`, secrets scrubbed."""
    from selftest.report import JUnitCase
    from selftest.report import write_junit as write

    write(path, "selftest.preflight", [
        JUnitCase(r.check, "selftest.preflight", r.status, scrub(r.summary),
                  scrub("\n".join([*r.diagnosis, r.remedy])), r.duration_ms)
        for r in results])


def redact_line_block(text: str) -> str:
    """`text` with the secrets of each line blanked out (`redact_line`)."""
    return "\n".join(redact_line(line) for line in text.split("\n"))
