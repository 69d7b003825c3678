"""`selftest explain TEXT`: what a pasted code, log line, header or error body means."""

from __future__ import annotations

import argparse
import textwrap
from typing import TYPE_CHECKING

from selftest.report import dump_json
from selftest.status import ExitStatus

if TYPE_CHECKING:
    from selftest.environment import Environment

HELP = "explain a libcurl code, HTTP status, Box error or extension message"

_EXAMPLES = """examples:
  selftest explain 60
  selftest explain "cURL error 28: Operation timed out after 30001 milliseconds"
  selftest explain "HTTP/1.1 429 Too Many Requests"
  selftest explain '{"type":"error","status":409,"code":"item_name_in_use"}'
  selftest explain "Invalid Credentials"
  echo "$LOG_LINE" | selftest explain -"""


def configure(parser: argparse.ArgumentParser) -> None:
    parser.epilog = _EXAMPLES
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument("text", nargs="+",
                        help="the code or text to explain; '-' reads it from standard input")
    parser.add_argument("--json", action="store_true", help="print the diagnosis as JSON")


def run(args: argparse.Namespace, env: Environment) -> int:
    from selftest.explain import explain

    text = " ".join(args.text)
    if text == "-":
        text = env.stdin.read()
    result = explain(text)
    if args.json:
        dump_json(result.to_dict(), env.stdout)
    elif result.recognised:
        print(_render(result.to_dict()), file=env.stdout)
    else:
        print(f"selftest does not recognise {text.strip()[:200]!r}.", file=env.stderr)
        print("Paste a libcurl code or 'cURL error N: ...' line, an HTTP status line, a Box or "
              "OAuth JSON error body, a WWW-Authenticate header, or an extension message; "
              "`selftest catalog` lists every code it knows.", file=env.stderr)
    return ExitStatus.OK if result.recognised else ExitStatus.FAILED


def _render(doc: dict[str, object]) -> str:
    lines = ["Diagnosis: " + "  ->  ".join(str(i) for i in doc["diagnosis"])]  # type: ignore[attr-defined]
    for entry in doc["entries"]:  # type: ignore[attr-defined]
        lines.append("")
        lines.append(f"{entry['id']}  {entry['name']}")
        lines += _wrap(entry["summary"], "  ")
        if entry["errata"]:
            lines += _wrap("Note: the reference page is wrong here: " + entry["errata"], "  ")
        if entry["reproduction"] == "simulated":
            lines.append("  (no real server behaviour produces it: its scenario is simulated)")
    if doc["detail"]:
        lines += ["", *_wrap(f"Detail: {doc['detail']}", "")]
    if doc["remedy"]:
        lines += ["", "What to do:", *_wrap(str(doc["remedy"]), "  ")]
    if doc["scenario"]:
        lines += ["", f"Reproduce it: selftest reproduce {doc['scenario']} -v"
                      f"   (or: selftest serve {doc['scenario']})"]
    return "\n".join(lines)


def _wrap(text: str, indent: str) -> list[str]:
    return textwrap.wrap(" ".join(text.split()), 96, initial_indent=indent,
                         subsequent_indent=indent) or [indent]
