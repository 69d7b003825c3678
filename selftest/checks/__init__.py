"""The preflight checks: dns, proxy, tls, clock, token, quota — each a function returning a value.

A check is `run(ctx: Context, reach: Reach) -> CheckResult`, one top-level module each; what they
are built from (Context, the probes, the config readers, the mock transport) is in
`selftest.checks.probes`, which imports none of them. Findings about the user's machine and
network are CheckResult values, never exceptions; a check raises only when selftest itself is
broken. The names are part of the JSON contract in docs/contracts.md §3
(`selftest preflight --json`).

    status  pass   nothing to fix
            warn   works, but something is fragile or differs from what WordPress would do
            fail   the extension would fail: `diagnosis` names the catalog entries it would show
            skip   could not be checked (no token, a prerequisite failed): `summary` says why
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from selftest.classify import Diagnosis
from selftest.redact import redact

Status = Literal["pass", "warn", "fail", "skip"]

#: The checks in report order (the order of the JSON contract).
CHECK_NAMES = ("dns", "proxy", "tls", "clock", "token", "quota")

#: Worst first: the status of a check that found several things is the worst of them.
_SEVERITY: dict[Status, int] = {"fail": 3, "warn": 2, "pass": 1, "skip": 0}


@dataclass(frozen=True)
class CheckResult:
    """What one check found. `evidence` holds the figures a support engineer asks for."""

    check: str
    status: Status
    summary: str
    remedy: str = ""
    diagnosis: tuple[str, ...] = ()
    evidence: Mapping[str, Any] = field(default_factory=dict)
    duration_ms: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        """The JSON form of docs/contracts.md §3, secrets redacted."""
        out = {
            "check": self.check,
            "status": self.status,
            "summary": self.summary,
            "remedy": self.remedy,
            "diagnosis": list(self.diagnosis),
            "evidence": dict(self.evidence),
            "duration_ms": round(self.duration_ms, 1),
        }
        redacted: dict[str, Any] = redact(out)
        return redacted

    def timed(self, duration_ms: float) -> CheckResult:
        """The same result, with the time the check took."""
        return replace(self, duration_ms=duration_ms)


@dataclass(frozen=True)
class Finding:
    """One problem (or all-clear) inside a check; a check folds several into one CheckResult."""

    status: Status
    summary: str
    remedy: str = ""
    diagnosis: tuple[str, ...] = ()


#: The last resort of a finding with no remedy of its own and none in the catalog.
GENERIC_REMEDY = ("Run `selftest explain` on the code shown, or rerun with --json and send the "
                  "evidence to whoever runs this network.")


def finding_from(diagnosis: Diagnosis, status: Status, summary: str, remedy: str = "") -> Finding:
    """A Finding for a classified observation; the classifier's detail refines the summary.
    Without a remedy of its own it gets the catalog's (a finding always says what to do)."""
    text = f"{summary}: {diagnosis.detail}" if diagnosis.detail else summary
    return Finding(status, text, remedy or catalog_remedy(diagnosis, GENERIC_REMEDY),
                   diagnosis.ids)


def catalog_remedy(diagnosis: Diagnosis, fallback: str) -> str:
    """The catalog's remedy for the diagnosis's primary entry, else `fallback`: a finding always
    says what to do, never "see the diagnosis"."""
    from selftest import catalog

    primary = diagnosis.primary
    entry = catalog.load().find(primary) if primary else None
    return entry.remedy if entry is not None and entry.remedy else fallback


def worst(statuses: Sequence[Status]) -> Status:
    """The most severe status among several ("pass" when there are none)."""
    return max(statuses, key=lambda s: _SEVERITY[s], default="pass")


def fold(check: str, findings: Sequence[Finding], evidence: Mapping[str, Any],
         all_clear: str) -> CheckResult:
    """Fold a check's findings into one result: worst status, problems first, ids de-duplicated."""
    problems = [f for f in findings if f.status in ("fail", "warn")]
    if not problems:
        skips = [f for f in findings if f.status == "skip"]
        if skips and len(skips) == len(findings):
            return CheckResult(check, "skip", skips[0].summary, skips[0].remedy, (), evidence)
        return CheckResult(check, "pass", all_clear, "", (), evidence)
    problems.sort(key=lambda f: -_SEVERITY[f.status])
    ids: list[str] = []
    for problem in problems:
        ids += [i for i in problem.diagnosis if i not in ids]
    # Several findings' chains, merged: keep the contract's order, outermost layer first.
    ids.sort(key=_layer_rank)
    summary = "; ".join(p.summary for p in problems)
    remedies = [p.remedy for p in problems if p.remedy]
    remedy = " ".join(dict.fromkeys(remedies))
    return CheckResult(check, worst([p.status for p in problems]), summary, remedy,
                       tuple(ids), evidence)


def _layer_rank(entry_id: str) -> int:
    """Where an id's layer stands in a diagnosis: curl, http, box/oauth, plugin; unknown last."""
    return _LAYER_ORDER.get(entry_id.split(":", 1)[0], len(_LAYER_ORDER))


_LAYER_ORDER = {"curl": 0, "http": 1, "box": 2, "oauth": 2, "plugin": 3}


def skipped(check: str, reason: str, remedy: str = "") -> CheckResult:
    """A result saying the check could not run, and why (`reason`)."""
    return CheckResult(check, "skip", reason, remedy)
