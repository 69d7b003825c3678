"""The classifier names each layer from codes, on real Box response shapes (docs/facts.md §1)."""

from __future__ import annotations

import json

from selftest.classify import classify
from selftest.observe import Observation, observe

CHALLENGE_401 = (b'HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Bearer realm="Service", '
                 b'error="invalid_token", error_description="The access token provided is '
                 b'invalid."\r\nContent-Length: 0\r\n\r\n')


def _oauth(description: str, error: str = "invalid_grant") -> Observation:
    body = json.dumps({"error": error, "error_description": description}).encode()
    return observe(curl_code=0, raw_headers=b"HTTP/1.1 400 Bad Request\r\n\r\n", body=body)


def test_expired_token_is_invalid_credentials() -> None:
    """An API 401 with Box's challenge is an invalid token, shown as Invalid Credentials."""
    ids = classify(observe(curl_code=0, raw_headers=CHALLENGE_401)).ids
    assert ids == ("http:401", "oauth:invalid_token", "plugin:invalid-credentials")


def test_exp_in_the_past_is_a_clock_behind() -> None:
    """Box's 'MUST be before ... exp' wording means the local clock is behind."""
    obs = _oauth("Current date/time MUST be before the expiration date/time listed in the "
                 "'exp' claim")
    assert classify(obs).ids[:2] == ("http:400", "oauth:invalid_grant:exp")


def test_docs_wording_of_exp_is_recognised_too() -> None:
    """The docs' older lower-case wording names the same claim, so the same entry."""
    obs = _oauth("Current date time must be before the expiration date time listed in the "
                 "'exp' claim.")
    assert "oauth:invalid_grant:exp" in classify(obs).ids


def test_exp_too_far_is_a_clock_ahead() -> None:
    """'Please check the exp claim' means exp is too far ahead: the local clock is ahead."""
    obs = _oauth("Please check the 'exp' claim. The 'exp' value exceeds the maximum value of "
                 "60 seconds beyond the issue time.")
    assert "oauth:invalid_grant:exp-too-far" in classify(obs).ids


def test_invalid_refresh_token_is_a_dead_sign_in() -> None:
    """'Invalid refresh token' is the page's first invalid_grant: sign out and back in."""
    ids = classify(_oauth("Invalid refresh token")).ids
    assert ids[1] == "oauth:invalid_grant"
    assert ids[-1] == "plugin:invalid-credentials"


def test_other_claims_have_their_own_entries() -> None:
    """jti, sub and nbf/iat wordings are told apart by the claim they name."""
    assert "oauth:invalid_grant:jti" in classify(_oauth("Please check the 'jti' claim.")).ids
    assert "oauth:invalid_grant:sub" in classify(
        _oauth("Please check the 'sub' claim. The 'sub' specified is invalid.")).ids
    assert "oauth:invalid_grant:iat" in classify(_oauth(
        "Current date/time MUST be after or equal to the not-before date/time  listed in the "
        "'nbf' or 'iat' claim")).ids


def test_box_conflict_chain() -> None:
    """A 409 item_name_in_use names the status, then the Box code."""
    body = b'{"type":"error","status":409,"code":"item_name_in_use","message":"x"}'
    ids = classify(observe(curl_code=0, raw_headers=b"HTTP/1.1 409 Conflict\r\n\r\n",
                           body=body)).ids
    assert ids[:2] == ("http:409", "box:item_name_in_use")


def test_rate_limit_maps_to_an_extension_message() -> None:
    """A 429 rate_limit_exceeded reaches one of the extension's rate-limit messages."""
    body = b'{"type":"error","status":429,"code":"rate_limit_exceeded","message":"x"}'
    ids = classify(observe(curl_code=0, raw_headers=b"HTTP/1.1 429 Too Many Requests\r\n"
                           b"retry-after: 3\r\n\r\n", body=body)).ids
    assert ids[:2] == ("http:429", "box:rate_limit_exceeded")
    assert ids[-1].startswith("plugin:")


def test_unknown_box_code_is_still_named() -> None:
    """A Box code the catalog lacks falls back to box:unknown rather than vanishing."""
    body = b'{"type":"error","status":400,"code":"brand_new_code","message":"x"}'
    ids = classify(observe(curl_code=0, raw_headers=b"HTTP/1.1 400 Bad Request\r\n\r\n",
                           body=body)).ids
    assert ids[:2] == ("http:400", "box:unknown")


def test_unlisted_status_falls_back_to_its_class() -> None:
    """A status the page does not list (e.g. 418) is named by its class."""
    ids = classify(observe(curl_code=0, raw_headers=b"HTTP/1.1 418 I'm a teapot\r\n\r\n")).ids
    assert ids[0] == "http:4xx"


def test_success_has_no_diagnosis() -> None:
    """A 200 with libcurl code 0 names nothing."""
    assert classify(observe(curl_code=0, raw_headers=b"HTTP/1.1 200 OK\r\n\r\n")).ids == ()


def test_curl_60_is_refined_by_message() -> None:
    """Code 60 is refined by libcurl's words: unknown issuer points at the CA bundle."""
    diagnosis = classify(Observation(curl_code=60, curl_message="SSL certificate problem: "
                                     "unable to get local issuer certificate"))
    assert diagnosis.ids[0] == "curl:60"
    assert "CA bundle" in diagnosis.detail


def test_curl_28_is_refined_by_phase() -> None:
    """Code 28 says where it timed out, from the phase reached, not the text."""
    diagnosis = classify(Observation(curl_code=28, phase="connect"))
    assert "connecting" in diagnosis.detail


def test_proxy_connect_refusal_names_the_proxy_status() -> None:
    """A CONNECT answered 407 is libcurl 56 and HTTP 407 from the proxy."""
    diagnosis = classify(Observation(curl_code=56, connect_status=407,
                                     curl_message="CONNECT tunnel failed, response 407"))
    assert diagnosis.ids[:2] == ("curl:56", "http:407")


def test_box_code_without_a_message_does_not_borrow_its_status_message() -> None:
    """A 403 storage_limit_exceeded is not shown as 'insufficient permissions' (the 403's)."""
    body = b'{"type":"error","status":403,"code":"storage_limit_exceeded","message":"x"}'
    ids = classify(observe(curl_code=0, raw_headers=b"HTTP/1.1 403 Forbidden\r\n\r\n",
                           body=body)).ids
    assert ids == ("http:403", "box:storage_limit_exceeded")


def test_old_code_51_is_refined_like_60() -> None:
    """Older PHP builds print 51 for what is 60 today; the same words refine it."""
    diagnosis = classify(Observation(curl_code=51, curl_message="SSL: no alternative certificate "
                                     "subject name matches target host name 'api.box.com'"))
    assert diagnosis.ids[0] == "curl:51"
    assert "another host name" in diagnosis.detail
