"""`box-sequence`: several real requests to the fake Box, observing the one that shows the code.

Most Box codes need a world first: a folder to move into itself, a session to expire, a file to
lock. The step sends each `[[client.requests]]` table (`BoxRequest`) in order through
`selftest.transport.perform` and observes the LAST request (or the one marked `observe = true`).
Every other request must answer as its `expect_status` says (default: any 2xx); when one does
not, the step stops and returns `SetupFailed` naming that request and what it answered, so the
scenario fails with "set-up failed: ..." (scenarios write `curl_code = [0]`).

[client] keys (`BoxSequenceArgs`): `base` (prefix of relative paths; default "{url}", the
fakebox fault's API base), `token` (the bearer sent with every API request; default "{token}",
the fake's main user; "" for none), `box_config` (for `jwt` requests), `timeout_ms`,
`requests`. A request table that is only `include = "setup/folder.toml"` stands for the
`[[requests]]` of that file (relative to the scenario's folder, else selftest's scenarios/):
shared set-up written once.

Placeholders are written `{name}`, one syntax everywhere. The runner fills the names its fault
server and the test PKI give (and `{env:NAME}`) before the step runs; the step fills, as it
goes, the names it defines itself: every `save` name, `{unique}` (fresh for each run, so names
never collide on a shared fake) and `{fresh_refresh_token}` (a new single-use refresh token from
the fake). A saved name may not also be one of the server's (the runner says so). A JSON value
that is exactly "{name}" takes the saved value as it was (an object, a number).
"""

from __future__ import annotations

import base64
import copy
import dataclasses
import hashlib
import json
import secrets
import threading
import tomllib
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path
from typing import Any

from selftest.errors import ScenarioError
from selftest.faults.fakebox import FakeBoxFault
from selftest.interrupts import spawn, wait_futures
from selftest.observe import Observation
from selftest.scenario import PLACEHOLDER, scenarios_dir
from selftest.steps import Context, Outcome, SetupFailed, oauth, step
from selftest.steps.schema import parse
from selftest.transport import Request, perform

_BOUNDARY = "selftest-box-sequence-boundary"
DEFAULT_TIMEOUT_MS = 5000
#: How long `concurrent` copies wait for each other before they are sent together.
BARRIER_S = 10.0
#: The names the step defines besides the `save` ones.
BUILT_IN_NAMES = frozenset({"unique", "fresh_refresh_token"})
_INCLUDE_KEYS = {"about", "requests"}


@dataclass(frozen=True)
class Multipart:
    """`multipart = {...}`: a direct upload as Box wants it."""

    attributes: Mapping[str, Any] = field(default_factory=dict)
    #: The file's text; without it, `file_size` bytes of "a".
    file: str | None = None
    file_size: int = 5


@dataclass(frozen=True)
class BoxRequest:
    """One `[[client.requests]]` table."""

    #: Default: POST with a body, else GET.
    method: str | None = None
    #: Relative to [client] base, or an absolute URL ("{upload_url}/2.0/...").
    path: str = ""
    headers: Mapping[str, str] = field(default_factory=dict)
    #: A JSON body.
    json: Any = None
    #: A form body.
    form: Mapping[str, Any] | None = None
    #: A literal body.
    body: str | None = None
    #: A body of this many copies of `body_byte`.
    body_size: int | None = None
    body_byte: str = "a"
    multipart: Multipart | None = None
    #: Add `Digest: sha=<base64 SHA-1 of the body>` (chunked-upload parts).
    digest: bool = False
    #: Post the JWT bearer grant (selftest.steps.oauth).
    jwt: oauth.JwtSpec | None = None
    #: This request's bearer instead of [client] token ("" for none; /oauth2/ paths get none).
    token: str | None = None
    #: Move the fake's clock forward first, in seconds (restored when the step ends, because
    #: fake servers are shared between scenarios).
    advance_clock_s: float = 0.0
    #: Send this many copies at once; the one observed is the first that failed.
    concurrent: int = 1
    #: {name = "dotted.path"} of the JSON answer to keep, e.g. "entries.0.id".
    save: Mapping[str, str] = field(default_factory=dict)
    #: Accepted statuses of a request that is not observed (default: any 2xx).
    expect_status: int | tuple[int, ...] | None = None
    #: Append a `padding` query parameter this many bytes long (an over-long URL).
    query_padding_bytes: int = 0
    #: Observe this request instead of the last.
    observe: bool = False


