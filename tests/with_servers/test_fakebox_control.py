"""The control API (toxiproxy's REST API as the model): settings, faults for the next N
matching requests (a Box error, a reset, a stall), the request log and reset — over HTTP."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from selftest import fakebox


@pytest.fixture
def box() -> Iterator[Any]:
    with fakebox.running(control_port=0, token="tok") as box:
        yield box


def _ctl(box: Any, method: str, path: str, **kwargs: Any) -> requests.Response:
    return requests.request(method, box.control_url + path, timeout=10, **kwargs)


def _me(box: Any, **kwargs: Any) -> requests.Response:
    return requests.get(box.url + "/2.0/users/me", headers={"Authorization": "Bearer tok"},
                        timeout=10, **kwargs)


def test_settings_read_and_change(box: Any) -> None:
    """GET /settings shows every knob; POST changes them, and the fake obeys at once."""
    settings = _ctl(box, "GET", "/settings").json()
    assert {"clock_offset_s", "space_amount", "requests_per_window", "latency_ms",
            "commit_processing_s", "max_sessions", "session_ttl_s", "retain_content",
            "spool_max_bytes", "spool_used_bytes"} <= set(settings)
    changed = _ctl(box, "POST", "/settings", json={"space_amount": 777, "clock_offset_s": -90,
                                                   "max_sessions": 3})
    assert changed.status_code == 200 and changed.json()["space_amount"] == 777
    assert _me(box).json()["space_amount"] == 777
    assert box.state.config.max_sessions == 3
    assert abs(box.state.clock.offset_s + 90) < 1e-9


@pytest.mark.parametrize("body", [{"nope": 1}, {"space_amount": -1}, {"retain_content": 1},
                                  {"max_sessions": 2.5}, {"latency_ms": "5"}])
def test_bad_settings_are_400_and_change_nothing(box: Any, body: dict[str, Any]) -> None:
    """An unknown name or a wrong type is a 400 naming it; nothing is applied."""
    before = _ctl(box, "GET", "/settings").json()
    response = _ctl(box, "POST", "/settings", json={**body, "space_used": 5})
    assert response.status_code == 400 and response.json()["error"]
    assert _ctl(box, "GET", "/settings").json() == before


def test_fault_for_the_next_n_matching_requests(box: Any) -> None:
    """A 503 with retry-after for the next 2 GETs of /2.0/users/*; then normal answers."""
    made = _ctl(box, "POST", "/faults", json={"method": "GET", "path": "/2.0/users/*",
                                              "times": 2, "status": 503, "code": "unavailable",
                                              "retry_after_s": 9})
    assert made.status_code == 201
    assert [f["id"] for f in _ctl(box, "GET", "/faults").json()] == [made.json()["id"]]
    first, second, third = _me(box), _me(box), _me(box)
    assert first.status_code == second.status_code == 503
    assert first.json()["code"] == "unavailable" and first.headers["retry-after"] == "9"
    assert third.status_code == 200 and _ctl(box, "GET", "/faults").json() == []


def test_fault_on_the_token_endpoint_has_the_oauth_shape(box: Any) -> None:
    """A fault on /oauth2/* answers {"error", "error_description"}, as the token endpoint."""
    _ctl(box, "POST", "/faults", json={"path": "/oauth2/token", "status": 429,
                                       "code": "temporarily_unavailable", "retry_after_s": 1})
    response = requests.post(box.token_url, data={"grant_type": "refresh_token"}, timeout=10)
    assert response.status_code == 429
    assert response.json() == {"error": "temporarily_unavailable",
                               "error_description": "temporarily_unavailable"}


def test_reset_fault_resets_the_connection(box: Any) -> None:
    """action reset: the client sees a TCP reset, no HTTP answer."""
    _ctl(box, "POST", "/faults", json={"action": "reset", "path": "/2.0/users/me"})
    with pytest.raises(requests.ConnectionError):
        _me(box)
    assert _me(box).status_code == 200


def test_stall_fault_answers_nothing_then_closes(box: Any) -> None:
    """action stall: nothing for stall_ms, then the connection closes with no answer."""
    _ctl(box, "POST", "/faults", json={"action": "stall", "stall_ms": 300,
                                       "path": "/2.0/users/me"})
    port = int(box.url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(b"GET /2.0/users/me HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer tok\r\n\r\n")
        started = time.monotonic()
        assert sock.recv(100) == b""
        waited = time.monotonic() - started
    assert waited >= 0.25  # the stall itself, not a limit on the test's speed


@pytest.mark.parametrize("spec", [{"action": "explode"}, {"times": 0}, {"status": 99},
                                  {"colour": "red"}, {"stall_ms": -1}])
def test_bad_faults_are_400(box: Any, spec: dict[str, Any]) -> None:
    """A fault with an unknown action or field, or an out-of-range number, is a 400."""
    assert _ctl(box, "POST", "/faults", json=spec).status_code == 400
    assert _ctl(box, "GET", "/faults").json() == []


def test_delete_faults(box: Any) -> None:
    """DELETE /faults/ID removes one; DELETE /faults all; an unknown id is 404."""
    one = _ctl(box, "POST", "/faults", json={"path": "/a"}).json()["id"]
    _ctl(box, "POST", "/faults", json={"path": "/b"})
    assert _ctl(box, "DELETE", f"/faults/{one}").json() == {"removed": 1}
    assert _ctl(box, "DELETE", f"/faults/{one}").status_code == 404
    assert _ctl(box, "DELETE", "/faults").json() == {"removed": 1}


def test_request_log_and_reset(box: Any) -> None:
    """GET /requests lists what was asked; POST /reset empties the world, tokens still work."""
    folder = requests.post(box.url + "/2.0/folders", json={"name": "f", "parent": {"id": "0"}},
                           headers={"Authorization": "Bearer tok"}, timeout=10)
    assert folder.status_code == 201
    _ctl(box, "POST", "/settings", json={"space_amount": 5})
    log = _ctl(box, "GET", "/requests?limit=5").json()
    assert log[-1]["method"] == "POST" and log[-1]["path"] == "/2.0/folders"
    assert log[-1]["status"] == 201 and log[-1]["duration_ms"] >= 0
    reset = _ctl(box, "POST", "/reset").json()
    assert reset["space_amount"] == 10 * 1024**3 and reset["items"] == len(box.state.users)
    assert _me(box).status_code == 200
    assert _ctl(box, "GET", "/requests").json()[-1]["path"] == "/2.0/users/me"


def test_control_api_index_and_404(box: Any) -> None:
    """GET / lists the endpoints and setting names; anything else is a JSON 404."""
    index = _ctl(box, "GET", "/").json()
    assert "clock_offset_s" in index["setting_names"]
    missing = _ctl(box, "GET", "/nope")
    assert missing.status_code == 404 and "GET /" in missing.json()["error"]


def test_account_flags_are_settings(box: Any) -> None:
    """terms_of_service_required set through the control API: every call gets Box's 400."""
    assert _ctl(box, "POST", "/settings", json={"terms_of_service_required": True}).ok
    refused = _me(box)
    assert refused.status_code == 400 and refused.json()["code"] == "terms_of_service_required"
    _ctl(box, "POST", "/reset")
    assert _me(box).status_code == 200


def test_fault_after_handler_lets_the_write_land(box: Any) -> None:
    """after_handler: the folder is created, yet the client sees the 503."""
    _ctl(box, "POST", "/faults", json={"method": "POST", "path": "/2.0/folders",
                                       "after_handler": True})
    refused = requests.post(box.url + "/2.0/folders", json={"name": "landed",
                                                            "parent": {"id": "0"}},
                            headers={"Authorization": "Bearer tok"}, timeout=10)
    assert refused.status_code == 503
    names = [i.name for i in box.state.items.values()]
    assert "landed" in names
