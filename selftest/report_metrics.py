"""What a fleet's monitoring reads from `selftest preflight`: OpenMetrics, Nagios, run facts.

A hosting company runs the preflight on thousands of web hosts from cron, Ansible or Salt and
collects the results with what it already has:

- `--format openmetrics`: Prometheus' text format (valid OpenMetrics too: it ends in `# EOF`),
  for node_exporter's textfile collector. Gauges only, so the collector's parser accepts it.
- `--nagios`: the Nagios plugin interface Icinga and Naemon share — one status line with
  performance data, exit 0 OK / 1 WARNING / 2 CRITICAL / 3 UNKNOWN.
- `--output FILE`: written atomically (a temporary file in the same folder, then rename), so
  the collector never reads half a file. Its name does not end in `.prom` until the rename:
  the textfile collector reads only `*.prom`.

docs/contracts.md lists the metric names and labels; tests/with_servers/test_report_metrics.py
parses the output with prometheus_client's parsers.
"""

from __future__ import annotations

import datetime
import os
import socket
import threading
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from selftest import __version__
from selftest.errors import UsageError

if TYPE_CHECKING:
    from selftest.checks import CheckResult

STATUSES = ("pass", "warn", "fail", "skip")
_PREFIX = "selftest_preflight_"


def run_facts(started: float, finished: float) -> dict[str, Any]:
    """Where and when a run happened, for the JSON document: host name and UTC timestamps."""
    return {"host": socket.gethostname(), "selftest_version": __version__,
            "started_at": _iso(started), "finished_at": _iso(finished),
            "duration_ms": round((finished - started) * 1000, 1)}


