"""`selftest reproduce` — replay documented failures against local fault servers.

Every selected scenario runs in this one process, sharing fault servers (`selftest.runner`);
scenarios of different servers run side by side (`--jobs`), results are listed in id order.
Exit 0 only when every scenario passed or was skipped with a reason; 1 otherwise; 2 for an id
that names no scenario and no catalog entry with one; 130/143/129 after SIGINT/SIGTERM/SIGHUP
(what finished is reported first, and no temporary file is left).
"""

from __future__ import annotations

import argparse
import contextlib
import difflib
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from selftest.errors import UsageError
from selftest.interrupts import Interrupted, signals_stop
from selftest.status import ExitStatus

if TYPE_CHECKING:  # imported when reproduce or serve is the command (start-up time)
    from selftest.environment import Environment
    from selftest.runner import Result
    from selftest.scenario import Scenario

#: As selftest.runner.DEFAULT_JOBS (not imported here: `--help` must not load the runner).
DEFAULT_JOBS = 4

HELP = "replay documented failures against local servers and check each diagnosis"


def configure(parser: argparse.ArgumentParser) -> None:
    """The options of `selftest reproduce`."""
    from selftest.catalog import LAYERS

    parser.add_argument("ids", nargs="*", metavar="ID",
                        help="scenario ids (curl-52), catalog ids (curl:52) or your own scenario "
                             "files (PATH.toml); default: all")
    parser.add_argument("--scenarios", metavar="DIR",
                        help="take the scenarios from DIR's *.toml files instead of selftest's")
    parser.add_argument("--layer", choices=LAYERS,
                        help="only scenarios documenting an entry of this layer")
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="show the wire: libcurl's verbose lines (secrets redacted)")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument("--junit-xml", metavar="FILE", help="also write JUnit XML to FILE")
    parser.add_argument("-j", "--jobs", type=_jobs, default=DEFAULT_JOBS, metavar="N",
                        help=f"run scenarios of different servers on N threads (default "
                             f"{DEFAULT_JOBS}; 1: one at a time)")
    parser.add_argument("--client", choices=("pycurl", "php", "wordpress"), default="pycurl",
                        help="replay through pycurl (default), the PHP on PATH (its own curl_*), "
                             "or WordPress's wp_remote_request (needs --wp-path)")
    parser.add_argument("--wp-path", metavar="DIR",
                        help="a WordPress install (the folder holding wp-includes/) for "
                             "--client wordpress; no database is needed")


def run(args: argparse.Namespace, env: Environment) -> int:
    """Run the chosen scenarios and report them; exit 1 when one failed (or was skipped without a
    reason), 128 + N on a signal."""
    from selftest.extras import require_servers

    require_servers("reproduce")
    from selftest import scenario as scenario_module
    from selftest.commands._reproduce_output import ResultStream, progress, report
    from selftest.report import check_writable
    from selftest.runner import Runner

    check_writable(args.junit_xml)
    chosen = chosen_scenarios(args.ids, args.layer, args.scenarios, scenario_module)
    if not chosen:  # never a pass with 0 scenarios
        named = f"{' '.join(args.ids)} " if args.ids else ""
        raise UsageError(f"nothing to run: {named}has no scenario in layer {args.layer!r}")
    results: list[Result] = []
    stream = None if args.json else ResultStream(env, verbose=args.verbose,
                                                 order=[s.id for s in chosen])
    client: dict[str, Any] | None = None
    stopped: Interrupted | None = None
    # SIGINT/SIGTERM/SIGHUP end the run after the running scenario (a second one at once): the
    # Runner stops every server and removes their temporary files (keys, JWT configs), then what
    # finished is reported and the exit status is 128+N.
    with signals_stop() as stop:
        try:
            with Runner(verbose=args.verbose) as runner, contextlib.ExitStack() as stack:
                replay, client = _client(args, runner, stack)

                def finished(result: Result) -> None:
                    """Keep a finished result, move the progress line, stream its lines."""
                    results.append(result)
                    progress(len(results), len(chosen), result.scenario, env)
                    if stream:
                        stream(result, client)

                results[:] = _run(args, runner, chosen, replay, finished, stop)
            stop.check()  # a signal during the run or the clean-up: what finished is reported
        except Interrupted as exc:
            stopped = exc
        progress(0, 0, "", env)
        if stream:
            stream.flush()
        report(results, as_json=args.json, verbose=args.verbose, junit_xml=args.junit_xml,
               client=client, streamed=stream is not None, out=env.stdout,
               interrupted=None if stopped is None else (str(stopped), len(chosen)))
    if stopped is not None:
        raise stopped
    failed = any(r.verdict == "fail" or (r.verdict == "skip" and not r.reason) for r in results)
    return ExitStatus.FAILED if failed else ExitStatus.OK


