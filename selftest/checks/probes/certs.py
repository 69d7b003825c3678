"""Reading what a TLS handshake showed: the chain (libcurl CERTINFO) and the negotiated session.

libcurl's CERTINFO gives each certificate as (name, value) pairs including the PEM ("Cert");
the PEM is parsed here with `cryptography` rather than trusting the text fields, whose layout
differs between TLS backends. Protocol, cipher and ALPN are not in CERTINFO; they are read from
libcurl's verbose lines ("SSL connection using TLSv1.3 / TLS_AES_256_GCM_SHA384 / ...",
"ALPN: server accepted h2") — evidence for a person, never used to classify.
"""

from __future__ import annotations

import datetime
import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

_SESSION = re.compile(r"SSL connection using (?P<protocol>[\w.]+) / (?P<cipher>[\w-]+)")
_ALPN = re.compile(r"ALPN: server accepted (?P<alpn>\S+)")

#: TLS versions Box still accepts (TLS 1.0/1.1 were switched off in 2019/2020).
MODERN_PROTOCOLS = ("TLSv1.2", "TLSv1.3")


@dataclass(frozen=True)
class CertSummary:
    """One certificate of a chain, as the tls check reports it."""

    subject: str
    issuer: str
    not_after: datetime.datetime
    sha256: str
    dns_names: tuple[str, ...]

    def days_left(self, now: datetime.datetime | None = None) -> int:
        """Whole days until the certificate expires (negative once it has)."""
        now = now or datetime.datetime.now(datetime.UTC)
        return (self.not_after - now).days

    def to_dict(self) -> dict[str, Any]:
        """The JSON form in the tls check's evidence."""
        return {"subject": self.subject, "issuer": self.issuer,
                "not_after": self.not_after.isoformat(), "days_left": self.days_left(),
                "sha256": self.sha256}


def _summary(cert: x509.Certificate) -> CertSummary:
    """The CertSummary of a parsed certificate (no SAN extension: no DNS names)."""
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName)
        names = tuple(san.value.get_values_for_type(x509.DNSName))
    except x509.ExtensionNotFound:
        names = ()
    return CertSummary(
        subject=cert.subject.rfc4514_string(),
        issuer=cert.issuer.rfc4514_string(),
        not_after=cert.not_valid_after_utc,
        sha256=hashlib.sha256(cert.public_bytes(Encoding.DER)).hexdigest(),
        dns_names=names,
    )


def chain(certinfo: Iterable[Sequence[tuple[str, str]]]) -> list[CertSummary]:
    """The certificates of a CERTINFO list, leaf first; unreadable entries are left out."""
    out: list[CertSummary] = []
    for fields in certinfo:
        pem = dict(fields).get("Cert", "")
        if not pem:
            continue
        try:
            out.append(_summary(x509.load_pem_x509_certificate(pem.encode())))
        except ValueError:
            continue
    return out


def hostname_matches(cert: CertSummary, host: str) -> bool:
    """RFC 6125 matching of a DNS name: exact, or one left-most `*` label."""
    host = host.lower().rstrip(".")
    for name in (n.lower() for n in cert.dns_names):
        if name == host:
            return True
        if name.startswith("*.") and "." in host and host.split(".", 1)[1] == name[2:]:
            return True
    return False


def session(wire: Sequence[str]) -> dict[str, str]:
    """Protocol, cipher and ALPN from libcurl's verbose lines (empty strings when not seen)."""
    found = {"protocol": "", "cipher": "", "alpn": ""}
    for line in wire:
        if match := _SESSION.search(line):
            found["protocol"], found["cipher"] = match["protocol"], match["cipher"]
        elif match := _ALPN.search(line):
            found["alpn"] = match["alpn"]
    return found

