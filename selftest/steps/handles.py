"""Client steps that reach a code through how the libcurl handle is used, not through a server.

    connect-only-recv   CONNECT_ONLY, then curl_easy_recv on an idle socket     -> 81 (AGAIN)
    perform-in-multi    perform() on an easy handle already added to a multi     -> 2
    recursive-api-call  the multi's timer callback calls back into libcurl      -> 93

pycurl turns curl_easy_recv's CURLE_AGAIN (81) into BlockingIOError(EAGAIN); the step turns it
back into the pycurl.error libcurl's code stands for, so the transport observes it in its one
place. Nothing is invented: 81 is what libcurl returned.
"""

from __future__ import annotations

from typing import Any

import pycurl

from selftest.observe import Observation
from selftest.steps import Context, step
from selftest.steps.basic import PerformArgs, request_from
from selftest.transport import perform

#: libcurl's CURLE_AGAIN; pycurl's E_* constants have it, but say where it comes from.
CURLE_AGAIN = 81


@step("connect-only-recv", PerformArgs)
def connect_only_recv(args: PerformArgs, context: Context) -> Observation:
    """Connect only, then read from a socket the server never writes to."""

    def recv(curl: Any) -> None:
        try:
            curl.recv(1024)
        except BlockingIOError as exc:
            raise pycurl.error(CURLE_AGAIN, f"Socket not ready for send/recv ({exc})") from None

    return perform(request_from(args, context),
                   lambda curl: curl.setopt(pycurl.CONNECT_ONLY, 1), after=recv)


@step("perform-in-multi", PerformArgs)
def perform_in_multi(args: PerformArgs, context: Context) -> Observation:
    """curl_easy_perform on a handle a multi handle already owns."""
    multis: list[Any] = []

    def configure(curl: Any) -> None:
        multi = pycurl.CurlMulti()
        multi.add_handle(curl)
        multis.append(multi)  # kept alive until perform() has failed

    try:
        return perform(request_from(args, context), configure)
    finally:
        multis.clear()


@step("recursive-api-call", PerformArgs)
def recursive_api_call(args: PerformArgs, context: Context) -> Observation:
    """The multi's timer callback pauses the easy handle being added (a re-entrant call)."""
    errors: list[pycurl.error] = []

    def configure(curl: Any) -> None:
        multi = pycurl.CurlMulti()

        def timer(_timeout_ms: int) -> None:
            try:
                curl.pause(pycurl.PAUSE_ALL)
            except pycurl.error as exc:  # raised inside libcurl's callback: carried out below
                errors.append(exc)

        multi.setopt(pycurl.M_TIMERFUNCTION, timer)
        multi.add_handle(curl)
        multi.remove_handle(curl)
        if errors:
            raise errors[0]

    return perform(request_from(args, context), configure)
