"""Collaborations: who else may use a folder.

Triggers: invalid_collaboration_item (item type not folder), collaborations_not_available_on_
root_folder (folder 0), user_already_collaborator, invalid_request_parameters (`notify` must be
true or false: `?notify=1` is refused), invalid_status (changing the status of a collaboration
that is not pending). A login that matches no user becomes a pending invitation.
"""

from __future__ import annotations

from typing import Any

from werkzeug.wrappers import Response

from . import tree
from .clock import iso
from .errors import BoxApiError, invalid_parameter
from .http import Ctx, check_id, empty, json_response, one_of
from .model import Collaboration
from .routing import Route
from .state import State
from .views import item_mini, user_mini

ROLES = frozenset({"editor", "viewer", "previewer", "uploader", "previewer uploader",
                   "viewer uploader", "co-owner"})
STATUSES = frozenset({"accepted", "rejected"})


def _view(state: State, collab: Collaboration) -> dict[str, Any]:
    invitee = state.users.get(collab.user_id or "")
    return {
        "type": "collaboration", "id": collab.id,
        "item": item_mini(state.items[collab.item_id]),
        "accessible_by": {"type": "user", "id": collab.user_id or "", "name": invitee.name
                          if invitee else "", "login": collab.login},
        "role": collab.role, "status": collab.status, "invite_email": None if invitee
        else collab.login,
        "created_by": user_mini(state, collab.created_by),
        "created_at": iso(collab.created_at), "modified_at": iso(collab.created_at),
        "expires_at": None, "is_access_only": False,
    }


def _check_notify(ctx: Ctx) -> None:
    notify = ctx.request.args.get("notify")
    if notify is not None and notify not in {"true", "false"}:
        raise BoxApiError("invalid_request_parameters", context_info={"errors": [
            {"reason": "invalid_parameter", "name": "notify",
             "message": f"Invalid value '{notify}'. 'notify' must be true or false"}]})


def create(ctx: Ctx) -> Response:
    """POST /collaborations {item: {type, id}, accessible_by: {type, id|login}, role}."""
    _check_notify(ctx)
    doc = ctx.json()
    item_ref, grantee = doc.get("item"), doc.get("accessible_by")
    if not isinstance(item_ref, dict) or item_ref.get("type") != "folder":
        raise BoxApiError("invalid_collaboration_item")
    if not isinstance(grantee, dict) or not (grantee.get("id") or grantee.get("login")):
        raise invalid_parameter("accessible_by", grantee)
    role = one_of(doc.get("role"), ROLES, "role")
    item_id = check_id(str(item_ref.get("id", "")), "item.id")
    if item_id == "0":
        raise BoxApiError("collaborations_not_available_on_root_folder")
    state = ctx.state
    with state.lock:
        folder = tree.find(state, item_id, ctx.user, "folder")
        tree.require_write(state, ctx.user, folder)
        collab = _add(state, ctx, folder.id, grantee, role)
        return json_response(_view(state, collab), 201)


def _add(state: State, ctx: Ctx, item_id: str, grantee: dict[str, Any], role: str
         ) -> Collaboration:
    user = state.users.get(str(grantee.get("id", ""))) or state.user_by_login(
        str(grantee.get("login", "")))
    if user is None and grantee.get("id"):
        raise BoxApiError("not_found", "The user to collaborate with does not exist")
    login = user.login if user else str(grantee["login"])
    for other in state.collaborations.values():
        if other.item_id == item_id and other.login.casefold() == login.casefold():
            raise BoxApiError("user_already_collaborator")
    if user is not None and state.items[item_id].owner_id == user.id:
        raise BoxApiError("user_already_collaborator", "The user owns the item")
    collab = Collaboration(state.next_id(), item_id, user.id if user else None, login, role,
                           "accepted" if user else "pending", ctx.user.id, state.clock.now())
    state.collaborations[collab.id] = collab
    return collab


def _find(ctx: Ctx, collaboration_id: str) -> Collaboration:
    check_id(collaboration_id, "collaboration_id")
    collab = ctx.state.collaborations.get(collaboration_id)
    if collab is None or (collab.created_by != ctx.user.id and collab.user_id != ctx.user.id):
        raise BoxApiError("not_found")
    if collab.item_id not in ctx.state.items:  # the folder was deleted for good
        del ctx.state.collaborations[collab.id]
        raise BoxApiError("not_found")
    return collab


def get(ctx: Ctx, collaboration_id: str) -> Response:
    with ctx.state.lock:
        return json_response(_view(ctx.state, _find(ctx, collaboration_id)))


def update(ctx: Ctx, collaboration_id: str) -> Response:
    """PUT /collaborations/{id} {role?, status?}: status only moves out of pending."""
    doc = ctx.json()
    with ctx.state.lock:
        collab = _find(ctx, collaboration_id)
        if "status" in doc:
            status = one_of(doc["status"], STATUSES, "status")
            if collab.status != "pending":
                raise BoxApiError("invalid_status")
            collab.status = status
        if "role" in doc:
            collab.role = one_of(doc["role"], ROLES, "role")
        return json_response(_view(ctx.state, collab))


def delete(ctx: Ctx, collaboration_id: str) -> Response:
    with ctx.state.lock:
        collab = _find(ctx, collaboration_id)
        del ctx.state.collaborations[collab.id]
        return empty()


ROUTES = [
    Route("POST", "/collaborations", create, scope="write"),
    Route("GET", "/collaborations/{collaboration_id}", get),
    Route("PUT", "/collaborations/{collaboration_id}", update, scope="write"),
    Route("DELETE", "/collaborations/{collaboration_id}", delete, scope="write"),
]
