"""Fleet outputs of `selftest preflight`: OpenMetrics for node_exporter, Nagios, JSON run facts.

The renderers are fed CheckResult values (no sockets); the command runs against the fake Box.
The OpenMetrics text is read back with prometheus_client's two parsers: the Prometheus text
format one (what node_exporter's textfile collector speaks) and the strict OpenMetrics one.
"""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from prometheus_client.openmetrics.parser import (
    text_string_to_metric_families as openmetrics_families,
)
from prometheus_client.parser import text_string_to_metric_families as prometheus_families

from selftest.checks import CheckResult
from selftest.cli import main
from selftest.fakebox.server import RunningBox, running
from selftest.report_metrics import nagios, openmetrics, write_atomic

GB = 1024**3

CLOCK_FAIL = CheckResult("clock", "fail", 'this clock is 120.0 s "behind" | Box',
                         "Synchronise with NTP.", ("oauth:invalid_grant:exp",),
                         {"skew_s": -120.0, "error_s": 0.004}, 3120.0)
QUOTA_PASS = CheckResult("quota", "pass", "10.0 GB free", evidence={
    "free": 10 * GB, "max_upload_size": 5 * GB, "backup_size": 2 * GB, "unlimited": False},
    duration_ms=480.0)
DNS_WARN = CheckResult("dns", "warn", "AAAA without an IPv6 route", diagnosis=("curl:7",),
                       duration_ms=31.0)
TOKEN_SKIP = CheckResult("token", "skip", "no token given")


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """{(name, sorted labels): value} from the Prometheus text parser."""
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in prometheus_families(text) for s in family.samples}


def test_openmetrics_parses_with_both_parsers() -> None:
    """Every gauge reads back: status per check, diagnosis ids, durations, skew, free space."""
    text = openmetrics([DNS_WARN, CLOCK_FAIL, TOKEN_SKIP, QUOTA_PASS], 1.7e9, 4.25)
    found = samples(text)
    assert found[("selftest_preflight_check_status", (("check", "clock"), ("status", "fail")))] == 1
    assert found[("selftest_preflight_check_status", (("check", "clock"), ("status", "pass")))] == 0
    assert found[("selftest_preflight_check_diagnosis",
                  (("check", "clock"), ("diagnosis", "oauth:invalid_grant:exp")))] == 1
    assert found[("selftest_preflight_check_duration_seconds", (("check", "clock"),))] == 3.12
    assert found[("selftest_preflight_clock_skew_seconds", ())] == -120.0
    assert found[("selftest_preflight_box_space_free_bytes", ())] == 10 * GB
    assert found[("selftest_preflight_checks", (("status", "skip"),))] == 1
    assert found[("selftest_preflight_last_run_timestamp_seconds", ())] == 1.7e9
    assert all(f.type == "gauge" for f in prometheus_families(text))
    strict = {f.name: f for f in openmetrics_families(text)}  # raises on any format error
    assert strict["selftest_preflight_check_status"].type == "gauge"
    assert text.endswith("# EOF\n")


def test_openmetrics_leaves_out_figures_it_does_not_have() -> None:
    """Without clock and quota evidence there is no skew or space gauge (never a made-up 0)."""
    found = {name for name, _ in samples(openmetrics([TOKEN_SKIP], 1.7e9, 0.1))}
    assert "selftest_preflight_clock_skew_seconds" not in found
    assert "selftest_preflight_box_space_free_bytes" not in found
    assert "selftest_preflight_check_diagnosis" not in found


@pytest.mark.parametrize(("results", "code", "word"), [
    ([QUOTA_PASS, TOKEN_SKIP], 0, "OK"),
    ([QUOTA_PASS, DNS_WARN], 1, "WARNING"),
    ([DNS_WARN, CLOCK_FAIL, QUOTA_PASS], 2, "CRITICAL"),
    ([TOKEN_SKIP], 3, "UNKNOWN"),
])
def test_nagios_status_follows_the_worst_check(results: list[CheckResult], code: int,
                                               word: str) -> None:
    """0 OK, 1 WARNING (a warn), 2 CRITICAL (a fail), 3 UNKNOWN (nothing could be checked)."""
    status, line = nagios(results)
    assert status == code
    assert line.startswith(f"SELFTEST {word} - ") and "\n" not in line


def test_nagios_line_and_perfdata() -> None:
    """The failing check's summary, the counts, then '|' and label=value perfdata items."""
    _, line = nagios([DNS_WARN, CLOCK_FAIL, QUOTA_PASS])
    text, perf = line.split(" | ")
    assert text.startswith("SELFTEST CRITICAL - clock: this clock is 120.0 s")
    assert "|" not in text and "1 failed, 1 warned, 1 passed, 0 skipped" in text
    items = perf.split(" ")
    assert "'clock_time'=3.120s;;;0" in items and "'box_free'=10737418240B;;;0" in items
    assert "'clock_skew'=-120s;-5:5;-30:30;;" in items


