"""Scenario files: find them, load and validate them, fill their placeholders.

A scenario is DATA (`scenarios/README.md` documents the format): which fault server to start,
what the client does, what must be observed. This module only reads and checks that data; running
it is `selftest.runner`'s job. Every problem with a file is a ScenarioError that names the file.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path
from typing import Any

from selftest import tomlcache
from selftest.errors import ScenarioError
from selftest.sent import SentExpect

_TOP_KEYS = {"id", "documents", "title", "server", "client", "expect", "requires", "serial"}
_EXPECT_KEYS = {"curl_code", "http_status", "connect_status", "phase", "diagnosis", "sent"}
_SENT_KEYS = {"method", "path", "headers"}
#: Sub-tables of [expect] for a client that differs from pycurl's libcurl 8.x, and their keys.
_VARIANTS = ("libcurl7", "wordpress")
_VARIANT_KEYS = {"curl_code", "http_status", "connect_status", "diagnosis", "message", "reason"}
_REQUIRES_KEYS = {"protocols", "features", "python", "programs", "env", "reason"}
_ENTRY_ID = re.compile(r"^[a-z]+:[^\s:]+(?::[^\s]+)?$")
#: `{name}`: one placeholder syntax for every scenario value (the runner fills the names of the
#: fault server, the test PKI and `env:NAME`; a step fills the names it defines itself).
PLACEHOLDER = re.compile(r"\{(env:[A-Za-z0-9_]+|[a-z_][a-z0-9_]*)\}")


@dataclass(frozen=True)
class Variant:
    """Where one client generation differs from [expect], and why: `[expect.libcurl7]` is what
    libcurl 7.x returns (PHP's cURL on Debian 12 and older), `[expect.wordpress]` what WordPress's
    HTTP API reports instead (it follows redirects and checks URLs itself). Fields left out keep
    [expect]'s value; `message` is text the client's message must contain; `http_status = 0`
    says no response reaches the caller (WordPress returns only its WP_Error)."""

    reason: str
    curl_code: tuple[int, ...] = ()
    http_status: int | None = None
    connect_status: int | None = None
    diagnosis: tuple[str, ...] = ()
    message: str = ""


@dataclass(frozen=True)
class Expect:
    """What must be observed. Empty fields are not checked."""

    curl_code: tuple[int, ...] = ()
    http_status: int | None = None
    connect_status: int | None = None
    phase: str | None = None
    diagnosis: tuple[str, ...] = ()
    #: Differences by client generation, keyed "libcurl7" / "wordpress".
    variants: Mapping[str, Variant] = field(default_factory=dict)
    #: Text the client's message must contain (set only by a variant).
    message: str = ""
    #: Why this expectation differs from [expect] (set only by a variant).
    reason: str = ""
    #: [expect.sent]: what the client must have sent, as the fault server recorded it.
    sent: SentExpect | None = None

    def for_client(self, libcurl_major: int, *, wordpress: bool = False) -> Expect:
        """What a client on that libcurl generation (and WordPress's HTTP API, if so) must see.

        Where a variant applies, the phase is not compared: the variant's code ends elsewhere.
        """
        names = (["libcurl7"] if libcurl_major < 8 else []) + (["wordpress"] if wordpress else [])
        merged = replace(self, variants={})
        for name in names:
            variant = self.variants.get(name)
            if variant is None:
                continue
            merged = replace(
                merged, phase=None, curl_code=variant.curl_code or merged.curl_code,
                http_status=merged.http_status if variant.http_status is None
                else variant.http_status or None,
                connect_status=variant.connect_status if variant.connect_status is not None
                else merged.connect_status,
                diagnosis=variant.diagnosis or merged.diagnosis,
                message=variant.message or merged.message,
                reason="; ".join(r for r in (merged.reason, variant.reason) if r))
        return merged


@dataclass(frozen=True)
class Requires:
    """What this machine must have; a missing one makes the scenario skip, naming it."""

    protocols: tuple[str, ...] = ()
    features: tuple[str, ...] = ()
    python: tuple[str, ...] = ()
    #: Programs that must be on PATH (a C compiler for a purpose-built OpenSSL engine).
    programs: tuple[str, ...] = ()
    env: tuple[str, ...] = ()
    #: Why the requirement exists, added to the skip reason.
    reason: str = ""


@dataclass(frozen=True)
class Scenario:
    id: str
    documents: str
    title: str
    path: Path
    #: The fault server's name and attributes, or None when the client alone produces the code.
    fault: str | None = None
    attributes: Mapping[str, Any] = field(default_factory=dict)
    client: Mapping[str, Any] = field(default_factory=dict)
    expect: Expect | None = None
    requires: Requires = Requires()
    #: Why this scenario must run alone (it changes process-wide state, e.g. environment
    #: variables); empty: it may run beside scenarios of other servers.
    serial: str = ""

    @property
    def step(self) -> str:
        return str(self.client.get("step", "perform"))


def scenarios_dir() -> Path:
    """The repository's scenarios/ folder, or the copy an installed wheel carries."""
    checkout = Path(__file__).resolve().parent.parent / "scenarios"
    if (checkout / "README.md").is_file():
        return checkout
    return Path(str(resources.files("selftest") / "_scenarios"))


def load(path: Path, *, steps: bool = True) -> Scenario:
    """Read and validate one scenario file. Raises ScenarioError naming the file and the problem.

    The [client] table is checked against its step's declared keys (`selftest.steps`), unless
    `steps` is False: `explain` and `catalog` read only ids and documents, and importing every
    step (pycurl, the fake Box) would cost their start-up time.
    """
    try:
        # selftest's own scenarios are parsed once, then read from JSON copies (start-up time,
        # selftest/tomlcache.py); a user's files are parsed as they are, nothing written there.
        raw = (tomlcache.load(path) if path.parent == scenarios_dir()
               else tomllib.loads(path.read_text(encoding="utf-8")))
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError(f"{path}: cannot read: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"{path}: not valid TOML: {exc}") from None
    try:
        scenario = _scenario(raw, path)
    except (TypeError, ValueError) as exc:
        raise ScenarioError(f"{path}: {exc}") from None
    return _checked(scenario) if steps else scenario


def _checked(scenario: Scenario) -> Scenario:
    """`scenario` with its [client] table checked and prepared by its step (defaults, includes).

    A file without one (an impossible entry's: it only ever skips) has nothing to check.
    """
    if not scenario.client:
        return scenario
    from selftest import steps

    try:
        step = steps.get(scenario.step)
    except ScenarioError as exc:
        raise ScenarioError(f"{scenario.path}: {exc}") from None
    return replace(scenario, client=step.check(scenario.client, scenario.path))


def load_all(folder: Path | None = None, *, steps: bool = True) -> list[Scenario]:
    """Every `*.toml` scenario in `folder` (default: `scenarios_dir()`), in natural id order."""
    folder = folder or scenarios_dir()
    found = [load(path, steps=steps) for path in folder.glob("*.toml")]
    return sorted(found, key=lambda s: natural_key(s.id))


def natural_key(text: str) -> tuple[Any, ...]:
    """Sort "curl-2" before "curl-10"."""
    return tuple(int(part) if part.isdigit() else part for part in re.split(r"(\d+)", text))


def _scenario(raw: dict[str, Any], path: Path) -> Scenario:
    unknown = set(raw) - _TOP_KEYS
    if unknown:
        raise ValueError(f"unknown key(s) {sorted(unknown)}; allowed: {sorted(_TOP_KEYS)}")
    scenario_id = _text(raw, "id")
    if scenario_id != path.stem:
        raise ValueError(f"id {scenario_id!r} must equal the file name {path.stem!r}")
    documents = _text(raw, "documents")
    if not _ENTRY_ID.match(documents):
        raise ValueError(f"documents {documents!r} is not a catalog id like 'curl:52'")
    server = dict(_table(raw, "server"))
    fault = server.pop("fault", None)
    if raw.get("server") is not None and not isinstance(fault, str):
        raise ValueError("[server] needs fault = \"NAME\" (a fault registered in selftest/faults)")
    client = dict(_table(raw, "client"))
    if not isinstance(client.get("step", "perform"), str):
        raise ValueError("[client] step must be a string")
    return Scenario(
        id=scenario_id, documents=documents, title=str(raw.get("title", "")), path=path,
        fault=fault, attributes=server, client=client,
        expect=_expect(raw["expect"]) if "expect" in raw else None,
        requires=_requires(_table(raw, "requires")),
        serial=_serial(raw.get("serial", "")),
    )


def _serial(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError("serial must be a string: why the scenario must run alone")
    return value


def _text(raw: Mapping[str, Any], key: str) -> str:
    value = raw.get(key)
    if not isinstance(value, str) or not value:
        raise ValueError(f"{key} must be a non-empty string")
    return value


def _table(raw: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = raw.get(key, {})
    if not isinstance(value, dict):
        raise ValueError(f"[{key}] must be a table")
    return value


def _expect(raw: Any) -> Expect:
    if not isinstance(raw, dict):
        raise ValueError("[expect] must be a table")
    unknown = set(raw) - _EXPECT_KEYS - set(_VARIANTS)
    if unknown:
        raise ValueError(f"[expect] has unknown key(s) {sorted(unknown)}; "
                         f"allowed: {sorted(_EXPECT_KEYS | set(_VARIANTS))}")
    variants = {name: _variant(raw[name], name) for name in _VARIANTS if name in raw}
    return Expect(curl_code=_codes(raw, "expect"), http_status=raw.get("http_status"),
                  connect_status=raw.get("connect_status"), phase=raw.get("phase"),
                  diagnosis=_ids(raw, "expect"), variants=variants,
                  sent=_sent(raw["sent"]) if "sent" in raw else None)


def _sent(raw: Any) -> SentExpect:
    """[expect.sent] checked: method, path and a table of header values."""
    if not isinstance(raw, dict):
        raise ValueError("[expect.sent] must be a table")
    unknown = set(raw) - _SENT_KEYS
    if unknown:
        raise ValueError(f"[expect.sent] has unknown key(s) {sorted(unknown)}; "
                         f"allowed: {sorted(_SENT_KEYS)}")
    for key in ("method", "path"):
        if not isinstance(raw.get(key, ""), str):
            raise ValueError(f"[expect.sent] {key} must be a string")
    headers = raw.get("headers", {})
    if not isinstance(headers, dict) or not all(isinstance(v, str) for v in headers.values()):
        raise ValueError("[expect.sent] headers must be a table of strings")
    if not raw:
        raise ValueError("[expect.sent] needs method, path or headers")
    return SentExpect(method=raw.get("method"), path=raw.get("path"), headers=headers)


def _codes(raw: Mapping[str, Any], where: str) -> tuple[int, ...]:
    codes = raw.get("curl_code", [])
    codes = [codes] if isinstance(codes, int) else codes
    if not isinstance(codes, list) or not all(isinstance(c, int) for c in codes):
        raise ValueError(f"[{where}] curl_code must be an integer or a list of integers")
    for key in ("http_status", "connect_status"):
        if key in raw and not isinstance(raw[key], int):
            raise ValueError(f"[{where}] {key} must be an integer")
    return tuple(codes)


def _ids(raw: Mapping[str, Any], where: str) -> tuple[str, ...]:
    diagnosis = raw.get("diagnosis", [])
    if not isinstance(diagnosis, list) or not all(isinstance(d, str) for d in diagnosis):
        raise ValueError(f"[{where}] diagnosis must be a list of catalog ids")
    return tuple(diagnosis)


def _variant(raw: Any, name: str) -> Variant:
    where = f"expect.{name}"
    if not isinstance(raw, dict):
        raise ValueError(f"[{where}] must be a table")
    unknown = set(raw) - _VARIANT_KEYS
    if unknown:
        raise ValueError(f"[{where}] has unknown key(s) {sorted(unknown)}; "
                         f"allowed: {sorted(_VARIANT_KEYS)}")
    reason, message = raw.get("reason"), raw.get("message", "")
    if not isinstance(reason, str) or not reason:
        raise ValueError(f"[{where}] needs a reason: why this client differs")
    if not isinstance(message, str):
        raise ValueError(f"[{where}] message must be a string")
    return Variant(reason=reason, curl_code=_codes(raw, where),
                   http_status=raw.get("http_status"), connect_status=raw.get("connect_status"),
                   diagnosis=_ids(raw, where), message=message)


def _requires(raw: Mapping[str, Any]) -> Requires:
    unknown = set(raw) - _REQUIRES_KEYS
    if unknown:
        raise ValueError(f"[requires] has unknown key(s) {sorted(unknown)}; "
                         f"allowed: {sorted(_REQUIRES_KEYS)}")
    lists = {key: value for key, value in raw.items() if key != "reason"}
    for key, value in lists.items():
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ValueError(f"[requires] {key} must be a list of strings")
    if not isinstance(raw.get("reason", ""), str):
        raise ValueError("[requires] reason must be a string")
    return Requires(**{key: tuple(value) for key, value in lists.items()},
                    reason=raw.get("reason", ""))


def fill(value: Any, names: Mapping[str, str], source: Path,
         keep: Collection[str] = ()) -> Any:
    """Replace `{name}` in every string of `value` (at any depth) from `names` or the environment.

    Names in `keep` stay as they are (a step fills them as it runs). Raises ScenarioError for
    a name that neither provides.
    """
    if isinstance(value, str):
        return PLACEHOLDER.sub(
            lambda m: m.group(0) if m.group(1) in keep else _lookup(m.group(1), names, source),
            value)
    if isinstance(value, Mapping):
        return {k: fill(v, names, source, keep) for k, v in value.items()}
    if isinstance(value, list):
        return [fill(v, names, source, keep) for v in value]
    return value


def placeholders_in(value: Any) -> set[str]:
    """The `{name}` placeholders used anywhere in `value`."""
    if isinstance(value, str):
        return set(PLACEHOLDER.findall(value))
    if isinstance(value, Mapping):
        return set().union(*(placeholders_in(v) for v in value.values()))
    if isinstance(value, list):
        return set().union(*(placeholders_in(v) for v in value))
    return set()


def _lookup(name: str, names: Mapping[str, str], source: Path) -> str:
    if name.startswith("env:"):
        return os.environ.get(name[4:], "")
    if name not in names:
        known = ", ".join(sorted(names)) or "none"
        raise ScenarioError(f"{source}: unknown placeholder {{{name}}}; known here: {known}")
    return names[name]


def ids(scenarios: Iterable[Scenario]) -> list[str]:
    return [s.id for s in scenarios]
