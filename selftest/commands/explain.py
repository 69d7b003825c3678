"""`selftest explain TEXT`: what a pasted code, log, trace, header or error body means."""

from __future__ import annotations

import argparse
import textwrap
from typing import TYPE_CHECKING, TextIO

from selftest.status import ExitStatus

if TYPE_CHECKING:
    from selftest.environment import Environment
    from selftest.explain import Explanation, Finding

HELP = "explain a libcurl code, HTTP status, Box error, extension message or a whole pasted log"

_EXAMPLES = """examples:
  selftest explain 60
  selftest explain 60 429
  selftest explain "cURL error 28: Operation timed out after 30001 milliseconds"
  selftest explain "HTTP/1.1 429 Too Many Requests"
  selftest explain '{"type":"error","status":409,"code":"item_name_in_use"}'
  selftest explain "Invalid Credentials"
  selftest explain - < debug.log        (a whole log, trace or stack trace: every error in it)"""

#: Lines are never wider than this, even on a very wide terminal: paragraphs stay readable.
_MAX_WIDTH = 100
_MIN_WIDTH = 40


def configure(parser: argparse.ArgumentParser) -> None:
    """The options of `selftest explain`."""
    parser.epilog = _EXAMPLES
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument("text", nargs="+",
                        help="the code(s) or text to explain; '-' reads it from standard input")
    parser.add_argument("--json", action="store_true", help="print the diagnosis as JSON")


def run(args: argparse.Namespace, env: Environment) -> int:
    """Explain the codes or pasted text; exit 0 when something was recognised, else 1 (and why
    on stderr)."""
    from selftest.explain import explain
    from selftest.redact import redact_text
    from selftest.report import dump_json

    text = _read(args.text, env.stdin)
    result = explain(text)
    if args.json:
        dump_json(result.to_dict(), env.stdout)
    elif result.recognised:
        _write(env.stdout, render(result, _width(env.columns)) + "\n")
    else:
        shown = " ".join(redact_text(text).split())[:200]
        _write(env.stderr, f"selftest does not recognise {shown!r}.\n"
               "Paste a libcurl code or 'cURL error N: ...' line, an HTTP status, a Box or OAuth "
               "error body, a WWW-Authenticate header, an extension message, or a whole log; "
               "`selftest catalog` lists every code it knows.\n")
    return ExitStatus.OK if result.recognised else ExitStatus.FAILED


def _read(parts: list[str], stdin: TextIO) -> str:
    """The text to explain: the arguments, or standard input for '-' (any bytes at all)."""
    if parts == ["-"]:
        data = stdin.buffer.read() if hasattr(stdin, "buffer") else stdin.read()
        return data.decode("utf-8", "replace") if isinstance(data, bytes) else data
    # Invalid UTF-8 in argv reaches Python as lone surrogates: make them U+FFFD.
    return " ".join(parts).encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def _width(columns: int | None) -> int:
    """The text's width for a terminal of `columns` (None: not known, the widest)."""
    columns = columns or _MAX_WIDTH
    return max(_MIN_WIDTH, min(_MAX_WIDTH, columns - 1))


def _write(stream: TextIO, text: str) -> None:
    """Write `text`, replacing what the stream's encoding cannot show (a latin-1 terminal)."""
    encoding = getattr(stream, "encoding", None) or "utf-8"
    stream.write(text.encode(encoding, "replace").decode(encoding, "replace"))


def render(result: Explanation, width: int = _MAX_WIDTH) -> str:
    """The text form: each finding's chain, what each link means, what to do, how to reproduce."""
    blocks = []
    count = len(result.findings)
    for number, finding in enumerate(result.findings, 1):
        head = []
        if count > 1:
            head = _wrap(f"Finding {number} of {count}, line {finding.line}: {finding.excerpt}",
                         "", width, "    ")
        blocks.append("\n".join([*head, *_render_finding(finding, width)]))
    return ("\n\n" + "=" * min(width, 60) + "\n\n").join(blocks)


def _render_finding(finding: Finding, width: int) -> list[str]:
    """One finding's lines: its chain, each entry's meaning, the remedy, how to reproduce it."""
    lines = ["Diagnosis: " + "  ->  ".join(finding.diagnosis.ids)]
    for entry in finding.entries:
        lines.append("")
        lines += _wrap(f"{entry.id}  {entry.name}", "", width, "    ")
        lines += _wrap(entry.summary, "  ", width)
        if entry.errata:
            lines += _wrap("Note: the reference page is wrong here: " + entry.errata, "  ", width)
        if entry.reproduction == "simulated":
            lines.append("  (no real server behaviour produces it: its scenario is simulated)")
    primary = finding.primary
    if finding.diagnosis.detail:
        lines += ["", *_wrap(f"Detail: {finding.diagnosis.detail}", "", width)]
    if primary and primary.remedy:
        lines += ["", "What to do:", *_wrap(primary.remedy, "  ", width)]
    if finding.scenario:
        lines.append("")
        lines += _command("Reproduce it:", f"selftest reproduce {finding.scenario} -v", width)
        if finding.servable:
            lines += _command("Serve it:", f"selftest serve {finding.scenario}", width)
    return lines


def _command(label: str, command: str, width: int) -> list[str]:
    """A command to copy: on the label's line when it fits, else whole on the next line."""
    line = f"{label:<14}{command}"
    return [line] if len(line) <= width else [label, f"  {command}"]


def _wrap(text: str, indent: str, width: int, subsequent: str | None = None) -> list[str]:
    """Wrap at spaces only: host names, paths and commands are never broken (no hyphen breaks)."""
    return textwrap.wrap(" ".join(text.split()), width, initial_indent=indent,
                         subsequent_indent=indent if subsequent is None else subsequent,
                         break_on_hyphens=False, break_long_words=False) or [indent]
