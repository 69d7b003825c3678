"""tests/unit/ holds the tests that need no socket and no subprocess (urllib3's split between
`test/` and `test/with_dummyserver/`). The split is enforced: in this folder, opening a socket or
starting a process fails the test with the reason, so a test that needs a server or a CLI run
goes to tests/with_servers/ instead of hiding here.
"""

from __future__ import annotations

import socket
import subprocess
from typing import Any

import pytest

_WHERE = "this is a unit test folder: a test that needs it belongs in tests/with_servers/"


def _no_socket(self: socket.socket, *args: Any, **kwargs: Any) -> None:
    raise RuntimeError(f"a unit test opened a socket; {_WHERE}")


def _no_process(self: subprocess.Popen[Any], *args: Any, **kwargs: Any) -> None:
    raise RuntimeError(f"a unit test started a subprocess; {_WHERE}")


@pytest.fixture(autouse=True)
def _no_sockets_no_subprocesses(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(socket.socket, "__init__", _no_socket)
    monkeypatch.setattr(subprocess.Popen, "__init__", _no_process)
