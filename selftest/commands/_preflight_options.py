"""`selftest preflight`'s command line, read and checked: argparse values in, `Options` out.

Every input is checked here, before any check runs and before any packet is sent: a missing or
unusable file, a malformed size, URL, host name, folder id or --resolve entry, a proxy libcurl
cannot use, a token no Box token looks like: each raises UsageError (one stderr line naming the
flag, exit 2, never a traceback, never a half-run report). The environment's proxy variables
and --wp-config are read here once, and the run decides by what the Options hold (a file or a
variable changed during the run changes nothing). Secrets read here (the token, the app's client
secret, proxy passwords) are collected so that the renderers scrub them from any output
(`secrets_of`). Only the standard library is imported at the top: `selftest --help` stays
fast.
"""

from __future__ import annotations

import argparse
import ipaddress
import os
import re
import stat
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, unquote, urlsplit

from selftest.errors import UsageError

if TYPE_CHECKING:
    from selftest.ca import CaBundle
    from selftest.checks.probes.context import Options
    from selftest.checks.probes.wpconfig import WpHttpSettings

#: Below this a run cannot even connect: every check would time out and blame the network.
MIN_TIMEOUT_S = 1.0
MAX_TIMEOUT_S = 3600.0

#: Proxy schemes libcurl accepts (https://curl.se/libcurl/c/CURLOPT_PROXY.html).
PROXY_SCHEMES = ("http", "https", "socks4", "socks4a", "socks5", "socks5h")

_RESOLVE = re.compile(r"^\+?(\[[^\]]+\]|[^:\s]+):(\d+|\*):(\S+)$")
#: One DNS label (RFC 1123; `_` too, which real DNS names carry).
_LABEL = re.compile(r"^(?!-)[A-Za-z0-9_-]{1,63}(?<!-)$")
_UNITS = {"": 1, "B": 1, "K": 1024, "M": 1024**2, "G": 1024**3, "T": 1024**4}
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([KMGT]?)(?:I?B)?\s*$", re.IGNORECASE)
#: What a bearer token can hold (RFC 6750 b64token): printable ASCII, no spaces.
_TOKEN = re.compile(r"^[\x21-\x7e]+$")


def parse_size(text: str, flag: str = "--backup-size") -> int:
    """Bytes from "123", "500MB", "2G", "1.5 GiB" (binary units, as `du -h` and WordPress use).
    Raises UsageError for anything else."""
    match = _SIZE.match(text)
    if not match:
        raise UsageError(f"{flag}: cannot read size {text!r}: use bytes or a number with "
                         "K, M, G or T")
    return int(float(match.group(1)) * _UNITS[match.group(2).upper()])


def _address(text: str) -> bool:
    """Whether `text` is an IP address (IPv6 in brackets or with a zone id too)."""
    try:
        ipaddress.ip_address(text.strip("[]").split("%")[0])
    except ValueError:
        return False
    return True


def valid_host(host: str) -> bool:
    """A DNS name (RFC 1123 labels, at most 253 characters) or an IP address literal."""
    if _address(host):
        return True
    name = host[:-1] if host.endswith(".") else host
    return 0 < len(name) <= 253 and all(_LABEL.match(label) for label in name.split("."))


def _port(text: str, flag: str, value: str) -> None:
    """Check a port number (1 to 65535) found in `value`. Raises UsageError naming `flag`."""
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise UsageError(f"{flag} has a bad port in {value!r}: use 1 to 65535")


def _base(url: str | None, default: str, flag: str) -> str:
    """A base URL (http or https, with a valid host and port), else `default` when not given.
    Raises UsageError naming `flag`."""
    if url is None:
        return default
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError(f"{flag} must be an http(s) URL with a host, not {url!r}")
    try:
        parts.port  # noqa: B018  (raises ValueError for a bad port)
    except ValueError:
        raise UsageError(f"{flag} has a bad port: {url!r}") from None
    if not valid_host(parts.hostname):
        raise UsageError(f"{flag}: {parts.hostname!r} is not a valid host name")
    return url.rstrip("/")


