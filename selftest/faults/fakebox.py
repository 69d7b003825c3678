"""The stateful fake Box API as a fault server, so scenarios reproduce Box's codes by behaviour.

    fakebox   `selftest.fakebox.running(...)` with the scenario's attributes: quota
              (`space_amount`, `space_used`, `max_upload_size`), account flags
              (`password_reset_required`, `terms_of_service_required`,
              `email_confirmation_required`, `location_blocked`), `clock_offset_s`, `latency_ms`,
              `tls`, and any `selftest.fakebox.Config` field (`requests_per_window`,
              `token_requests_per_window`, `part_size`, `min_session_file_size`,
              `max_direct_upload_bytes`, `create_processing_ms`, `folder_op_s`, ...).

Placeholders it gives: `{url}` (API base, no /2.0), `{upload_url}` (upload base), `{token_url}`,
`{ca}` (with tls), and the credentials a scenario plays with:

    {token}            the main user's token, valid a year (scenarios travel days in time)
    {short_token}      the main user's token with Box's real 60-minute lifetime
    {readonly_token}   the main user's token with only the root_readonly scope
    {other_token}      a second user's token; {other_user_id}, {other_login}
    {refresh_token}    a single-use refresh token of {client_id} / {client_secret}
    {enterprise_id}    the default app's enterprise
    {box_config}       a JWT app's config file, as Box's developer console hands it out
    {unapproved_client_id} / {unapproved_client_secret}   an app the enterprise admin has not
                       authorised

Servers are shared by every scenario with the same attributes, so scenarios name what they
create uniquely (the box-sequence step's `{unique}`). The runner hands the started fault to the
client step (`selftest.steps.Context.server`), which uses its methods for what no HTTP call can
do: move the fake's clock, mint a fresh refresh token.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from selftest.faults import register
from selftest.faults._base import write_private
from selftest.sent import Recorder, SentRequest

#: User attributes a scenario may set; every other attribute goes to running() / Config.
ACCOUNT_FLAGS = ("password_reset_required", "terms_of_service_required",
                 "email_confirmation_required", "location_blocked")
#: Long enough that moving the fake's clock by days never expires {token}.
LONG_TOKEN_TTL_S = 365 * 86400
READ_ONLY = frozenset({"root_readonly"})


@register("fakebox")
class FakeBoxFault:
    """A fresh fake Box per attribute set; its credentials and URLs as placeholders."""

    def __init__(self, **attributes: Any) -> None:
        self.flags = {k: bool(attributes.pop(k)) for k in ACCOUNT_FLAGS if k in attributes}
        self.attributes = attributes
        self.urls: dict[str, str] = {}
        self._stack = contextlib.ExitStack()
        self._folder: Path | None = None
        #: The running fake (`selftest.fakebox.RunningBox`) while started, else None.
        self.box: Any = None
        #: Every request the fake received ([expect.sent]).
        self.sent = Recorder()

    def start(self) -> None:
        from selftest.fakebox import running  # imported late: werkzeug and trustme are heavy

        try:
            box = self._stack.enter_context(running(**self.attributes,
                                                    on_request=self._record))
        except TypeError as exc:  # an attribute neither running() nor Config knows
            self._stack.close()
            raise OSError(f"fakebox: {exc}") from None
        for flag, value in self.flags.items():
            setattr(box.state.main_user, flag, value)
        self._folder = Path(tempfile.mkdtemp(prefix="fakebox-fault-"))
        self.urls = _Placeholders({**_addresses(box), **_credentials(box)},
                                  _jwt_makers(box, self._folder))
        self.box = box

    def stop(self) -> None:
        self.box = None
        self._stack.close()
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)


    def _record(self, method: str, target: str, headers: list[tuple[str, str]]) -> None:
        """The fake's on_request hook: keep what the client sent ([expect.sent])."""
        self.sent.add(SentRequest(method, target, tuple(headers)))

    @staticmethod
    def declared_attributes() -> dict[str, str]:
        """Every attribute it takes, with its type: the account flags, running()'s own keywords
        a scenario may set, and every `selftest.fakebox.Config` field (for the docs table)."""
        import dataclasses
        import inspect

        from selftest.fakebox import server, state

        params = inspect.signature(server.running).parameters
        own = {name: f"{params[name].annotation} = {params[name].default!r}" for name in
               ("tls", "clock_offset_s", "space_amount", "space_used", "max_upload_size")}
        flags = {flag: "bool = False" for flag in ACCOUNT_FLAGS}
        config = {f.name: f"{f.type} = {f.default!r}" for f in dataclasses.fields(state.Config)}
        return {**flags, **own, **config}

    def clock_offset_s(self) -> float:
        """How far the fake's clock is from this machine's, in seconds."""
        return float(self._running().state.clock.offset_s)

    def set_clock_offset(self, offset_s: float) -> None:
        """Put the fake's clock `offset_s` seconds from this machine's."""
        self._running().state.clock.set_offset(offset_s)

    def advance_clock(self, seconds: float) -> None:
        """Move the fake's clock forward (a token ages, a session expires)."""
        self._running().state.clock.advance(seconds)

    def fresh_refresh_token(self) -> str:
        """A new single-use refresh token of the default app, for the main user."""
        state = self._running().state
        return str(state.tokens.issue_refresh(state.main_user.id, state.default_app.client_id))

    def _running(self) -> Any:
        """The running fake. Raises RuntimeError before start() and after stop()."""
        if self.box is None:
            raise RuntimeError("the fakebox fault is not started")
        return self.box


