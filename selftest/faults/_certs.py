"""Test certificates, made at run time with trustme and written to a private temporary folder.

Nothing here is ever committed: a test CA that lives only in memory (and in files that are removed
when the process exits) cannot leak into anybody's trust store. Scenarios reach the files through
placeholders: `{ca}` (the test CA that signs the good server certificates), `{other_ca}` (an
unrelated CA), `{garbage_pem}` (a file that is not PEM) and `{missing_file}` (a path that does
not exist).
"""

from __future__ import annotations

import atexit
import datetime
import shutil
import tempfile
import threading
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import trustme

#: Identities of the good server certificate: the loopback address the scenarios connect to.
SERVER_IDENTITIES = ("127.0.0.1", "localhost")


@dataclass(frozen=True)
class Pki:
    """The run's test CA, an unrelated CA, and the files scenarios point libcurl at."""

    ca: trustme.CA
    other_ca: trustme.CA
    folder: Path

    def leaf(self, kind: str) -> trustme.LeafCert:
        """A server certificate: "good", "unknown-ca", "wrong-host" or "expired"."""
        with _MAKING:
            return _leaf(self, kind)

    def placeholders(self) -> dict[str, str]:
        return {
            "ca": str(self.folder / "ca.pem"),
            "other_ca": str(self.folder / "other-ca.pem"),
            "garbage_pem": str(self.folder / "garbage.pem"),
            "missing_file": str(self.folder / "does-not-exist.pem"),
        }


#: Scenarios run on several threads: the PKI and each leaf are made once, not once per thread.
_MAKING = threading.RLock()


def pki() -> Pki:
    """The process's one test PKI (made on first use, removed at exit)."""
    with _MAKING:
        return _pki()


@cache
def _pki() -> Pki:
    folder = Path(tempfile.mkdtemp(prefix="selftest-pki-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    made = Pki(trustme.CA(organization_name="selftest test CA"),
               trustme.CA(organization_name="selftest unrelated CA"), folder)
    made.ca.cert_pem.write_to_path(str(folder / "ca.pem"))
    made.other_ca.cert_pem.write_to_path(str(folder / "other-ca.pem"))
    (folder / "garbage.pem").write_text("this is not a certificate\n", encoding="ascii")
    return made


@cache
def _leaf(made: Pki, kind: str) -> trustme.LeafCert:
    if kind == "good":
        return made.ca.issue_cert(*SERVER_IDENTITIES)
    if kind == "unknown-ca":
        return made.other_ca.issue_cert(*SERVER_IDENTITIES)
    if kind == "wrong-host":
        return made.ca.issue_cert("wrong-host.example")
    if kind == "expired":
        now = datetime.datetime.now(datetime.UTC)
        return made.ca.issue_cert(*SERVER_IDENTITIES, not_before=now - datetime.timedelta(days=30),
                                  not_after=now - datetime.timedelta(days=1))
    raise ValueError(f"unknown certificate kind {kind!r}")
