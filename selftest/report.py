"""Renderers shared by `preflight` and `reproduce`: JSON documents and JUnit XML.

Both commands produce a list of results with a name, a status and a message; each renders its own
text report, and both write JUnit XML here so CI systems show one test case per check/scenario.
"""

from __future__ import annotations

import json
import os
import stat
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any, TextIO

from selftest.errors import UsageError
from selftest.redact import redact, redact_text

SCHEMA_VERSION = 1


@dataclass(frozen=True)
class JUnitCase:
    name: str
    classname: str
    #: "pass", "warn", "fail", "skip" (warn is a pass with a message).
    status: str
    message: str = ""
    details: str = ""
    duration_ms: float = 0.0


def dump_json(document: dict[str, Any] | list[Any], stream: TextIO) -> None:
    """Write a JSON document (secrets redacted) followed by a newline to `stream` (a command's
    Environment.stdout). A list is the bare document of `catalog --json --schema-version 1`."""
    json.dump(redact(document), stream, indent=2, sort_keys=False)
    stream.write("\n")


def junit_xml(suite: str, cases: Iterable[JUnitCase]) -> str:
    """A JUnit XML document with one <testcase> per case (messages and details redacted)."""
    cases = [replace(c, message=redact_text(c.message), details=redact_text(c.details))
             for c in cases]
    root = ET.Element("testsuite", name=suite, tests=str(len(cases)),
                      failures=str(sum(c.status == "fail" for c in cases)),
                      skipped=str(sum(c.status == "skip" for c in cases)),
                      time=f"{sum(c.duration_ms for c in cases) / 1000:.3f}")
    for case in cases:
        element = ET.SubElement(root, "testcase", name=case.name, classname=case.classname,
                                time=f"{case.duration_ms / 1000:.3f}")
        if case.status == "fail":
            failure = ET.SubElement(element, "failure", message=case.message)
            failure.text = case.details or case.message
        elif case.status == "skip":
            ET.SubElement(element, "skipped", message=case.message)
        elif case.message:
            ET.SubElement(element, "system-out").text = case.message
    return ET.tostring(root, encoding="unicode", xml_declaration=True)


def check_writable(path: str | None) -> None:
    """Raise UsageError now, before a long run, when `path` cannot be written later.

    Permission bits say nothing when running as root, so the file is opened for real: an
    existing regular file in append mode (its content is untouched), a new one created and
    removed again. A folder, a device other than /dev/null (/dev/full fails only on write) and
    a place nothing can be created in (/proc) are refused.
    """
    if not path:
        return
    if os.path.isdir(path):
        raise UsageError(f"cannot write {path!r}: it is a directory")
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise UsageError(f"cannot write {path!r}: {folder!r} is not a writable folder")
    exists = os.path.exists(path)
    if exists and not _plain_file(path):
        raise UsageError(f"cannot write {path!r}: it is not a regular file")
    try:
        with open(path, "a" if exists else "x", encoding="utf-8"):
            pass
        if not exists:
            os.unlink(path)
    except OSError as exc:
        raise UsageError(f"cannot write {path!r}: {exc.strerror}") from None


def _plain_file(path: str) -> bool:
    mode = os.stat(path).st_mode
    return (stat.S_ISREG(mode) or stat.S_ISFIFO(mode)
            or os.path.realpath(path) == os.path.realpath(os.devnull))


def write_junit(path: str, suite: str, cases: Iterable[JUnitCase]) -> None:
    """Write JUnit XML to `path`. Raises UsageError when the file cannot be written."""
    try:
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(junit_xml(suite, cases))
    except OSError as exc:
        raise UsageError(f"cannot write JUnit XML to {path!r}: {exc.strerror}") from None