def _addresses(box: Any) -> dict[str, str]:
    hostport = box.url.split("://", 1)[1]
    host, _, port = hostport.rpartition(":")
    urls = {"url": box.url, "upload_url": box.upload_url, "token_url": box.token_url,
            "host": host, "port": port, "hostport": hostport}
    if box.ca:
        urls["ca"] = box.ca
    return urls


class _Placeholders(dict[str, str]):
    """The fault's placeholders; the JWT apps' ones are made when a scenario first names them.

    A JWT app costs an RSA key pair (~80 ms of CPU); 13 of 90 fakebox scenarios use one, and
    every fake Box used to make two.
    """

    def __init__(self, ready: dict[str, str],
                 makers: dict[str, Callable[[], dict[str, str]]]) -> None:
        super().__init__(ready)
        self._makers = makers
        self._lock = threading.Lock()

    def __missing__(self, key: str) -> str:
        make = self._makers.get(key)
        if make is None:
            raise KeyError(key)
        with self._lock:
            if key not in self:
                self.update(make())
        return dict.__getitem__(self, key)

    def names(self) -> set[str]:
        """Every placeholder it can give, made or not yet."""
        return set(self) | set(self._makers)


def _jwt_makers(box: Any, folder: Path) -> dict[str, Callable[[], dict[str, str]]]:
    def approved() -> dict[str, str]:
        config = folder / "box_config.json"
        write_private(config, json.dumps(box.create_jwt_app().config()))  # holds a private key
        return {"box_config": str(config)}

    def unapproved() -> dict[str, str]:
        app = box.create_jwt_app(approved=False)
        return {"unapproved_client_id": app.client_id,
                "unapproved_client_secret": app.client_secret}

    return {"box_config": approved, "unapproved_client_id": unapproved,
            "unapproved_client_secret": unapproved}


def _credentials(box: Any) -> dict[str, str]:
    state = box.state
    user_id = state.main_user.id
    other = state.add_user("colleague@example.com", "A Colleague")
    return {
        "token": state.tokens.issue_access(user_id, ttl_s=LONG_TOKEN_TTL_S),
        "short_token": box.token,
        "readonly_token": state.tokens.issue_access(user_id, scopes=READ_ONLY,
                                                    ttl_s=LONG_TOKEN_TTL_S),
        "other_token": state.tokens.issue_access(other.id, ttl_s=LONG_TOKEN_TTL_S),
        "other_user_id": other.id, "other_login": other.login,
        "refresh_token": box.refresh_token,
        "client_id": box.client_id, "client_secret": box.client_secret,
        "enterprise_id": state.default_app.enterprise_id,
    }
