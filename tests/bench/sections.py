"""What every bench script shares: replacing its own `<!-- section: NAME -->` of BENCHMARKS.md.

Each script writes only its block, between `<!-- section: NAME -->` and
`<!-- /section: NAME -->` (appended when missing), so scripts never overwrite each other.
"""

from __future__ import annotations

import re
from pathlib import Path


def write_section(path: Path, name: str, title: str, body: str) -> None:
    """Put `## title` and `body` in section `name` of the Markdown file at `path`."""
    begin, end = f"<!-- section: {name} -->", f"<!-- /section: {name} -->"
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    section = f"{begin}\n## {title}\n\n{body}\n{end}"
    pattern = re.compile(re.escape(begin) + r".*?" + re.escape(end), re.DOTALL)
    if pattern.search(text):
        text = pattern.sub(lambda _: section, text)
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    path.write_text(text, encoding="utf-8")
