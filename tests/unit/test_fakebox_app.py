"""The fake's request pipeline: headers, routing errors, robustness, limits, injected faults."""

from __future__ import annotations

import email.utils
import time

import pytest

from selftest.fakebox.client import ApiClient
from selftest.fakebox.errors import CODES


@pytest.fixture
def api() -> ApiClient:
    return ApiClient()


def _code(response: object) -> str:
    return response.json["code"]  # type: ignore[attr-defined,no-any-return]


def test_every_response_carries_date_request_id_and_hsts(api: ApiClient) -> None:
    """Each response has Date, BOX-REQUEST-ID and Strict-Transport-Security."""
    response = api.get("/2.0/users/me")
    assert response.status_code == 200
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000"
    assert response.headers["BOX-REQUEST-ID"]
    assert email.utils.parsedate_to_datetime(response.headers["Date"])


def test_date_header_follows_the_fake_clock(api: ApiClient) -> None:
    """The Date header is the fake's clock, so a clock offset shows in it."""
    api.state.clock.set_offset(3600)
    sent = email.utils.parsedate_to_datetime(api.get("/2.0/users/me").headers["Date"])
    assert abs(sent.timestamp() - (time.time() + 3600)) < 5


def test_error_body_has_box_client_error_shape(api: ApiClient) -> None:
    """A ClientError has type, status, code, context_info, help_url, message, request_id."""
    response = api.get("/2.0/folders/999")
    body = response.json
    assert response.status_code == 404
    assert set(body) == {"type", "status", "code", "context_info", "help_url", "message",
                         "request_id"}
    assert body["type"] == "error" and body["status"] == 404 and body["code"] == "not_found"
    assert body["request_id"] != response.headers["BOX-REQUEST-ID"]


def test_unknown_route_is_404_not_found(api: ApiClient) -> None:
    """A path the fake does not serve answers Box's 404 not_found."""
    response = api.get("/2.0/no_such_thing")
    assert response.status_code == 404 and _code(response) == "not_found"


def test_wrong_method_is_405_with_allow(api: ApiClient) -> None:
    """A known path with the wrong method answers 405 method_not_allowed and an Allow header."""
    response = api.call("PATCH", "/2.0/users/me")
    assert response.status_code == 405 and _code(response) == "method_not_allowed"
    assert "GET" in response.headers["Allow"]


def test_malformed_json_is_400_not_500(api: ApiClient) -> None:
    """A body that is not JSON gets 400 bad_request."""
    response = api.post("/2.0/folders", data=b"{not json", content_type="application/json")
    assert response.status_code == 400 and _code(response) == "bad_request"
    assert api.state.errors == []


@pytest.mark.parametrize("body", [b"[1, 2]", b'"text"', b"\xff\xfe"])
def test_non_object_json_is_400(api: ApiClient, body: bytes) -> None:
    """JSON that is not an object, or not text at all, gets 400 bad_request."""
    response = api.post("/2.0/folders", data=body, content_type="application/json")
    assert response.status_code == 400 and _code(response) == "bad_request"


def test_wrong_content_type_is_400(api: ApiClient) -> None:
    """A form body where JSON is due gets 400 bad_request."""
    response = api.post("/2.0/folders", data={"name": "x"})
    assert response.status_code == 400 and _code(response) == "bad_request"


@pytest.mark.parametrize("path", ["/2.0/files/abc", "/2.0/folders/-1", "/2.0/users/x%20y"])
def test_bad_ids_are_400(api: ApiClient, path: str) -> None:
    """A non-numeric id gets 400 bad_request with Box's validation context."""
    response = api.get(path)
    assert response.status_code == 400 and _code(response) == "bad_request"
    assert response.json["context_info"]["errors"][0]["reason"] == "invalid_parameter"


@pytest.mark.parametrize("body", [
    {"name": "x"}, {"name": "x", "parent": "0"}, {"name": 5, "parent": {"id": "0"}},
    {"name": "x", "parent": {"id": None}}, {"name": "x", "parent": {"id": ["0"]}},
])
def test_malformed_fields_never_500(api: ApiClient, body: dict[str, object]) -> None:
    """Fields of the wrong type get a 4xx Box error, never a traceback."""
    response = api.post("/2.0/folders", json=body)
    assert 400 <= response.status_code < 500
    assert api.state.errors == []


