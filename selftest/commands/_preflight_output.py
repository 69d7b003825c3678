"""How `selftest preflight` shows its results: the text report, the JSON document, JUnit XML.

Every renderer gets the run's `scrub` (which replaces each secret the run knows of) and the
line redaction, so that no token, key or proxy password reaches stdout, stderr or a file.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TextIO

from selftest.checks import CheckResult
from selftest.classify import Diagnosis
from selftest.redact import redact_line

_STATUS_WORD = {"pass": "PASS", "warn": "WARN", "fail": "FAIL", "skip": "SKIP"}

Scrub = Callable[[Any], Any]


def _catalog_lines(result: CheckResult) -> list[str]:
    from selftest import catalog

    entries = catalog.load()
    lines = []
    for entry_id in result.diagnosis:
        entry = entries.find(entry_id)
        if entry is not None:
            lines.append(f"        {entry_id}: {entry.summary}")
    primary_id = Diagnosis(result.diagnosis).primary
    primary = entries.find(primary_id) if primary_id else None
    if primary is not None and primary.remedy and primary.remedy != result.remedy:
        lines.append(f"        catalog remedy: {primary.remedy}")
    return lines


def render_text(results: Sequence[CheckResult], stream: TextIO) -> None:
    """One line per check; for each problem its diagnosis, summary and remedy."""
    width = max(len(r.check) for r in results) if results else 5
    for result in results:
        took = f"  ({result.duration_ms:.0f} ms)" if result.duration_ms else ""
        stream.write(f"{_STATUS_WORD[result.status]}  {result.check:<{width}}  "
                     f"{result.summary}{took}\n")
        if result.status in ("fail", "warn"):
            if result.diagnosis:
                stream.write(f"      diagnosis: {', '.join(result.diagnosis)}\n")
                for line in _catalog_lines(result):
                    stream.write(line + "\n")
            if result.remedy:
                stream.write(f"      remedy: {result.remedy}\n")
        elif result.status == "skip" and result.remedy:
            stream.write(f"      {result.remedy}\n")
    counts = {s: sum(r.status == s for r in results) for s in ("fail", "warn", "pass", "skip")}
    stream.write(f"{counts['fail']} failed, {counts['warn']} warned, {counts['pass']} passed, "
                 f"{counts['skip']} skipped\n")


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
    from selftest.report import JUnitCase
    from selftest.report import write_junit as write

    write(path, "selftest.preflight", [
        JUnitCase(r.check, "selftest.preflight", r.status, scrub(r.summary),
                  scrub("\n".join([*r.diagnosis, r.remedy])), r.duration_ms)
        for r in results])


def redact_line_block(text: str) -> str:
    return "\n".join(redact_line(line) for line in text.split("\n"))