@dataclass(frozen=True)
class BoxSequenceArgs:
    """[client] of `box-sequence`."""

    requests: tuple[BoxRequest, ...]
    base: str = "{url}"
    token: str = "{token}"  # noqa: S105 - a placeholder: the fake's token
    box_config: str = ""
    timeout_ms: int = DEFAULT_TIMEOUT_MS


@dataclass
class Sequence:
    """What a run of the step carries from one request to the next."""

    args: BoxSequenceArgs
    context: Context
    fake: FakeBoxFault | None
    variables: dict[str, Any] = field(default_factory=dict)
    last_assertion: str = ""
    sent: list[str] = field(default_factory=list)


def expand_includes(table: dict[str, Any], source: Path) -> dict[str, Any]:
    """The [client] table with each `{include = "FILE"}` request replaced by FILE's requests."""
    requests = table.get("requests")
    if not isinstance(requests, list):
        return table
    expanded: list[Any] = []
    for raw in requests:
        if isinstance(raw, dict) and "include" in raw:
            if set(raw) != {"include"}:
                raise ScenarioError(f"{source}: a [[client.requests]] table with include "
                                    "holds nothing else")
            expanded += _included(str(raw["include"]), source)
        else:
            expanded.append(raw)
    return {**table, "requests": expanded}


def _included(name: str, source: Path) -> list[Any]:
    """The requests of include `name`: beside `source` first, then selftest's own."""
    for folder in (source.parent, scenarios_dir()):
        path = folder / name
        if path.is_file():
            return copy.deepcopy(_read_include(path.resolve()))
    raise ScenarioError(f"{source}: include {name!r} is in neither {source.parent} nor "
                        f"{scenarios_dir()}")


@cache
def _read_include(path: Path) -> list[Any]:
    """An include file's [[requests]], parsed once per process."""
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ScenarioError(f"{path}: cannot read the include: {exc}") from None
    unknown = sorted(set(doc) - _INCLUDE_KEYS)
    requests = doc.get("requests")
    if unknown or not isinstance(requests, list) or not requests:
        raise ScenarioError(f"{path}: an include holds [[requests]] tables (and an `about`); "
                            f"unknown key(s) {unknown}" if unknown else
                            f"{path}: an include needs [[requests]] tables")
    if any(isinstance(r, dict) and "include" in r for r in requests):
        raise ScenarioError(f"{path}: an include cannot include another file")
    return requests


def own_names(table: Mapping[str, Any]) -> frozenset[str]:
    """The placeholders the step fills itself: its built-in names and every `save` name."""
    saved = {str(name) for raw in table.get("requests", ()) if isinstance(raw, dict)
             for name in dict(raw.get("save", {}))}
    return BUILT_IN_NAMES | saved


@step("box-sequence", BoxSequenceArgs, prepare=expand_includes, own_names=own_names)
def box_sequence(args: BoxSequenceArgs, context: Context) -> Outcome:
    """Send the requests in order; observe the chosen one, or say which earlier one went wrong."""
    return run_sequence(args, context, perform)


def run_sequence(args: BoxSequenceArgs, context: Context,
                 send: Callable[[Request], Observation]) -> Outcome:
    """`box_sequence` with each request sent by `send` (another client: PHP, WordPress)."""
    requests = args.requests
    if not requests:
        raise ScenarioError("step box-sequence needs [[client.requests]] tables")
    target = next((i for i, r in enumerate(requests) if r.observe), len(requests) - 1)
    fake = context.server if isinstance(context.server, FakeBoxFault) else None
    offset = fake.clock_offset_s() if fake is not None else None
    seq = Sequence(args, context, fake, {"unique": secrets.token_hex(6)})
    try:
        observed: Observation | None = None
        for index, raw in enumerate(requests):
            sent = _send(seq, raw, send)
            if index == target:
                observed = sent
            elif not _as_expected(raw, sent):
                return _went_wrong(seq, index, len(requests), raw, sent)
            _save(seq, raw, sent)
        assert observed is not None
        return _with_history(observed, seq)
    finally:
        if fake is not None and offset is not None:
            fake.set_clock_offset(offset)


