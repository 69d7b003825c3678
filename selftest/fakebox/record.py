"""A record of every response the fake sends, for the OpenAPI contract test.

Off unless the environment names a file: `SELFTEST_FAKEBOX_RECORD=/path/file.jsonl` makes every
app append one JSON line per response (route path as in the spec, method, status, content
type, JSON body). Bodies larger than `MAX_BODY_BYTES` are left out so the file stays small.
"""

from __future__ import annotations

import json
import os
import threading
from typing import Any

ENV = "SELFTEST_FAKEBOX_RECORD"
MAX_BODY_BYTES = 256 * 1024
_lock = threading.Lock()


def record(method: str, path: str | None, status: int, content_type: str, body: bytes) -> None:
    """Append one response to the record file, when recording is on."""
    target = os.environ.get(ENV)
    if not target:
        return
    doc: Any = None
    if content_type.startswith("application/json") and len(body) <= MAX_BODY_BYTES:
        try:
            doc = json.loads(body)
        except ValueError:
            doc = {"_unparsable": body[:200].decode("latin-1")}
    line = json.dumps({"method": method.lower(), "path": path, "status": status,
                       "content_type": content_type, "body": doc, "empty": not body})
    with _lock, open(target, "a", encoding="utf-8") as out:
        out.write(line + "\n")
