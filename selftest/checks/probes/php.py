"""What PHP on this machine would use: its libcurl, its TLS library and its CA settings.

The extension runs inside PHP, so PHP's view is the one that counts. `curl.cainfo` (php.ini)
is the CA file PHP's cURL uses when set; a stale or missing one is a classic cause of
"cURL error 60" / "cURL error 77" (https://www.php.net/manual/en/curl.configuration.php).
`openssl.cafile` is used by PHP's stream wrappers, not by cURL, so it is reported only.
PHP is asked through the CLI binary on PATH; the web server's PHP may use another php.ini, which
the report says.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

#: Prints the facts as one JSON object; works on PHP 5.4 and later.
_PROBE = (
    "$v = function_exists('curl_version') ? curl_version() : array();"
    "$l = function_exists('openssl_get_cert_locations') ? openssl_get_cert_locations() : array();"
    "echo json_encode(array('php' => PHP_VERSION,"
    " 'curl' => isset($v['version']) ? $v['version'] : '',"
    " 'ssl' => isset($v['ssl_version']) ? $v['ssl_version'] : '',"
    " 'curl_cainfo' => (string) ini_get('curl.cainfo'),"
    " 'openssl_cafile' => (string) ini_get('openssl.cafile'),"
    " 'default_cert_file' => isset($l['default_cert_file']) ? $l['default_cert_file'] : '',"
    " 'ini' => (string) php_ini_loaded_file()));"
)

PROBE_TIMEOUT_S = 10.0


@dataclass(frozen=True)
class PhpFacts:
    """What PHP's CLI says of its libcurl, its TLS library and its CA settings."""

    php_version: str
    curl_version: str
    ssl_version: str
    curl_cainfo: str
    openssl_cafile: str
    default_cert_file: str
    ini_file: str

    def to_dict(self) -> dict[str, Any]:
        """The JSON form in the tls check's evidence (unset settings as null)."""
        return {"php_version": self.php_version, "curl_version": self.curl_version,
                "ssl_version": self.ssl_version, "curl.cainfo": self.curl_cainfo or None,
                "openssl.cafile": self.openssl_cafile or None,
                "default_cert_file": self.default_cert_file or None,
                "php.ini": self.ini_file or None}


#: Runs a program under the run's deadline (`Context.run_child`): (status, stdout, stderr), or
#: a sentence saying why it gave no answer.
RunChild = Callable[[list[str], float], "tuple[int, str, str] | str"]


def probe(run_child: RunChild, timeout_s: float = PROBE_TIMEOUT_S) -> PhpFacts | str | None:
    """PHP's facts; None when there is no `php` on PATH; a message when PHP could not tell.

    A `php` that hangs or fails is a problem of this machine's PHP, never of the network: the
    message says so."""
    binary = shutil.which("php")
    if binary is None:
        return None
    done = run_child([binary, "-r", _PROBE], timeout_s)
    local = f"`php` on PATH ({binary})"
    if isinstance(done, str):
        return (f"{local} could not report its cURL settings: {done} (a problem of PHP on "
                "this machine, not of the network)")
    status, out, err = done
    try:
        doc = json.loads(out.strip() or "null")
    except ValueError:
        doc = None
    if not isinstance(doc, dict):
        return (f"{local} printed no report (exit {status}): {err.strip()[:200]} (a problem of "
                "PHP on this machine, not of the network)")
    return PhpFacts(str(doc.get("php", "")), str(doc.get("curl", "")), str(doc.get("ssl", "")),
                    str(doc.get("curl_cainfo", "")), str(doc.get("openssl_cafile", "")),
                    str(doc.get("default_cert_file", "")), str(doc.get("ini", "")))


def lacks_tls12(ssl_version: str) -> bool:
    """True for TLS libraries too old for TLS 1.2 (OpenSSL before 1.0.1)."""
    match = re.search(r"OpenSSL/(\d+)\.(\d+)\.(\d+)", ssl_version)
    return match is not None and tuple(int(p) for p in match.groups()) < (1, 0, 1)
