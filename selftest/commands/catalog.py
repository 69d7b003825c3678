"""`selftest catalog`: every code selftest knows, with its explanation and reproduction."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from selftest.status import ExitStatus

if TYPE_CHECKING:
    from selftest.environment import Environment

HELP = "list every known code (libcurl, HTTP, Box, OAuth, extension message)"

#: `--json` prints {"schema_version": 2, "entries": [...]}. Version 1 was the bare list of
#: entries, still printed with `--schema-version 1` for consumers not yet moved
#: (docs/contracts.md).
SCHEMA_VERSION = 2


def configure(parser: argparse.ArgumentParser) -> None:
    """The options of `selftest catalog`."""
    from selftest.catalog import LAYERS

    parser.add_argument("--layer", choices=LAYERS, help="only this layer")
    parser.add_argument("--documented", action="store_true",
                        help="only the items of the reference page")
    parser.add_argument("--json", action="store_true",
                        help='print {"schema_version", "entries": [...]} as JSON')
    parser.add_argument("--schema-version", type=int, choices=(1, SCHEMA_VERSION),
                        default=SCHEMA_VERSION,
                        help="with --json: 1 prints the bare list of entries of earlier versions")


def run(args: argparse.Namespace, env: Environment) -> int:
    """List the catalog's entries (one line each, or JSON), filtered by --layer and --documented."""
    from selftest.catalog import load
    from selftest.report import dump_json  # and redact's patterns: only when asked for JSON
    from selftest.scenarios_index import scenario_for

    entries = [e for e in load()
               if (not args.layer or e.layer == args.layer)
               and (not args.documented or e.documented)]
    if args.json:
        listed = [{**e.to_dict(), "scenario": scenario_for(e.id)} for e in entries]
        if args.schema_version == 1:
            dump_json(listed, env.stdout)  # schema 1: the bare list
        else:
            dump_json({"schema_version": SCHEMA_VERSION, "entries": listed}, env.stdout)
        return ExitStatus.OK
    width = max((len(e.id) for e in entries), default=10)
    for entry in entries:
        flags = "".join((
            "D" if entry.documented else "-",
            "E" if entry.errata else "-",
            {"real": "R", "simulated": "S", "impossible": "I"}[entry.reproduction],
        ))
        print(f"{entry.id:<{width}}  {flags}  {entry.name}", file=env.stdout)
    print(f"\n{len(entries)} entries. Flags: D on the reference page, E the page is wrong here, "
          "R reproduced for real / S simulated / I impossible here.", file=env.stdout)
    return ExitStatus.OK
