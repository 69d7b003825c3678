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


def _pastes() -> list[dict[str, object]]:
    import tomllib
    from pathlib import Path

    path = Path(__file__).parents[1] / "data" / "secret_pastes.toml"
    return list(tomllib.loads(path.read_text(encoding="utf-8"))["paste"])


def test_secret_paste_corpus_has_no_leak() -> None:
    """Every secret in the paste corpus is gone after redaction (0 leaks)."""
    leaks = [(str(p["text"])[:60], s) for p in _pastes() for s in p["secrets"]  # type: ignore[attr-defined]
             if s in redact(str(p["text"]))]
    assert not leaks


def test_password_with_at_signs_and_schemeless_proxy() -> None:
    """A password holding '@' is blanked up to the host; user:pw@host:port needs no scheme."""
    assert redact_line("http://user:p@ss@proxy.example:3128") == \
        f"http://user:{REDACTED}@proxy.example:3128"
    assert redact_line("--proxy bob:pw12@proxy.corp:8080") == \
        f"--proxy bob:{REDACTED}@proxy.corp:8080"


def test_addresses_and_placeholders_are_left_alone() -> None:
    """E-mail addresses, git remotes and our own advice's placeholders are not secrets."""
    for text in ("bob@example.com", "git@github.com:org/repo.git",
                 "http://USER:PASSWORD@HOST:PORT", "Authorization: Bearer TOKEN",
                 "couldn't fetch token: invalid_grant: maybe token expired?"):
        assert redact_line(text) == text


def test_every_line_of_a_paste() -> None:
    """A header on the second line is redacted as well as one on the first."""
    text = "curl: (22) error\n> Authorization: Bearer abcdef12345\nCookie: a=1x; b=2y; c=3z"
    out = redact_line(text)
    assert "abcdef12345" not in out and "3z" not in out and "(22) error" in out


def test_the_catalogs_own_words_survive_redaction() -> None:
    """No summary, cause or remedy of the catalog is mangled ("Basic authentication" is prose)."""
    from selftest.catalog import load

    mangled = [e.id for e in load()
               for text in (e.summary, e.remedy, e.errata, e.reason, e.page_text, *e.causes)
               if redact(text) != text]
    assert mangled == []


def test_junit_reports_are_redacted() -> None:
    """A secret in a JUnit failure message or its details never reaches the XML."""
    from selftest.report import JUnitCase, junit_xml

    xml = junit_xml("s", [JUnitCase("c", "k", "fail", message="proxy http://u:pw12345@p.example:3128",
                                    details="> Authorization: Bearer tok123456789")])
    assert "pw12345" not in xml and "tok123456789" not in xml
