"""`--client` on the command line: the usage errors and a missing PHP, said in one line."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from selftest.cli import main


def test_wordpress_needs_wp_path(capsys: pytest.CaptureFixture[str]) -> None:
    """`reproduce --client wordpress` without --wp-path is a usage error (exit 2)."""
    assert main(["reproduce", "--client", "wordpress", "curl-0"]) == 2
    assert "--wp-path" in capsys.readouterr().err


def test_wp_path_goes_with_wordpress(capsys: pytest.CaptureFixture[str]) -> None:
    """--wp-path with the pycurl client is a usage error, not silently ignored."""
    assert main(["reproduce", "--wp-path", "/nonexistent", "curl-0"]) == 2
    assert "--client wordpress" in capsys.readouterr().err


def test_no_php_on_path(monkeypatch: pytest.MonkeyPatch,
                        capsys: pytest.CaptureFixture[str]) -> None:
    """--client php without php: one line naming what to install, exit 3 (harness fault)."""
    real = shutil.which
    monkeypatch.setattr(shutil, "which", lambda name, *a, **k: None if name == "php"
                        else real(name, *a, **k))
    assert main(["reproduce", "--client", "php", "curl-0"]) == 3
    assert "php-cli" in capsys.readouterr().err


def test_not_a_wordpress(tmp_path: Path,
                         capsys: pytest.CaptureFixture[str]) -> None:
    """--wp-path naming a folder without wp-includes/ says how to get WordPress."""
    if shutil.which("php") is None:
        pytest.skip("php is not on PATH (Debian: apt-get install php-cli php-curl)")
    assert main(["reproduce", "--client", "wordpress", "--wp-path", str(tmp_path),
                 "curl-0"]) == 3
    assert "dpkg-deb -x" in capsys.readouterr().err
