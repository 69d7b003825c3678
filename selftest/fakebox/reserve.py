"""Name reservations: why two concurrent creates of one name get name_temporarily_reserved.

Box reserves a name in a folder while a create is processing; a second create of the same name
that arrives meanwhile is refused with 409 name_temporarily_reserved rather than waiting
(reference page: "Two duplicate requests have been submitted at the same time"). The fake holds
the reservation for `config.create_processing_ms` of REAL time, so two real concurrent requests
reproduce it; the default 0 keeps ordinary creates instant.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager

from .errors import BoxApiError
from .names import fold
from .state import State


@contextmanager
def reserve(state: State, parent_id: str, name: str) -> Iterator[None]:
    """Hold (parent, name) for the processing window, then let the caller create."""
    key = (parent_id, fold(name))
    with state.lock:
        if key in state.reservations:
            raise BoxApiError("name_temporarily_reserved", context_info={
                "conflicts": [{"type": "reservation", "name": name, "parent": {"id": parent_id}}]})
        state.reservations[key] = secrets.token_hex(4)
    try:
        delay_ms = state.config.create_processing_ms
        if delay_ms > 0:
            time.sleep(delay_ms / 1000)
        yield
    finally:
        with state.lock:
            state.reservations.pop(key, None)
