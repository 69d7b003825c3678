"""The README's catalog and scenario tables, generated from the data, never kept by hand.

    python -m selftest.doctables README.md     # rewrite the tables in place

`tests/test_readme.py` fails when the README's tables differ from what this renders.
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

from selftest.catalog import LAYERS, Catalog, load
from selftest.scenarios_index import documents_index

BEGIN, END = "<!-- generated: catalog-tables -->", "<!-- /generated: catalog-tables -->"


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


def replace_tables(readme: str, tables: str) -> str:
    """The README text with the generated block replaced by `tables`."""
    head, _, rest = readme.partition(BEGIN)
    _, _, tail = rest.partition(END)
    return f"{head}{BEGIN}\n{tables}\n{END}{tail}"


def main(argv: list[str]) -> int:
    path = Path(argv[0] if argv else "README.md")
    text = path.read_text(encoding="utf-8")
    if BEGIN not in text or END not in text:
        print(f"{path}: no {BEGIN} ... {END} block to fill", file=sys.stderr)
        return 2
    path.write_text(replace_tables(text, render()), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
