"""`selftest serve fakebox`: the fake on loopback until interrupted.

The first line on stdout is one JSON object, flushed at once, so a script (or a test) can read
where to point a client: {"url", "upload_url", "ca", "token"}. The command owns `--port`
(`args.port`, default 0); this module adds the fake's own options.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
from typing import TextIO

from selftest.waiting import wait_until_stopped


def _non_negative(text: str) -> int:
    """A byte count or a delay: a whole number, 0 or more."""
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of 0 or more")
    return int(text)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The fake's options (not --port: the serve command adds that)."""
    parser.add_argument("--tls", action="store_true",
                        help="serve HTTPS with a throwaway CA (its PEM path is printed)")
    parser.add_argument("--clock-offset", type=float, default=0.0, metavar="SECONDS",
                        help="run the fake's clock this far ahead (negative: behind)")
    parser.add_argument("--token", help="accept this access token (default: a random one)")
    parser.add_argument("--space-amount", type=_non_negative, metavar="BYTES",
                        help="the user's quota")
    parser.add_argument("--space-used", type=_non_negative, metavar="BYTES",
                        help="space already used")
    parser.add_argument("--max-upload-size", type=_non_negative, metavar="BYTES",
                        help="the user's largest allowed file")
    parser.add_argument("--latency-ms", type=_non_negative, default=0, metavar="MS",
                        help="delay every response by this many milliseconds")


def run(args: argparse.Namespace, *, stop: threading.Event | None = None,
        out: TextIO | None = None) -> int:
    """Serve until KeyboardInterrupt, SIGTERM or `stop` is set; exit status 0."""
    from .server import running  # werkzeug, jwt, cryptography: only when the fake runs

    out = out or sys.stdout
    with running(tls=args.tls, clock_offset_s=args.clock_offset, token=args.token,
                 space_amount=args.space_amount, space_used=args.space_used,
                 max_upload_size=args.max_upload_size, latency_ms=args.latency_ms,
                 port=getattr(args, "port", None) or 0) as box:
        print(json.dumps({"url": box.url, "upload_url": box.upload_url, "ca": box.ca,
                          "token": box.token}), file=out, flush=True)
        wait_until_stopped(stop)
    return 0
