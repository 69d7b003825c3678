"""TOML files parsed once and read back from a JSON copy, used only while the file is unchanged."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from selftest import tomlcache


@pytest.fixture(autouse=True)
def writes_allowed(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Bytecode (and so copies) may be written; the user's cache folder is a temporary one."""
    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    monkeypatch.setattr(sys, "pycache_prefix", None)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "user-cache"))


def data_file(folder: Path, text: str = 'name = "first"\n') -> Path:
    path = folder / "layer.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_copy_is_written_beside_and_read_back(tmp_path: Path) -> None:
    """The first load parses and writes __pycache__/NAME.json; the next one reads that copy."""
    path = data_file(tmp_path)
    assert tomlcache.load(path) == {"name": "first"}
    copy = tmp_path / "__pycache__" / "layer.toml.json"
    stored = json.loads(copy.read_text())
    stored["data"] = {"name": "from the copy"}
    copy.write_text(json.dumps(stored))
    assert tomlcache.load(path) == {"name": "from the copy"}


def test_a_changed_file_is_parsed_again(tmp_path: Path) -> None:
    """A copy whose size or modification time no longer matches the file is not used."""
    path = data_file(tmp_path)
    tomlcache.load(path)
    path.write_text('name = "second, longer"\n', encoding="utf-8")
    assert tomlcache.load(path) == {"name": "second, longer"}


def test_a_damaged_copy_is_parsed_again(tmp_path: Path) -> None:
    """A copy that is not JSON (a crash while writing elsewhere) means parsing the file."""
    path = data_file(tmp_path)
    tomlcache.load(path)
    (tmp_path / "__pycache__" / "layer.toml.json").write_text("{not json")
    assert tomlcache.load(path) == {"name": "first"}


def test_the_user_cache_when_beside_cannot_be_written(tmp_path: Path) -> None:
    """Where __pycache__ cannot be made (a system-wide install), the copy goes to the user's."""
    folder = tmp_path / "package"
    folder.mkdir()
    (folder / "__pycache__").write_text("a file where the folder would be")
    path = data_file(folder)
    assert tomlcache.load(path) == {"name": "first"}
    assert len(os.listdir(tmp_path / "user-cache" / "selftest")) == 1
    assert tomlcache.load(path) == {"name": "first"}


@pytest.mark.parametrize(("setting", "value"), [
    ("dont_write_bytecode", True),  # PYTHONDONTWRITEBYTECODE or -B
    ("pycache_prefix", "prefix"),  # PYTHONPYCACHEPREFIX: a folder of its own (under tmp_path)
])
def test_nothing_beside_the_file_when_python_writes_no_bytecode_there(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, setting: str, value: object) -> None:
    """When Python writes no __pycache__ beside sources, neither does this: the user cache
    serves, and serves again."""
    monkeypatch.setattr(sys, setting, str(tmp_path / value) if isinstance(value, str) else value)
    folder = tmp_path / "data"
    folder.mkdir()
    path = data_file(folder)
    assert tomlcache.load(path) == {"name": "first"}
    assert not (folder / "__pycache__").exists()
    assert len(os.listdir(tmp_path / "user-cache" / "selftest")) == 1
    assert tomlcache.load(path) == {"name": "first"}


def test_dates_are_parsed_each_time(tmp_path: Path) -> None:
    """A TOML date has no JSON form: the file is parsed on every load, nothing half-written."""
    path = data_file(tmp_path, "when = 2026-12-01\n")
    assert str(tomlcache.load(path)["when"]) == "2026-12-01"
    assert not (tmp_path / "__pycache__").exists()



def test_selftests_scenarios_are_cached_a_users_are_not(tmp_path: Path) -> None:
    """A bundled scenario gets its copy; nothing is written beside a user's own scenario file."""
    from selftest.scenario import load, scenarios_dir

    bundled = scenarios_dir() / "curl-52.toml"
    beside = scenarios_dir() / "__pycache__" / "curl-52.toml.json"
    beside.unlink(missing_ok=True)
    load(bundled)
    user_cache = tmp_path / "user-cache" / "selftest"
    assert beside.exists() or any(user_cache.glob("*-curl-52.toml.json"))
    own = tmp_path / "mine" / "mine-52.toml"
    own.parent.mkdir()
    own.write_text(bundled.read_text().replace('id = "curl-52"', 'id = "mine-52"'))
    assert load(own).documents == "curl:52"
    assert os.listdir(own.parent) == ["mine-52.toml"]
