"""The proxy check: which proxy each component would use, does its tunnel open, is TLS intercepted?

1. The proxy libcurl (PHP's cURL) would use, from the command's environment or --proxy
   (`Context.proxy_for`, `selftest.checks.probes.proxyenv`), and the one WordPress would use,
   from --wp-config (`Options.wp_settings`, read once: `selftest.checks.probes.wpconfig`); where
   they disagree, the extension and WordPress's own HTTP API take different paths, and a fix
   in one place does not help the other.
2. A CONNECT tunnel through each proxy to the API host (libcurl HTTPPROXYTUNNEL, CONNECT_ONLY: no
   HTTP request reaches Box): 407 (credentials), 403 (policy), refused, unresolvable proxy.
3. TLS interception: the certificate seen through the proxy differs from the one seen directly,
   or (without a direct path) is not issued by a CA in Mozilla's list.
Proxy passwords never leave this module unredacted.
"""

from __future__ import annotations

from typing import Any

import certifi

from selftest.checks import CheckResult, Finding, finding_from, fold
from selftest.checks.probes.certs import chain
from selftest.checks.probes.context import Context, Target
from selftest.checks.probes.proxyenv import ProxyChoice, split_credentials
from selftest.checks.probes.reach import UNKNOWN, PathProbe, Reach
from selftest.checks.probes.wpconfig import WpHttpSettings, blocked, bypasses
from selftest.classify import classify
from selftest.observe import Observation
from selftest.redact import redact_line

_CREDENTIALS = ("Put the proxy's user and password in the proxy URL (https_proxy="
                "http://USER:PASSWORD@HOST:PORT) for PHP's cURL, and in WP_PROXY_USERNAME / "
                "WP_PROXY_PASSWORD in wp-config.php for WordPress.")
_WRONG_CREDENTIALS = ("The proxy refused the user and password in its URL: check them with the "
                      "proxy's administrator (inside the URL write ':' as %3A and '@' as %40), "
                      "and WP_PROXY_USERNAME / WP_PROXY_PASSWORD in wp-config.php for WordPress.")
_ALLOW = ("Ask the proxy's administrator to allow CONNECT to *.box.com, *.boxcloud.com and "
          "redirect.wp-migration.com on port 443.")
_INTERCEPT = ("Ask the network administrator to exempt *.box.com and *.boxcloud.com from TLS "
              "inspection, or add the inspection CA to the CA bundle PHP uses (curl.cainfo).")


def wordpress_proxy(settings: WpHttpSettings | None, host: str) -> str:
    """The proxy WordPress's HTTP API would take for `host` ("" for none or a bypassed host)."""
    if settings is None or not settings.proxy_host or bypasses(settings, host):
        return ""
    return settings.proxy_url


def _public(url: str) -> str:
    """A proxy URL fit to show (its password redacted), or "direct"."""
    return redact_line(url) if url else "direct"


def _disagreements(ctx: Context, settings: WpHttpSettings) -> list[Finding]:
    """Where WordPress's settings and libcurl's environment take different ways to a host."""
    found: list[Finding] = []
    for target in ctx.targets:
        curl_url = ctx.proxy_for(target.host).url
        wp_url = wordpress_proxy(settings, target.host)
        if blocked(settings, target.host):
            found.append(Finding("fail", f"WP_HTTP_BLOCK_EXTERNAL blocks {target.host} (not in "
                                 "WP_ACCESSIBLE_HOSTS)", "Add *.box.com, *.boxcloud.com and "
                                 "redirect.wp-migration.com to WP_ACCESSIBLE_HOSTS in "
                                 "wp-config.php, or remove WP_HTTP_BLOCK_EXTERNAL."))
        if curl_url.split("@")[-1] != wp_url.split("@")[-1]:
            found.append(Finding("warn", f"for {target.host} PHP's cURL goes {_public(curl_url)} "
                                 f"but WordPress goes {_public(wp_url)}", "Make the proxy "
                                 "environment of the PHP process and the WP_PROXY_* constants "
                                 "agree."))
    return found


def _handshake(ctx: Context, target: Target, proxy: str, verify: bool,
               cainfo: str | None = None) -> Observation:
    """A TLS handshake with the target, through `proxy` when one is given (CONNECT_ONLY)."""
    options = {"CONNECT_ONLY": 1, "HTTPPROXYTUNNEL": 1} if proxy else {"CONNECT_ONLY": 1}
    timeout = min(10_000, ctx.remaining_ms())
    return ctx.perform(ctx.request(target.url, proxy=proxy, verify=verify, certinfo=True,
                                   cainfo=cainfo or ctx.options.cacert, options=options,
                                   timeout_ms=timeout))


def _raw_at(proxy: str) -> bool:
    """An '@' left in the user info (curl splits at the last '@'; libcurl 8 refuses the URL)."""
    authority = proxy.partition("://")[2].split("/", 1)[0]
    return "@" in authority.rpartition("@")[0]


