"""Terminal manners: injected stdio (Environment), streamed results, colour, --debug anywhere.

Commands get their streams and "is it a terminal" from `main(argv, env)`, so these tests say
what the terminal is instead of needing one.
"""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest

from selftest.checks import CheckResult
from selftest.cli import main
from selftest.commands._preflight_output import StreamedText
from selftest.environment import Environment
from selftest.fakebox.server import RunningBox, running


class Writes(io.StringIO):
    """A stdout that remembers each write: a streamed report is many writes, not one."""

    def __init__(self) -> None:
        super().__init__()
        self.writes: list[str] = []

    def write(self, text: str) -> int:
        self.writes.append(text)
        return super().write(text)


def environment(*, tty: bool = False, stdin: str = "", **environ: str) -> Environment:
    return Environment(io.StringIO(stdin), Writes(), io.StringIO(), stdin_isatty=False,
                       stdout_isatty=tty, stderr_isatty=tty, environ=environ)


def test_streamed_text_writes_in_report_order_as_checks_finish() -> None:
    """A check's lines go out once it and every check before it are done, then the counts."""
    out = Writes()
    stream = StreamedText(["dns", "proxy", "tls"], out, lambda value: value)
    stream.on_done(CheckResult("proxy", "pass", "direct"))
    assert out.writes == []  # dns, before it, is still running
    stream.on_done(CheckResult("dns", "pass", "resolved"))
    assert [w.split()[1] for w in out.writes] == ["dns", "proxy"]
    late = CheckResult("tls", "fail", "did not finish within --timeout 1 s")
    stream.finish([CheckResult("dns", "pass", "resolved"), CheckResult("proxy", "pass", "direct"),
                   late])
    assert out.writes[2].startswith("FAIL  tls") and out.writes[3].startswith("1 failed")


@pytest.fixture
def box() -> Iterator[RunningBox]:
    with running(tls=True) as fake:
        yield fake


def preflight(box: RunningBox, env: Environment, *extra: str) -> int:
    return main(["preflight", "--api-base", box.url, "--upload-base", box.upload_url,
                 "--cacert", box.ca or "", "--only", "dns", "--only", "tls", "--only", "token",
                 *extra], env)


def test_piped_preflight_streams_one_write_per_check(box: RunningBox) -> None:
    """stdout not a terminal: each check is written (and flushed) as it comes, no colour."""
    env = environment(BOX_ACCESS_TOKEN=box.token)
    assert preflight(box, env) == 0
    writes = env.stdout.writes  # type: ignore[attr-defined]
    assert [w.split()[:2] for w in writes[:3]] == [["PASS", "dns"], ["PASS", "tls"],
                                                  ["PASS", "token"]]
    assert writes[3].startswith("0 failed") and "\033[" not in "".join(writes)
    assert box.token not in "".join(writes)


def test_colour_on_a_terminal(box: RunningBox) -> None:
    """On a terminal the status words are coloured; nothing goes to stderr as progress."""
    env = environment(tty=True, TERM="xterm-256color", BOX_ACCESS_TOKEN=box.token)
    assert preflight(box, env) == 0
    assert env.stdout.getvalue().startswith("\033[32mPASS\033[0m  dns")  # type: ignore[attr-defined]
    assert env.stderr.getvalue() == ""  # type: ignore[attr-defined]


@pytest.mark.parametrize("environ", [{"NO_COLOR": "1", "TERM": "xterm"}, {"TERM": "dumb"}])
def test_no_colour_when_asked_or_dumb(environ: dict[str, str]) -> None:
    """NO_COLOR (any non-empty value) and TERM=dumb turn colour off on a terminal."""
    env = environment(tty=True, **environ)
    assert env.status_word("FAIL") == "FAIL"
    assert environment(tty=True, TERM="xterm", NO_COLOR="").status_word("FAIL") != "FAIL"


def test_explain_reads_the_injected_stdin() -> None:
    """`explain -` reads the Environment's stdin and writes to its stdout."""
    env = environment(stdin="PHP Warning: cURL error 52: Empty reply from server")
    assert main(["explain", "-"], env) == 0
    assert env.stdout.getvalue().startswith("Diagnosis: curl:52")  # type: ignore[attr-defined]



def test_explain_wraps_at_the_injected_width() -> None:
    """`explain` wraps its text to the Environment's terminal width, not the process's."""
    widest = {}
    for columns in (50, None):
        env = environment()
        env.columns = columns
        assert main(["explain", "60"], env) == 0
        out: str = env.stdout.getvalue()  # type: ignore[attr-defined]
        widest[columns] = max(len(line) for line in out.splitlines() if " " in line.strip())
    assert widest[50] <= 49 < widest[None]


@pytest.mark.parametrize("argv", [["--debug", "explain", "7"], ["explain", "7", "--debug"],
                                  ["explain", "--debug", "7"]])
def test_debug_before_or_after_the_subcommand(argv: list[str]) -> None:
    """--debug works before the subcommand and after it; the block goes to stderr."""
    env = environment()
    assert main(argv, env) == 0
    assert "libcurl" in env.stderr.getvalue()  # type: ignore[attr-defined]
    assert "curl:7" in env.stdout.getvalue()  # type: ignore[attr-defined]


def test_no_debug_means_no_block() -> None:
    """Without --debug nothing is printed on stderr."""
    env = environment()
    assert main(["explain", "7"], env) == 0
    assert env.stderr.getvalue() == ""  # type: ignore[attr-defined]


def test_reproduce_streams_each_result_as_it_finishes() -> None:
    """reproduce writes (and flushes) each scenario's lines when it ends, then the summary."""
    env = environment()
    assert main(["reproduce", "curl-52", "curl-60"], env) == 0
    writes = [w for w in env.stdout.writes if w.strip()]  # type: ignore[attr-defined]
    assert writes[0].startswith("PASS curl-52") and "curl-60" not in writes[0]
    assert writes[1].startswith("PASS curl-60")
    assert writes[-1].startswith("2 passed")


def test_reproduce_colours_on_a_terminal() -> None:
    """On a terminal the verdict word is coloured and the progress line is erased first."""
    env = environment(tty=True, TERM="xterm")
    assert main(["reproduce", "curl-52"], env) == 0
    assert env.stdout.getvalue().startswith("\033[32mPASS\033[0m curl-52")  # type: ignore[attr-defined]
    assert "\r\033[K[1/1] curl-52" in env.stderr.getvalue()  # type: ignore[attr-defined]


def test_reproduce_stream_keeps_the_chosen_order_when_runs_overlap() -> None:
    """A scenario that finishes before an earlier one waits for it; flush() writes the rest."""
    from selftest.commands._reproduce_output import ResultStream
    from selftest.runner import Result

    env = environment()
    stream = ResultStream(env, verbose=False, order=["curl-52", "curl-60", "curl-7"])

    def result(name: str) -> Result:
        return Result(scenario=name, documents=name.replace("-", ":"), title=name,
                      verdict="pass")

    stream(result("curl-60"))
    assert env.stdout.writes == []  # type: ignore[attr-defined]
    stream(result("curl-52"))
    stream.flush()  # curl-7 never finished (an interrupted run)
    written = [w.split()[1] for w in env.stdout.writes if w.strip()]  # type: ignore[attr-defined]
    assert written == ["curl-52", "curl-60"]
