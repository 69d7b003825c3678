"""How long each scenario took in the last `selftest reproduce` runs here: the next run starts
the longest groups first.

Scenarios of different servers run side by side, so a run ends when its longest group does; a
long group started last (a C compiler's work for curl:54, aioquic's import for curl:95) is the
run's tail. Durations only order the work: results never depend on them, and a missing,
unreadable or stale file only means the default guesses. The file is `durations.json` in the
user's cache folder (`$XDG_CACHE_HOME/selftest` or `~/.cache/selftest`: tomlcache's), written
atomically (tomlcache.write_atomic); each figure is the mean of the last one and the new one (a
run on a loaded machine moves it only halfway).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Protocol

from selftest.tomlcache import user_cache_folder, write_atomic

#: Changes when the file's layout does.
_FORMAT = 1


class Timed(Protocol):
    """What a result must tell: its scenario and how long it took (selftest.runner.Result)."""

    @property
    def scenario(self) -> str: ...

    @property
    def duration_ms(self) -> float: ...


def path() -> Path:
    """Where the durations live."""
    return user_cache_folder() / "durations.json"


def load(where: Path | None = None) -> dict[str, float]:
    """{scenario id: milliseconds}; empty when there is no usable file."""
    try:
        stored = json.loads((where or path()).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return {}
    if not isinstance(stored, dict) or stored.get("format") != _FORMAT:
        return {}
    found = stored.get("durations_ms")
    if not isinstance(found, dict):
        return {}
    return {str(k): float(v) for k, v in found.items()
            if isinstance(v, (int, float)) and not isinstance(v, bool) and v >= 0}


def save(results: Iterable[Timed], where: Path | None = None) -> bool:
    """Merge `results`' durations into the file; False when it cannot be written."""
    place = where or path()
    known = load(place)
    for result in results:
        before = known.get(result.scenario)
        now = float(result.duration_ms)
        known[result.scenario] = round(now if before is None else (before + now) / 2, 1)
    return write_atomic(place, json.dumps({"format": _FORMAT,
                                           "durations_ms": dict(sorted(known.items()))}))
