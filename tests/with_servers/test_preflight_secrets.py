"""No proxy password or token reaches any preflight output — text, JSON, JUnit, stderr — even
when the password holds '@' or the proxy URL has no scheme; placeholders in remedies survive
the redaction (`USER:PASSWORD@HOST:PORT` stays readable)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from selftest.cli import main
from selftest.faults import start_fault

TOKEN = "t0ken-never-printed-42"
FRAGMENTS = ("wr0ng", "pa55", "wr0ng@pa55", "wr0ng%40pa55", "env-s3cret", TOKEN)


def outputs(capsys: pytest.CaptureFixture[str], tmp_path: Path, *argv: str) -> str:
    """Everything one preflight run printed or wrote, in text and in JSON."""
    junit = tmp_path / "junit.xml"
    main(["preflight", "--timeout", "5", "--junit-xml", str(junit), *argv])
    first = capsys.readouterr()
    main(["preflight", "--timeout", "5", "--json", *argv])
    second = capsys.readouterr()
    return "\n".join([first.out, first.err, junit.read_text(), second.out, second.err])


@pytest.fixture
def box_args(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    monkeypatch.setenv("BOX_ACCESS_TOKEN", TOKEN)
    for variable in ("https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY", "no_proxy",
                     "NO_PROXY"):
        monkeypatch.delenv(variable, raising=False)
    return ["--api-base", "https://api.box.com", "--upload-base", "https://upload.box.com/api",
            "--resolve", "api.box.com:443:127.0.0.1", "--resolve", "upload.box.com:443:127.0.0.1"]


def test_proxy_password_with_at_never_printed(box_args: list[str], tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    """A wrong proxy password holding '@' is refused by the proxy (407, not a false curl:5) and
    appears in no output, neither as typed nor percent-encoded, nor in part."""
    with start_fault("proxy-auth-required", user="bob", password="right-one") as proxy:
        url = proxy.urls["proxy"].replace("http://", "http://bob:wr0ng@pa55@")
        text = outputs(capsys, tmp_path, *box_args, "--proxy", url)
    assert "refused the credentials" in text and not re.search(r"curl:5\b", text)
    for fragment in FRAGMENTS:
        assert fragment not in text, fragment


def test_environment_proxy_without_scheme_never_printed(box_args: list[str], tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str],
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """https_proxy written without a scheme (curl accepts it) keeps its password out of the
    report too."""
    with start_fault("proxy-auth-required", user="bob", password="right-one") as proxy:
        hostport = proxy.urls["proxy"].removeprefix("http://")
        monkeypatch.setenv("https_proxy", f"bob:env-s3cret@{hostport}")
        text = outputs(capsys, tmp_path, *box_args, "--only", "proxy", "--only", "token")
    for fragment in FRAGMENTS:
        assert fragment not in text, fragment


def test_remedy_placeholders_survive_redaction(box_args: list[str], tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    """Without credentials the 407 remedy shows the URL form to use, placeholders intact."""
    with start_fault("proxy-auth-required", user="bob", password="right-one") as proxy:
        text = outputs(capsys, tmp_path, *box_args, "--only", "proxy", "--proxy",
                       proxy.urls["proxy"])
    assert "http://USER:PASSWORD@HOST:PORT" in text
    assert "[redacted]@HOST" not in text
