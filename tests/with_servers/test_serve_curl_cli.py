"""Every HTTP(S) curl scenario gives the curl command line tool the same code as pycurl.

`selftest serve` hints a curl command line for each scenario; this runs that command (against the
same fault server, in-process) for every scenario it can express, so a support engineer can
trust the hint with the customer's own client. Where the installed curl is built on another
libcurl than pycurl's, the known, explained differences are allowed — and only those.
"""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess

import pytest

from selftest import catalog
from selftest.commands.serve import hint_lines
from selftest.runner import Runner
from selftest.scenario import Scenario, load_all

CURL = shutil.which("curl")

def _cli_libcurl_major() -> int:
    if CURL is None:
        return 0
    banner = subprocess.run([CURL, "--version"], capture_output=True, text=True,
                            check=False).stdout
    match = re.search(r"libcurl/(\d+)\.", banner)
    return int(match.group(1)) if match else 0


def _http_scenarios() -> list[Scenario]:
    known = catalog.load()
    return [s for s in load_all()
            if s.id.startswith("curl-") and s.fault is not None and s.step == "perform"
            and known.get(s.documents).reproduction == "real"
            and str(s.client.get("url", "")).startswith(("http", "{url}"))]


def _exit_code_of_hint(runner: Runner, item: Scenario) -> int | None:
    """Run the curl command `serve` would hint for `item`; None when it has no HTTP(S) one."""
    lines = hint_lines(runner, item, runner.server(item).urls)
    if not lines[0].startswith(("http://", "https://")):
        return None
    if any(line.startswith("# options curl has no flag for") for line in lines):
        return None
    (command,) = [line[2:] for line in lines if line.startswith("# curl ")]
    return subprocess.run(shlex.split(command), capture_output=True, timeout=30,
                          check=False).returncode


@pytest.mark.slow
@pytest.mark.skipif(CURL is None, reason="the curl command line tool is not installed")
def test_curl_cli_sees_the_same_codes() -> None:
    """Each hinted curl command exits with the code the scenario expects of libcurl."""
    major = _cli_libcurl_major()
    compared, wrong = 0, []
    with Runner() as runner:
        for item in _http_scenarios():
            code = _exit_code_of_hint(runner, item)
            if code is None:
                continue
            compared += 1
            assert item.expect is not None
            allowed = set(item.expect.for_client(major).curl_code)
            if code not in allowed:
                wrong.append(f"{item.id}: curl exited {code}, expected {sorted(allowed)}")
    assert wrong == []
    assert compared >= 30, "too few scenarios had a curl command line to compare"


def test_box_scenario_hints_give_the_test_token() -> None:
    """Serving a fake-Box scenario names the token and upload URL its requests use."""
    item = next(s for s in load_all() if s.id == "box-item-name-in-use")
    with Runner() as runner:
        lines = hint_lines(runner, item, runner.server(item).urls)
    assert lines[0].startswith("http://127.0.0.1:")
    assert any(line.startswith("# token: ") for line in lines)
    assert any(line.startswith("# upload_url: ") for line in lines)
    assert "HTTP 409" in lines[1]