def test_unexpected_exception_is_recorded_500(api: ApiClient) -> None:
    """An exception inside a handler becomes 500 internal_server_error and is recorded."""
    api.state.inject(500, "internal_server_error", raise_exception=True)
    response = api.get("/2.0/users/me")
    assert response.status_code == 500 and _code(response) == "internal_server_error"
    assert len(api.state.errors) == 1


@pytest.mark.parametrize(("status", "code"), [(502, "bad_gateway"), (503, "unavailable")])
def test_injected_gateway_errors(api: ApiClient, status: int, code: str) -> None:
    """An injected 502/503 answers once with Retry-After, then the fake recovers."""
    api.state.inject(status, code, retry_after_s=7)
    first = api.get("/2.0/users/me")
    assert first.status_code == status and _code(first) == code
    assert first.headers["Retry-After"] == "7"
    assert api.get("/2.0/users/me").status_code == 200


def test_injected_503_after_the_write_still_lands(api: ApiClient) -> None:
    """An injected 503 with after_handler creates the folder although the client sees 503."""
    api.state.inject(503, "unavailable", path_prefix="/2.0/folders", after_handler=True)
    response = api.post("/2.0/folders", json={"name": "landed", "parent": {"id": "0"}})
    assert response.status_code == 503
    names = [e["name"] for e in api.get("/2.0/folders/0/items").json["entries"]]
    assert "landed" in names


def test_rate_limit_gives_429_with_lowercase_retry_after(api: ApiClient) -> None:
    """Past the per-user limit the fake answers 429 rate_limit_exceeded, retry-after lower-case."""
    api.state.config.requests_per_window = 2
    assert api.get("/2.0/users/me").status_code == 200
    assert api.get("/2.0/users/me").status_code == 200
    limited = api.get("/2.0/users/me")
    assert limited.status_code == 429 and _code(limited) == "rate_limit_exceeded"
    assert limited.json["message"] == "Request rate limit exceeded, please try again later"
    assert "retry-after" in [name for name, _ in limited.headers.to_wsgi_list()]
    assert int(limited.headers["retry-after"]) >= 1


def test_rate_limit_window_reopens_on_the_fake_clock(api: ApiClient) -> None:
    """After the window passes on the fake clock, requests are allowed again."""
    api.state.config.requests_per_window = 1
    api.get("/2.0/users/me")
    assert api.get("/2.0/users/me").status_code == 429
    api.state.clock.advance(61)
    api.token = api.state.tokens.issue_access(api.state.main_user.id)
    assert api.get("/2.0/users/me").status_code == 200


def test_rate_limit_is_per_user(api: ApiClient) -> None:
    """One user's exhausted limit does not limit another user."""
    api.state.config.requests_per_window = 1
    other = api.state.add_user("other@example.com")
    other_token = api.state.tokens.issue_access(other.id)
    api.get("/2.0/users/me")
    assert api.get("/2.0/users/me").status_code == 429
    assert api.get("/2.0/users/me", token=other_token).status_code == 200


def test_upload_limit_counts_uploads_only(api: ApiClient) -> None:
    """The upload limit refuses the second upload while reads continue."""
    api.state.config.uploads_per_window = 1
    assert api.upload("a.txt").status_code == 201
    assert api.upload("b.txt").status_code == 429
    assert api.get("/2.0/users/me").status_code == 200


def test_latency_delays_each_response(api: ApiClient) -> None:
    """latency_ms delays each response by at least that long."""
    api.state.config.latency_ms = 120
    started = time.monotonic()
    api.get("/2.0/users/me")
    assert time.monotonic() - started >= 0.12


def test_every_documented_code_has_a_status() -> None:
    """Every Box code the fake can send has a default status and message."""
    for code, (status, message) in CODES.items():
        assert 400 <= status < 600 and message, code