def _send(seq: Sequence, raw: BoxRequest, send: Callable[[Request], Observation]) -> Observation:
    """Fill one request's own names, build it and send it (`concurrent` copies at once)."""
    if raw.advance_clock_s:
        _fake(seq, "advance_clock_s").advance_clock(raw.advance_clock_s)
    if ("{fresh_refresh_token}" in json.dumps(dataclasses.asdict(raw))
            and "fresh_refresh_token" not in seq.variables):
        seq.variables["fresh_refresh_token"] = _fake(
            seq, "{fresh_refresh_token}").fresh_refresh_token()
    resolved = _resolved(raw, seq.variables)
    request = _build(seq, resolved)
    seq.sent.append(f"{request.method} {_short(request.url)}")
    if resolved.concurrent <= 1:
        return send(request)
    gate = threading.Barrier(resolved.concurrent)

    def at_once(_: int) -> Observation:
        """One copy, sent as the last of the copies' threads is ready (not as each starts)."""
        gate.wait(timeout=BARRIER_S)
        return send(request)

    # On threads nobody joins, waited for by polling: the step may run on the main thread
    # (`--jobs 1`, the pytest plugin), which must see a stop signal (interrupts.spawn).
    copies = [spawn(at_once, n) for n in range(resolved.concurrent)]
    wait_futures(copies, None)
    results = [copy.result() for copy in copies]
    return next((o for o in results if not o.ok), results[0])


def _fake(seq: Sequence, what: str) -> FakeBoxFault:
    """The fakebox fault the step was handed; `what` needs one (a ScenarioError if not)."""
    if seq.fake is None:
        raise ScenarioError(f"box-sequence: {what} needs the scenario's server to be a fakebox "
                            "fault")
    return seq.fake


def _resolved(raw: BoxRequest, variables: Mapping[str, Any]) -> BoxRequest:
    """`raw` with the step's own placeholders filled (not in `save`: those are names)."""
    table = {k: v for k, v in dataclasses.asdict(raw).items() if k != "save"}
    filled = parse(BoxRequest, substitute(table, variables), "[[client.requests]]")
    return replace(filled, save=raw.save)


