"""The ordinary client steps: one real request (`perform`, `setopt`) or an injected one (`inject`).

`perform` turns the scenario's [client] table into a `selftest.transport.Request`; options that
libcurl refuses at setopt() time (codes 4, 27, 43, 48, 53, 66) come back from the transport as an
Observation with phase "setup", so `setopt` is the same step under a name that says where the
code comes from. `inject` is the only step that does not talk to anything: it builds the
Observation from `[client.observation]`, marked simulated, for catalog entries labelled so.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from selftest.errors import ScenarioError
from selftest.observe import Observation, observe
from selftest.steps import step
from selftest.transport import Request, perform

#: [client] keys every step accepts besides the Request fields.
_COMMON = {"step", "verbose", "header_padding_bytes"}
_REQUEST_KEYS = {"url", "method", "headers", "body", "timeout_ms", "connect_timeout_ms",
                 "options", "proxy", "resolve", "connect_to", "cainfo", "verify", "certinfo"}
_INJECT_KEYS = {"curl_code", "curl_message", "http_status", "headers", "body", "phase", "url"}


def request_from(client: Mapping[str, Any], extra: Iterable[str] = ()) -> Request:
    """Build a Request from a filled [client] table. Raises ScenarioError for unknown keys."""
    unknown = set(client) - _COMMON - _REQUEST_KEYS - set(extra)
    if unknown:
        raise ScenarioError(f"[client] has unknown key(s) {sorted(unknown)} for step "
                            f"{client.get('step', 'perform')!r}")
    if "url" not in client:
        raise ScenarioError("[client] needs a url")
    body = client.get("body")
    fields = {key: client[key] for key in _REQUEST_KEYS - {"body"} if key in client}
    # Scenarios are hermetic: a proxy comes from the file, never from the environment.
    fields.setdefault("proxy", "")
    for key in ("resolve", "connect_to"):
        if key in fields:
            fields[key] = tuple(fields[key])
    padding = int(client.get("header_padding_bytes", 0))
    if padding:  # an oversized request without writing a megabyte into the scenario file
        fields["headers"] = {**fields.get("headers", {}), "X-Padding": "a" * padding}
    return Request(**fields, body=body.encode() if isinstance(body, str) else body,
                   verbose=bool(client.get("verbose")))


@step("perform")
def perform_step(client: Mapping[str, Any]) -> Observation:
    """One request, as the [client] table describes it."""
    return perform(request_from(client))


@step("setopt")
def setopt_step(client: Mapping[str, Any]) -> Observation:
    """An option libcurl refuses when it is set; observed with phase "setup"."""
    return perform(request_from(client))


@step("inject")
def inject_step(client: Mapping[str, Any]) -> Observation:
    """A SIMULATED observation from [client.observation]; never counts as real."""
    table = client.get("observation")
    if not isinstance(table, dict):
        raise ScenarioError("step inject needs a [client.observation] table")
    unknown = set(table) - _INJECT_KEYS
    if unknown:
        raise ScenarioError(f"[client.observation] has unknown key(s) {sorted(unknown)}")
    head = b""
    if "http_status" in table:
        lines = [f"HTTP/1.1 {int(table['http_status'])} "]
        lines += [f"{k}: {v}" for k, v in dict(table.get("headers", {})).items()]
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
    body = table.get("body", "")
    return observe(
        curl_code=int(table.get("curl_code", 0)),
        curl_message=str(table.get("curl_message", "")),
        url=str(table.get("url", client.get("url", ""))),
        raw_headers=head,
        body=body.encode() if isinstance(body, str) else bytes(body),
        phase=table.get("phase", "done" if not table.get("curl_code") else "unknown"),
        simulated=True,
    )
