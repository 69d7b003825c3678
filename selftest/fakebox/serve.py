"""`selftest serve fakebox`: the fake on loopback until interrupted.

The first line on stdout is one JSON object, flushed at once, with everything a client outside
Python needs (README "Pointing a client at the fake"):

    what                 "fake Box API (simulated Box, loopback only)"
    url, upload_url      the API base (append /2.0) and the upload base (append /2.0)
    token_url            the OAuth2 token endpoint; download_url: the download host
    control_url          the control API (control.py; `selftest fakebox ctl` drives it)
    ca                   the CA's PEM path (with --tls), to trust
    token, refresh_token the main user's access token (60 min) and single-use refresh token
    client_id, client_secret, enterprise_id, user_id, login
    jwt_config           a JWT app's config file exactly as Box's developer console writes it
                         (encrypted key + passphrase), in a private folder removed on exit
    hosts                Box's host names the TLS certificate covers, to pin to 127.0.0.1

The command owns `--port` (`args.port`, default 0); this module adds the fake's own options.
Every setting given here can also be changed while it runs, through the control API.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import threading
from pathlib import Path
from typing import Any, TextIO

from selftest.waiting import wait_until_stopped

WHAT = "fake Box API (simulated Box, loopback only)"


def _non_negative(text: str) -> int:
    """A byte count or a delay: a whole number, 0 or more."""
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of 0 or more")
    return int(text)


def _seconds(text: str) -> float:
    """A duration in seconds, 0 or more."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not value >= 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be 0 or more seconds")
    return value


#: Flags that set a `state.Config` field: (flag, field, type, metavar, help).
CONFIG_FLAGS = (
    ("--max-sessions", "max_sessions", _non_negative, "N",
     "open upload sessions kept at most (default 64)"),
    ("--session-ttl-s", "session_ttl_s", _seconds, "SECONDS",
     "an upload session's lifetime (default 7 days)"),
    ("--session-idle-evict-s", "session_idle_evict_s", _seconds, "SECONDS",
     "at the session cap, sessions idle this long make room (default 3600)"),
    ("--commit-delay-s", "commit_processing_s", _seconds, "SECONDS",
     "a commit answers 202 + retry-after this long before 201 (default 0)"),
    ("--keep-content-bytes", "keep_content_bytes", _non_negative, "BYTES",
     "files up to this size stay in memory, larger ones go to the spool (default 1 MiB)"),
    ("--spool-max-bytes", "spool_max_bytes", _non_negative, "BYTES",
     "disk the spool may use; past it uploads get 403 storage_limit_exceeded (default 4 GiB)"),
    ("--requests-per-window", "requests_per_window", _non_negative, "N",
     "API requests per user per rate window before 429 (default 100000)"),
    ("--rate-window-s", "rate_window_s", _seconds, "SECONDS", "the rate window (default 60)"),
)


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
    parser.add_argument("--download-port", type=_non_negative, default=0, metavar="PORT",
                        help="the download host's port on 127.0.0.1 (default: any free one)")
    parser.add_argument("--control-port", type=_non_negative, default=0, metavar="PORT",
                        help="the control API's port on 127.0.0.1 (default: any free one)")
    parser.add_argument("--no-retain-content", action="store_true",
                        help="keep only size and SHA-1 of files above --keep-content-bytes")
    for flag, _, kind, metavar, text in CONFIG_FLAGS:
        parser.add_argument(flag, type=kind, metavar=metavar, help=text)


def _config(args: argparse.Namespace) -> dict[str, Any]:
    config = {name: getattr(args, flag[2:].replace("-", "_"), None)
              for flag, name, *_ in CONFIG_FLAGS}
    config = {k: v for k, v in config.items() if v is not None}
    if getattr(args, "no_retain_content", False):
        config["retain_content"] = False
    return config


def first_line(box: Any, jwt_config: str) -> dict[str, Any]:
    """The JSON object `serve fakebox` prints first: every URL and credential."""
    from .server import CERT_NAMES

    state = box.state
    user = state.main_user
    return {
        "what": WHAT, "url": box.url, "upload_url": box.upload_url, "token_url": box.token_url,
        "download_url": box.download_url, "control_url": box.control_url, "ca": box.ca,
        "token": box.token, "refresh_token": box.refresh_token, "client_id": box.client_id,
        "client_secret": box.client_secret, "enterprise_id": state.default_app.enterprise_id,
        "user_id": user.id, "login": user.login, "jwt_config": jwt_config,
        "hosts": [name for name in CERT_NAMES if "." in name and not name[0].isdigit()],
    }


def run(args: argparse.Namespace, *, stop: threading.Event | None = None,
        out: TextIO | None = None) -> int:
    """Serve until KeyboardInterrupt, SIGTERM or `stop` is set; exit status 0."""
    from .server import running

    out = out or sys.stdout
    folder = Path(tempfile.mkdtemp(prefix="fakebox-serve-"))  # 0700
    try:
        with running(tls=args.tls, clock_offset_s=args.clock_offset, token=args.token,
                     space_amount=args.space_amount, space_used=args.space_used,
                     max_upload_size=args.max_upload_size, latency_ms=args.latency_ms,
                     port=getattr(args, "port", None) or 0,
                     download_port=getattr(args, "download_port", 0) or 0,
                     control_port=getattr(args, "control_port", 0) or 0,
                     **_config(args)) as box:
            jwt_config = folder / "box_config.json"
            handle = os.open(jwt_config, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(handle, "w", encoding="utf-8") as config_file:
                json.dump(box.create_jwt_app().config(), config_file, indent=2)
            print(json.dumps(first_line(box, str(jwt_config))), file=out, flush=True)
            wait_until_stopped(stop)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return 0
