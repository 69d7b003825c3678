"""The README's quick start is what CI runs."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _quick_start_commands() -> list[str]:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("<!-- section: quickstart -->")[1].split("## ", 2)[1]
    first_block = section.split("Then, for a customer")[0]
    return re.findall(r"```sh\n(.+?)\n```", first_block)


def test_quick_start_has_exactly_two_commands() -> None:
    """One command installs and runs the preflight; one installs and runs the tests."""
    commands = _quick_start_commands()
    assert len(commands) == 2
    assert commands[0].endswith("selftest preflight")
    assert "pytest" in commands[1]


def test_ci_runs_the_readme_test_command_verbatim() -> None:
    """.ci/run contains the README's test command, character for character."""
    assert _quick_start_commands()[1] in (ROOT / ".ci" / "run").read_text()


def test_generated_tables_are_current() -> None:
    """The README's catalog tables are what `python -m selftest.doctables` renders now."""
    from selftest.doctables import BEGIN, END, render

    readme = (ROOT / "README.md").read_text()
    block = readme.split(BEGIN)[1].split(END)[0].strip()
    assert block == render().strip(), "run: python -m selftest.doctables"


def test_fault_and_step_list_is_current() -> None:
    """scenarios/README.md lists exactly the registered fault servers and client steps."""
    from selftest.doctables import REGISTRY_BEGIN, REGISTRY_END, render_registries

    text = (ROOT / "scenarios" / "README.md").read_text()
    block = text.split(REGISTRY_BEGIN)[1].split(REGISTRY_END)[0].strip()
    assert block == render_registries().strip(), "run: python -m selftest.doctables"
