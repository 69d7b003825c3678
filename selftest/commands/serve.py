"""`selftest serve` — run one scenario's fault server (or the fake Box API) until interrupted.

The FIRST line of stdout is the URL to point a client at (for HTTP(S) scenarios the exact URL the
scenario's client uses); further lines are hints: the test CA, the proxy, a `curl` command line
with the same options. Ctrl-C, SIGTERM or SIGHUP stops the server, removes its temporary files
and exits 0.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import json
import threading
from typing import TYPE_CHECKING, Any

from selftest.errors import UsageError
from selftest.status import ExitStatus
from selftest.waiting import sigterm_sets, wait_until_stopped

if TYPE_CHECKING:
    from selftest.environment import Environment

HELP = "serve one scenario's fault server (or `fakebox`, the fake Box API) until interrupted"


def configure(parser: argparse.ArgumentParser) -> None:
    """The options of `selftest serve`."""
    from selftest.fakebox import serve as fakebox_serve  # its options only: werkzeug loads later

    parser.add_argument("scenario", metavar="SCENARIO",
                        help="a scenario id (curl-52) or catalog id (curl:52), or `fakebox`")
    parser.add_argument("--port", type=_port, default=0,
                        help="listen on this port of 127.0.0.1 (default: any free port)")
    parser.add_argument("--json", action="store_true",
                        help="print a scenario's hints as one JSON object (url, ca, proxy, "
                             "resolve pins, the request, the expected result)")
    fakebox_serve.add_arguments(parser)


def run(args: argparse.Namespace, env: Environment) -> int:
    """Serve one scenario's fault (or the fake Box) on loopback until Ctrl-C or SIGTERM."""
    from selftest.extras import require_servers

    require_servers("serve")
    if args.scenario != "fakebox":
        _no_fakebox_flags(args)
    if args.port:
        _check_port_free(args.port)
    # SIGTERM is caught from here on, before any server (and its temporary files) exists.
    with sigterm_sets(threading.Event()) as stop:
        if args.scenario == "fakebox":
            from selftest.fakebox import serve as fakebox_serve

            return int(fakebox_serve.run(args, stop=stop, out=env.stdout))
        return _serve_scenario(args.scenario, args.port, stop, env, as_json=args.json)


def _no_fakebox_flags(args: argparse.Namespace) -> None:
    """Raise UsageError for a fake-Box option given with a scenario (it would be ignored)."""
    from selftest.fakebox import serve as fakebox_serve

    defaults = argparse.ArgumentParser()
    fakebox_serve.add_arguments(defaults)
    given = [f"--{dest.replace('_', '-')}"
             for dest, default in vars(defaults.parse_args([])).items()
             if getattr(args, dest, default) != default]
    if given:
        raise UsageError(f"serve {args.scenario}: {', '.join(given)} "
                         f"{'is' if len(given) == 1 else 'are'} only for `serve fakebox`; "
                         "a scenario's server is set by its file")


def _check_port_free(port: int) -> None:
    """Raise UsageError when --port is taken, the same way for every kind of server.

    Each server library says it differently (an OSError, werkzeug's own message and exit 1), so
    the port is tried here first, as the servers bind it (TCP, SO_REUSEADDR; UDP for QUIC/TFTP).
    """
    import socket

    for kind in (socket.SOCK_STREAM, socket.SOCK_DGRAM):
        probe = socket.socket(socket.AF_INET, kind)
        try:
            if kind == socket.SOCK_STREAM:
                probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind(("127.0.0.1", port))
            if kind == socket.SOCK_STREAM:
                probe.listen(1)
        except OSError as exc:
            raise UsageError(port_in_use(port, exc)) from None
        finally:
            probe.close()


def port_in_use(port: int, exc: OSError) -> str:
    """The one line for a --port that cannot be used."""
    return (f"--port {port}: cannot listen on 127.0.0.1:{port}: {exc.strerror or exc} "
            "(choose another port, or 0 for any free one)")


