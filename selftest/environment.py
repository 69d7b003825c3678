"""What a command reads and writes: stdio, whether each is a terminal, its width, the environment.

Commands get an Environment from `cli.main()` instead of reading `sys` (httpie's
`httpie/context.py` is the model), so a test hands a command its own streams and says whether
they are terminals, and one place decides about colour.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TextIO

#: ANSI SGR colours for the status words (green, yellow, red, dim).
_SGR = {"PASS": "32", "WARN": "33", "FAIL": "31", "SKIP": "2"}


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # a closed or file-less stream
        return False


@dataclass
class Environment:
    """The streams and variables a command uses; `from_process()` reads the real ones."""

    stdin: TextIO
    stdout: TextIO
    stderr: TextIO
    stdin_isatty: bool = False
    stdout_isatty: bool = False
    stderr_isatty: bool = False
    environ: Mapping[str, str] = field(default_factory=dict)
    #: The terminal's width in columns (COLUMNS, else stdout's terminal); None when unknown.
    columns: int | None = None

    @classmethod
    def from_process(cls) -> Environment:
        """sys's streams as they are now (so pytest's capsys still captures) and os.environ."""
        columns = shutil.get_terminal_size((0, 0)).columns or None
        return cls(sys.stdin, sys.stdout, sys.stderr, _isatty(sys.stdin), _isatty(sys.stdout),
                   _isatty(sys.stderr), os.environ, columns)

    @property
    def colors(self) -> bool:
        """Colour stdout: a terminal that is not `dumb`, and NO_COLOR unset or empty.

        (https://no-color.org: NO_COLOR set to any non-empty value turns colour off.)
        """
        return (self.stdout_isatty and not self.environ.get("NO_COLOR")
                and self.environ.get("TERM", "") != "dumb")

    def status_word(self, word: str) -> str:
        """PASS/WARN/FAIL/SKIP, coloured when `colors`; other words unchanged."""
        code = _SGR.get(word)
        return f"\033[{code}m{word}\033[0m" if code and self.colors else word
