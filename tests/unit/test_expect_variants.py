"""Expectations per client generation are data in the scenario files: `[expect.libcurl7]` and
`[expect.wordpress]` say what differs and why, and every client's comparison reads them."""

from __future__ import annotations

from pathlib import Path

import pytest

from selftest.commands._curl_cli import curl_command
from selftest.errors import ScenarioError
from selftest.scenario import load, load_all

_BASE = """id = "{name}"
documents = "curl:7"

[client]
url = "http://127.0.0.1:9/"

[expect]
curl_code = [7]
diagnosis = ["curl:7"]
"""


def _write(tmp_path: Path, extra: str, name: str = "x-variant") -> Path:
    path = tmp_path / f"{name}.toml"
    path.write_text(_BASE.format(name=name) + extra, encoding="utf-8")
    return path


def test_libcurl7_variant_replaces_code_and_diagnosis(tmp_path: Path) -> None:
    """A libcurl 7 client is held to [expect.libcurl7]; libcurl 8 to [expect] unchanged."""
    item = load(_write(tmp_path, '[expect.libcurl7]\ncurl_code = 56\n'
                                 'diagnosis = ["curl:56", "http:407"]\nreason = "older"\n'))
    assert item.expect is not None
    old = item.expect.for_client(7)
    assert (old.curl_code, old.diagnosis, old.reason) == ((56,), ("curl:56", "http:407"), "older")
    assert item.expect.for_client(8).curl_code == (7,)


def test_wordpress_variant_stacks_on_libcurl7(tmp_path: Path) -> None:
    """WordPress on libcurl 7 gets both variants, WordPress's last; its message is kept."""
    item = load(_write(tmp_path, '[expect.libcurl7]\ncurl_code = 56\nreason = "a"\n'
                                 '[expect.wordpress]\ncurl_code = 0\nmessage = "Too many"\n'
                                 'reason = "b"\n'))
    assert item.expect is not None
    seen = item.expect.for_client(7, wordpress=True)
    assert (seen.curl_code, seen.message, seen.reason) == ((0,), "Too many", "a; b")


def test_http_status_0_means_no_response_reaches_the_caller(tmp_path: Path) -> None:
    """`http_status = 0` in a variant drops the status check: WordPress keeps only its error."""
    item = load(_write(tmp_path, "[expect.wordpress]\nhttp_status = 0\nreason = \"b\"\n"))
    assert item.expect is not None
    assert item.expect.for_client(8, wordpress=True).http_status is None


def test_a_variant_needs_a_reason(tmp_path: Path) -> None:
    """A difference without a reason is refused when the file is loaded."""
    with pytest.raises(ScenarioError, match="needs a reason"):
        load(_write(tmp_path, "[expect.libcurl7]\ncurl_code = 56\n"))


def test_the_known_libcurl7_differences_are_data() -> None:
    """The four differences the curl CLI test used to keep privately live in the scenarios."""
    found = {s.id: s.expect.for_client(7).curl_code for s in load_all()
             if s.expect is not None and "libcurl7" in s.expect.variants}
    assert {"curl-7-proxy-auth-required": (56,), "curl-7-proxy-connect-403": (56,),
            "curl-16": (52,), "curl-100": (27,)}.items() <= found.items()


def test_curl_hint_carries_the_padding_header_and_body() -> None:
    """The hinted curl command sends the scenario's padding header (from a file) and body."""
    command, missing = curl_command({"url": "http://127.0.0.1:9/", "method": "POST",
                                     "body": "0123456789", "header_padding_bytes": 200_000})
    assert "--header @" in command and "--data-binary 0123456789" in command
    padding = command.split("--header @", 1)[1].split()[0]
    assert Path(padding).stat().st_size == len("X-Padding: ") + 200_000 + 1
    assert missing == []


def test_curl_hint_carries_verify_off() -> None:
    """A scenario that turns verification off hints `--insecure`, not a CA it does not use."""
    command, _ = curl_command({"url": "https://127.0.0.1:9/", "verify": False, "cainfo": "x.pem"})
    assert "--insecure" in command and "--cacert" not in command
