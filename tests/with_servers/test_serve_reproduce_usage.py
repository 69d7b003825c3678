"""Usage errors of `reproduce` and `serve`: refused before any run, one line, exit 2."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from selftest.cli import main


@pytest.mark.parametrize("target", ["DIR", "/dev/full", "/proc/selftest-x"])
def test_unwritable_junit_target_is_refused_before_the_run(
        target: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--junit-xml to a folder, /dev/full or /proc/x: exit 2 before any scenario ran."""
    path = str(tmp_path) if target == "DIR" else target
    assert main(["reproduce", "curl-52", "--junit-xml", path]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.startswith("selftest: cannot write ") and err.count("\n") == 1


def test_empty_selection_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    """`reproduce --layer box curl-52` selects nothing: exit 2, never a pass with 0 scenarios."""
    assert main(["reproduce", "--layer", "box", "curl-52"]) == 2
    out, err = capsys.readouterr()
    assert out == "" and "curl-52 has no scenario in layer 'box'" in err


def test_results_are_printed_before_the_junit_file_is_written(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A JUnit write that fails after the run still leaves the results on stdout."""
    from selftest.commands import _reproduce_output

    def failing(*_: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(_reproduce_output, "write_junit", failing)
    with pytest.raises(OSError, match="disk full"):
        main(["reproduce", "curl-52", "--junit-xml", str(tmp_path / "r.xml")])
    assert "PASS curl-52" in capsys.readouterr().out


@pytest.fixture
def busy_port() -> Iterator[int]:
    """A port of 127.0.0.1 taken for TCP and UDP by another program (this test)."""
    tcp = socket.socket()
    tcp.bind(("127.0.0.1", 0))
    tcp.listen(1)
    port = tcp.getsockname()[1]
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind(("127.0.0.1", port))
    yield port
    tcp.close()
    udp.close()


# One of each kind of server: a socket fault, proxy.py, the fake Box as a fault, the fake Box
# itself (werkzeug, which prints its own message and exits 1 when left to itself), UDP (TFTP).
@pytest.mark.parametrize("what", ["curl-52", "curl-7-proxy-auth-required",
                                  "box-access-denied-item-locked", "fakebox", "curl-68"])
def test_busy_port_is_one_usage_error_line_for_every_server(what: str, busy_port: int) -> None:
    """`serve X --port N` with N taken: exit 2 and the same single stderr line for every X."""
    done = subprocess.run([sys.executable, "-m", "selftest", "serve", what, "--port",
                           str(busy_port)], capture_output=True, text=True, timeout=60,
                          check=False)
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr == (f"selftest: --port {busy_port}: cannot listen on "
                           f"127.0.0.1:{busy_port}: Address already in use (choose another "
                           "port, or 0 for any free one)\n")


@pytest.mark.parametrize("flags", [["--tls"], ["--latency-ms", "5", "--token", "x"]])
def test_fakebox_flags_with_a_scenario_are_a_usage_error(flags: list[str]) -> None:
    """`serve curl-52 --tls` would ignore --tls: exit 2 naming the flags."""
    done = subprocess.run([sys.executable, "-m", "selftest", "serve", "curl-52", *flags],
                          capture_output=True, text=True, timeout=30, check=False)
    assert done.returncode == 2
    err = done.stderr
    assert all(flag in err for flag in flags if flag.startswith("--"))
    assert "only for `serve fakebox`" in err


def _served_json(scenario: str) -> dict[str, object]:
    process = subprocess.Popen([sys.executable, "-m", "selftest", "serve", scenario, "--json"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
    finally:
        process.terminate()
        process.communicate(timeout=30)
    assert process.returncode == 0
    document = json.loads(line)
    assert isinstance(document, dict)
    return document


def test_serve_json_carries_the_request_and_what_is_expected() -> None:
    """`serve SCENARIO --json`: url, proxy, method, the expected code, in one object."""
    hints = _served_json("curl-7-proxy-auth-required")
    assert str(hints["url"]).startswith("http")
    assert str(hints["proxy"]).startswith("http://127.0.0.1:")
    request = hints["request"]
    assert isinstance(request, dict) and request["method"] == "GET"
    assert hints["expect"] == {"curl_code": [7], "http_status": None, "connect_status": 407,
                               "diagnosis": hints["expect"]["diagnosis"]}  # type: ignore[index]
    assert str(hints["curl"]).startswith("curl ")
    assert hints["left_out"] == []


def test_serve_json_carries_the_padding_header_or_says_what_it_leaves_out() -> None:
    """curl-100's 1.1 MiB header is in the hints (as a file); a box sequence says it is not."""
    padded = _served_json("curl-100")
    request = padded["request"]
    assert isinstance(request, dict)
    padding = request["padding_header"]
    assert padding["repeat"] == 1126400
    assert Path(padding["file"]).stat().st_size == len("X-Padding: \n") + 1126400
    sequence = _served_json("box-access-denied-item-locked")
    assert sequence["request"] is None
    assert "more than one request" in str(sequence["left_out"])


@pytest.mark.parametrize("jobs", ["0", "65", "x"])
def test_jobs_must_be_a_thread_count(jobs: str, capsys: pytest.CaptureFixture[str]) -> None:
    """`reproduce --jobs` takes 1 to 64 threads; anything else is a usage error."""
    assert main(["reproduce", "curl-52", "--jobs", jobs]) == 2
    assert "is not a number of threads" in capsys.readouterr().err


def test_one_job_runs_one_scenario_at_a_time(capsys: pytest.CaptureFixture[str]) -> None:
    """`-j 1` replays as before the parallel runner: in id order, in this thread."""
    assert main(["reproduce", "curl-52", "curl-56-bad-chunk", "-j", "1", "--json"]) == 0
    results = json.loads(capsys.readouterr().out)["results"]
    assert [r["scenario"] for r in results] == ["curl-52", "curl-56-bad-chunk"]
