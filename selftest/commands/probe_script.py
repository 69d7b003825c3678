"""`selftest probe-script` — write the PHP probe for a host that has PHP but no Python 3.11.

    selftest probe-script > selftest-probe.php
    php selftest-probe.php --token-file token.txt > probe.json     (on the customer's host)
    selftest preflight --from probe.json                           (anywhere)
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from selftest.status import ExitStatus

if TYPE_CHECKING:
    from selftest.environment import Environment

HELP = "print a self-contained PHP probe (PHP >= 7.2, curl + json) making the preflight's requests"


def configure(parser: argparse.ArgumentParser) -> None:
    """The options of `selftest probe-script`."""
    parser.add_argument("--output", metavar="FILE", help="write it to FILE instead of stdout")


def run(args: argparse.Namespace, env: Environment) -> int:
    """Write the PHP probe script to stdout or --output."""
    from selftest.clients.probe import source

    text = source()
    if args.output:
        with open(args.output, "w", encoding="utf-8") as out:
            out.write(text)
    else:
        env.stdout.write(text)
    return ExitStatus.OK
