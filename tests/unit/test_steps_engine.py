"""The purpose-built OpenSSL engine behind code 54."""

from __future__ import annotations

import pytest

from selftest.steps import Context, SetupFailed, engine


def test_missing_compiler_is_a_clear_harness_result(monkeypatch: pytest.MonkeyPatch) -> None:
    """With no C compiler the step says its set-up failed (no fake curl code), never pretends 54."""
    engine.built_engine.cache_clear()
    monkeypatch.setattr(engine.shutil, "which", lambda name: None)
    try:
        obs = engine.failing_engine_default(engine.EngineArgs(url="http://127.0.0.1:9/"),
                                            Context())
    finally:
        engine.built_engine.cache_clear()
    assert isinstance(obs, SetupFailed) and "no C compiler" in obs.reason


def test_the_engine_source_ships_with_the_package() -> None:
    """The C source the step compiles is package data, next to the step."""
    assert engine._SOURCE.is_file() and "ENGINE_set_default" in engine._SOURCE.read_text()