def tunnel_finding(obs: Observation, proxy: str) -> Finding:
    """Explain a tunnel that did not open (refused, 407, 403, unresolvable or silent proxy)."""
    where = _public(proxy)
    status = obs.connect_status
    has_credentials = bool(split_credentials(proxy)[0])
    if status == 407:
        text = f"the proxy {where} demands authentication (407)"
        if has_credentials:
            text = f"the proxy {where} refused the credentials in its URL (407)"
        remedy = _WRONG_CREDENTIALS if has_credentials else _CREDENTIALS
    elif status == 403:
        text, remedy = f"the proxy {where} refuses CONNECT to Box (403)", _ALLOW
    elif obs.curl_code == 5 and _raw_at(proxy):
        text = f"the proxy URL {where} has an '@' in its user or password: libcurl cannot read it"
        remedy = ("Write '@' inside the proxy's user or password as %40 (and ':' as %3A) where "
                  "the proxy is set (https_proxy, --proxy); PHP's cURL reads it the same way.")
    elif obs.curl_code == 5:
        text, remedy = f"the proxy host of {where} cannot be resolved", "Fix the proxy host name."
    elif obs.curl_code == 7:
        text, remedy = f"the proxy {where} refuses connections", "Check the proxy host and port."
    elif obs.curl_code == 28 and status == 0:
        text = f"the proxy {where} never answered the CONNECT request (timed out)"
        remedy = (f"The proxy accepts connections but does not answer: check that {where} is "
                  "an HTTP proxy and that it works (`curl -v -x PROXY https://api.box.com/` on "
                  "this machine), or ask its administrator.")
    else:
        return finding_from(classify(obs), "fail", f"no tunnel through the proxy {where}", _ALLOW)
    # The proxy's own words: libcurl's detail would name the phase on the far side of the tunnel.
    return Finding("fail", text, remedy, classify(obs).ids)


def interception(ctx: Context, target: Target, proxy: str,
                 proxied: Observation) -> tuple[Finding | None, dict[str, Any]]:
    """Compare the certificate seen through the proxy with the one seen directly."""
    seen = chain(proxied.certinfo)
    evidence: dict[str, Any] = {"issuer_via_proxy": seen[0].issuer if seen else None}
    if not seen:
        return None, evidence
    direct = chain(_handshake(ctx, target, "", False).certinfo)
    if direct:
        evidence["same_certificate"] = direct[0].sha256 == seen[0].sha256
        if evidence["same_certificate"]:
            return None, evidence
        trusted = _handshake(ctx, target, proxy, True).curl_code == 0
    else:
        public = _handshake(ctx, target, proxy, True, certifi.where()).curl_code == 0
        if public:
            return None, evidence
        trusted = _handshake(ctx, target, proxy, True).curl_code == 0
    issuer = seen[0].issuer
    if trusted:
        return Finding("warn", f"the proxy {_public(proxy)} intercepts TLS (certificate issued "
                       f"by {issuer}), with a CA this machine trusts", _INTERCEPT), evidence
    return Finding("fail", f"the proxy {_public(proxy)} intercepts TLS: {target.host}'s "
                   f"certificate is re-issued by {issuer}, which libcurl does not trust",
                   _INTERCEPT, ("curl:60",)), evidence


def check_proxy(ctx: Context, proxy: str,
                path: PathProbe | None = None) -> tuple[list[Finding], dict[str, Any]]:
    """One proxy's tunnel to the API host (the runner's path probe when it went through this
    proxy, so that the tunnel is opened once), then the interception test."""
    target = ctx.api
    proxied = path.obs if path is not None and path.proxy == proxy else _handshake(
        ctx, target, proxy, False)
    evidence: dict[str, Any] = {"proxy": _public(proxy), "connect_status": proxied.connect_status,
                                "curl_code": proxied.curl_code}
    if proxied.curl_code and (path is None or path.broken_at != "server"):
        return [tunnel_finding(proxied, proxy)], evidence
    if proxied.curl_code:
        # The tunnel opened; the server behind it failed the handshake: the tls check's finding.
        evidence["tunnel"] = "open; the server behind it failed (see the tls check)"
        return [], evidence
    finding, more = interception(ctx, target, proxy, proxied)
    evidence.update(more)
    return ([finding] if finding else []), evidence


def _choices(ctx: Context, settings: WpHttpSettings | None) -> tuple[ProxyChoice, str]:
    """The API host's proxy as libcurl would choose it, and as WordPress would."""
    return ctx.proxy_for(ctx.api.host), wordpress_proxy(settings, ctx.api.host)


def run(ctx: Context, reach: Reach = UNKNOWN) -> CheckResult:
    """Find the proxies, test each tunnel, look for interception."""
    settings = ctx.options.wp_settings
    libcurl, wp_url = _choices(ctx, settings)
    evidence: dict[str, Any] = {
        "libcurl": {"proxy": _public(libcurl.url), "source": libcurl.source,
                    "no_proxy_match": libcurl.bypassed_by or None},
    }
    findings: list[Finding] = []
    if settings is not None:
        evidence["wordpress"] = {"proxy": _public(wp_url),
                                 "bypass_hosts": list(settings.bypass_hosts),
                                 "block_external": settings.block_external}
        findings += _disagreements(ctx, settings)
    tunnels = []
    for proxy in dict.fromkeys(p for p in (libcurl.url, wp_url) if p):
        found, tunnel = check_proxy(ctx, proxy, reach.path)
        findings += found
        tunnels.append(tunnel)
    evidence["tunnels"] = tunnels
    names = ", ".join(t["proxy"] for t in tunnels)
    if not tunnels:
        all_clear = "no proxy: PHP's cURL connects to Box directly"
    elif any("tunnel" in t for t in tunnels):
        # Interception cannot be judged without a handshake with the server behind the tunnel.
        all_clear = (f"tunnel through {names} opens; the server behind it failed the handshake "
                     "(see the tls check)")
    else:
        all_clear = f"tunnel through {names} works, no interception"
    return fold("proxy", findings, evidence, all_clear)
