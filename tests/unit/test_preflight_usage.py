"""User mistakes on the `preflight` command line: each is one stderr line naming the flag, exit 2,
and nothing is sent on the network (the runner is never reached)."""

from __future__ import annotations

import io
import os
import re
from pathlib import Path

import pytest

from selftest import preflight
from selftest.cli import main
from selftest.commands._preflight_options import parse_size, proxy_url, secrets_of, valid_host

LOCAL = ["--api-base", "http://127.0.0.1:9", "--upload-base", "http://127.0.0.1:9/api"]


@pytest.fixture(autouse=True)
def no_run(monkeypatch: pytest.MonkeyPatch) -> None:
    """A usage error must stop the command before the checks (and their traffic) start."""
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the checks ran despite a usage error")

    monkeypatch.setattr(preflight, "run", refuse)
    monkeypatch.delenv("BOX_ACCESS_TOKEN", raising=False)


def usage_error(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    assert main(["preflight", *LOCAL, *argv]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1, err
    return err


@pytest.mark.parametrize(("argv", "flag"), [
    (["--timeout", "0.001"], "--timeout"),
    (["--timeout", "nan"], "--timeout"),
    (["--resolve", "api.box.com:443:notanip"], "--resolve"),
    (["--resolve", "api.box.com:99999:127.0.0.1"], "--resolve"),
    (["--proxy", "not a url"], "--proxy"),
    (["--proxy", "ftp://x"], "--proxy"),
    (["--proxy", "http://bad host!:8080"], "--proxy"),
    (["--proxy", "http://proxy.example:notaport"], "--proxy"),
    (["--host", ""], "--host"),
    (["--host", "bad host!"], "--host"),
    (["--host", "-leading.example"], "--host"),
    (["--folder-id", "abc"], "--folder-id"),
    (["--backup-file", "/dev/null"], "--backup-file"),
    (["--backup-size", "lots"], "--backup-size"),
    (["--junit-xml", "/dev/full"], "/dev/full"),
    (["--junit-xml", "/proc/selftest-no-such-file"], "/proc/selftest-no-such-file"),
])
def test_mistake_is_a_usage_error(argv: list[str], flag: str,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    """Each mistake is refused before any check runs, and the message names the flag."""
    assert flag in usage_error(capsys, *argv)


def test_api_base_with_a_junk_host_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    """A base URL whose host is not a host name is never looked up."""
    assert main(["preflight", "--api-base", "https://bad_host!.example"]) == 2
    assert "--api-base" in capsys.readouterr().err


def test_backup_file_that_is_a_directory(tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    """A folder given as --backup-file is named a directory, not 'does not exist'."""
    err = usage_error(capsys, "--backup-file", str(tmp_path))
    assert "is a directory" in err and "does not exist" not in err


def test_junit_xml_to_a_directory(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--junit-xml naming a folder is refused before the run, not after it."""
    assert "is a directory" in usage_error(capsys, "--junit-xml", str(tmp_path))


def test_junit_xml_probe_leaves_nothing_behind(tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    """Checking that a new --junit-xml file can be created does not leave it behind."""
    target = tmp_path / "report.xml"
    usage_error(capsys, "--junit-xml", str(target), "--folder-id", "x")
    assert not target.exists()


def test_wp_config_without_constants(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A --wp-config with no define() in it is not a wp-config.php (no silent 'no proxy')."""
    config = tmp_path / "wp-config.php"
    config.write_text("<?php\necho 'hello';\n")
    assert "defines no PHP constants" in usage_error(capsys, "--wp-config", str(config))


def test_huge_wp_config_is_not_read_whole(tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    """A --wp-config far larger than any wp-config.php is refused (read bounded, not whole)."""
    config = tmp_path / "wp-config.php"
    with config.open("w") as handle:
        handle.write("<?php define('WP_PROXY_HOST', 'p.example');\n")
        handle.truncate(8 * 1024 * 1024)
    assert "larger than" in usage_error(capsys, "--wp-config", str(config))


def test_token_file_not_utf8(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A binary --token-file is a usage error, not a traceback with exit 1."""
    token = tmp_path / "token"
    token.write_bytes(b"\xff\xfe\x00binary")
    assert "--token-file" in usage_error(capsys, "--token-file", str(token))


@pytest.mark.parametrize("token", ["t\u00f6ken-with-umlaut", "two words", "line\nbreak"])
def test_token_with_impossible_characters(token: str, monkeypatch: pytest.MonkeyPatch,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    """A token with non-ASCII characters or spaces is a usage error (not exit 3, no check run)."""
    monkeypatch.setenv("BOX_ACCESS_TOKEN", token)
    err = usage_error(capsys)
    assert "BOX_ACCESS_TOKEN" in err and token.strip() not in err


@pytest.mark.parametrize(("text", "expected"), [
    ("http://user:p@ss@proxy.example:3128", "http://user:p%40ss@proxy.example:3128"),
    ("user:p@ss@proxy.example:3128", "http://user:p%40ss@proxy.example:3128"),
    ("http://user:p%40ss@proxy.example:3128", "http://user:p%40ss@proxy.example:3128"),
    ("socks5h://[::1]:1080", "socks5h://[::1]:1080"),
    ("http://proxy.example:3128", "http://proxy.example:3128"),
    ("", ""),
])
def test_proxy_url_splits_user_info_at_the_last_at(text: str, expected: str) -> None:
    """An '@' in a proxy password belongs to the password (curl's rule), sent percent-encoded."""
    assert proxy_url(text) == expected


def test_proxy_password_with_at_is_scrubbed_in_both_spellings() -> None:
    """The password is scrubbed as typed and as percent-encoded."""
    from selftest.checks.probes.context import Options

    scrub = secrets_of(Options(proxy=proxy_url("http://user:s3cr@t-pw@proxy.example:3128")))
    assert scrub("a s3cr@t-pw b s3cr%40t-pw") == "a [redacted] b [redacted]"


def test_host_names_and_sizes() -> None:
    """Host names follow RFC 1123 (or are address literals); sizes take binary units."""
    assert valid_host("api.box.com") and valid_host("127.0.0.1") and valid_host("::1")
    assert not valid_host("") and not valid_host("a..b") and not valid_host("x" * 64 + ".com")
    assert parse_size("2G") == 2 * 1024**3 and parse_size("1.5 GiB") == 1610612736


def test_messages_name_the_flag_without_network(capsys: pytest.CaptureFixture[str]) -> None:
    """--help still works with the autouse guard (sanity of the fixture)."""
    with pytest.raises(SystemExit):
        main(["preflight", "--help"])
    assert "--folder-id" in capsys.readouterr().out
    assert os.environ.get("BOX_ACCESS_TOKEN") is None


def test_token_file_with_a_byte_order_mark(tmp_path: Path) -> None:
    """A token file saved with a UTF-8 byte-order mark (Notepad) is read without it."""
    from selftest.commands._preflight_options import _read_token

    token = tmp_path / "token"
    token.write_bytes(b"\xef\xbb\xbfT0ken-from-notepad\r\n")
    assert _read_token(str(token), {}) == "T0ken-from-notepad"


def test_progress_lines_from_check_threads_never_interleave() -> None:
    """Checks finish on their own threads: each progress line is written whole."""
    import threading
    import time

    from selftest.checks import CheckResult
    from selftest.commands.preflight import _progress

    class SlowStream(io.StringIO):
        def write(self, text: str) -> int:
            time.sleep(0.0002)  # a pipe that makes writers wait: the GIL passes on
            return super().write(text)

    stream = SlowStream()
    show = _progress(stream)
    results = [CheckResult(f"check{i}", "pass", "", duration_ms=float(i)) for i in range(8)]
    threads = [threading.Thread(target=lambda r=r: [show(r) for _ in range(25)])
               for r in results]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    lines = stream.getvalue().splitlines()
    assert len(lines) == 200
    assert all(re.fullmatch(r"  check\d: pass \(\d ms\)", line) for line in lines), lines[:5]
