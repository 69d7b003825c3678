"""`selftest preflight` — not built yet (see the open issues)."""

from __future__ import annotations

import argparse
import sys

from selftest.status import ExitStatus

HELP = "preflight (not built yet)"


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("rest", nargs="*", help=argparse.SUPPRESS)


def run(args: argparse.Namespace) -> int:
    print("selftest preflight: not built yet in this version", file=sys.stderr)
    return ExitStatus.HARNESS