def _iso(timestamp: float) -> str:
    moment = datetime.datetime.fromtimestamp(timestamp, tz=datetime.UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


# --- OpenMetrics / Prometheus text format -------------------------------------------------

Sample = tuple[dict[str, str], float]


def openmetrics(results: Sequence[CheckResult], finished: float, duration_s: float) -> str:
    """The run as gauges: status per check, diagnosis ids, durations, clock skew, Box space."""
    families: list[tuple[str, str, list[Sample]]] = [
        ("check_status", "1 for the status the check ended in, 0 for the other three.",
         [({"check": r.check, "status": s}, float(r.status == s))
          for r in results for s in STATUSES]),
        ("check_diagnosis", "1 for each catalog id (diagnosis) a check's finding names.",
         [({"check": r.check, "diagnosis": d}, 1.0) for r in results for d in r.diagnosis]),
        ("check_duration_seconds", "How long the check took.",
         [({"check": r.check}, round(r.duration_ms / 1000, 4)) for r in results]),
        ("checks", "How many checks ended in each status.",
         [({"status": s}, float(sum(r.status == s for r in results))) for s in STATUSES]),
        ("clock_skew_seconds", "This clock minus Box's (negative: behind Box).",
         _evidence(results, "clock", "skew_s")),
        ("clock_skew_error_seconds", "The skew measurement's uncertainty.",
         _evidence(results, "clock", "error_s")),
        ("box_space_free_bytes", "Free space in the Box account (absent when unlimited).",
         _evidence(results, "quota", "free")),
        ("box_max_upload_size_bytes", "The Box account's largest allowed file.",
         _evidence(results, "quota", "max_upload_size")),
        ("backup_size_bytes", "The backup size the quota check was given.",
         _evidence(results, "quota", "backup_size")),
        ("run_duration_seconds", "Wall time of the whole run.", [({}, round(duration_s, 4))]),
        ("last_run_timestamp_seconds", "When the run finished (Unix time).",
         [({}, round(finished, 3))]),
    ]
    lines: list[str] = []
    for name, text, samples in families:
        if not samples:
            continue  # a family with no sample says nothing: left out
        lines += [f"# HELP {_PREFIX}{name} {text}", f"# TYPE {_PREFIX}{name} gauge"]
        lines += [f"{_PREFIX}{name}{_labels(labels)} {_number(value)}" for labels, value in samples]
    lines.append("# EOF")
    return "\n".join(lines) + "\n"


def _evidence(results: Iterable[CheckResult], check: str, key: str) -> list[Sample]:
    """One unlabelled sample from a check's evidence figure, when it is a number."""
    for result in results:
        value = result.evidence.get(key) if result.check == check else None
        if isinstance(value, int | float) and not isinstance(value, bool):
            return [({}, float(value))]
    return []


def _labels(labels: dict[str, str]) -> str:
    if not labels:
        return ""
    escaped = (f'{k}="{_escape(v)}"' for k, v in labels.items())
    return "{" + ",".join(escaped) + "}"


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _number(value: float) -> str:
    return str(int(value)) if value.is_integer() and abs(value) < 2**53 else repr(value)


# --- Nagios / Icinga -----------------------------------------------------------------------

_NAGIOS_WORD = {0: "OK", 1: "WARNING", 2: "CRITICAL", 3: "UNKNOWN"}
NAGIOS_UNKNOWN = 3


def nagios(results: Sequence[CheckResult]) -> tuple[int, str]:
    """(plugin exit status, status line with perfdata): the worst check decides the status.

    0 OK: nothing failed or warned; 1 WARNING: a check warned; 2 CRITICAL: a check failed;
    3 UNKNOWN: nothing could be checked (every check skipped).
    """
    by_status = {s: [r for r in results if r.status == s] for s in STATUSES}
    if by_status["fail"]:
        code, named = 2, by_status["fail"]
    elif by_status["warn"]:
        code, named = 1, by_status["warn"]
    elif results and len(by_status["skip"]) == len(results):
        code, named = 3, by_status["skip"]
    else:
        code, named = 0, []
    counts = ", ".join(f"{len(by_status[s])} {w}" for s, w in
                       (("fail", "failed"), ("warn", "warned"), ("pass", "passed"),
                        ("skip", "skipped")))
    problems = "; ".join(f"{r.check}: {_short(r.summary)}" for r in named)
    text = f"{problems}; {counts}" if problems else counts
    return code, f"SELFTEST {_NAGIOS_WORD[code]} - {text} | {perfdata(results)}"


def nagios_unknown(message: str) -> str:
    """The status line for a run that could not happen (bad option, harness fault)."""
    return f"SELFTEST UNKNOWN - {_short(message, 300)}"


def perfdata(results: Sequence[CheckResult]) -> str:
    """`'label'=value[UOM];warn;crit;min;max` items: durations, clock skew, free space."""
    from selftest.checks.clock import WARN_SKEW_S
    from selftest.checks.probes.boxconfig import ASSERTION_LIFETIME_S

    # `CHECK_time`, not `CHECK`: "'token'=0.2s" reads as a secret to the line redaction.
    items = [f"'{r.check}_time'={r.duration_ms / 1000:.3f}s;;;0" for r in results]
    for labels_value in _evidence(results, "clock", "skew_s"):
        warn, crit = WARN_SKEW_S, ASSERTION_LIFETIME_S
        items.append(f"'clock_skew'={labels_value[1]:g}s;{-warn:g}:{warn:g};{-crit:g}:{crit:g};;")
    for labels_value in _evidence(results, "quota", "free"):
        items.append(f"'box_free'={labels_value[1]:.0f}B;;;0")
    return " ".join(items)


def _short(text: str, limit: int = 160) -> str:
    flat = " ".join(text.split()).replace("|", "/")  # '|' starts perfdata
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


# --- Writing ---------------------------------------------------------------------------------

def write_atomic(path: str, text: str) -> None:
    """Replace `path` with `text` in one rename; readable by others, as a collector needs.

    Raises UsageError when the folder cannot be written.
    """
    folder, name = os.path.split(os.path.abspath(path))
    temporary = os.path.join(folder, f".{name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        # 0o666 less the umask, as for any file this user makes (mkstemp's 0600 would keep a
        # node_exporter running as another user out); O_EXCL: never through someone's link.
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(text)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, path)
        except BaseException:
            os.unlink(temporary)
            raise
    except OSError as exc:
        raise UsageError(f"cannot write {path!r}: {exc.strerror}") from None