def _serve_scenario(wanted: str, port: int, stop: threading.Event, env: Environment, *,
                    as_json: bool = False) -> int:
    """Start the scenario's fault server, print how to point a client at it, wait for `stop`.
    Raises UsageError when the name picks several scenarios or there is nothing to serve."""
    from selftest import scenario as scenario_module
    from selftest.commands.reproduce import select
    from selftest.runner import Runner

    # Chosen by id and documents alone; only the one served is checked by its step, so serve
    # imports that step only, not all of them (~0.25 s of its start-up, as explain does).
    chosen = select(scenario_module.load_all(steps=False), [wanted], None)
    if len(chosen) > 1:
        names = ", ".join(s.id for s in chosen)
        raise UsageError(f"{wanted!r} has several scenarios ({names}): name one")
    item = scenario_module.load(chosen[0].path)
    with Runner(port=port) as runner:
        entry = runner.entry(item)
        if entry.reproduction == "impossible":
            raise UsageError(f"{item.id}: nothing to serve: {entry.reason}")
        if item.fault is None:
            raise UsageError(f"{item.id}: nothing to serve: the client alone produces "
                             f"{item.documents} (run `selftest reproduce {item.id} -v`)")
        server = _start(runner, item, port)
        # From the first hint line on, Ctrl-C is the normal way to stop: exit 0, not 130.
        with contextlib.suppress(KeyboardInterrupt):
            if as_json:
                print(json.dumps(hint_document(runner, item, server.urls)), file=env.stdout)
            else:
                for line in hint_lines(runner, item, server.urls):
                    print(line, file=env.stdout)
            env.stdout.flush()
            wait_until_stopped(stop)
    return ExitStatus.OK


def _start(runner: Any, item: Any, port: int) -> Any:
    """The scenario's started server; a --port taken meanwhile is the same usage error."""
    from selftest.errors import ScenarioError

    try:
        return runner.server(item)
    except ScenarioError as exc:
        cause = exc.__cause__
        if port and isinstance(cause, OSError) and cause.errno == errno.EADDRINUSE:
            raise UsageError(port_in_use(port, cause)) from None
        raise


def hint_document(runner: Any, item: Any, urls: dict[str, str]) -> dict[str, Any]:
    """`serve SCENARIO --json`: everything another client needs to replay the scenario.

    The request is the scenario's client table with its placeholders filled; `left_out` names
    what the hints do not carry (libcurl options without a curl flag, a multi-request step).
    """
    from selftest.commands._curl_cli import curl_command
    from selftest.scenario import placeholders_in

    client = runner.filled(item)
    wanted = (placeholders_in(dict(item.client)) | {"ca", "proxy"}) - _ADDRESS_PARTS
    single = item.step in ("perform", "setopt")
    request: dict[str, Any] | None = {
        "method": str(client.get("method", "GET")).upper(),
        "headers": dict(client.get("headers", {})), "body": client.get("body"),
    } if single else None
    padding = int(client.get("header_padding_bytes", 0))
    # 1.1 MiB does not belong in a JSON line: its shape, and a file holding it.
    if padding and request is not None:
        from selftest.commands._curl_cli import padding_file

        request["padding_header"] = {"name": "X-Padding", "value": "a", "repeat": padding,
                                     "file": str(padding_file(padding))}
    left_out: list[str] = []
    command = None
    if single:
        command, missing = curl_command(client)
        left_out += [f"libcurl option {name} (curl has no flag for it)" for name in missing]
    else:
        left_out.append(f"the client step {item.step!r} sends more than one request: "
                        f"`selftest reproduce {item.id} -v` shows them")
    expect = item.expect
    return {
        "scenario": item.id, "documents": item.documents, "title": item.title,
        "url": str(client.get("url") or urls.get("url", "")),
        "ca": client.get("cainfo") or urls.get("ca"), "proxy": client.get("proxy"),
        "resolve": list(client.get("resolve", ())),
        "connect_to": list(client.get("connect_to", ())),
        "timeout_ms": client.get("timeout_ms"), "request": request,
        "options": {k: v for k, v in dict(client.get("options", {})).items()},
        "placeholders": {name: urls[name] for name in sorted(wanted) if name in urls},
        "expect": None if expect is None else {
            "curl_code": list(expect.curl_code), "http_status": expect.http_status,
            "connect_status": expect.connect_status, "diagnosis": list(expect.diagnosis)},
        "curl": command, "left_out": left_out,
    }


def hint_lines(runner: Any, item: Any, urls: dict[str, str]) -> list[str]:
    """The URL first, then what else a client needs, then a curl command line."""
    from selftest.commands._curl_cli import curl_command
    from selftest.scenario import placeholders_in

    client = runner.filled(item)
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
    """What a client should see from the served scenario: an HTTP status or curl exit code."""
    expect = item.expect
    if expect is not None and expect.http_status:
        return f"HTTP {expect.http_status}, {' -> '.join(expect.diagnosis) or item.documents}"
    codes = expect.curl_code if expect else ()
    return "curl exit " + " or ".join(map(str, codes)) if codes else item.documents
