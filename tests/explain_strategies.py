"""Hypothesis strategies for pasted text: noise, real fragments, and the two mixed (shared by the
fuzz test and tests/bench/bench_explain.py)."""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path

from hypothesis import strategies as st

from selftest.catalog import load

_DATA = Path(__file__).parent / "data"


@cache
def fragments() -> list[str]:
    """Pieces of real error text: catalog wordings and names, corpus lines, separators, numbers."""
    pieces = ["cURL error ", "curl: (", ")", "HTTP/1.1 ", "HTTP/2 ", "Status: ", "code", "error",
              '{"type":"error","status":', '"code":"', '"}', "'", '"', "[", "]", "|", ":", "\n",
              " ", "\\", "\\\"", "WWW-Authenticate: Bearer ", 'error="', "error_description=",
              "Authorization: Bearer ", "http://user:p@ss@proxy:3128", "eyJhbGciOi.eyJzdWIi.c2ln",
              "0x80092012", "²", "\ufffd", "\x00", "\x1b[31m", "9" * 40, "-1", "4294967296"]
    catalog = load()
    for entry in catalog:
        pieces.append(entry.id)
        pieces.append(entry.name)
        pieces.extend(w.text for w in entry.wordings)
    corpus = _DATA / "explain_corpus.toml"
    if corpus.exists():
        for case in tomllib.loads(corpus.read_text(encoding="utf-8")).get("case", []):
            pieces.extend(line for line in str(case["text"]).splitlines() if line.strip())
    return pieces


def pasted_text() -> st.SearchStrategy[str]:
    """Text as people paste it: real fragments glued in any order, noise around them."""
    piece = st.one_of(st.sampled_from(fragments()), st.text(max_size=40),
                      st.integers(min_value=-10, max_value=10**6).map(str))
    glued = st.lists(piece, max_size=30).map("".join)
    raw = st.binary(max_size=300).map(lambda b: b.decode("utf-8", "surrogateescape"))
    return st.one_of(glued, st.text(max_size=300), raw)
