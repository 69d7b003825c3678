"""The test layout (issue 13 item 8): unit tests apart from the ones that need servers or
processes, and the unit folder's guard really refuses both."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parents[1]


def test_every_test_file_is_in_unit_or_with_servers() -> None:
    """No test file sits directly in tests/: each says by its folder whether it needs servers."""
    assert sorted(p.name for p in TESTS.glob("test_*.py")) == []
    assert len(list((TESTS / "unit").glob("test_*.py"))) >= 20
    assert len(list((TESTS / "with_servers").glob("test_*.py"))) >= 20


def test_a_unit_test_cannot_open_a_socket() -> None:
    with pytest.raises(RuntimeError, match="tests/with_servers/"):
        socket.socket(socket.AF_INET, socket.SOCK_STREAM)


def test_a_unit_test_cannot_start_a_process() -> None:
    with pytest.raises(RuntimeError, match="tests/with_servers/"):
        subprocess.run([sys.executable, "-c", "pass"], check=False)
