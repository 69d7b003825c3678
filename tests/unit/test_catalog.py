"""The catalog covers every item of the reference page and every code the classifier emits."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from selftest.catalog import LAYERS, load

PAGE = tomllib.loads((Path(__file__).parents[1] / "fixtures" / "reference_page.toml").read_text())


def test_every_page_curl_code_is_documented() -> None:
    """Each libcurl code on the reference page has a documented curl entry."""
    catalog = load()
    for code in PAGE["curl_codes"]:
        assert catalog.get(f"curl:{code}").documented, code


def test_every_libcurl_code_0_to_101_is_known() -> None:
    """No code libcurl 8 can print is unknown: 0..101 all have entries."""
    catalog = load()
    assert {e.code for e in catalog.layer("curl")} >= {str(n) for n in range(102)}


def test_every_page_http_status_is_documented() -> None:
    """Each HTTP status on the page has a documented http entry."""
    catalog = load()
    for status in PAGE["http_statuses"]:
        assert catalog.get(f"http:{status}").documented, status


def test_every_page_box_code_is_documented() -> None:
    """Each Box code on the page (its spelling or Box's) names a documented entry."""
    catalog = load()
    for code in PAGE["box_codes"]:
        found = [e for e in catalog.lookup_name(code) if e.layer in ("box", "oauth")]
        assert found and found[0].documented, code


def test_page_misspelling_is_an_erratum() -> None:
    """The page's `cyclical_folders_structure` resolves to Box's real code, with an erratum."""
    entry = load().lookup_name("cyclical_folders_structure")[0]
    assert entry.id == "box:cyclical_folder_structure"
    assert entry.errata


def test_both_invalid_grant_meanings_are_documented() -> None:
    """The page lists invalid_grant twice with two meanings: both are documented entries."""
    catalog = load()
    assert catalog.get("oauth:invalid_grant").documented
    assert catalog.get("oauth:invalid_grant:exp").documented


def test_every_page_extension_message_is_documented() -> None:
    """Each of the 11 extension messages has a documented plugin entry of that exact name."""
    names = {e.name: e for e in load().layer("plugin")}
    for message in PAGE["plugin_messages"]:
        assert names[message].documented, message


def test_documented_count_matches_the_page() -> None:
    """Exactly the page's 166 items are marked documented."""
    page_items = sum(len(PAGE[k]) for k in
                     ("plugin_messages", "http_statuses", "box_codes", "curl_codes"))
    assert page_items == 166
    assert sum(e.documented for e in load()) == page_items


@pytest.mark.parametrize("layer", LAYERS)
def test_entries_explain_and_advise(layer: str) -> None:
    """Every entry has a summary and a remedy; every non-real one says why."""
    entries = load().layer(layer)
    assert entries
    for entry in entries:
        assert entry.summary and entry.remedy, entry.id
        assert entry.reproduction == "real" or entry.reason, entry.id


def test_every_id_the_classifier_can_emit_exists() -> None:
    """Fallback and variant ids used by the classifier are all catalog entries."""
    catalog = load()
    emitted = {e.id for e in catalog.variants("oauth:invalid_grant")}
    emitted |= {"http:4xx", "http:5xx", "box:unknown", "oauth:unknown", "oauth:invalid_token"}
    for entry_id in emitted:
        assert entry_id in catalog, entry_id


def test_plugin_messages_name_their_observations() -> None:
    """Each extension message says which observations produce it."""
    for entry in load().layer("plugin"):
        assert entry.produced_by, entry.id


def test_code_and_documented_are_derived() -> None:
    """`code` is the id's second part and `documented` is whether the page's text is kept."""
    for entry in load():
        assert entry.code == entry.id.split(":")[1], entry.id
        assert entry.documented == bool(entry.page_text), entry.id


def test_unknown_and_derived_keys_are_refused() -> None:
    """A misspelt key (or `code`/`documented`, which are derived now) is a CatalogError."""
    from selftest.catalog import _entry
    from selftest.errors import CatalogError

    good = {"id": "http:499", "name": "x", "summary": "s", "remedy": "r", "retryable": "no",
            "reproduction": "real"}
    assert _entry(dict(good), "t").code == "499"
    for extra in ({"remedey": "r"}, {"code": "499"}, {"documented": True},
                  {"wordings": [{"text": "x"}]}, {"details": [{"detail": "d"}]}):
        with pytest.raises(CatalogError):
            _entry({**good, **extra}, "t")


def test_box_entries_carry_the_status_box_sends() -> None:
    """Every Box code has its status, and the fake Box sends that same status."""
    from selftest.fakebox.errors import CODES

    for entry in load().layer("box"):
        if entry.code == "unknown":
            continue
        assert entry.status is not None and 400 <= entry.status <= 599, entry.id
        if entry.code in CODES:
            assert CODES[entry.code][0] == entry.status, entry.id


def test_every_id_the_code_names_exists() -> None:
    """Each catalog id written in the package's code (classify, checks, steps, ...) is an entry."""
    import re

    package = Path(__file__).parents[2] / "selftest"
    pattern = re.compile(r"[\"']((?:curl|http|box|oauth|plugin):[a-z0-9_:-]*[a-z0-9x])[\"']")
    catalog = load()
    named = {(path.name, m[1]) for path in package.rglob("*.py")
             for m in pattern.finditer(path.read_text(encoding="utf-8"))}
    assert len(named) > 10
    unknown = sorted((f, i) for f, i in named if i not in catalog and not i.endswith(":"))
    assert unknown == []


def test_wordings_name_their_source_and_pick_variants() -> None:
    """Every wording says which program prints it; variants are picked by their wordings."""
    catalog = load()
    for entry in catalog:
        for wording in entry.wordings:
            assert wording.text.strip() and wording.source.strip(), entry.id
    for base in ("curl:35", "oauth:invalid_grant"):
        for variant in catalog.variants(base):
            assert variant.wordings, variant.id


def test_schannel_revocation_has_its_own_cause_and_remedy() -> None:
    """0x80092012 and 0x80092013 are entries of their own that advise --ssl-no-revoke."""
    catalog = load()
    for entry_id in ("curl:35:revocation-unchecked", "curl:35:revocation-offline"):
        entry = catalog.get(entry_id)
        assert "--ssl-no-revoke" in entry.remedy and "CRL" in entry.remedy
