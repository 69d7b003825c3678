"""Secrets never reach output."""

from __future__ import annotations

from selftest.redact import REDACTED, redact, redact_line


def test_header_lines() -> None:
    """Authorization and Proxy-Authorization values are blanked, scheme and all."""
    assert "abc" not in redact_line("> Authorization: Bearer abc")
    assert "dXNlcjpw" not in redact_line("Proxy-Authorization: Basic dXNlcjpw")


def test_form_fields_and_urls() -> None:
    """Tokens in form bodies and passwords in proxy URLs are blanked."""
    line = redact_line("grant_type=refresh_token&refresh_token=XYZ&client_secret=S")
    assert "XYZ" not in line and "=S" not in line
    assert "pw" not in redact_line("http://user:pw@proxy.example:3128")


def test_nested_json_keys() -> None:
    """Secret keys are blanked at any depth."""
    doc = redact({"a": {"access_token": "t", "list": [{"password": "p"}]}, "ok": "v"})
    assert doc == {"a": {"access_token": REDACTED, "list": [{"password": REDACTED}]}, "ok": "v"}
