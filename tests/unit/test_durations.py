"""selftest.durations: the recorded scenario durations that order the next run's groups."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from selftest import durations


@dataclass(frozen=True)
class _Timed:
    scenario: str
    duration_ms: float


def test_saved_durations_are_read_back_and_averaged(tmp_path: Path) -> None:
    place = tmp_path / "cache" / "durations.json"
    assert durations.save([_Timed("curl-54", 300.0), _Timed("curl-0", 4.0)], place)
    assert durations.load(place) == {"curl-54": 300.0, "curl-0": 4.0}
    durations.save([_Timed("curl-54", 100.0)], place)  # one loaded run moves it halfway
    assert durations.load(place) == {"curl-54": 200.0, "curl-0": 4.0}


@pytest.mark.parametrize("text", ["", "not json", "[]", '{"format": 99, "durations_ms": {}}',
                                  '{"format": 1, "durations_ms": {"a": "x", "b": -1, "c": 2}}'])
def test_a_damaged_file_means_no_record(tmp_path: Path, text: str) -> None:
    place = tmp_path / "durations.json"
    place.write_text(text, encoding="utf-8")
    assert durations.load(place) in ({}, {"c": 2.0})


def test_the_file_lives_in_the_users_cache_folder(monkeypatch: pytest.MonkeyPatch,
                                                  tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert durations.path() == tmp_path / "selftest" / "durations.json"


def test_an_unwritable_place_is_no_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("", encoding="utf-8")
    assert not durations.save([_Timed("x", 1.0)], blocker / "durations.json")
