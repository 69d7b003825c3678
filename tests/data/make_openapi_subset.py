"""Write tests/data/box-openapi-subset.json: the part of Box's OpenAPI spec the fake Box serves.

Run by hand when the fake gains or loses a route, or when Box's spec is updated:

    python tests/data/make_openapi_subset.py [FULL_SPEC] [--out tests/data/box-openapi-subset.json]

FULL_SPEC is box/box-openapi's built `openapi.json` (github.com/box/box-openapi, Apache-2.0);
the default is `box-openapi.json` in the workspace's reference folder beside the checkout.
Only the tests' input is inside the repository: nothing at test time reads the full spec.

What is kept: every operation (method + path) that the fake's route table
(selftest.fakebox.app.ROUTES) serves and the spec documents, with its parameters, request body,
responses, servers and security; the path items' own parameters; every component schema they
reference, transitively (the $ref closure), and the security schemes they name. What is
removed: human prose — `description`, `summary`, `title`, `example`/`examples`, `tags`,
`externalDocs`, every `x-*` documentation field (x-box-tag, x-box-resource-id, x-box-variant,
...) and the OAuth scopes' descriptions. A response's required `description` is kept as "" so
the subset stays a valid OpenAPI 3.0 document. Validation structure stays as Box wrote it
(`type`, `enum`, `pattern`, `format`, `minimum`, `maxLength`, `nullable`, `readOnly`, `default`,
...): the contract test validates with it and the fuzzer generates from it.

Fake routes the spec does not document are listed in `x-fake-routes-not-in-spec`, so
tests/unit/test_openapi_subset.py can tell a route Box never documented from a new route whose
contract is missing here. The output is deterministic (sorted keys, one layout, a final
newline): re-running on the same inputs gives the same bytes, and running it on the subset
itself gives the subset back (the unit test checks that).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests"))
from box_openapi import METHODS, NOT_IN_SPEC, SPEC  # noqa: E402 - tests/ is not a package

OUT = SPEC
#: The full spec's usual place: the workspace's reference folder beside the checkout
#: (the nearest one up from the repository, so a git worktree nested deeper finds it too).
DEFAULT_SPEC = next((folder / "shared" / "reference" / "box-openapi.json"
                     for folder in REPO.parents
                     if (folder / "shared" / "reference" / "box-openapi.json").exists()),
                    REPO.parent / "shared" / "reference" / "box-openapi.json")
SOURCE = "https://github.com/box/box-openapi (openapi.json)"

#: Keywords whose value is prose (or documentation only), dropped wherever they are keywords.
PROSE = frozenset({"description", "summary", "title", "example", "examples", "tags",
                   "externalDocs", "termsOfService", "contact"})
#: Keywords whose value maps names (property names, status codes, media types ...) to objects:
#: the names are data, whatever they are called ("description" is a File property).
NAME_MAPS = frozenset({"paths", "properties", "patternProperties", "responses", "content",
                       "schemas", "securitySchemes", "headers", "encoding", "links",
                       "callbacks", "variables", "parameters", "requestBodies", "flows"})
#: Keywords whose value is a literal (JSON data, not schema): copied as it is.
LITERALS = frozenset({"enum", "default", "const", "required", "security"})


def clean(node: Any) -> Any:
    """`node` without prose; `node` is an object in the OpenAPI sense, or a list of them."""
    if isinstance(node, list):
        return [clean(item) for item in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in PROSE or key.startswith("x-"):
            continue
        if key in LITERALS:
            out[key] = value
        elif key == "scopes" and isinstance(value, dict):
            out[key] = dict.fromkeys(value, "")
        elif key == "responses" and isinstance(value, dict):
            out[key] = {code: _response(response) for code, response in value.items()}
        elif key in NAME_MAPS and isinstance(value, dict):
            out[key] = {name: clean(item) for name, item in value.items()}
        else:
            out[key] = clean(value)
    return out


def _response(response: Any) -> Any:
    cleaned = clean(response)
    if isinstance(cleaned, dict) and "$ref" not in cleaned:
        cleaned["description"] = ""  # required by OpenAPI 3.0; the prose itself is gone
    return cleaned


def _refs(node: Any) -> set[str]:
    """Every `$ref` target in `node`."""
    if isinstance(node, list):
        return {ref for item in node for ref in _refs(item)}
    if not isinstance(node, dict):
        return set()
    found = {node["$ref"]} if isinstance(node.get("$ref"), str) else set()
    return found | {ref for value in node.values() for ref in _refs(value)}


def _closure(paths: dict[str, Any], components: dict[str, Any]) -> dict[str, Any]:
    """The components `paths` reference, transitively, cleaned."""
    kept: dict[str, dict[str, Any]] = {}
    todo = sorted(_refs(paths))
    while todo:
        ref = todo.pop()
        prefix, _, name = ref.rpartition("/")
        section = prefix.removeprefix("#/components/")
        if not ref.startswith("#/components/") or "/" in section:
            raise ValueError(f"unsupported $ref {ref!r}")
        if name in kept.get(section, {}):
            continue
        item = clean(components[section][name])
        kept.setdefault(section, {})[name] = item
        todo.extend(sorted(_refs(item)))
    return kept


def served_operations() -> list[tuple[str, str]]:
    """(method, path) of every route the fake Box serves, methods lower-case."""
    from selftest.fakebox.app import ROUTES

    return sorted({(route.method.lower(), route.path) for route in ROUTES})


def subset(doc: dict[str, Any], served: list[tuple[str, str]]) -> dict[str, Any]:
    """The subset of the spec `doc` for the operations in `served`."""
    paths: dict[str, Any] = {}
    for path, item in doc["paths"].items():
        kept = {m: op for m, op in item.items() if m in METHODS and (m, path) in served}
        if kept:
            shared = {k: v for k, v in item.items() if k not in METHODS}
            paths[path] = clean({**shared, **kept})
    documented = {(m, p) for p, item in paths.items() for m in item if m in METHODS}
    components = _closure(paths, doc.get("components", {}))
    security = doc.get("security", [])
    used = {name for requirement in [*security, *_securities(paths)] for name in requirement}
    schemes = doc.get("components", {}).get("securitySchemes", {})
    if used:
        components["securitySchemes"] = {name: clean(schemes[name]) for name in sorted(used)}
    info = doc["info"]
    commit = info.get("x-box-commit-hash")
    return {
        "openapi": doc["openapi"],
        "info": {
            "title": info["title"],
            "version": info["version"],
            "license": info["license"],
            **({"x-box-commit-hash": commit} if commit else {}),
            "x-source": f"{SOURCE}, version {info['version']}"
                        + (f", x-box-commit-hash {commit}" if commit else ""),
            "x-extracted": "machine-extracted by tests/data/make_openapi_subset.py: the "
                           "operations the fake Box serves and the components they reference; "
                           "all human prose (descriptions, summaries, titles, examples, tags, "
                           "x-box-* documentation fields) removed, the structure unchanged",
            "x-notice": "Derived from Box, Inc.'s OpenAPI specification (github.com/box/box-openapi"
                        "), licensed under the Apache License 2.0 "
                        "(https://www.apache.org/licenses/LICENSE-2.0); this file is a "
                        "modified, machine-extracted subset of it.",
        },
        "servers": clean(doc.get("servers", [])),
        "security": security,
        "paths": paths,
        "components": components,
        NOT_IN_SPEC: [f"{m.upper()} {p}" for m, p in served if (m, p) not in documented],
    }


def _securities(paths: dict[str, Any]) -> list[dict[str, Any]]:
    return [requirement for item in paths.values() for m, op in item.items() if m in METHODS
            for requirement in op.get("security", [])]


def dumps(doc: dict[str, Any]) -> str:
    """The one layout: sorted keys, one-space indent, UTF-8 as is, a final newline."""
    return json.dumps(doc, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("spec", nargs="?", type=Path, default=DEFAULT_SPEC,
                        help="Box's full openapi.json")
    parser.add_argument("--out", type=Path, default=OUT, help="where to write the subset")
    args = parser.parse_args(argv)
    doc = json.loads(args.spec.read_text(encoding="utf-8"))
    text = dumps(subset(doc, served_operations()))
    args.out.write_text(text, encoding="utf-8")
    made = json.loads(text)
    operations = sum(1 for item in made["paths"].values() for m in item if m in METHODS)
    print(f"{args.out}: {len(text.encode()):,} bytes, {operations} operations, "
          f"{len(made['components'].get('schemas', {}))} schemas; fake routes not in the spec: "
          f"{made[NOT_IN_SPEC]}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
