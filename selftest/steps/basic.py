"""The ordinary client steps: one real request (`perform`, `setopt`) or an injected one (`inject`).

`perform` turns the scenario's [client] table (`PerformArgs`) into a `selftest.transport.Request`;
options that libcurl refuses at setopt() time (codes 4, 27, 43, 48, 53, 66) come back from the
transport as an Observation with phase "setup", so `setopt` is the same step under a name that
says where the code comes from. `inject` is the only step that does not talk to anything: it
builds the Observation from `[client.observation]` (`InjectArgs`), marked simulated, for catalog
entries labelled so.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from selftest.observe import Observation, Phase, observe
from selftest.steps import Context, step
from selftest.transport import Request, perform


@dataclass(frozen=True)
class PerformArgs:
    """[client] of a one-request step: the `selftest.transport.Request` fields, and padding."""

    url: str
    method: str = "GET"
    headers: Mapping[str, str] = field(default_factory=dict)
    body: str | None = None
    timeout_ms: int = 30_000
    connect_timeout_ms: int | None = None
    #: libcurl options by name without CURLOPT_; "@NAME" values are pycurl constants.
    options: Mapping[str, int | str] = field(default_factory=dict)
    #: "" (the default) means no proxy: scenarios never read the proxy environment.
    proxy: str = ""
    #: libcurl RESOLVE entries, "HOST:PORT:ADDR".
    resolve: tuple[str, ...] = ()
    #: libcurl CONNECT_TO entries, "HOST:PORT:CONNECT-TO-HOST:CONNECT-TO-PORT".
    connect_to: tuple[str, ...] = ()
    cainfo: str | None = None
    verify: bool = True
    certinfo: bool = False
    #: An X-Padding request header this many bytes long (an oversized request, not written out).
    header_padding_bytes: int = 0


def request_from(args: PerformArgs, context: Context, *, body: bytes | None = None) -> Request:
    """The Request `args` describe (`body` replaces args.body when given)."""
    headers = dict(args.headers)
    if args.header_padding_bytes:
        headers["X-Padding"] = "a" * args.header_padding_bytes
    return Request(url=args.url, method=args.method, headers=headers,
                   body=body if body is not None else
                   (args.body.encode() if args.body is not None else None),
                   timeout_ms=args.timeout_ms, connect_timeout_ms=args.connect_timeout_ms,
                   cainfo=args.cainfo, verify=args.verify, proxy=args.proxy,
                   resolve=args.resolve, connect_to=args.connect_to,
                   options=dict(args.options), certinfo=args.certinfo,
                   verbose=context.verbose)


@step("perform", PerformArgs)
def perform_step(args: PerformArgs, context: Context) -> Observation:
    """One request, as the [client] table describes it."""
    return perform(request_from(args, context))


@step("setopt", PerformArgs)
def setopt_step(args: PerformArgs, context: Context) -> Observation:
    """An option libcurl refuses when it is set; observed with phase "setup"."""
    return perform(request_from(args, context))


@dataclass(frozen=True)
class Injected:
    """[client.observation]: what the simulated transfer "saw"."""

    curl_code: int = 0
    curl_message: str = ""
    http_status: int | None = None
    #: Response headers (with http_status).
    headers: Mapping[str, str] = field(default_factory=dict)
    body: str = ""
    #: Where it ended; default "done" for code 0, else "unknown".
    phase: Phase | None = None
    #: The URL it names (default: [client] url).
    url: str | None = None


@dataclass(frozen=True)
class InjectArgs:
    """[client] of `inject`: the URL shown and the observation to inject."""

    observation: Injected
    url: str = ""


@step("inject", InjectArgs)
def inject_step(args: InjectArgs, context: Context) -> Observation:
    """A SIMULATED observation from [client.observation]; never counts as real."""
    table = args.observation
    head = b""
    if table.http_status is not None:
        lines = [f"HTTP/1.1 {table.http_status} "]
        lines += [f"{k}: {v}" for k, v in table.headers.items()]
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
    phase: Phase = table.phase or ("done" if not table.curl_code else "unknown")
    return observe(curl_code=table.curl_code, curl_message=table.curl_message,
                   url=table.url if table.url is not None else args.url, raw_headers=head,
                   body=table.body.encode(), phase=phase, simulated=True)
