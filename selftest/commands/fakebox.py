"""`selftest fakebox ctl` — drive a running `selftest serve fakebox` from the shell.

    selftest fakebox ctl --url CONTROL_URL settings                      # show
    selftest fakebox ctl --url CONTROL_URL settings clock_offset_s=120 space_used=0
    selftest fakebox ctl --url CONTROL_URL fault --status 429 --code rate_limit_exceeded \\
        --retry-after 5 --times 3 --method PUT --path '/api/2.0/files/upload_sessions/*'
    selftest fakebox ctl --url CONTROL_URL fault --reset --path '/2.0/users/me'
    selftest fakebox ctl --url CONTROL_URL faults [--clear [ID]]
    selftest fakebox ctl --url CONTROL_URL requests [--limit N]
    selftest fakebox ctl --url CONTROL_URL reset

CONTROL_URL is the `control_url` of serve's first JSON line. Each prints the control API's JSON
answer; a refusal (400/404) is one stderr line and exit 2, an unreachable URL exit 1.
"""

from __future__ import annotations

import argparse
import contextlib
import json
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from selftest.errors import UsageError
from selftest.status import ExitStatus

if TYPE_CHECKING:
    from selftest.environment import Environment

HELP = "control a running fake Box (`selftest fakebox ctl --url CONTROL_URL ...`)"


def configure(parser: argparse.ArgumentParser) -> None:
    """The options of `selftest fakebox ctl ...`."""
    actions = parser.add_subparsers(dest="fakebox_action", metavar="ACTION", required=True)
    ctl = actions.add_parser("ctl", help="talk to the control API of `serve fakebox`")
    ctl.add_argument("--url", required=True, metavar="CONTROL_URL",
                     help="the control_url from `selftest serve fakebox`'s first line")
    what = ctl.add_subparsers(dest="ctl_command", metavar="COMMAND", required=True)
    settings = what.add_parser("settings", help="show, or set NAME=VALUE ...")
    settings.add_argument("assignments", nargs="*", metavar="NAME=VALUE")
    fault = what.add_parser("fault", help="a fault for the next N matching requests")
    fault.add_argument("--method", default="*", help="HTTP method (default: any)")
    fault.add_argument("--path", default="*", help="path glob, e.g. '/2.0/files/*'")
    fault.add_argument("--times", type=int, default=1, help="how many requests (default 1)")
    fault.add_argument("--status", type=int, default=503)
    fault.add_argument("--code", default="unavailable", help="Box (or OAuth) error code")
    fault.add_argument("--message")
    fault.add_argument("--retry-after", type=int, metavar="SECONDS")
    fault.add_argument("--after-handler", action="store_true",
                       help="handle the request first: the write lands, the client sees the error")
    kind = fault.add_mutually_exclusive_group()
    kind.add_argument("--reset", action="store_true", help="reset the connection instead")
    kind.add_argument("--stall-ms", type=int, metavar="MS",
                      help="answer nothing for MS milliseconds, then close")
    faults = what.add_parser("faults", help="list the waiting faults (or --clear them)")
    faults.add_argument("--clear", nargs="?", const="", metavar="ID",
                        help="remove fault ID, or all without an ID")
    log = what.add_parser("requests", help="the requests the fake answered, newest last")
    log.add_argument("--limit", type=int, default=20)
    what.add_parser("reset", help="the world at start (credentials keep working)")


def _value(text: str) -> Any:
    """A NAME=VALUE setting's value: JSON when it parses as JSON, else the text itself."""
    try:
        return json.loads(text)
    except ValueError:
        return text


def _request(args: argparse.Namespace) -> tuple[str, str, dict[str, Any] | None]:
    """The control API request for the ctl command: (method, path, JSON body or None).
    Raises UsageError for a setting that is not NAME=VALUE."""
    command = args.ctl_command
    if command == "settings":
        changes = {}
        for item in args.assignments:
            name, sep, value = item.partition("=")
            if not sep or not name:
                raise UsageError(f"fakebox ctl settings: {item!r} is not NAME=VALUE")
            changes[name] = _value(value)
        return ("POST", "/settings", changes) if changes else ("GET", "/settings", None)
    if command == "fault":
        spec: dict[str, Any] = {"method": args.method, "path": args.path, "times": args.times,
                                "status": args.status, "code": args.code}
        if args.message is not None:
            spec["message"] = args.message
        if args.retry_after is not None:
            spec["retry_after_s"] = args.retry_after
        if args.after_handler:
            spec["after_handler"] = True
        if args.reset:
            spec["action"] = "reset"
        elif args.stall_ms is not None:
            spec.update(action="stall", stall_ms=args.stall_ms)
        return "POST", "/faults", spec
    if command == "faults":
        if args.clear is None:
            return "GET", "/faults", None
        return "DELETE", f"/faults/{args.clear}" if args.clear else "/faults", None
    if command == "requests":
        return "GET", f"/requests?limit={max(0, args.limit)}", None
    return "POST", "/reset", None


def run(args: argparse.Namespace, env: Environment) -> int:
    """Send the ctl command to the fake Box's control API and print its answer; exit 1 when it
    cannot be reached. Raises UsageError for a bad --url or a request the fake refused."""
    # Imported here: cli imports every command module for its HELP, and urllib.request (with
    # http.client and email) would add ~35 ms to every command's start-up.
    import urllib.error
    import urllib.request

    parts = urlsplit(args.url)
    if parts.scheme != "http" or not parts.hostname:
        raise UsageError(f"fakebox ctl: --url {args.url!r} is not the http:// control_url "
                         "printed by `selftest serve fakebox`")
    method, path, body = _request(args)
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(  # noqa: S310 - the scheme was checked: http only
        args.url.rstrip("/") + path, data=data, method=method,
        headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310 - http only
            text = answer.read().decode()
    except urllib.error.HTTPError as exc:
        detail = exc.read().decode(errors="replace")
        with contextlib.suppress(ValueError, KeyError, TypeError):
            detail = json.loads(detail)["error"]
        raise UsageError(f"fakebox ctl: the fake refused it ({exc.code}): {detail}") from None
    except (urllib.error.URLError, OSError) as exc:
        print(f"selftest: fakebox ctl: cannot reach {args.url}: {exc}", file=env.stderr)
        return ExitStatus.FAILED
    print(text, file=env.stdout)
    return ExitStatus.OK
