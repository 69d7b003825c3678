"""TOML data files parsed once, then read back from a JSON copy, as Python keeps .pyc files.

tomllib is pure Python: the catalog's 240 KB take 40 ms to parse on a quiet machine (over 100
under load), most of `selftest explain`'s start-up; the same data read back as JSON takes 2 ms.
The copy lives in `__pycache__/NAME.json` beside the file, or, where that folder cannot be
written (a system-wide install), in the user's cache folder. It holds the file's size and
modification time and is used only while both still match, like a .pyc; a missing, stale or
unreadable copy means parsing the file again. When Python writes no bytecode
(`PYTHONDONTWRITEBYTECODE`, `python -B`: common in container images), or writes it elsewhere
(`PYTHONPYCACHEPREFIX`), nothing is written beside
the file, but the user's cache folder is still used: it is selftest's own cache, not bytecode,
and without it every `explain` would parse the whole catalog again.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sys
import threading
import tomllib
from pathlib import Path
from typing import Any

#: Changes when the copy's layout does.
_FORMAT = 1


def load(path: Path) -> dict[str, Any]:
    """The parsed TOML document at `path`. Raises OSError, UnicodeDecodeError and
    tomllib.TOMLDecodeError as reading and parsing the file would."""
    stat = path.stat()
    key = [_FORMAT, stat.st_size, stat.st_mtime_ns]
    places = _places(path)
    for place in places:
        cached = _read(place, key)
        if cached is not None:
            return cached
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    # Where Python writes no __pycache__ beside sources (-B, or a PYTHONPYCACHEPREFIX), neither
    # does this.
    for place in places[1:] if sys.dont_write_bytecode or sys.pycache_prefix else places:
        if _write(place, key, data):
            break
    return data


def _places(path: Path) -> list[Path]:
    """Where a copy may live: beside the file, then in the user's cache folder."""
    name = f"{path.name}.json"
    digest = hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:16]
    return [path.parent / "__pycache__" / name, user_cache_folder() / f"{digest}-{name}"]


def user_cache_folder() -> Path:
    """selftest's folder in the user's cache: `$XDG_CACHE_HOME/selftest` or ~/.cache/selftest."""
    home = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(home) / "selftest"


def _read(place: Path, key: list[int]) -> dict[str, Any] | None:
    try:
        stored = json.loads(place.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return None
    if not isinstance(stored, dict) or stored.get("key") != key:
        return None
    data = stored.get("data")
    return data if isinstance(data, dict) else None


def _write(place: Path, key: list[int], data: dict[str, Any]) -> bool:
    """Store the copy (atomically: a reader never sees half of it); False when it cannot be."""
    try:
        text = json.dumps({"key": key, "data": data}, ensure_ascii=False)
    except (TypeError, ValueError):  # a TOML date or time: JSON has no such type
        return False
    return write_atomic(place, text)


def write_atomic(place: Path, text: str) -> bool:
    """Write `text` to `place` so that a reader sees the old file or the new one, never half of
    it (a temporary file beside it, then a rename); False when it cannot be written."""
    temporary = place.with_name(f".{place.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        place.parent.mkdir(parents=True, exist_ok=True)
        # 0o666 less the umask, as for any file this user creates (mkstemp would make it 0600).
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(temporary, place)
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        return False
    return True