def _extra_host(text: str) -> str:
    """A --host value (HOST or HOST:PORT, no path). Raises UsageError when it is not one."""
    parts = urlsplit(f"https://{text}")
    try:
        parts.port  # noqa: B018
    except ValueError:
        raise UsageError(f"--host has a bad port: {text!r}") from None
    if (not text or not parts.hostname or not valid_host(parts.hostname) or parts.path
            or "@" in parts.netloc or parts.query or parts.fragment):
        raise UsageError(f"--host wants a host name (HOST or HOST:PORT), not {text!r}")
    return text


def _resolve(entry: str) -> str:
    """A --resolve entry (HOST:PORT:ADDRESS[,ADDRESS...], as curl takes it). Raises UsageError."""
    match = _RESOLVE.match(entry)
    if not match:
        raise UsageError(f"--resolve wants HOST:PORT:ADDRESS, not {entry!r}")
    if match.group(2) != "*":
        _port(match.group(2), "--resolve", entry)
    bad = [a for a in match.group(3).split(",") if not _address(a)]
    if bad:
        raise UsageError(f"--resolve {entry!r}: {bad[0]!r} is not an IP address")
    return entry


def proxy_url(text: str, flag: str = "--proxy") -> str:
    """A proxy URL libcurl reads as meant: scheme checked, host and port checked, and the user and
    password percent-encoded — curl splits user info at the LAST '@' before the host, but libcurl
    8 refuses a raw '@' in it ("Unsupported proxy syntax"). "" means no proxy, as for curl."""
    if text == "":
        return ""
    if any(c.isspace() for c in text):
        raise UsageError(f"{flag} must be a proxy URL (http://HOST:PORT), not {text!r}")
    url = text if "://" in text else f"http://{text}"
    scheme, _, rest = url.partition("://")
    if scheme.lower() not in PROXY_SCHEMES:
        raise UsageError(f"{flag}: libcurl has no {scheme}:// proxies; use "
                         f"{', '.join(s + '://' for s in PROXY_SCHEMES)}")
    authority = rest.split("/", 1)[0]
    userinfo, at, hostport = authority.rpartition("@")
    host, port = _split_hostport(hostport)
    if not valid_host(host):
        raise UsageError(f"{flag}: {host!r} is not a valid proxy host name")
    if port:
        _port(port, flag, hostport)
    if not at:
        return url
    user, colon, password = userinfo.partition(":")
    encoded = quote(unquote(user), safe="") + (colon + quote(unquote(password), safe=""))
    return f"{scheme}://{encoded}@{hostport}"


def _split_hostport(hostport: str) -> tuple[str, str]:
    """HOST:PORT or [IPv6]:PORT as (host, port); the port is "" when there is none."""
    if hostport.startswith("["):
        host, _, rest = hostport[1:].partition("]")
        return host, rest.removeprefix(":")
    host, _, port = hostport.partition(":")
    return host, port


def _read_token(path: str | None, env: Mapping[str, str]) -> str | None:
    """The token from --token-file, else from BOX_ACCESS_TOKEN in `env` (None: no token).
    Raises UsageError for an unreadable, empty or non-UTF-8 file, or a token with characters no
    Box token has."""
    if path is None:
        token = env.get("BOX_ACCESS_TOKEN", "").strip() or None
        where = "BOX_ACCESS_TOKEN"
    else:
        where = f"--token-file {path!r}"
        try:
            # utf-8-sig: a token saved by Notepad starts with a byte-order mark.
            with open(path, encoding="utf-8-sig") as handle:
                token = handle.read(64 * 1024).strip()
        except OSError as exc:
            raise UsageError(f"cannot read token file {path!r}: {exc.strerror}") from None
        except UnicodeDecodeError:
            raise UsageError(f"{where} is not UTF-8 text: is it the token file?") from None
        if not token:
            raise UsageError(f"token file {path!r} is empty")
    if token is not None and not _TOKEN.match(token):
        raise UsageError(f"{where} holds characters no Box token has (non-ASCII, spaces or "
                         "line breaks): copy the token again, as plain text")
    return token


def _backup_file(path: str) -> tuple[int, str]:
    """The size and name of --backup-file. Raises UsageError unless it is a regular file."""
    try:
        info = os.stat(path)
    except OSError as exc:
        raise UsageError(f"--backup-file {path!r}: {exc.strerror}") from None
    if stat.S_ISDIR(info.st_mode):
        raise UsageError(f"--backup-file {path!r} is a directory: name the .wpress file")
    if not stat.S_ISREG(info.st_mode):
        raise UsageError(f"--backup-file {path!r} is not a regular file")
    return info.st_size, os.path.basename(path)


