"""The quota check: is there room in Box for this backup, and would Box accept the upload?

From users/me (shared with the token check): space_amount, space_used, max_upload_size and
status, against the backup's size. Then Box's non-destructive upload preflight,
`OPTIONS /2.0/files/content` with `{name, size, parent: {id}}` (docs/facts.md §4), which
proves write access to the folder and answers 409 item_name_in_use, 403 storage_limit_exceeded or
403 file_size_limit_exceeded without uploading a byte. Unlimited space is reported by Box as
999999999999999, and large numbers may arrive as floats (1.0034576985781e+14).
"""

from __future__ import annotations

import json
import time
from typing import Any

from selftest.checks import CheckResult, Finding, catalog_remedy, finding_from, fold, skipped
from selftest.checks.probes.boxapi import access_token, users_me
from selftest.checks.probes.boxshape import impostor, is_upload_preflight, json_object, not_box
from selftest.checks.probes.context import Context
from selftest.checks.probes.reach import UNKNOWN, Reach
from selftest.classify import classify

#: Box's sign for "unlimited" storage.
UNLIMITED_BYTES = 999_999_999_999_999


#: What to do for each answer of the upload preflight, by Box error code.
_PREFLIGHT_REMEDY = {
    "item_name_in_use": "A file of that name is already in the folder: rename the backup or "
                        "delete the old one (the extension does not overwrite).",
    "storage_limit_exceeded": "Free space in Box (empty the trash too) or upgrade the plan.",
    "file_size_limit_exceeded": "The account's plan caps the file size: exclude media/cache "
                                "from the backup, or upgrade the Box plan.",
    "access_denied_insufficient_permissions": "The account cannot write to that folder: pick "
                                              "another folder or ask its owner for Editor access.",
}


def number(value: Any) -> int | None:
    """An integer from Box's JSON (which may encode it as a float or a string)."""
    try:
        return int(float(value))
    except (TypeError, ValueError):
        return None


def human(size: int) -> str:
    """A byte count for people: binary units (1024), one decimal above bytes ("1.5 GB")."""
    amount = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if amount < 1024:
            return f"{amount:.0f} {unit}" if unit == "B" else f"{amount:.1f} {unit}"
        amount /= 1024
    return f"{amount:.1f} TB"


def account_findings(doc: dict[str, Any], size: int | None) -> tuple[list[Finding], dict[str, Any]]:
    """Judge users/me's figures against the backup size."""
    amount, used = number(doc.get("space_amount")), number(doc.get("space_used"))
    limit = number(doc.get("max_upload_size"))
    unlimited = amount is not None and amount >= UNLIMITED_BYTES
    free = None if amount is None or used is None or unlimited else max(0, amount - used)
    evidence = {"space_amount": amount, "space_used": used, "unlimited": unlimited,
                "free": free, "max_upload_size": limit, "status": doc.get("status"),
                "backup_size": size}
    found: list[Finding] = []
    status = doc.get("status")
    if status in ("inactive", "cannot_delete_edit_upload"):
        found.append(Finding("fail", f"the Box account's status is {status}: it cannot upload",
                             "Ask the Box admin to reactivate the account or its upload rights."))
    if size is not None and free is not None and size > free:
        found.append(Finding("fail", f"the backup ({human(size)}) does not fit in the "
                             f"{human(free)} left in Box",
                             _PREFLIGHT_REMEDY["storage_limit_exceeded"],
                             ("box:storage_limit_exceeded",)))
    if size is not None and limit is not None and size > limit:
        found.append(Finding("fail", f"the backup ({human(size)}) is larger than the account's "
                             f"maximum file size ({human(limit)})",
                             _PREFLIGHT_REMEDY["file_size_limit_exceeded"],
                             ("box:file_size_limit_exceeded",)))
    return found, evidence


def preflight_upload(ctx: Context, token: str, size: int | None) -> tuple[Finding, dict[str, Any]]:
    """Box's upload preflight for the backup's name and size in --folder-id."""
    name = ctx.options.backup_name or f"selftest-preflight-{int(time.time())}.wpress"
    body: dict[str, Any] = {"name": name, "parent": {"id": ctx.options.folder_id}}
    if size is not None:
        body["size"] = size
    request = ctx.request(ctx.api_url("/2.0/files/content"), method="OPTIONS",
                          body=json.dumps(body).encode(),
                          headers={**ctx.bearer(token), "Content-Type": "application/json"})
    obs = ctx.api_call("OPTIONS /2.0/files/content", request)
    evidence: dict[str, Any] = {"name": name, "folder_id": ctx.options.folder_id}
    if obs is None:
        return Finding("skip", "the run's budget of Box API calls is spent"), evidence
    evidence["observed"] = obs.to_dict()
    box_shaped = obs.http_status == 200 and is_upload_preflight(json_object(obs.body))
    if obs.ok and box_shaped:
        return Finding("pass", "Box would accept the upload"), evidence
    diagnosis = classify(obs)
    if impostor(obs, box_shaped):
        found = not_box(ctx.api.host, "OPTIONS /2.0/files/content", obs, request.url)
        return Finding(found.status, found.summary, found.remedy, diagnosis.ids), evidence
    code = obs.box_error.code if obs.box_error else ""
    remedy = _PREFLIGHT_REMEDY.get(code) or catalog_remedy(
        diagnosis, "Check --folder-id and the account's access to that folder; retry later if "
        "Box is unavailable.")
    refused = f"Box's upload preflight refused {name!r}"
    return finding_from(diagnosis, "fail", refused, remedy), evidence


def run(ctx: Context, reach: Reach = UNKNOWN) -> CheckResult:
    """Compare the account's space with the backup and ask Box's upload preflight."""
    me = users_me(ctx)
    if me is None:
        return skipped("quota", "no Box token to read the quota with",
                       "Provide a token (see the token check).")
    if not me.is_box_user:
        return skipped("quota", "the token check failed, so the quota cannot be read",
                       "Fix what the token check names first.")
    size = ctx.options.backup_size
    findings, evidence = account_findings(me.doc, size)
    token = access_token(ctx)
    if token is not None:
        finding, evidence["upload_preflight"] = preflight_upload(ctx, token[0], size)
        findings.append(finding)
    free = evidence["free"]
    room = "unlimited space" if evidence["unlimited"] else (
        f"{human(free)} free" if free is not None else "space unknown")
    fits = f", room for {human(size)}" if size is not None else " (give --backup-size to compare)"
    return fold("quota", findings, evidence, f"{room}{fits}; upload preflight accepted")
