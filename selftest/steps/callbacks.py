"""Client steps whose libcurl code comes from one of the client's own callbacks or files.

Each is a real transfer through `selftest.transport.perform`, with one callback or input that
misbehaves the way a PHP script's can (PHP's CURLOPT_WRITEFUNCTION, CURLOPT_PROGRESSFUNCTION,
CURLOPT_READFUNCTION, CURLFile): libcurl itself returns the code.

    write-refused             WRITEFUNCTION accepts 0 bytes of the body          -> 23
    upload-file-vanishes      multipart (curl_mime) file deleted after setopt     -> 26
    progress-abort            XFERINFOFUNCTION returns non-zero                   -> 42
    send-after-reset          PREREQFUNCTION waits (at most `wait_ms`) until the
                              server's RST has arrived, then the request is sent  -> 55
    unseekable-post-redirect  POST body from READFUNCTION, no SEEKFUNCTION, 307   -> 65
"""

from __future__ import annotations

import os
import select
import tempfile
from dataclasses import dataclass, replace
from typing import Any

import pycurl

from selftest.observe import Observation
from selftest.steps import Context, step
from selftest.steps.basic import PerformArgs, request_from
from selftest.transport import perform


@dataclass(frozen=True)
class SendAfterResetArgs(PerformArgs):
    """[client] of `send-after-reset`: a request, and how long to wait before sending it."""

    #: The longest the PREREQFUNCTION waits for the server's reset before sending anyway.
    wait_ms: int = 300


@step("write-refused", PerformArgs)
def write_refused(args: PerformArgs, context: Context) -> Observation:
    """The write callback takes none of the body (a full disk, a closed output)."""
    return perform(request_from(args, context), lambda curl: curl.setopt(pycurl.WRITEFUNCTION,
                                                                  lambda data: 0))


@step("upload-file-vanishes", PerformArgs)
def upload_file_vanishes(args: PerformArgs, context: Context) -> Observation:
    """A multipart upload (curl_mime, as PHP's CURLFile) whose file goes before perform()."""
    mimes: list[Any] = []
    handle, path = tempfile.mkstemp(prefix="selftest-upload-")

    def configure(curl: Any) -> None:
        mime = pycurl.CurlMime(curl)
        mimes.append(mime)
        part = mime.addpart()
        part.name("file")
        part.filedata(path)
        curl.setopt(pycurl.MIMEPOST, mime)
        os.unlink(path)  # gone before perform(): libcurl cannot read it when it sends

    try:
        os.write(handle, b"backup bytes\n")
        os.close(handle)
        return perform(request_from(args, context), configure)
    finally:
        for mime in mimes:
            mime.close()
        if os.path.exists(path):
            os.unlink(path)


@step("progress-abort", PerformArgs)
def progress_abort(args: PerformArgs, context: Context) -> Observation:
    """The progress callback asks libcurl to stop (as a PHP progress function returning 1)."""

    def configure(curl: Any) -> None:
        curl.setopt(pycurl.NOPROGRESS, 0)
        curl.setopt(pycurl.XFERINFOFUNCTION, lambda *totals: 1)

    return perform(request_from(args, context), configure)


@step("send-after-reset", SendAfterResetArgs)
def send_after_reset(args: SendAfterResetArgs, context: Context) -> Observation:
    """Connected, then wait until the server's reset has arrived (at most `wait_ms`) before
    sending, so the reset comes first."""
    wait_ms = args.wait_ms
    sockets: list[int] = []

    def sockopt(fd: int, _purpose: int) -> int:
        sockets.append(fd)  # libcurl's own socket, before it connects
        return int(pycurl.SOCKOPT_OK)

    def prereq(*_addresses: Any) -> int:
        # A reset connection polls as readable with an error (POLLIN|POLLERR|POLLHUP): waiting
        # for that, not a fixed time, is as sure on a loaded machine and over at once.
        poller = select.poll()
        poller.register(sockets[-1], select.POLLIN | select.POLLERR | select.POLLHUP)
        poller.poll(wait_ms)
        return int(pycurl.PREREQFUNC_OK)

    def configure(curl: Any) -> None:
        curl.setopt(pycurl.SOCKOPTFUNCTION, sockopt)
        curl.setopt(pycurl.PREREQFUNCTION, prereq)

    return perform(request_from(args, context), configure)


@step("unseekable-post-redirect", PerformArgs)
def unseekable_post_redirect(args: PerformArgs, context: Context) -> Observation:
    """A streamed POST body that cannot be rewound, followed through a 307 redirect."""
    body = (args.body if args.body is not None else "backup chunk").encode()

    def configure(curl: Any) -> None:
        source = iter([body])
        curl.setopt(pycurl.POST, 1)
        curl.setopt(pycurl.POSTFIELDSIZE, len(body))
        curl.setopt(pycurl.READFUNCTION, lambda size: next(source, b""))
        curl.setopt(pycurl.FOLLOWLOCATION, 1)

    return perform(request_from(replace(args, body=None), context), configure)
