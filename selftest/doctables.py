"""Tables in the docs, generated from the data and the registries, never kept by hand.

    python -m selftest.doctables      # rewrite README.md's catalog tables and
                                      # scenarios/README.md's list of faults and steps

`tests/unit/test_readme.py` fails when either differs from what this renders.
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path
from typing import Any

from selftest import faults, steps
from selftest.catalog import LAYERS, Catalog, load
from selftest.scenarios_index import documents_index

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


def render_registries() -> str:
    """Markdown: every fault server and client step a scenario may name, with what it does."""
    lines = ["| fault server (`[server] fault`) | what it does | module |", "|---|---|---|"]
    lines += [_registry_row(name, thing) for name, thing in sorted(faults.load_all().items())]
    lines += ["", "| client step (`[client] step`) | what it does | module |", "|---|---|---|"]
    lines += [_registry_row(name, thing) for name, thing in sorted(steps.load_all().items())]
    return "\n".join(lines)


def _registry_row(name: str, thing: Any) -> str:
    target = getattr(thing, "func", thing)  # a functools.partial registers a preset class
    first = " ".join((target.__doc__ or "").split("\n\n")[0].split())
    presets = ", ".join(f"{k}={v!r}" for k, v in getattr(thing, "keywords", {}).items() if v)
    doc = f"{first} ({presets})" if presets else first
    return f"| `{name}` | {doc.replace('|', '/')} | `{target.__module__}` |"


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
