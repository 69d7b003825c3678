"""`box-sequence`: several real requests to the fake Box, observing the one that shows the code.

Most Box codes need a world first: a folder to move into itself, a session to expire, a file to
lock. The step sends each `[[client.requests]]` table in order through
`selftest.transport.perform` and observes the LAST request (or the one marked `observe = true`).
Every other request must answer as its `expect_status` says (default: any 2xx); when one does not,
the step stops and returns an observation with curl code -1 whose message says which request went
wrong and how, so the scenario fails with that reason (scenarios write `curl_code = [0]`).

[client] keys: `base` (prefix of relative paths; default "{url}", the fakebox fault's API base,
set by selftest.scenario when the file leaves it out), `token` (the bearer sent with
every API request), `box_config` (for `jwt` requests), `timeout_ms`, `requests`.

Request keys:
    method, path          path relative to `base`, or an absolute URL ("{upload_url}/2.0/...")
    headers               extra headers
    json | form | body    a JSON body, a form body, or a literal one
    body_size, body_byte  a body of `body_size` copies of `body_byte` (default "a")
    multipart             {attributes = {...}, file = "text" or file_size = N}: a direct upload
    digest = true         add `Digest: sha=<base64 SHA-1 of the body>` (chunked-upload parts)
    jwt = {...}           post the JWT bearer grant (see selftest.steps.oauth)
    token                 this request's bearer instead of [client] token ("" for none; token
                          endpoint paths /oauth2/... never get one)
    advance_clock_s       move the fake's clock forward first (restored when the step ends,
                          because fake servers are shared between scenarios)
    concurrent = N        send N copies at once; the one observed is the first that failed
    save                  {name = "dotted.path"} from the JSON answer, e.g. "entries.0.id"
    expect_status         accepted statuses of a request that is not observed
    query_padding_bytes   append a `padding` query parameter that long (an over-long URL)
    observe = true        observe this one instead of the last

Variables are written `{$name}` (the runner fills `{name}` placeholders before the step sees
the table): saved values, `{$unique}` (fresh for each run, so names never collide on a shared
fake) and `{$fresh_refresh_token}` (a new single-use refresh token from the fake). A JSON value
that is exactly "{$name}" takes the saved value as it was (an object, a number).
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets
import urllib.parse
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Any

from selftest.errors import ScenarioError
from selftest.faults.fakebox import running_fake
from selftest.observe import Observation, observe
from selftest.steps import oauth, step
from selftest.transport import Request, perform

_CLIENT_KEYS = {"step", "verbose", "base", "token", "box_config", "timeout_ms", "requests",
                "options"}
_REQUEST_KEYS = {"method", "path", "headers", "json", "form", "body", "body_size", "body_byte",
                 "multipart", "digest", "jwt", "token", "advance_clock_s", "concurrent", "save",
                 "expect_status", "observe", "query_padding_bytes"}
_VARIABLE = re.compile(r"\{\$([A-Za-z_][A-Za-z0-9_]*)\}")
_BOUNDARY = "selftest-box-sequence-boundary"
DEFAULT_TIMEOUT_MS = 5000


@dataclass
class Sequence:
    """What a run of the step carries from one request to the next."""

    client: Mapping[str, Any]
    variables: dict[str, Any] = field(default_factory=dict)
    last_assertion: str = ""
    sent: list[str] = field(default_factory=list)


@step("box-sequence")
def box_sequence(client: Mapping[str, Any]) -> Observation:
    """Send the requests in order; observe the chosen one, or say which earlier one went wrong."""
    return run_sequence(client, perform)


def run_sequence(client: Mapping[str, Any],
                 send: Callable[[Request], Observation]) -> Observation:
    """`box_sequence` with each request sent by `send` (another client: PHP, WordPress)."""
    requests = _requests(client)
    target = next((i for i, r in enumerate(requests) if r.get("observe")), len(requests) - 1)
    fake = running_fake(str(client.get("base", "")))
    offset = fake.state.clock.offset_s if fake is not None else None
    seq = Sequence(client, {"unique": secrets.token_hex(6)})
    try:
        observed: Observation | None = None
        for index, raw in enumerate(requests):
            obs = _send(seq, fake, raw, send)
            if index == target:
                observed = obs
            elif not _as_expected(raw, obs):
                return _went_wrong(seq, index, len(requests), raw, obs)
            _save(seq, raw, obs)
        assert observed is not None
        return _with_history(observed, seq)
    finally:
        if fake is not None and offset is not None:
            fake.state.clock.set_offset(offset)


def _requests(client: Mapping[str, Any]) -> list[dict[str, Any]]:
    unknown = set(client) - _CLIENT_KEYS
    if unknown:
        raise ScenarioError(f"[client] has unknown key(s) {sorted(unknown)} for step "
                            "'box-sequence'")
    requests = client.get("requests")
    if not isinstance(requests, list) or not requests:
        raise ScenarioError("step box-sequence needs [[client.requests]] tables")
    for raw in requests:
        wrong = set(raw) - _REQUEST_KEYS if isinstance(raw, dict) else {"(not a table)"}
        if wrong:
            raise ScenarioError(f"[[client.requests]] has unknown key(s) {sorted(wrong)}; "
                                f"allowed: {sorted(_REQUEST_KEYS)}")
    return requests


def _send(seq: Sequence, fake: Any, raw: Mapping[str, Any],
          send: Callable[[Request], Observation]) -> Observation:
    if raw.get("advance_clock_s"):
        if fake is None:
            raise ScenarioError("advance_clock_s needs base = \"{url}\" of a fakebox fault")
        fake.state.clock.advance(float(raw["advance_clock_s"]))
    if "$fresh_refresh_token" in json.dumps(raw) and "fresh_refresh_token" not in seq.variables:
        if fake is None:
            raise ScenarioError("{$fresh_refresh_token} needs base = \"{url}\" of a fakebox")
        state = fake.state
        seq.variables["fresh_refresh_token"] = state.tokens.issue_refresh(
            state.main_user.id, state.default_app.client_id)
    resolved = substitute({k: v for k, v in raw.items() if k != "save"}, seq.variables)
    request = _build(seq, resolved)
    seq.sent.append(f"{request.method} {_short(request.url)}")
    copies = int(resolved.get("concurrent", 1))
    if copies <= 1:
        return send(request)
    with ThreadPoolExecutor(max_workers=copies) as pool:
        results = list(pool.map(lambda _: send(request), range(copies)))
    return next((o for o in results if not o.ok), results[0])


def substitute(value: Any, variables: Mapping[str, Any]) -> Any:
    """Fill `{$name}` at any depth; a string that is only "{$name}" takes the value as it is."""
    if isinstance(value, str):
        whole = _VARIABLE.fullmatch(value)
        if whole:
            return _variable(whole.group(1), variables)
        return _VARIABLE.sub(lambda m: str(_variable(m.group(1), variables)), value)
    if isinstance(value, Mapping):
        return {k: substitute(v, variables) for k, v in value.items()}
    if isinstance(value, list):
        return [substitute(v, variables) for v in value]
    return value


def _variable(name: str, variables: Mapping[str, Any]) -> Any:
    if name not in variables:
        known = ", ".join(sorted(variables)) or "none"
        raise ScenarioError(f"box-sequence: unknown variable {{${name}}}; known so far: {known}")
    return variables[name]


def _build(seq: Sequence, raw: Mapping[str, Any]) -> Request:
    client = seq.client
    path = str(raw.get("path", ""))
    url = path if path.startswith(("http://", "https://")) else str(client.get("base", "")) + path
    padding = int(raw.get("query_padding_bytes", 0))
    if padding:  # an over-long URL without writing 64 KiB into the scenario file
        url += ("&" if "?" in url else "?") + "padding=" + "a" * padding
    headers: dict[str, str] = {}
    token = raw.get("token", client.get("token", ""))
    if token and "/oauth2/" not in url:
        headers["Authorization"] = f"Bearer {token}"
    body, content_type = _body(seq, raw)
    if content_type:
        headers["Content-Type"] = content_type
    if raw.get("digest") and body is not None:
        sha1 = hashlib.sha1(body).digest()  # noqa: S324 - Box's part digest is SHA-1
        headers["Digest"] = "sha=" + base64.b64encode(sha1).decode()
    headers.update({str(k): str(v) for k, v in dict(raw.get("headers", {})).items()})
    return Request(url=url, method=str(raw.get("method", "POST" if body is not None else "GET")),
                   headers=headers, body=body, proxy="",
                   timeout_ms=int(client.get("timeout_ms", DEFAULT_TIMEOUT_MS)),
                   options=dict(client.get("options", {})), verbose=bool(client.get("verbose")))


def _body(seq: Sequence, raw: Mapping[str, Any]) -> tuple[bytes | None, str]:
    """The request body and its Content-Type ("" to leave libcurl's default)."""
    if "jwt" in raw:
        config = oauth.read_config(str(seq.client.get("box_config", "")))
        spec = dict(raw["jwt"])
        if not (spec.pop("reuse", False) and seq.last_assertion):
            seq.last_assertion = oauth.assertion(config, spec)
        return _form(oauth.grant_form(config, seq.last_assertion))
    if "json" in raw:
        return json.dumps(raw["json"]).encode(), "application/json"
    if "form" in raw:
        return _form({str(k): str(v) for k, v in dict(raw["form"]).items()})
    if "multipart" in raw:
        return _multipart(dict(raw["multipart"]))
    if "body_size" in raw:
        return str(raw.get("body_byte", "a")).encode()[:1] * int(raw["body_size"]), ""
    if "body" in raw:
        return str(raw["body"]).encode(), ""
    return None, ""


def _form(fields: Mapping[str, str]) -> tuple[bytes, str]:
    return urllib.parse.urlencode(fields).encode(), "application/x-www-form-urlencoded"


def _multipart(spec: Mapping[str, Any]) -> tuple[bytes, str]:
    """A direct upload as Box wants it: the `attributes` JSON part first, then the file."""
    data = spec["file"].encode() if "file" in spec else b"a" * int(spec.get("file_size", 5))
    name = str(dict(spec.get("attributes", {})).get("name", "upload.bin"))
    parts = [
        f'--{_BOUNDARY}\r\nContent-Disposition: form-data; name="attributes"\r\n\r\n'.encode()
        + json.dumps(spec.get("attributes", {})).encode() + b"\r\n",
        f'--{_BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
        f"Content-Type: application/octet-stream\r\n\r\n".encode() + data + b"\r\n",
        f"--{_BOUNDARY}--\r\n".encode(),
    ]
    return b"".join(parts), f"multipart/form-data; boundary={_BOUNDARY}"


def _as_expected(raw: Mapping[str, Any], obs: Observation) -> bool:
    wanted = raw.get("expect_status")
    if obs.curl_code != 0 or obs.http_status is None:
        return False
    if wanted is None:
        return 200 <= obs.http_status < 300
    return obs.http_status in ([wanted] if isinstance(wanted, int) else list(wanted))


def _save(seq: Sequence, raw: Mapping[str, Any], obs: Observation) -> None:
    for name, path in dict(raw.get("save", {})).items():
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


def _went_wrong(seq: Sequence, index: int, total: int, raw: Mapping[str, Any],
                obs: Observation) -> Observation:
    said = f"curl code {obs.curl_code}" if obs.curl_code else f"status {obs.http_status}"
    code = obs.box_error.code if obs.box_error else (
        obs.oauth_error.error if obs.oauth_error else "")
    wanted = raw.get("expect_status", "2xx")
    message = (f"box-sequence: request {index + 1} of {total} ({seq.sent[-1]}) answered {said}"
               f"{f' {code}' if code else ''}, expected {wanted}; the observed request was "
               "not reached")
    return observe(curl_code=-1, curl_message=message, url=obs.url, phase="setup",
                   details={"sequence": list(seq.sent)})


def _with_history(obs: Observation, seq: Sequence) -> Observation:
    details: dict[str, Any] = {**obs.details, "sequence": list(seq.sent)}
    return replace(obs, details=details)


def _short(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return parts.path + (f"?{parts.query[:40]}" if parts.query else "")

