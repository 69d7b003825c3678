"""Fuzz the fake Box with schemathesis against Box's own OpenAPI spec (issue 8).

The spec is the subset in the repository (tests/box_openapi.py names it; a full copy of Box's
`openapi.json` may be passed instead). Only the operations the fake implements are kept (its
route table named against the spec's paths). Each generated case is sent in-process (WSGI)
with a valid bearer token; half the cases get a path id that exists (a real file, folder or
upload session), so handlers run past their 404. What is counted: every status, every
response >= 500, and every handler exception the app's catch-all recorded in `state.errors`.
Used by tests/unit/test_fakebox_fuzz.py (a few cases per operation) and
tests/bench/bench_fakebox.py (the big run).
"""

from __future__ import annotations

import collections
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from box_openapi import METHODS, SPEC, load


@dataclass
class FuzzResult:
    """What a fuzz run saw."""

    operations: int = 0
    calls: int = 0
    statuses: collections.Counter[int] = field(default_factory=collections.Counter)
    server_errors: list[str] = field(default_factory=list)
    handler_errors: list[str] = field(default_factory=list)


def implemented_spec(spec_path: Path) -> dict[str, Any]:
    """Box's spec cut down to the (method, path) pairs the fake's route table serves."""
    from selftest.fakebox.app import ROUTES

    doc = load(spec_path)
    served = {(r.method.lower(), r.path) for r in ROUTES}
    paths = {}
    for path, item in doc["paths"].items():
        kept = {m: op for m, op in item.items() if m in METHODS and (m, path) in served}
        if kept:
            paths[path] = {**{k: v for k, v in item.items() if k not in METHODS}, **kept}
    doc["paths"] = paths
    return doc


def _seed_world(client: Any) -> dict[str, list[str]]:
    """Objects whose ids the fuzzer may use: a folder, files, an upload session, a collab."""
    folder = client.folder("fuzz-folder")
    files = [client.file(f"fuzz-{n}.txt", b"fuzz data %d" % n) for n in range(3)]
    session = client.post("/api/2.0/files/upload_sessions", json={
        "folder_id": "0", "file_size": 30_000_000, "file_name": "fuzz.bin"}).json
    collab = client.post("/2.0/collaborations", json={
        "item": {"type": "folder", "id": folder}, "accessible_by": {"login": "f@example.com"},
        "role": "editor"}).json
    return {"folder_id": ["0", folder], "file_id": files,
            "upload_session_id": [session["id"]], "collaboration_id": [collab["id"]],
            "user_id": [client.state.main_user.id]}


def run(spec_path: Path = SPEC, *, max_examples: int, seed: int = 0) -> FuzzResult:
    """Fuzz every implemented operation with `max_examples` cases each."""
    import schemathesis

    from selftest.fakebox.client import ApiClient
    from selftest.fakebox.state import Config, State

    schema = schemathesis.openapi.from_dict(implemented_spec(spec_path))
    client = ApiClient(State.create(config=Config(min_session_file_size=1)))
    client.state.tokens.access_ttl_s = 10**9  # the fuzzer may move nothing, but be safe
    token = client.state.tokens.issue_access(client.state.main_user.id, ttl_s=10**9)
    known = _seed_world(client)
    chooser = random.Random(seed)  # noqa: S311 - reproducible test data, not a secret
    result = FuzzResult()

    for found in schema.get_all_operations():
        result.operations += 1
        _fuzz_one(found.ok(), max_examples, client, token, known, chooser, result)
    result.handler_errors = [f"{e.method} {e.path}: {e.error}\n{e.traceback}"
                             for e in client.state.errors]
    client.state.content.close()
    return result


def _fuzz_one(operation: Any, max_examples: int, client: Any, token: str,
              known: dict[str, list[str]], chooser: random.Random, result: FuzzResult) -> None:
    from hypothesis import HealthCheck, Phase, given, settings

    @settings(max_examples=max_examples, database=None, deadline=None,
              suppress_health_check=list(HealthCheck), phases=[Phase.generate],
              derandomize=True)
    @given(case=operation.as_strategy())
    def one(case: Any) -> None:
        for name in list(case.path_parameters or {}):
            if name in known and chooser.random() < 0.5:
                case.path_parameters[name] = chooser.choice(known[name])
        response = case.call(app=client.app, headers={"Authorization": f"Bearer {token}"})
        result.calls += 1
        result.statuses[response.status_code] += 1
        if response.status_code >= 500:
            result.server_errors.append(f"{operation.label} -> {response.status_code}: "
                                        f"{response.text[:200]}")

    one()