def _backup(args: argparse.Namespace) -> tuple[int | None, str | None]:
    """The backup's size (--backup-size wins over --backup-file's) and file name."""
    size, name = _backup_file(args.backup_file) if args.backup_file else (None, None)
    if args.backup_size:
        size = parse_size(args.backup_size)
    return size, name


def _check_paths(args: argparse.Namespace, env: Mapping[str, str]
                 ) -> tuple[WpHttpSettings | None, CaBundle]:
    """Check --timeout, --cacert, --wp-config, --wp-path and --folder-id before any traffic:
    (--wp-config's settings, None without it: the one read of that file in a run; the CA
    bundle, chosen once from --cacert and `env`). Raises UsageError naming the flag."""
    from selftest.ca import choose_ca_bundle
    from selftest.checks.probes.wpconfig import load as load_wp_config

    if not MIN_TIMEOUT_S <= args.timeout <= MAX_TIMEOUT_S:  # also refuses nan
        raise UsageError(f"--timeout must be between {MIN_TIMEOUT_S:g} and {MAX_TIMEOUT_S:g} "
                         f"seconds, not {args.timeout:g}")
    ca_bundle = choose_ca_bundle(args.cacert, env)  # raises UsageError when --cacert is missing
    settings = load_wp_config(args.wp_config) if args.wp_config else None
    if args.wp_path and not os.path.isdir(args.wp_path):
        raise UsageError(f"--wp-path {args.wp_path!r} is not a directory")
    if not re.fullmatch(r"\d{1,20}", str(args.folder_id)):
        raise UsageError(f"--folder-id must be a Box folder id (digits, 0 for All Files), "
                         f"not {args.folder_id!r}")
    return settings, ca_bundle


def options_from(args: argparse.Namespace, env: Mapping[str, str]) -> Options:
    """Checked Options from parsed arguments and the command's environment `env`
    (BOX_ACCESS_TOKEN; the proxy variables and the CA bundle's, read here once for the whole
    run).
    Raises UsageError for any unusable input."""
    from selftest.checks.probes import proxyenv
    from selftest.checks.probes.boxconfig import load_box_config
    from selftest.checks.probes.context import Options

    wp_settings, ca_bundle = _check_paths(args, env)
    custom = args.api_base is not None or args.upload_base is not None
    size, name = _backup(args)
    return Options(
        api_base=_base(args.api_base, "https://api.box.com", "--api-base"),
        upload_base=_base(args.upload_base, "https://upload.box.com/api", "--upload-base"),
        custom_bases=custom,
        cacert=args.cacert,
        proxy=None if args.proxy is None else proxy_url(args.proxy),
        resolve=tuple(_resolve(e) for e in args.resolve),
        timeout_s=args.timeout,
        backup_size=size,
        backup_name=name,
        folder_id=str(args.folder_id),
        box_config=load_box_config(args.box_config) if args.box_config else None,
        token=_read_token(args.token_file, env),
        wp_config=args.wp_config,
        wp_settings=wp_settings,
        wp_path=args.wp_path,
        extra_hosts=tuple(_extra_host(h) for h in args.host),
        proxy_env=proxyenv.capture(env),
        ca_bundle=ca_bundle,
    )


def secrets_of(options: Options) -> Callable[[Any], Any]:
    """A function that replaces every secret this run knows of (the token, the app's client
    secret, the passwords of --proxy, of the captured proxy variables and of --wp-config's
    proxy), wherever it appears in a value."""
    from selftest.checks.probes.proxyenv import split_credentials
    from selftest.redact import REDACTED

    found = [options.token or ""]
    if options.box_config is not None:
        found.append(options.box_config.client_secret)
    for url in [options.proxy or "", *options.proxy_env.values()]:
        found.append(split_credentials(url)[1])
    if options.wp_settings is not None:
        found.append(options.wp_settings.proxy_password)
    # Each secret also as it appears percent-encoded in a URL, or decoded from one.
    found += [quote(s, safe="") for s in found] + [unquote(s) for s in found]
    secrets = sorted({s for s in found if len(s) >= 4}, key=len, reverse=True)

    def scrub(value: Any) -> Any:
        """`value` with every known secret replaced, in strings at any depth of dicts and lists."""
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


# --- running -----------------------------------------------------------------------------------
