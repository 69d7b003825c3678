"""Which proxy libcurl and WordPress would use: environment, NO_PROXY rules and wp-config.php."""

from __future__ import annotations

from pathlib import Path

import pytest

from selftest.checks.probes import proxyenv, wpconfig


@pytest.mark.parametrize(("no_proxy", "host", "matched"), [
    ("*", "api.box.com", "*"),
    ("box.com", "api.box.com", "box.com"),
    (".box.com", "api.box.com", ".box.com"),
    (".box.com", "box.com", ".box.com"),
    ("BOX.COM", "Api.Box.Com", "BOX.COM"),
    ("example.com, box.com", "upload.box.com", "box.com"),
    ("ox.com", "api.box.com", ""),
    ("api.box.com:443", "api.box.com", ""),
    ("127.0.0.0/8", "127.0.0.1", "127.0.0.0/8"),
    ("::1", "::1", "::1"),
    ("", "api.box.com", ""),
    ("*.box.com", "api.box.com", ""),
])
def test_no_proxy_rules(no_proxy: str, host: str, matched: str) -> None:
    """curl's NO_PROXY rules: comma list, tail match, leading dot, `*`, case, no ports, CIDR."""
    assert proxyenv.no_proxy_match(host, no_proxy) == matched


def test_lower_case_wins_and_all_proxy_is_a_fallback() -> None:
    """https_proxy beats HTTPS_PROXY, which beats all_proxy; HTTP_PROXY is never read."""
    env = {"HTTPS_PROXY": "upper:1", "https_proxy": "lower:2", "ALL_PROXY": "all:3"}
    assert proxyenv.proxy_for("api.box.com", None, env).url == "http://lower:2"
    assert proxyenv.proxy_for("api.box.com", None, {"ALL_PROXY": "all:3"}).source == "ALL_PROXY"
    assert proxyenv.proxy_for("api.box.com", None, {"HTTP_PROXY": "h:1"}).url == ""


def test_no_proxy_turns_off_the_proxy() -> None:
    """NO_PROXY switches the proxy off, and says which entry did it."""
    env = {"https_proxy": "p:8080", "NO_PROXY": ".box.com"}
    choice = proxyenv.proxy_for("api.box.com", None, env)
    assert choice.url == "" and choice.bypassed_by == "NO_PROXY=.box.com"


def test_explicit_proxy_overrides_environment() -> None:
    """--proxy replaces the environment's proxy; a bare host gets curl's default port 1080."""
    choice = proxyenv.proxy_for("api.box.com", "corp-proxy", {"https_proxy": "p:1"})
    assert choice.url == "http://corp-proxy:1080" and choice.source == "--proxy"


def test_credentials_are_split() -> None:
    """User and password are read from a proxy URL."""
    assert proxyenv.split_credentials("http://bob:s3cret@p:3128") == ("bob", "s3cret")
    assert proxyenv.split_credentials("http://p:3128") == ("", "")


WP_CONFIG = """<?php
define( 'DB_NAME', 'wp' );
// define('WP_PROXY_HOST', 'commented.example');
define( 'WP_PROXY_HOST', "proxy.corp.onion" );
define('WP_PROXY_PORT', 3128);
define('WP_PROXY_USERNAME', 'wpuser');
define('WP_PROXY_PASSWORD', 'wp-s3cret-pass');
define('WP_PROXY_BYPASS_HOSTS', 'localhost, *.box.com');
/* define('WP_HTTP_BLOCK_EXTERNAL', false); */
define('WP_HTTP_BLOCK_EXTERNAL', true);
define('WP_ACCESSIBLE_HOSTS', 'api.wordpress.org,*.box.com');
"""


def test_wp_config_is_parsed_without_running_php() -> None:
    """define() calls are read; commented-out ones are not."""
    settings = wpconfig.parse(WP_CONFIG)
    assert settings.proxy_host == "proxy.corp.onion" and settings.proxy_port == "3128"
    assert settings.proxy_url == "http://wpuser:wp-s3cret-pass@proxy.corp.onion:3128"
    assert settings.bypass_hosts == ("localhost", "*.box.com")
    assert settings.block_external and "wp-s3cret-pass" not in repr(settings)


def test_wordpress_bypass_and_block_rules() -> None:
    """WP_PROXY_BYPASS_HOSTS and WP_ACCESSIBLE_HOSTS take `*` wildcards, as WordPress does."""
    settings = wpconfig.parse(WP_CONFIG)
    assert wpconfig.bypasses(settings, "upload.box.com")
    assert not wpconfig.bypasses(settings, "dl.boxcloud.com")
    assert not wpconfig.blocked(settings, "api.box.com")
    assert wpconfig.blocked(settings, "redirect.wp-migration.com")


def test_unreadable_wp_config_is_a_usage_error(tmp_path: Path) -> None:
    """A wp-config path that does not exist is the user's input error."""
    with pytest.raises(wpconfig.UsageError):
        wpconfig.load(str(tmp_path) + "/missing.php")
