"""`selftest preflight` — can this machine back up to Box? dns, proxy, tls, clock, token, quota.

Every input is read and checked before any check runs and before any packet is sent
(`selftest.commands._preflight_options`: argparse values in, Options out), and a --junit-xml or
--output path that cannot be written is refused up front: a bad input is one stderr line naming
the flag, exit 2, never a traceback, never a half-run report. The checks live in
`selftest.checks`, the runner in `selftest.preflight`, the renderers in
`selftest.commands._preflight_output`; this module parses, runs (stopping cleanly on Ctrl-C or
SIGTERM) and picks the exit status.
"""

from __future__ import annotations

import argparse
import io
import signal
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TextIO

from selftest.commands._preflight_options import options_from, secrets_of
from selftest.errors import UsageError
from selftest.status import ExitStatus

if TYPE_CHECKING:  # the checks are imported when preflight is the command (start-up time)
    from selftest.checks import CheckResult
    from selftest.environment import Environment

HELP = "check DNS, proxy, TLS, clock, token and quota on the way to Box"

FORMATS = ("text", "json", "openmetrics")



def configure(parser: argparse.ArgumentParser) -> None:
    """The options of `selftest preflight`."""
    from selftest.checks import CHECK_NAMES

    add = parser.add_argument
    add("--json", action="store_true", help="short for --format json")
    add("--format", choices=FORMATS, help="text (default), json (docs/contracts.md) or "
        "openmetrics (Prometheus text format, for node_exporter's textfile collector)")
    add("--output", metavar="FILE", help="write the report to FILE (atomically) instead of stdout")
    add("--nagios", action="store_true", help="Nagios/Icinga plugin: one status line with "
        "perfdata; exit 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN")
    add("--junit-xml", metavar="FILE", help="also write one JUnit test case per check")
    add("--from", dest="from_probe", metavar="PROBE_JSON", help="report on what `php "
        "selftest-probe.php` observed on another host (see `selftest probe-script`) instead of "
        "making requests from here")
    add("--client", choices=("pycurl", "php"), help="make the requests through pycurl only, or "
        "through PHP's own cURL only (default: pycurl, and PHP's cURL beside it when php with "
        "the curl extension is on PATH; differences are reported)")
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


def _progress(stream: TextIO) -> Callable[[CheckResult], None]:
    """A progress printer: a line on `stream` per finished check, when the report goes elsewhere.
    Checks finish on their own threads, so each line is one locked write (never two lines
    interleaved)."""
    lock = threading.Lock()

    def show(result: CheckResult) -> None:
        """Print one finished check's status and time."""
        with lock:
            stream.write(f"  {result.check}: {result.status} ({result.duration_ms:.0f} ms)\n")
            stream.flush()

    return show


def run(args: argparse.Namespace, env: Environment) -> int:
    """Check the options, run the checks, report them (text, JSON, OpenMetrics, Nagios, JUnit);
    exit 1 when a check failed (Nagios: its own statuses), 128 + N on a signal."""
    from selftest import preflight
    from selftest import report_metrics as fleet
    from selftest.checks import CHECK_NAMES
    from selftest.clients import opinions
    from selftest.commands import _preflight_output as output
    from selftest.interrupts import STOP_SIGNALS, signals_raise
    from selftest.redact import redact_line
    from selftest.report import check_writable

    check_writable(args.junit_xml)
    check_writable(args.output)
    fmt = output_format(args)
    options = options_from(args, env.environ)
    scrub = secrets_of(options)
    # The text report on stdout is streamed, check by check; the progress lines on stderr are
    # for a terminal watching a run whose report goes elsewhere.
    streamed = fmt == "text" and not args.output and not args.nagios
    show_progress = (env.stderr_isatty and fmt == "text" and not args.nagios
                     and not (streamed and env.stdout_isatty))
    stdout: Any = output.Tolerant(env.stdout)
    if show_progress:
        print(f"selftest preflight: {options.api_base} ...", file=env.stderr)
    stream = output.StreamedText([n for n in CHECK_NAMES if not args.only or n in args.only],
                                 stdout, scrub, env.status_word) if streamed else None
    on_done = stream.on_done if stream else _progress(env.stderr) if show_progress else None
    started = time.time()
    interrupted: KeyboardInterrupt | None = None
    # Ctrl-C, SIGTERM or SIGHUP stop the run at once (Interrupted, exit 128 + signal): what
    # finished is still reported and the JUnit file written; a second signal is ignored.
    with signals_raise():
        try:
            results = opinions.run(options, args.client, only=args.only, on_done=on_done,
                                   probe_file=args.from_probe)
        except preflight.RunInterrupted as stopped:
            results, interrupted = stopped.results, stopped.cause
        except KeyboardInterrupt as stopped:  # before the run began: nothing finished
            results, interrupted = [], stopped
        if stream:
            stream.finish(results)
        elif args.output:
            fleet.write_atomic(args.output, _render(fmt, results, scrub, started, time.time()))
        elif not args.nagios:
            stdout.write(_render(fmt, results, scrub, started, time.time()))
        if args.junit_xml:
            output.write_junit(args.junit_xml, results, scrub)
        if args.nagios:
            code, line = fleet.nagios(results)
            print(redact_line(scrub(line)), file=stdout)
    if interrupted is not None:
        # The process is on its way out: a second Ctrl-C or SIGTERM must not cut the exit short
        # (no traceback, no -15 instead of 143).
        for signum in STOP_SIGNALS:
            signal.signal(signum, signal.SIG_IGN)
        raise interrupted
    if args.nagios:
        return code
    failed = any(r.status == "fail" for r in results)
    return ExitStatus.FAILED if failed else ExitStatus.OK


def output_format(args: argparse.Namespace) -> str:
    """--format, --json (its short form) and --nagios, checked against each other."""
    if args.json and args.format not in (None, "json"):
        raise UsageError(f"--json is short for --format json, not --format {args.format}")
    fmt = "json" if args.json else args.format or "text"
    if args.nagios and (args.json or args.format) and not args.output:
        raise UsageError("--nagios prints its status line on stdout: send the "
                         f"--format {fmt} report to a file with --output FILE")
    return str(fmt)


def _render(fmt: str, results: list[CheckResult], scrub: Callable[[Any], Any],
            started: float, finished: float) -> str:
    """The whole report in `fmt` (json, openmetrics or text), secrets scrubbed and redacted."""
    from selftest import report_metrics as fleet
    from selftest.commands import _preflight_output as output
    from selftest.report import dump_json

    if fmt == "json":
        stream = io.StringIO()
        dump_json(output.json_document(results, scrub, fleet.run_facts(started, finished)),
                  stream)
        return stream.getvalue()
    if fmt == "openmetrics":
        metrics = fleet.openmetrics(results, finished, finished - started)
        return output.redact_line_block(str(scrub(metrics)))
    return output.text_report(results, scrub)
