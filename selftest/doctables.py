"""Tables in the docs, generated from the data and the registries, never kept by hand.

    python -m selftest.doctables      # rewrite README.md's catalog tables and
                                      # scenarios/README.md's list of faults and steps

`tests/unit/test_readme.py` fails when either differs from what this renders.
"""

from __future__ import annotations

import dataclasses
import inspect
import sys
import typing
from collections import Counter
from pathlib import Path
from typing import Any

from selftest import faults, steps
from selftest.catalog import LAYERS, Catalog, load
from selftest.scenarios_index import documents_index
from selftest.steps.schema import describe, type_name

BEGIN, END = "<!-- generated: catalog-tables -->", "<!-- /generated: catalog-tables -->"
REGISTRY_BEGIN = "<!-- generated: faults-and-steps -->"
REGISTRY_END = "<!-- /generated: faults-and-steps -->"


def render(catalog: Catalog | None = None) -> str:
    """Markdown: a summary table per layer, then every entry with its scenarios."""
    catalog = catalog or load()
    index = documents_index()
    lines = ["| layer | entries | on the page | page wrong | real | simulated | impossible |",
             "|---|---|---|---|---|---|---|"]
    for layer in LAYERS:
        entries = catalog.layer(layer)
        kinds = Counter(e.reproduction for e in entries)
        lines.append(f"| {layer} | {len(entries)} | {sum(e.documented for e in entries)} | "
                     f"{sum(bool(e.errata) for e in entries)} | {kinds['real']} | "
                     f"{kinds['simulated']} | {kinds['impossible']} |")
    for layer in LAYERS:
        lines += ["", f"<details><summary>{layer}: every entry and its scenarios</summary>", "",
                  "| id | name | reproduction | scenarios |", "|---|---|---|---|"]
        for entry in catalog.layer(layer):
            scenarios = ", ".join(f"`{s}`" for s in index.get(entry.id, [])) or "—"
            mark = " (page wrong)" if entry.errata else ""
            lines.append(f"| `{entry.id}` | {entry.name.replace('|', '/')}{mark} | "
                         f"{entry.reproduction} | {scenarios} |")
        lines += ["", "</details>"]
    return "\n".join(lines)


#: Said once under the tables instead of in every row.
UNITS = ("Attribute names carry their units: `_ms` milliseconds, `_s` seconds; `_bytes`, "
         "`_size`, `space_amount` and `space_used` bytes; `_per_window` requests per "
         "`rate_window_s`. Every fault also takes `port` (default 0: a free one; "
         "`selftest serve --port`).")


def render_registries() -> str:
    """Markdown: every fault server and client step a scenario may name, what it does, and
    its attributes (name: type = default)."""
    lines = ["| fault server (`[server] fault`) | what it does | attributes | module |",
             "|---|---|---|---|"]
    lines += [_fault_row(name, thing) for name, thing in sorted(faults.load_all().items())]
    lines += ["", "| client step (`[client] step`) | what it does | attributes | module |",
              "|---|---|---|---|"]
    registered = sorted(steps.load_all().items())
    lines += [_row(name, _first(made.doc), describe(made.schema), made.module)
              for name, made in registered]
    lines += ["", "| table inside [client] | of step | attributes |", "|---|---|---|"]
    for where, step_name, schema in _nested(registered):
        lines.append(f"| {where} | `{step_name}` | {_cell(describe(schema))} |")
    return "\n".join([*lines, "", UNITS])


def _fault_row(name: str, thing: Any) -> str:
    """One fault server's row: name, first docstring line (presets), attributes, module."""
    target = getattr(thing, "func", thing)  # a functools.partial registers a preset class
    presets = ", ".join(f"{k}={v!r}" for k, v in getattr(thing, "keywords", {}).items() if v)
    first = _first(target.__doc__ or "")
    return _row(name, f"{first} ({presets})" if presets else first, fault_attributes(thing),
                target.__module__)


