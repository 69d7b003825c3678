"""The `selftest` command: argparse, one error boundary, an ExitStatus.

Each subcommand lives in `selftest/commands/NAME.py` with `HELP`, `configure(parser)` and
`run(args, env) -> int` (env: `selftest.environment.Environment`, the stdio and whether each is
a terminal). Only the chosen subcommand is configured (`--help` configures none), and
command modules import their heavy machinery inside `configure()`/`run()`, so that
`selftest explain` never pays for the fault servers (tests/with_servers/test_startup.py checks
sys.modules).
Every SelftestError becomes one line on stderr and an exit status, never a traceback (httpie's
`core.py` is the model).
"""

from __future__ import annotations

import argparse
import importlib
import signal
import sys
from collections.abc import Sequence

from selftest import __version__
from selftest.environment import Environment
from selftest.errors import SelftestError, UsageError
from selftest.interrupts import STOP_SIGNALS, Interrupted
from selftest.status import ExitStatus

COMMANDS = ("preflight", "explain", "catalog", "reproduce", "serve", "probe-script", "fakebox")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        # main() prints "selftest: "; a subcommand's errors name the subcommand after it.
        command = self.prog.removeprefix("selftest").strip()
        raise UsageError(f"{command}: {message}" if command else message)


def _chosen(argv: Sequence[str]) -> str | None:
    """The subcommand in argv: the first word not an option (top-level options take no values)."""
    for word in argv:
        if word == "--":
            return None
        if not word.startswith("-"):
            return word
    return None


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The parser; with argv, only the subcommand it names is configured (None: all of them)."""
    chosen = _chosen(argv) if argv is not None else None
    parser = _Parser(
        prog="selftest",
        description="Check and explain the path from this machine to the Box API.",
    )
    parser.add_argument("--version", action="version", version=f"selftest {__version__}")
    parser.add_argument("--debug", action="store_true",
                        help="print versions (Python, pycurl, libcurl, OpenSSL, CA, proxy) first")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name in COMMANDS:
        module = importlib.import_module(f"selftest.commands.{name.replace('-', '_')}")
        sub = subparsers.add_parser(name, help=module.HELP, description=module.HELP)
        if argv is None or name == chosen:
            module.configure(sub)
            # --debug after the subcommand too; SUPPRESS keeps the top level's when absent.
            sub.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                             help="print versions first (as `selftest --debug COMMAND`)")
            sub.set_defaults(_run=module.run)
    return parser


def main(argv: Sequence[str] | None = None, env: Environment | None = None) -> int:
    """Run the command line; returns the exit status (also used in-process by the tests).

    Commands read and write `env` (default: this process's stdio and environment), not sys.
    """
    argv = sys.argv[1:] if argv is None else list(argv)
    env = env or Environment.from_process()
    try:
        parser = build_parser(argv)
        args = parser.parse_args(argv)
        if args.debug:
            from selftest.debuginfo import debug_lines

            for line in debug_lines(env.environ):
                print(line, file=env.stderr)
        if not getattr(args, "_run", None):
            parser.print_help()
            return ExitStatus.USAGE
        return int(args._run(args, env))
    except UsageError as exc:
        return _failed(argv, env, str(exc), ExitStatus.USAGE)
    except SelftestError as exc:
        return _failed(argv, env, str(exc), ExitStatus.HARNESS)
    except KeyboardInterrupt as exc:  # Ctrl-C, or SIGTERM/SIGHUP under signals_raise()
        name = f" ({exc.args[0]})" if isinstance(exc, Interrupted) else ""
        print(f"selftest: interrupted{name}", file=env.stderr)
        return exc.exit_status if isinstance(exc, Interrupted) else ExitStatus.INTERRUPTED
    except BrokenPipeError:
        return ExitStatus.OK


def entry() -> None:
    """The `selftest` command itself (the console script, `python -m selftest`): `main()`, then
    exit with its status.

    Once `main()` has returned, the command is over and its status decided: a stop signal now
    (Ctrl-C pressed again and again) is ignored. Left to Python it raised KeyboardInterrupt in
    whatever ran at exit: the removal of the test PKI folder (an atexit clean-up) was cut
    short with a traceback and the folder left behind, and the process died of the signal
    instead of exiting with the status printed. An interrupt that escapes `main()` (a second
    one landing in its own clean-up) is that same status, 130.
    """
    try:
        status = main()
    except KeyboardInterrupt:
        status = ExitStatus.INTERRUPTED
    finally:
        for signum in STOP_SIGNALS:
            signal.signal(signum, signal.SIG_IGN)
    sys.exit(status)


def _failed(argv: Sequence[str], env: Environment, message: str, status: ExitStatus) -> int:
    """One stderr line and `status`; as a Nagios plugin also an UNKNOWN line, exit 3.

    (Nagios reads exit 2 as CRITICAL: a mistyped option must not page anyone as an outage.)
    """
    print(f"selftest: {message}", file=env.stderr)
    # argparse takes unique prefixes too: `--nag` is --nagios.
    nagios = any(len(a) > 3 and "--nagios".startswith(a) for a in argv)
    if _chosen(argv) == "preflight" and nagios:
        from selftest.report_metrics import NAGIOS_UNKNOWN, nagios_unknown

        print(nagios_unknown(message), file=env.stdout)
        return NAGIOS_UNKNOWN
    return status
