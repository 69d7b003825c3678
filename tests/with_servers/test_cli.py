"""The command line: one error boundary, exit statuses, catalog listing."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from selftest.cli import main


def test_usage_error_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    """An unknown option is one line on stderr and exit 2."""
    assert main(["catalog", "--no-such-option"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("selftest:") and "Traceback" not in err


def test_no_command_prints_help(capsys: pytest.CaptureFixture[str]) -> None:
    """No command shows the help and exits 2."""
    assert main([]) == 2
    assert "COMMAND" in capsys.readouterr().out


def test_catalog_json_lists_every_entry(capsys: pytest.CaptureFixture[str]) -> None:
    """`catalog --json` is the docs/contracts.md §4 contract, with all 166 page items documented."""
    assert main(["catalog", "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["schema_version"] == 2
    entries = document["entries"]
    assert sum(e["documented"] for e in entries) == 166
    required = {"id", "layer", "code", "name", "summary", "remedy", "documented", "errata",
                "reproduction"}
    assert all(required <= e.keys() for e in entries)
    assert {e["code"] for e in entries if e["layer"] == "curl"} >= {str(n) for n in range(102)}


def test_catalog_layer_filter(capsys: pytest.CaptureFixture[str]) -> None:
    """`--layer plugin` lists the 11 extension messages."""
    assert main(["catalog", "--layer", "plugin", "--json"]) == 0
    assert len(json.loads(capsys.readouterr().out)["entries"]) == 11


def test_catalog_json_schema_1_is_the_bare_list(capsys: pytest.CaptureFixture[str]) -> None:
    """`--schema-version 1` prints the list earlier versions printed, for old consumers."""
    assert main(["catalog", "--layer", "plugin", "--json", "--schema-version", "1"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert isinstance(listed, list) and len(listed) == 11


def test_debug_block(capsys: pytest.CaptureFixture[str]) -> None:
    """--debug prints libcurl and CA bundle facts for bug reports."""
    assert main(["--debug", "explain", "7"]) == 0
    err = capsys.readouterr().err
    assert "libcurl" in err and "ca bundle" in err


def test_module_entry_point_runs() -> None:
    """`python -m selftest` works as a separate process."""
    done = subprocess.run([sys.executable, "-m", "selftest", "explain", "52"],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert "curl:52" in done.stdout


def test_subcommand_usage_errors_name_the_subcommand(capsys: pytest.CaptureFixture[str]) -> None:
    """A bad argument to a subcommand reads 'selftest: catalog: ...', once, exit 2."""
    assert main(["catalog", "--layer", "x"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("selftest: catalog: argument --layer") and err.count("selftest") == 1


def test_serve_rejects_an_impossible_port(capsys: pytest.CaptureFixture[str]) -> None:
    """--port 99999 is a usage error, not a URL nobody can reach."""
    assert main(["serve", "curl-52", "--port", "99999"]) == 2
    assert "not a port number" in capsys.readouterr().err


@pytest.mark.parametrize("command", [["reproduce", "curl-52"],
                                     ["preflight", "--only", "proxy"]])
def test_unwritable_junit_path_fails_before_running(command: list[str],
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    """A --junit-xml in a missing folder is a usage error up front, before any work is done."""
    assert main([*command, "--junit-xml", "/nonexistent/folder/out.xml"]) == 2
    captured = capsys.readouterr()
    assert "not a writable folder" in captured.err and captured.out == ""
