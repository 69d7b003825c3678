"""Choosing the CA bundle libcurl verifies servers with — always explicitly.

The libcurl inside the pycurl wheel has `/etc/pki/tls/certs/ca-bundle.crt` (a Red Hat path)
compiled in as its default. On Debian and Ubuntu that file does not exist, and every real
certificate then fails with code 60 "unable to get local issuer certificate": a false diagnosis of
the user's network. So the bundle is chosen here, in this order, and reported:

1. an explicit path (`--cacert`),
2. the CURL_CA_BUNDLE, then SSL_CERT_FILE environment variables,
3. the distribution's bundle at its known paths,
4. certifi's bundle (Mozilla's list, shipped with requests).

A preflight chooses once, from the environment its command was given, when its Options are
built (`Options.ca_bundle`); every transfer and the tls check's "libcurl" store use that choice.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

import certifi

from selftest.errors import UsageError

#: Where distributions keep the system bundle (the list Go's crypto/x509 also searches).
DISTRIBUTION_BUNDLES = (
    "/etc/ssl/certs/ca-certificates.crt",  # Debian, Ubuntu, Gentoo, Arch
    "/etc/pki/tls/certs/ca-bundle.crt",  # Fedora, RHEL, CentOS
    "/etc/ssl/ca-bundle.pem",  # openSUSE
    "/etc/pki/tls/cacert.pem",  # OpenELEC
    "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",  # CentOS/RHEL 7
    "/etc/ssl/cert.pem",  # Alpine, macOS, FreeBSD
)


@dataclass(frozen=True)
class CaBundle:
    path: str
    #: "explicit", "CURL_CA_BUNDLE", "SSL_CERT_FILE", "system" or "certifi".
    source: str


def choose_ca_bundle(explicit: str | None = None,
                     environ: Mapping[str, str] | None = None) -> CaBundle:
    """Pick the bundle as described above, the variables from `environ` (this process's
    environment when None). Raises UsageError when an explicit path is missing."""
    if explicit:
        if not os.path.isfile(explicit):
            raise UsageError(f"CA bundle {explicit!r} does not exist or is not a file")
        return CaBundle(explicit, "explicit")
    environ = os.environ if environ is None else environ
    for variable in ("CURL_CA_BUNDLE", "SSL_CERT_FILE"):
        value = environ.get(variable)
        if value and os.path.isfile(value):
            return CaBundle(value, variable)
    for path in DISTRIBUTION_BUNDLES:
        if os.path.isfile(path):
            return CaBundle(path, "system")
    return CaBundle(certifi.where(), "certifi")