def fault_attributes(factory: Any) -> list[str]:
    """`name: type = default` for each attribute a fault takes (`port` aside), from its
    signature, or from its own `declared_attributes()` when it takes **attributes."""
    declared = getattr(getattr(factory, "func", factory), "declared_attributes", None)
    if declared is not None:
        return [f"{k}: {_annotation(v)}" for k, v in declared().items()]
    out = []
    for param in inspect.signature(factory, eval_str=True).parameters.values():
        if param.name == "port" or param.kind is param.VAR_KEYWORD:
            continue
        text = f"{param.name}: {_annotation(param.annotation)}"
        out.append(text + (" (required)" if param.default is param.empty
                           else f" = {param.default!r}"))
    return out


_WORDS = {"int": "integer", "str": "string", "bool": "boolean", "float": "number"}


def _annotation(annotation: Any) -> str:
    """A type in the docs' words, whether an object or the text of one ("int | None = 0")."""
    if not isinstance(annotation, str):
        return type_name(annotation)
    kind, sep, default = annotation.partition(" = ")
    words = " or ".join(_WORDS.get(part, part) for part in kind.split(" | "))
    return f"{words}{sep}{default}"


def _nested(registered: list[tuple[str, Any]]) -> list[tuple[str, str, type[Any]]]:
    """(where, step, schema) of every table a step's schema holds, each schema once."""
    seen: set[type[Any]] = set()
    found: list[tuple[str, str, type[Any]]] = []

    def walk(schema: type[Any], path: str, step_name: str) -> None:
        """Collect the tables of `schema` and, in turn, theirs."""
        for field_name, hint in typing.get_type_hints(schema).items():
            for inner in _dataclasses_in(hint):
                array = typing.get_origin(hint) is tuple
                where = f"`[[{path}.{field_name}]]`" if array else f"`{path}.{field_name}`"
                if inner not in seen:
                    seen.add(inner)
                    found.append((where, step_name, inner))
                    walk(inner, f"{path}.{field_name}", step_name)

    for step_name, made in registered:
        walk(made.schema, "client", step_name)
    return found


def _dataclasses_in(hint: Any) -> list[type[Any]]:
    """The dataclasses a type hint names (in `X | None`, `tuple[X, ...]`)."""
    if dataclasses.is_dataclass(hint):
        return [hint]  # type: ignore[list-item]
    return [t for arg in typing.get_args(hint) for t in _dataclasses_in(arg)]


def _first(doc: str) -> str:
    """A docstring's first paragraph on one line."""
    return " ".join(doc.split("\n\n")[0].split())


def _cell(attributes: list[str]) -> str:
    """Attributes as one table cell, one per line."""
    return "<br>".join(f"`{a}`" for a in attributes).replace("|", "/") or "—"


def _row(name: str, doc: str, attributes: list[str], module: str) -> str:
    """A table row of the registries' tables."""
    return f"| `{name}` | {doc.replace('|', '/')} | {_cell(attributes)} | `{module}` |"


def replace_block(text: str, begin: str, end: str, block: str) -> str:
    """`text` with what stands between the markers `begin` and `end` replaced by `block`."""
    head, _, rest = text.partition(begin)
    _, _, tail = rest.partition(end)
    return f"{head}{begin}\n{block}\n{end}{tail}"


def main(argv: list[str]) -> int:
    root = Path(argv[0]) if argv else Path(__file__).resolve().parent.parent
    targets = ((root / "README.md", BEGIN, END, render),
               (root / "scenarios" / "README.md", REGISTRY_BEGIN, REGISTRY_END, render_registries))
    for path, begin, end, make in targets:
        text = path.read_text(encoding="utf-8")
        if begin not in text or end not in text:
            print(f"{path}: no {begin} ... {end} block to fill", file=sys.stderr)
            return 2
        path.write_text(replace_block(text, begin, end, make()), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
