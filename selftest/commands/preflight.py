"""`selftest preflight` — can this machine back up to Box? dns, proxy, tls, clock, token, quota.

Options are read and checked here, before any check runs, so that a bad input is one line and
exit 2 (never a traceback, never a half-run report). The checks live in `selftest.checks`, the
runner in `selftest.preflight`; this module only parses, renders and picks the exit status.
"""

from __future__ import annotations

import argparse
import io
import os
import sys
from typing import TYPE_CHECKING, TextIO

from selftest.status import ExitStatus

if TYPE_CHECKING:  # the checks are imported when preflight is the command (start-up time)
    from selftest.checks import CheckResult

HELP = "check DNS, proxy, TLS, clock, token and quota on the way to Box"

_STATUS_WORD = {"pass": "PASS", "warn": "WARN", "fail": "FAIL", "skip": "SKIP"}


def configure(parser: argparse.ArgumentParser) -> None:
    from selftest.checks import CHECK_NAMES

    add = parser.add_argument
    add("--json", action="store_true", help="print the JSON report (DESIGN.md contract)")
    add("--junit-xml", metavar="FILE", help="also write one JUnit test case per check")
    add("--api-base", help="Box API base URL (default https://api.box.com)")
    add("--upload-base", help="Box upload base URL (default https://upload.box.com/api)")
    add("--cacert", metavar="FILE", help="CA bundle for libcurl (default: as PHP's cURL finds it)")
    add("--proxy", metavar="URL", help="proxy to use instead of the environment's")
    add("--resolve", metavar="HOST:PORT:ADDR", action="append", default=[],
        help="pin a host name to an address, as curl --resolve (repeatable)")
    add("--timeout", type=float, default=30.0, metavar="SECONDS",
        help="deadline for the whole run (default 30)")
    add("--backup-size", metavar="SIZE", help="backup size: bytes or e.g. 500MB, 2G")
    add("--backup-file", metavar="PATH", help="the backup file (its size and name are used)")
    add("--folder-id", default="0", help="Box folder the backups go to (default 0, All Files)")
    add("--box-config", metavar="FILE", help="Box app config JSON: also test a JWT grant")
    add("--token-file", metavar="FILE", help="file holding an access token (else BOX_ACCESS_TOKEN)")
    add("--wp-config", metavar="PATH", help="wp-config.php to read WP_PROXY_* settings from")
    add("--wp-path", metavar="DIR", help="WordPress root (to test its bundled CA file)")
    add("--host", action="append", default=[], metavar="HOST", help="extra host (repeatable)")
    add("--only", action="append", default=[], choices=CHECK_NAMES, metavar="CHECK",
        help=f"run only this check (repeatable): {', '.join(CHECK_NAMES)}")


def _catalog_lines(result: CheckResult) -> list[str]:
    from selftest import catalog

    entries = catalog.load()
    lines = []
    for entry_id in result.diagnosis:
        entry = entries.find(entry_id)
        if entry is not None:
            lines.append(f"        {entry_id}: {entry.summary}")
    primary = next((entries.find(i) for i in reversed(result.diagnosis)
                    if not i.startswith("plugin:") and entries.find(i)), None)
    if primary is not None and primary.remedy and primary.remedy != result.remedy:
        lines.append(f"        catalog remedy: {primary.remedy}")
    return lines


def render_text(results: list[CheckResult], stream: TextIO) -> None:
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


def _progress(result: CheckResult) -> None:
    print(f"  {result.check}: {result.status} ({result.duration_ms:.0f} ms)", file=sys.stderr)


def run(args: argparse.Namespace) -> int:
    from selftest import preflight
    from selftest.checks.context import Context
    from selftest.checks.options import options_from, secrets_of
    from selftest.report import SCHEMA_VERSION, JUnitCase, check_writable, dump_json, write_junit

    check_writable(args.junit_xml)
    options = options_from(args, os.environ)
    scrub = secrets_of(options)
    show_progress = sys.stderr.isatty() and not args.json
    if show_progress:
        print(f"selftest preflight: {options.api_base} ...", file=sys.stderr)
    results = preflight.run(Context(options), only=args.only,
                            on_done=_progress if show_progress else None)
    if args.json:
        dump_json(scrub({"schema_version": SCHEMA_VERSION,
                         "checks": [r.to_dict() for r in results]}))
    else:
        text = io.StringIO()
        render_text(results, text)
        sys.stdout.write(scrub(redact_line_block(text.getvalue())))
    if args.junit_xml:
        write_junit(args.junit_xml, "selftest.preflight", [
            JUnitCase(r.check, "selftest.preflight", r.status, scrub(r.summary),
                      scrub("\n".join([*r.diagnosis, r.remedy])), r.duration_ms)
            for r in results])
    failed = any(r.status == "fail" for r in results)
    return ExitStatus.FAILED if failed else ExitStatus.OK


def redact_line_block(text: str) -> str:
    from selftest.redact import redact_line

    return "\n".join(redact_line(line) for line in text.split("\n"))
