"""Loading and validating scenario files (selftest.scenario)."""

from __future__ import annotations

from pathlib import Path

import pytest

from selftest import catalog, machine, scenario
from selftest.errors import ScenarioError

GOOD = """
id = "{id}"
documents = "curl:52"
title = "t"

[server]
fault = "close-without-reply"

[client]
url = "{{url}}/"

[expect]
curl_code = [52]
diagnosis = ["curl:52"]
"""


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / f"{name}.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_good_file_loads(tmp_path: Path) -> None:
    """A well-formed file becomes a Scenario with its fault, attributes and expectation."""
    loaded = scenario.load(write(tmp_path, "curl-52", GOOD.format(id="curl-52")))
    assert loaded.fault == "close-without-reply"
    assert loaded.expect is not None and loaded.expect.curl_code == (52,)
    assert loaded.step == "perform"


@pytest.mark.parametrize(("text", "problem"), [
    ("id = [", "not valid TOML"),
    (GOOD.format(id="other"), "must equal the file name"),
    (GOOD.format(id="x") + "\nsurprise = 1\n", "unknown key"),
    (GOOD.format(id="x").replace('documents = "curl:52"', 'documents = "52"'), "catalog id"),
    (GOOD.format(id="x").replace('fault = "close-without-reply"', "delay_ms = 1"),
     "needs fault"),
    (GOOD.format(id="x").replace("curl_code = [52]", 'curl_code = ["52"]'), "curl_code"),
    (GOOD.format(id="x").replace("curl_code = [52]", "status = 1"), "[expect] has unknown"),
    (GOOD.format(id="x") + '\n[requires]\nprotocols = "sftp"\n', "list of strings"),
])
def test_malformed_file_names_file_and_problem(tmp_path: Path, text: str, problem: str) -> None:
    """Every malformed file raises a ScenarioError naming the file and what is wrong."""
    path = write(tmp_path, "x", text)
    with pytest.raises(ScenarioError) as caught:
        scenario.load(path)
    assert str(path) in str(caught.value)
    assert problem in str(caught.value)


def test_fill_replaces_placeholders_at_any_depth() -> None:
    """Placeholders are filled in nested tables and lists, other braces are left alone."""
    filled = scenario.fill({"url": "{url}/", "o": {"A": ["{ca}"]}, "b": '{"type": 1}'},
                           {"url": "http://h", "ca": "/ca.pem"}, Path("f.toml"))
    assert filled == {"url": "http://h/", "o": {"A": ["/ca.pem"]}, "b": '{"type": 1}'}


def test_unknown_placeholder_is_an_error() -> None:
    """A placeholder nothing provides is reported with the names that exist."""
    with pytest.raises(ScenarioError, match=r"unknown placeholder \{nope\}.*known here: url"):
        scenario.fill("{nope}", {"url": "x"}, Path("f.toml"))


def test_options_resolve_constants() -> None:
    """"@NAME" and "@A|@B" option values become pycurl constants; others stay as written."""
    import pycurl

    resolved = machine.resolve_options(
        {"HTTP_VERSION": "@CURL_HTTP_VERSION_2_PRIOR_KNOWLEDGE", "MAXFILESIZE": 10,
         "SSLVERSION": "@SSLVERSION_TLSv1_2|@SSLVERSION_MAX_TLSv1_2"}, Path("f.toml"))
    assert resolved["HTTP_VERSION"] == pycurl.CURL_HTTP_VERSION_2_PRIOR_KNOWLEDGE
    assert resolved["SSLVERSION"] == pycurl.SSLVERSION_TLSv1_2 | pycurl.SSLVERSION_MAX_TLSv1_2
    assert resolved["MAXFILESIZE"] == 10


def test_unknown_constant_is_an_error() -> None:
    """A misspelt "@NAME" names the file and the option."""
    with pytest.raises(ScenarioError, match="option X"):
        machine.resolve_options({"X": "@NO_SUCH_CONSTANT"}, Path("f.toml"))


def test_missing_requirements_are_named() -> None:
    """A protocol, feature, package or variable this machine lacks is the skip reason."""
    assert machine.missing_requirement(scenario.Requires(protocols=("nosuchproto",))) \
        == "this libcurl build lacks the nosuchproto protocol"
    assert "not installed" in str(machine.missing_requirement(
        scenario.Requires(python=("no_such_package_xyz",))))
    assert machine.missing_requirement(
        scenario.Requires(env=("SELFTEST_NO_SUCH_VARIABLE",), reason="because")) \
        == "the environment variable SELFTEST_NO_SUCH_VARIABLE is not set: because"
    assert machine.missing_requirement(scenario.Requires(protocols=("http",))) is None


def test_natural_order() -> None:
    """Scenario ids sort by number: curl-2 before curl-10."""
    assert sorted(["curl-10", "curl-2", "curl-1-http09"], key=scenario.natural_key) == \
        ["curl-1-http09", "curl-2", "curl-10"]


def test_every_repository_scenario_loads_and_documents_a_catalog_entry() -> None:
    """All shipped scenario files are valid and each documents an existing catalog entry."""
    known = catalog.load()
    for item in scenario.load_all():
        assert item.documents in known, item.path


def test_every_libcurl_code_has_a_scenario() -> None:
    """Each curl:N entry of the catalog has at least one scenario file (impossible ones too)."""
    documented = {item.documents for item in scenario.load_all()}
    missing = [e.id for e in catalog.load().layer("curl") if e.id not in documented]
    assert missing == []


def test_impossible_entries_have_no_server_and_real_ones_an_expectation() -> None:
    """Impossible entries' files start nothing; every other file says what to expect."""
    known = catalog.load()
    for item in scenario.load_all():
        if known.get(item.documents).reproduction == "impossible":
            assert item.fault is None and item.expect is None, item.path
        else:
            assert item.expect is not None, item.path