def substitute(value: Any, variables: Mapping[str, Any]) -> Any:
    """Fill `{name}` at any depth; a string that is only "{name}" takes the value as it is."""
    if isinstance(value, str):
        whole = PLACEHOLDER.fullmatch(value)
        if whole:
            return _variable(whole.group(1), variables)
        return PLACEHOLDER.sub(lambda m: str(_variable(m.group(1), variables)), value)
    if isinstance(value, Mapping):
        return {k: substitute(v, variables) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [substitute(v, variables) for v in value]
    return value


def _variable(name: str, variables: Mapping[str, Any]) -> Any:
    """The value of a name the step defined. Raises ScenarioError for one not saved yet."""
    if name not in variables:
        known = ", ".join(sorted(variables)) or "none"
        raise ScenarioError(f"box-sequence: {{{name}}} is not saved yet; known so far: {known}")
    return variables[name]


def _build(seq: Sequence, raw: BoxRequest) -> Request:
    """The transport Request of one filled request table."""
    args = seq.args
    url = raw.path if raw.path.startswith(("http://", "https://")) else args.base + raw.path
    if raw.query_padding_bytes:  # an over-long URL without writing 64 KiB into the file
        url += ("&" if "?" in url else "?") + "padding=" + "a" * raw.query_padding_bytes
    headers: dict[str, str] = {}
    token = raw.token if raw.token is not None else args.token
    if token and "/oauth2/" not in url:
        headers["Authorization"] = f"Bearer {token}"
    body, content_type = _body(seq, raw)
    if content_type:
        headers["Content-Type"] = content_type
    if raw.digest and body is not None:
        sha1 = hashlib.sha1(body).digest()  # noqa: S324 - Box's part digest is SHA-1
        headers["Digest"] = "sha=" + base64.b64encode(sha1).decode()
    headers.update({str(k): str(v) for k, v in raw.headers.items()})
    return Request(url=url, method=raw.method or ("POST" if body is not None else "GET"),
                   headers=headers, body=body, proxy="", timeout_ms=args.timeout_ms,
                   verbose=seq.context.verbose)


def _body(seq: Sequence, raw: BoxRequest) -> tuple[bytes | None, str]:
    """The request body and its Content-Type ("" to leave libcurl's default)."""
    if raw.jwt is not None:
        config = oauth.read_config(seq.args.box_config)
        if not (raw.jwt.reuse and seq.last_assertion):
            seq.last_assertion = oauth.assertion(config, raw.jwt)
        return _form(oauth.grant_form(config, seq.last_assertion))
    if raw.json is not None:
        return json.dumps(raw.json).encode(), "application/json"
    if raw.form is not None:
        return _form({str(k): str(v) for k, v in raw.form.items()})
    if raw.multipart is not None:
        return _multipart(raw.multipart)
    if raw.body_size is not None:
        return raw.body_byte.encode()[:1] * raw.body_size, ""
    if raw.body is not None:
        return raw.body.encode(), ""
    return None, ""


def _form(fields: Mapping[str, str]) -> tuple[bytes, str]:
    """A urlencoded form body and its Content-Type."""
    return urllib.parse.urlencode(fields).encode(), "application/x-www-form-urlencoded"


def _multipart(spec: Multipart) -> tuple[bytes, str]:
    """A direct upload as Box wants it: the `attributes` JSON part first, then the file."""
    data = spec.file.encode() if spec.file is not None else b"a" * spec.file_size
    name = str(spec.attributes.get("name", "upload.bin"))
    parts = [
        f'--{_BOUNDARY}\r\nContent-Disposition: form-data; name="attributes"\r\n\r\n'.encode()
        + json.dumps(spec.attributes).encode() + b"\r\n",
        f'--{_BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
        f"Content-Type: application/octet-stream\r\n\r\n".encode() + data + b"\r\n",
        f"--{_BOUNDARY}--\r\n".encode(),
    ]
    return b"".join(parts), f"multipart/form-data; boundary={_BOUNDARY}"


def _as_expected(raw: BoxRequest, obs: Observation) -> bool:
    """Whether a request that is not observed answered as its `expect_status` says."""
    wanted = raw.expect_status
    if obs.curl_code != 0 or obs.http_status is None:
        return False
    if wanted is None:
        return 200 <= obs.http_status < 300
    return obs.http_status in ([wanted] if isinstance(wanted, int) else list(wanted))


def _save(seq: Sequence, raw: BoxRequest, obs: Observation) -> None:
    """Keep the `save` values of an answer for the requests that follow."""
    for name, path in raw.save.items():
        try:
            seq.variables[str(name)] = dig(json.loads(obs.body), str(path))
        except (ValueError, KeyError, IndexError, TypeError):
            raise ScenarioError(f"box-sequence: cannot save {name} from {path!r} of the answer "
                                f"to {seq.sent[-1]} ({obs.http_status})") from None


def dig(doc: Any, path: str) -> Any:
    """The value at a dotted path ("entries.0.id"). Raises KeyError/IndexError when absent."""
    for part in path.split("."):
        doc = doc[int(part)] if isinstance(doc, list) else doc[part]
    return doc


def _went_wrong(seq: Sequence, index: int, total: int, raw: BoxRequest,
                obs: Observation) -> SetupFailed:
    """The failed set-up: which request answered what, instead of what was expected."""
    said = (f"curl code {obs.curl_code} ({obs.curl_message})" if obs.curl_code
            else f"status {obs.http_status}")
    code = obs.box_error.code if obs.box_error else (
        obs.oauth_error.error if obs.oauth_error else "")
    wanted = "2xx" if raw.expect_status is None else (
        raw.expect_status if isinstance(raw.expect_status, int) else list(raw.expect_status))
    return SetupFailed(
        what=f"request {index + 1} of {total} ({seq.sent[-1]})",
        reason=f"answered {said}{f' {code}' if code else ''}, expected {wanted}; the observed "
               "request was not reached",
        sequence=tuple(seq.sent))


def _with_history(obs: Observation, seq: Sequence) -> Observation:
    """The observation with the requests sent before it, for the report."""
    details: dict[str, Any] = {**obs.details, "sequence": list(seq.sent)}
    return replace(obs, details=details)


def _short(url: str) -> str:
    """A URL's path and the start of its query, for the report."""
    parts = urllib.parse.urlsplit(url)
    return parts.path + (f"?{parts.query[:40]}" if parts.query else "")
