"""`selftest serve` — run one scenario's fault server (or the fake Box API) until interrupted.

The FIRST line of stdout is the URL to point a client at (for HTTP(S) scenarios the exact URL the
scenario's client uses); further lines are hints: the test CA, the proxy, a `curl` command line
with the same options. Ctrl-C, SIGTERM or SIGHUP stops the server, removes its temporary files
and exits 0.
"""

from __future__ import annotations

import argparse
import contextlib
import threading
from typing import TYPE_CHECKING, Any

from selftest.errors import UsageError
from selftest.status import ExitStatus
from selftest.waiting import sigterm_sets, wait_until_stopped

if TYPE_CHECKING:
    from selftest.environment import Environment

HELP = "serve one scenario's fault server (or `fakebox`, the fake Box API) until interrupted"


def configure(parser: argparse.ArgumentParser) -> None:
    from selftest.fakebox import serve as fakebox_serve  # its options only: werkzeug loads later

    parser.add_argument("scenario", metavar="SCENARIO",
                        help="a scenario id (curl-52) or catalog id (curl:52), or `fakebox`")
    parser.add_argument("--port", type=_port, default=0,
                        help="listen on this port of 127.0.0.1 (default: any free port)")
    fakebox_serve.add_arguments(parser)


def run(args: argparse.Namespace, env: Environment) -> int:
    from selftest.extras import require_servers

    require_servers("serve")
    # SIGTERM is caught from here on, before any server (and its temporary files) exists.
    with sigterm_sets(threading.Event()) as stop:
        if args.scenario == "fakebox":
            from selftest.fakebox import serve as fakebox_serve

            return int(fakebox_serve.run(args, stop=stop, out=env.stdout))
        return _serve_scenario(args.scenario, args.port, stop, env)


def _serve_scenario(wanted: str, port: int, stop: threading.Event, env: Environment) -> int:
    from selftest import scenario as scenario_module
    from selftest.commands.reproduce import select
    from selftest.runner import Runner

    chosen = select(scenario_module.load_all(), [wanted], None)
    if len(chosen) > 1:
        names = ", ".join(s.id for s in chosen)
        raise UsageError(f"{wanted!r} has several scenarios ({names}): name one")
    item = chosen[0]
    with Runner(port=port) as runner:
        entry = runner.entry(item)
        if entry.reproduction == "impossible":
            raise UsageError(f"{item.id}: nothing to serve: {entry.reason}")
        if item.fault is None:
            raise UsageError(f"{item.id}: nothing to serve: the client alone produces "
                             f"{item.documents} (run `selftest reproduce {item.id} -v`)")
        server = runner.server(item)
        # From the first hint line on, Ctrl-C is the normal way to stop: exit 0, not 130.
        with contextlib.suppress(KeyboardInterrupt):
            for line in hint_lines(runner, item, server.urls):
                print(line, file=env.stdout)
            env.stdout.flush()
            wait_until_stopped(stop)
    return ExitStatus.OK


def hint_lines(runner: Any, item: Any, urls: dict[str, str]) -> list[str]:
    """The URL first, then what else a client needs, then a curl command line."""
    from selftest.commands._curl_cli import curl_command
    from selftest.scenario import fill, placeholders_in

    client = fill(dict(item.client), runner.placeholders(item), item.path)
    url = str(client.get("url") or urls.get("url", ""))
    lines = [url, f"# {item.id}: {item.title} (expect {_expected(item)})"]
    # What else the scenario's client uses (a CA, a proxy, the fake Box's test tokens).
    wanted = (placeholders_in(dict(item.client)) | {"ca", "proxy"}) - _ADDRESS_PARTS
    lines += [f"# {name}: {urls[name]}" for name in sorted(wanted) if name in urls]
    if item.step in ("perform", "setopt"):
        command, missing = curl_command(client)
        lines.append(f"# {command}")
        if missing:
            lines.append(f"# options curl has no flag for: {', '.join(missing)}")
    else:
        lines.append(f"# its client step {item.step!r} is more than one curl command line: "
                     f"`selftest reproduce {item.id} -v` shows what it sends")
    lines.append("# serving until Ctrl-C")
    return lines


def _port(text: str) -> int:
    """A TCP port number for --port (0: any free one)."""
    if not text.isdigit() or int(text) > 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number (0 to 65535)")
    return int(text)


_ADDRESS_PARTS = frozenset({"url", "host", "port", "hostport"})


def _expected(item: Any) -> str:
    expect = item.expect
    if expect is not None and expect.http_status:
        return f"HTTP {expect.http_status}, {' -> '.join(expect.diagnosis) or item.documents}"
    codes = expect.curl_code if expect else ()
    return "curl exit " + " or ".join(map(str, codes)) if codes else item.documents
