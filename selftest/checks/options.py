"""From the `selftest preflight` command line to checked `Options`.

Every input is read and checked here, before any check runs: a missing file, a malformed size,
URL or --resolve entry raises UsageError (one line, exit 2). Secrets read here (the token, the
app's client secret, proxy passwords) are also collected so that the renderers can scrub them
from any output, whatever path they took to get there.
"""

from __future__ import annotations

import argparse
import os
import re
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

from selftest.ca import choose_ca_bundle
from selftest.checks.boxconfig import load_box_config
from selftest.checks.context import Options
from selftest.checks.proxyenv import HTTPS_PROXY_VARIABLES, split_credentials
from selftest.checks.quota import parse_size
from selftest.checks.wpconfig import load as load_wp_config
from selftest.errors import UsageError
from selftest.redact import REDACTED

_RESOLVE = re.compile(r"^\+?(\[[^\]]+\]|[^:\s]+):(\d+|\*):(\S+)$")


def _base(url: str | None, default: str, flag: str) -> str:
    if url is None:
        return default
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError(f"{flag} must be an http(s) URL with a host, not {url!r}")
    try:
        parts.port  # noqa: B018  (raises ValueError for a bad port)
    except ValueError:
        raise UsageError(f"{flag} has a bad port: {url!r}") from None
    return url.rstrip("/")


def _read_token(path: str | None, env: Mapping[str, str]) -> str | None:
    if path is None:
        return env.get("BOX_ACCESS_TOKEN", "").strip() or None
    try:
        with open(path, encoding="utf-8") as handle:
            token = handle.read().strip()
    except OSError as exc:
        raise UsageError(f"cannot read token file {path!r}: {exc.strerror}") from None
    if not token:
        raise UsageError(f"token file {path!r} is empty")
    return token


def _backup(args: argparse.Namespace) -> tuple[int | None, str | None]:
    if args.backup_file:
        if not os.path.isfile(args.backup_file):
            raise UsageError(f"backup file {args.backup_file!r} does not exist")
        size = os.path.getsize(args.backup_file)
        if args.backup_size:
            size = parse_size(args.backup_size)
        return size, os.path.basename(args.backup_file)
    return (parse_size(args.backup_size) if args.backup_size else None), None


def _check_paths(args: argparse.Namespace) -> None:
    if args.cacert:
        choose_ca_bundle(args.cacert)  # raises UsageError when missing
    if args.wp_config:
        load_wp_config(args.wp_config)
    if args.wp_path and not os.path.isdir(args.wp_path):
        raise UsageError(f"--wp-path {args.wp_path!r} is not a directory")
    if not 0 < args.timeout <= 3600:
        raise UsageError("--timeout must be between 0 and 3600 seconds")
    for entry in args.resolve:
        if not _RESOLVE.match(entry):
            raise UsageError(f"--resolve wants HOST:PORT:ADDRESS, not {entry!r}")


def options_from(args: argparse.Namespace, env: Mapping[str, str]) -> Options:
    """Checked Options from parsed arguments. Raises UsageError for any unusable input."""
    _check_paths(args)
    custom = args.api_base is not None or args.upload_base is not None
    size, name = _backup(args)
    return Options(
        api_base=_base(args.api_base, "https://api.box.com", "--api-base"),
        upload_base=_base(args.upload_base, "https://upload.box.com/api", "--upload-base"),
        custom_bases=custom,
        cacert=args.cacert,
        proxy=args.proxy,
        resolve=tuple(args.resolve),
        timeout_s=args.timeout,
        backup_size=size,
        backup_name=name,
        folder_id=str(args.folder_id),
        box_config=load_box_config(args.box_config) if args.box_config else None,
        token=_read_token(args.token_file, env),
        wp_config=args.wp_config,
        wp_path=args.wp_path,
        extra_hosts=tuple(args.host),
    )


def secrets_of(options: Options, env: Mapping[str, str] | None = None) -> Callable[[Any], Any]:
    """A function that replaces every secret this run knows of, wherever it appears in a value."""
    env = os.environ if env is None else env
    found = [options.token or ""]
    if options.box_config is not None:
        found.append(options.box_config.client_secret)
    for url in [options.proxy or "", *(env.get(v, "") for v in HTTPS_PROXY_VARIABLES)]:
        found.append(split_credentials(url)[1])
    if options.wp_config:
        found.append(load_wp_config(options.wp_config).proxy_password)
    secrets = sorted({s for s in found if len(s) >= 4}, key=len, reverse=True)

    def scrub(value: Any) -> Any:
        if isinstance(value, str):
            for secret in secrets:
                value = value.replace(secret, REDACTED)
            return value
        if isinstance(value, dict):
            return {k: scrub(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [scrub(v) for v in value]
        return value

    return scrub
