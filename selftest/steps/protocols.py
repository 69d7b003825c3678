"""Client steps for the protocols besides HTTP that libcurl (and so PHP's cURL) also speaks.

Each step is one real transfer through `selftest.transport.perform`, with what the [client] table
cannot say as plain options: bytes to upload, a known_hosts file, a Kerberos-free environment,
or one of the options pycurl does not expose (set through `selftest.steps.libcurl_ctypes`).

    upload-file                 UPLOAD from `file_text` (FTP STOR, TFTP WRQ)    -> 25, 70, 73
    sftp-with-known-hosts       SSH_KNOWNHOSTS = a file holding `known_hosts`     -> 79
    without-kerberos-ticket     GSSAPI with no ticket and no KDC reachable        -> 94
    perform-with-ctypes-options `ctypes_options` = { FTP_ACCOUNT = "..." } or
                                { ABSTRACT_UNIX_SOCKET = "..." }                  -> 11, 15
    wildcard-chunk-refused      CHUNK_BGN_FUNCTION refuses the first file         -> 88
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import pycurl

from selftest.observe import Observation
from selftest.steps import Context, Outcome, SetupFailed, libcurl_ctypes, step
from selftest.steps.basic import PerformArgs, request_from
from selftest.transport import perform

#: Kerberos with every network lookup off (MIT krb5.conf(5)): no DNS for KDCs or realms, no
#: reverse lookups, a realm that cannot exist. GSS-API then fails locally, for want of a ticket.
HERMETIC_KRB5_CONF = """\
[libdefaults]
    default_realm = SELFTEST.INVALID
    dns_lookup_kdc = false
    dns_lookup_realm = false
    dns_canonicalize_hostname = false
    rdns = false
"""
#: Where MIT Kerberos looks for its configuration, tickets and keytabs (kerberos(7)).
KRB5_VARIABLES = ("KRB5_CONFIG", "KRB5CCNAME", "KRB5_CLIENT_KTNAME", "KRB5_KTNAME")


@dataclass(frozen=True)
class UploadArgs(PerformArgs):
    """[client] of `upload-file`: a request, and the bytes it uploads."""

    file_text: str = "backup bytes\n"


@dataclass(frozen=True)
class KnownHostsArgs(PerformArgs):
    """[client] of `sftp-with-known-hosts`: a request, and the known_hosts file's text."""

    known_hosts: str = ""


@dataclass(frozen=True)
class CtypesOptions:
    """The string options pycurl does not expose (`libcurl_ctypes.STRING_OPTIONS`)."""

    FTP_ACCOUNT: str | None = None  # libcurl's own option names
    ABSTRACT_UNIX_SOCKET: str | None = None


@dataclass(frozen=True)
class CtypesArgs(PerformArgs):
    """[client] of `perform-with-ctypes-options`: a request, and string options set by ctypes."""

    ctypes_options: CtypesOptions = field(default_factory=CtypesOptions)


@step("upload-file", UploadArgs)
def upload_file(args: UploadArgs, context: Context) -> Observation:
    """Upload `file_text` to the URL (FTP STOR, TFTP WRQ), as the plugin uploads a backup."""
    data = args.file_text.encode()

    def configure(curl: Any) -> None:
        curl.setopt(pycurl.UPLOAD, 1)
        curl.setopt(pycurl.READFUNCTION, io.BytesIO(data).read)
        curl.setopt(pycurl.INFILESIZE, len(data))

    return perform(request_from(args, context), configure)


@step("sftp-with-known-hosts", KnownHostsArgs)
def sftp_with_known_hosts(args: KnownHostsArgs, context: Context) -> Observation:
    """An SSH transfer checked against a known_hosts file holding the `known_hosts` text."""
    request = request_from(args, context)
    with _private_dir("selftest-ssh-") as folder:
        path = os.path.join(folder, "known_hosts")
        with open(path, "w", encoding="utf-8") as known_hosts:
            known_hosts.write(args.known_hosts.rstrip("\n") + "\n")
        return perform(request, lambda curl: curl.setopt(pycurl.SSH_KNOWNHOSTS, path))


@step("without-kerberos-ticket", PerformArgs)
def without_kerberos_ticket(args: PerformArgs, context: Context) -> Observation:
    """A transfer whose GSSAPI sign-in finds no Kerberos ticket, on a machine with no KDC.

    The environment points MIT Kerberos at a private config (no DNS lookups), an empty ticket
    cache and no keytab, so the result never depends on this machine's Kerberos set-up and
    no packet leaves loopback. The variables are restored afterwards.
    """
    request = request_from(args, context)
    with _private_dir("selftest-krb5-") as folder:
        config = os.path.join(folder, "krb5.conf")
        with open(config, "w", encoding="utf-8") as conf:
            conf.write(HERMETIC_KRB5_CONF)
        values = (config, f"FILE:{folder}/ccache", f"FILE:{folder}/client.keytab",
                  f"FILE:{folder}/service.keytab")
        with _environment(dict(zip(KRB5_VARIABLES, values, strict=True))):
            return perform(request)


@step("perform-with-ctypes-options", CtypesArgs)
def perform_with_ctypes_options(args: CtypesArgs, context: Context) -> Outcome:
    """One request plus string options pycurl does not expose, set on its libcurl through ctypes."""
    request = request_from(args, context)
    wanted = {name: value for name, value in vars(args.ctypes_options).items()
              if value is not None}

    def configure(curl: Any) -> None:
        for name, value in wanted.items():
            libcurl_ctypes.setopt_string(curl, libcurl_ctypes.STRING_OPTIONS[name], str(value))

    return _through_ctypes(request.url, lambda: perform(request, configure))


@step("wildcard-chunk-refused", PerformArgs)
def wildcard_chunk_refused(args: PerformArgs, context: Context) -> Outcome:
    """A wildcard FTP download whose CHUNK_BGN callback refuses the first matching file."""
    request = request_from(args, context)
    # Kept alive here, for the whole transfer: libcurl holds only the C pointer.
    refuse = libcurl_ctypes.ChunkBeginCallback(
        lambda _info, _userdata, _remains: libcurl_ctypes.CHUNK_BGN_FUNC_FAIL)

    def configure(curl: Any) -> None:
        curl.setopt(pycurl.WILDCARDMATCH, 1)
        libcurl_ctypes.setopt_callback(curl, libcurl_ctypes.CHUNK_BGN_FUNCTION, refuse)

    return _through_ctypes(request.url, lambda: perform(request, configure))


def _through_ctypes(url: str, run: Any) -> Outcome:
    """Run a transfer needing ctypes; an unreachable libcurl is a failed set-up, not raised."""
    try:
        result: Observation = run()
    except libcurl_ctypes.LibcurlUnreachable as exc:
        return SetupFailed(f"reaching pycurl's libcurl through ctypes for {url}",
                           f"failed: {exc}")
    return result


@contextlib.contextmanager
def _private_dir(prefix: str) -> Iterator[str]:
    folder = tempfile.mkdtemp(prefix=prefix)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@contextlib.contextmanager
def _environment(values: Mapping[str, str]) -> Iterator[None]:
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