def test_write_atomic_replaces_the_file_readable_by_a_collector(tmp_path: Path) -> None:
    """The file is replaced whole, left no temporary behind, and others may read it."""
    target = tmp_path / "selftest.prom"
    target.write_text("old\n")
    write_atomic(str(target), "new\n")
    assert target.read_text() == "new\n"
    assert os.listdir(tmp_path) == ["selftest.prom"]
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~umask  # not mkstemp's 0600


# --- through the command line, against the fake Box -----------------------------------------

@pytest.fixture
def box() -> Iterator[RunningBox]:
    with running(tls=True, space_amount=10 * GB, space_used=GB, max_upload_size=5 * GB) as fake:
        yield fake


def preflight(box: RunningBox, *extra: str) -> int:
    """`selftest preflight` in-process, token and quota only, against the fake."""
    argv = ["preflight", "--api-base", box.url, "--upload-base", box.upload_url,
            "--cacert", box.ca or "", "--only", "token", "--only", "quota", *extra]
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("BOX_ACCESS_TOKEN", box.token)
        return main(argv)


def test_json_has_host_and_timestamps(box: RunningBox,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    """`--json`: schema_version, host name, start and end in UTC, then the checks."""
    status = preflight(box, "--json")
    document: dict[str, Any] = json.loads(capsys.readouterr().out)
    assert status == 0
    assert list(document)[:2] == ["schema_version", "host"] and document["host"]
    assert document["started_at"].endswith("Z") and document["finished_at"] >= \
        document["started_at"]
    assert [c["check"] for c in document["checks"]] == ["token", "quota"]


def test_openmetrics_output_file(box: RunningBox, tmp_path: Path,
                                 capsys: pytest.CaptureFixture[str]) -> None:
    """`--format openmetrics --output FILE` writes the gauges there and nothing on stdout."""
    target = tmp_path / "selftest.prom"
    status = preflight(box, "--format", "openmetrics", "--output", str(target))
    assert status == 0 and capsys.readouterr().out == ""
    found = samples(target.read_text())
    assert found[("selftest_preflight_check_status", (("check", "quota"), ("status", "pass")))] == 1
    assert found[("selftest_preflight_box_space_free_bytes", ())] == 9 * GB
    assert box.token not in target.read_text()


def test_nagios_critical_from_the_command(capsys: pytest.CaptureFixture[str]) -> None:
    """A full Box account: exit 2 and one CRITICAL line naming the quota check."""
    with running(tls=True, space_amount=10 * GB, space_used=10 * GB - 1000) as fake:
        status = preflight(fake, "--nagios", "--backup-size", "1M")
    out = capsys.readouterr().out
    assert status == 2
    assert out.startswith("SELFTEST CRITICAL - quota: ") and out.count("\n") == 1
    assert "'token_time'=" in out and "redacted" not in out


@pytest.mark.parametrize("flag", ["--nagios", "--nag"])
def test_nagios_usage_error_is_unknown(flag: str, capsys: pytest.CaptureFixture[str]) -> None:
    """With --nagios (or a prefix argparse takes for it) a usage error exits 3, UNKNOWN."""
    assert main(["preflight", flag, "--backup-size", "lots"]) == 3
    captured = capsys.readouterr()
    assert captured.out.startswith("SELFTEST UNKNOWN - ") and "--backup-size" in captured.out


def test_json_and_another_format_conflict(capsys: pytest.CaptureFixture[str]) -> None:
    """--json with --format openmetrics is a usage error before any check runs."""
    assert main(["preflight", "--json", "--format", "openmetrics"]) == 2
    assert "short for --format json" in capsys.readouterr().err


def test_nagios_line_on_stdout_and_metrics_in_a_file(box: RunningBox, tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    """--nagios with --format openmetrics --output FILE: the line on stdout, gauges in FILE."""
    target = tmp_path / "selftest.prom"
    status = preflight(box, "--nagios", "--format", "openmetrics", "--output", str(target))
    assert status == 0
    assert capsys.readouterr().out.startswith("SELFTEST OK - 0 failed, 0 warned, 2 passed")
    assert ("selftest_preflight_checks", (("status", "pass"),)) in samples(target.read_text())


def test_every_metric_and_run_fact_is_in_the_contract() -> None:
    """docs/contracts.md names every metric the renderer writes and every JSON run fact."""
    from selftest.report_metrics import run_facts

    contract = (Path(__file__).parents[2] / "docs" / "contracts.md").read_text()
    text = openmetrics([DNS_WARN, CLOCK_FAIL, TOKEN_SKIP, QUOTA_PASS], 1.7e9, 4.25)
    names = {f.name.removeprefix("selftest_preflight_") for f in prometheus_families(text)}
    assert [n for n in sorted(names) if f"`{n}`" not in contract] == []
    assert [k for k in run_facts(0.0, 1.0) if f'"{k}"' not in contract] == []
