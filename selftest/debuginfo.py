"""The `--debug` block for bug reports: versions and the settings that change libcurl's behaviour.

Modelled on requests' `help.py`: what a maintainer asks for first.
"""

from __future__ import annotations

import platform
import ssl
from collections.abc import Mapping

from selftest import __version__
from selftest.ca import choose_ca_bundle
from selftest.redact import redact_line

_PROXY_VARIABLES = ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY",
                    "all_proxy", "NO_PROXY", "no_proxy", "CURL_CA_BUNDLE", "SSL_CERT_FILE")


def debug_lines(environ: Mapping[str, str]) -> list[str]:
    """The block's lines; the variables from `environ`, the command's environment (the one its
    Options capture the proxy variables from), not from os.environ."""
    from selftest.transport import libcurl_version

    ca = choose_ca_bundle(None, environ)
    lines = [
        f"selftest {__version__}",
        f"python {platform.python_version()} ({platform.platform()})",
        f"pycurl/libcurl {libcurl_version()}",
        f"python ssl {ssl.OPENSSL_VERSION}",
        f"ca bundle {ca.path} (from {ca.source})",
    ]
    lines += [f"env {name}={redact_line(environ[name])}"
              for name in _PROXY_VARIABLES if name in environ]
    return lines