def _run(args: argparse.Namespace, runner: Any, chosen: list[Scenario], replay: Any,
         finished: Any, stop: Any) -> list[Result]:
    """All of `chosen`, scenarios of different servers side by side on --jobs threads.

    (A second process for the fake Box's scenarios was tried: on this shared 2-core machine it
    was slower, 5.4-7.0 s against 4.6-6.0 s for all scenarios, its start-up costing more than
    the second core gave.)
    """
    from selftest import durations

    # PHP and WordPress replays run side by side too, each thread lent a long-lived php worker
    # of its own (selftest.clients.php_workers); the recorded durations are pycurl's.
    if args.client != "pycurl":
        return list(runner.run_all(chosen, jobs=args.jobs, run=replay, on_result=finished,
                                   stop=stop))
    # The longest groups start first, by the durations recorded here (selftest.durations).
    results = list(runner.run_all(chosen, jobs=args.jobs, run=replay, on_result=finished,
                                  stop=stop, durations=durations.load()))
    durations.save(results)
    return results


def _jobs(text: str) -> int:
    """A thread count for --jobs: a whole number from 1 to 64."""
    if not text.isdigit() or not 1 <= int(text) <= 64:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of threads (1 to 64)")
    return int(text)


def _client(args: argparse.Namespace, runner: Any,
            stack: contextlib.ExitStack[Any]) -> tuple[Any, dict[str, Any] | None]:
    """(scenario -> Result, the client's description for the header) for --client; a PHP or
    WordPress replayer is entered on `stack` (its php workers end with it)."""
    if args.client == "pycurl":
        if args.wp_path:
            raise UsageError("--wp-path goes with --client wordpress")
        return runner.run, None
    from selftest.clients.replay import replayer_for

    replayer = stack.enter_context(replayer_for(args.client, runner, args.wp_path))
    return replayer.run, replayer.describe()


def chosen_scenarios(ids: Sequence[str], layer: str | None, folder: str | None,
                     scenario_module: Any) -> list[Scenario]:
    """What to run: ids ending in `.toml` are scenario files, read as they are; the other ids
    pick from `folder`'s scenarios (--scenarios; default: selftest's own). Raises UsageError
    for a file or folder that is not there."""
    files = [Path(i) for i in ids if i.endswith(".toml")]
    names = [i for i in ids if not i.endswith(".toml")]
    for path in files:
        if not path.is_file():
            raise UsageError(f"no scenario file {str(path)!r}")
    if folder is not None and not Path(folder).is_dir():
        raise UsageError(f"--scenarios: {folder!r} is not a folder")
    chosen: list[Scenario] = []
    if names or not files:
        # A selection checks only its own files' [client] tables against their steps: checking
        # every file imports every step (the fake Box's, jwt, cryptography) and took 0.2 s of
        # `reproduce --layer curl`'s start-up.
        narrowed = bool(names or layer)
        pool = scenario_module.load_all(Path(folder) if folder else None, steps=not narrowed)
        if folder is not None and not pool:
            raise UsageError(f"--scenarios: no *.toml scenario file in {folder!r}")
        chosen = select(pool, names, layer)
        if narrowed:
            chosen = [scenario_module.load(s.path) for s in chosen]
    own = [scenario_module.load(path) for path in files]
    return chosen + [s for s in own if not layer or s.documents.split(":", 1)[0] == layer]


def select(scenarios: Sequence[Scenario], ids: Sequence[str],
           layer: str | None) -> list[Scenario]:
    """The scenarios named by `ids` (scenario or catalog ids) in the given layer.

    Raises UsageError for an id that names nothing, listing close matches.
    """
    chosen = list(scenarios)
    if ids:
        by_id = {s.id: s for s in scenarios}
        picked: dict[str, Scenario] = {}
        for wanted in ids:
            matches = [by_id[wanted]] if wanted in by_id else \
                [s for s in scenarios if s.documents == wanted]
            if not matches:
                raise UsageError(_unknown(wanted, scenarios))
            picked.update((s.id, s) for s in matches)
        chosen = [s for s in scenarios if s.id in picked]
    if layer:
        chosen = [s for s in chosen if s.documents.split(":", 1)[0] == layer]
    return chosen


def _unknown(wanted: str, scenarios: Sequence[Scenario]) -> str:
    """The usage message for an id no scenario has, with the closest names."""
    names = sorted({s.id for s in scenarios} | {s.documents for s in scenarios})
    close = difflib.get_close_matches(wanted, names, n=5, cutoff=0.6)
    hint = f"; did you mean: {', '.join(close)}?" if close else \
        "; `selftest catalog` lists the ids"
    return f"no scenario or catalog entry with a scenario is called {wanted!r}{hint}"
