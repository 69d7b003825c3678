"""Where the scenario files are, and which scenario documents which catalog entry.

The files live at the top of the repository (`scenarios/`) so that a reviewer reads them without
the package; a wheel carries a copy as `selftest/_scenarios` (pyproject's force-include).
"""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def scenarios_dir() -> Path | None:
    """The scenarios folder of this checkout or install; None when neither exists."""
    for candidate in (_PACKAGE.parent / "scenarios", _PACKAGE / "_scenarios"):
        if candidate.is_dir():
            return candidate
    return None


@cache
def documents_index() -> dict[str, list[str]]:
    """Catalog id -> ids of the scenarios that document it, in file-name order."""
    index: dict[str, list[str]] = {}
    folder = scenarios_dir()
    if folder is None:
        return index
    for path in sorted(folder.glob("*.toml")):
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError):
            continue  # `selftest reproduce` reports malformed files; an index just skips them
        documents = data.get("documents")
        if isinstance(documents, str):
            index.setdefault(documents, []).append(path.stem)
    return index


def scenario_for(entry_id: str) -> str | None:
    """The scenario that reproduces `entry_id`: the one named after it, else the first."""
    found = documents_index().get(entry_id)
    if not found:
        return None
    plain = entry_id.replace(":", "-").replace("_", "-")
    return plain if plain in found else found[0]
