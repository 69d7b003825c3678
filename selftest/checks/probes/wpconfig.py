"""The proxy and outbound-HTTP settings WordPress reads from wp-config.php.

WordPress's HTTP API (`WP_Http_Proxy`, wp-includes/class-wp-http-proxy.php) sends requests
through `WP_PROXY_HOST:WP_PROXY_PORT` (with `WP_PROXY_USERNAME` / `WP_PROXY_PASSWORD`) unless the
host is localhost, the site itself, or listed in `WP_PROXY_BYPASS_HOSTS` (comma list, `*`
wildcards). `WP_HTTP_BLOCK_EXTERNAL` blocks every external host except those in
`WP_ACCESSIBLE_HOSTS` (wp-includes/class-wp-http.php, `block_request()`).
https://developer.wordpress.org/apis/wp-config-php/#block-external-url-requests

wp-config.php is PHP; it is read here, not run: `define('NAME', value)` with a quoted string,
a number or true/false. Commented-out lines are ignored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import quote

from selftest.errors import UsageError

#: Block comments, and whole lines commented out with // or # (not "//" inside a URL string).
_COMMENTS = re.compile(r"/\*.*?\*/|^[ \t]*(?://|#).*?$", re.DOTALL | re.MULTILINE)
_DEFINE = re.compile(
    r"""define\s*\(\s*(['"])(?P<name>[A-Z_]+)\1\s*,\s*"""
    r"""(?:'(?P<single>(?:[^'\\]|\\.)*)'|"(?P<double>(?:[^"\\]|\\.)*)"|(?P<bare>[\w.]+))\s*\)""",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class WpHttpSettings:
    """The WP_PROXY_* and WP_HTTP_BLOCK_EXTERNAL / WP_ACCESSIBLE_HOSTS constants, as read."""

    proxy_host: str = ""
    proxy_port: str = ""
    proxy_username: str = ""
    proxy_password: str = field(default="", repr=False)
    bypass_hosts: tuple[str, ...] = ()
    block_external: bool = False
    accessible_hosts: tuple[str, ...] = ()

    @property
    def proxy_url(self) -> str:
        """The proxy as a URL libcurl would accept (credentials included), "" when none."""
        if not self.proxy_host:
            return ""
        # WordPress hands the credentials to cURL apart (CURLOPT_PROXYUSERPWD); in a URL an '@'
        # or ':' in them must be percent-encoded, or libcurl reads another host.
        user, password = quote(self.proxy_username, safe=""), quote(self.proxy_password, safe="")
        auth = f"{user}:{password}@" if self.proxy_username else ""
        port = self.proxy_port or "80"  # WP_Http_Proxy::port() has no default; curl's is 1080
        return f"http://{auth}{self.proxy_host}:{port}"


def _wildcard(pattern: str, host: str) -> bool:
    """Whether `host` matches a WordPress host pattern (`*`: one or more characters)."""
    # WordPress turns `*` into `.+` and anchors the pattern (class-wp-http-proxy.php).
    regex = "^" + ".+".join(re.escape(p) for p in pattern.split("*")) + "$"
    return re.match(regex, host, re.IGNORECASE) is not None


def bypasses(settings: WpHttpSettings, host: str) -> bool:
    """Whether WordPress sends requests to `host` without its proxy."""
    return host.lower() == "localhost" or any(_wildcard(p, host) for p in settings.bypass_hosts)


def blocked(settings: WpHttpSettings, host: str) -> bool:
    """Whether WP_HTTP_BLOCK_EXTERNAL stops WordPress from reaching `host` at all."""
    if not settings.block_external or host.lower() == "localhost":
        return False
    return not any(_wildcard(p, host) for p in settings.accessible_hosts)


def _truthy(value: str) -> bool:
    """A constant's value as PHP reads it: "", "0", false and null are false."""
    return value.lower() not in ("", "0", "false", "null")


#: A wp-config.php is a few KB; anything this large is another file, and is not read whole.
SIZE_LIMIT_BYTES = 1024 * 1024


def constants(text: str) -> dict[str, str]:
    """Every define('NAME', value) of a wp-config.php text that is not commented out."""
    values: dict[str, str] = {}
    for match in _DEFINE.finditer(_COMMENTS.sub("", text)):
        raw = match.group("single") or match.group("double") or match.group("bare") or ""
        values[match.group("name").upper()] = raw.replace("\\'", "'").replace('\\"', '"')
    return values


def parse(text: str) -> WpHttpSettings:
    """The HTTP settings defined in a wp-config.php text."""
    return _settings(constants(text))


def _settings(values: dict[str, str]) -> WpHttpSettings:
    """WpHttpSettings from the constants found in the file."""
    def listed(name: str) -> tuple[str, ...]:
        """A comma-separated constant as its list of hosts."""
        return tuple(h.strip() for h in values.get(name, "").split(",") if h.strip())

    return WpHttpSettings(
        proxy_host=values.get("WP_PROXY_HOST", ""),
        proxy_port=values.get("WP_PROXY_PORT", ""),
        proxy_username=values.get("WP_PROXY_USERNAME", ""),
        proxy_password=values.get("WP_PROXY_PASSWORD", ""),
        bypass_hosts=listed("WP_PROXY_BYPASS_HOSTS"),
        block_external=_truthy(values.get("WP_HTTP_BLOCK_EXTERNAL", "")),
        accessible_hosts=listed("WP_ACCESSIBLE_HOSTS"),
    )


def load(path: str) -> WpHttpSettings:
    """Read wp-config.php (at most SIZE_LIMIT_BYTES). Raises UsageError when the file cannot be
    read, is larger than any wp-config.php, or defines no PHP constant at all (then it is not a
    wp-config.php, and its proxy settings would silently read as "none")."""
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            text = handle.read(SIZE_LIMIT_BYTES + 1)
    except OSError as exc:
        raise UsageError(f"cannot read wp-config {path!r}: {exc.strerror}") from None
    if len(text) > SIZE_LIMIT_BYTES:
        raise UsageError(f"--wp-config {path!r} is larger than {SIZE_LIMIT_BYTES // 1024} KB: "
                         "a wp-config.php is a few KB; is it the right file?")
    values = constants(text)
    if not values:
        raise UsageError(f"--wp-config {path!r} defines no PHP constants (no define('NAME', "
                         "value)): it is not a wp-config.php")
    return _settings(values)
