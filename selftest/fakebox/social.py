"""Comments and tasks on files.

Triggers: recent_similar_comment (the same message on the same file by the same user within
`config.comment_window_s`), task_assignee_not_allowed (the assigner cannot write to the file,
or the assignee cannot see it).
"""

from __future__ import annotations

from typing import Any

from werkzeug.wrappers import Response

from . import tree
from .clock import iso
from .errors import BoxApiError, invalid_parameter
from .http import Ctx, json_response, one_of, ref_id
from .model import Comment, Task, TaskAssignment
from .routing import Route
from .state import State
from .views import item_mini, user_mini

ACTIONS = frozenset({"review", "complete"})


def create_comment(ctx: Ctx) -> Response:
    """POST /comments {item: {type: file, id}, message}."""
    doc = ctx.json()
    message = doc.get("message")
    if not isinstance(message, str) or not message.strip():
        raise invalid_parameter("message", message)
    if not isinstance(doc.get("item"), dict) or doc["item"].get("type") != "file":
        raise invalid_parameter("item.type", doc.get("item"))
    state = ctx.state
    with state.lock:
        item = tree.find(state, ref_id(doc, "item"), ctx.user, "file")
        now = state.clock.now()
        for old in state.comments:
            if (old.item_id, old.user_id, old.message) == (item.id, ctx.user.id, message) \
                    and now - old.created_at < state.config.comment_window_s:
                raise BoxApiError("recent_similar_comment")
        comment = Comment(state.next_id(), item.id, ctx.user.id, message, now)
        state.comments.append(comment)
        del state.comments[:-10_000]  # bounded: old comments matter only for the window
        return json_response({
            "type": "comment", "id": comment.id, "is_reply_comment": False,
            "message": message, "created_by": user_mini(state, ctx.user.id),
            "created_at": iso(now), "modified_at": iso(now),
            "item": {"type": "file", "id": item.id}}, 201)


def _task_view(state: State, task: Task) -> dict[str, Any]:
    return {"type": "task", "id": task.id, "item": item_mini(state.items[task.item_id]),
            "action": task.action, "message": task.message, "is_completed": False,
            "created_by": user_mini(state, task.created_by), "created_at": iso(task.created_at),
            "completion_rule": "all_assignees",
            "task_assignment_collection": {"total_count": len(task.assignment_ids),
                                           "entries": []}}


def create_task(ctx: Ctx) -> Response:
    """POST /tasks {item: {type: file, id}, action, message}."""
    doc = ctx.json()
    action = one_of(doc.get("action", "review"), ACTIONS, "action")
    state = ctx.state
    with state.lock:
        item = tree.find(state, ref_id(doc, "item"), ctx.user, "file")
        task = Task(state.next_id(), item.id, ctx.user.id, str(action),
                    str(doc.get("message", "")), state.clock.now())
        state.tasks[task.id] = task
        return json_response(_task_view(state, task), 201)


def create_assignment(ctx: Ctx) -> Response:
    """POST /task_assignments {task: {id}, assign_to: {id|login}}."""
    doc = ctx.json()
    target = doc.get("assign_to")
    if not isinstance(target, dict):
        raise invalid_parameter("assign_to", target)
    state = ctx.state
    with state.lock:
        task = state.tasks.get(ref_id(doc, "task"))
        if task is None:
            raise BoxApiError("not_found")
        item = tree.find(state, task.item_id, ctx.user, "file")
        assignee = state.users.get(str(target.get("id", ""))) or state.user_by_login(
            str(target.get("login", "")))
        if assignee is None:
            raise BoxApiError("not_found", "The assignee does not exist")
        if tree.role(state, ctx.user, item) not in tree.WRITE_ROLES \
                or tree.role(state, assignee, item) is None:
            raise BoxApiError("task_assignee_not_allowed")
        now = state.clock.now()
        assignment = TaskAssignment(state.next_id(), task.id, item.id, assignee.id,
                                    ctx.user.id, now)
        state.assignments[assignment.id] = assignment
        task.assignment_ids.append(assignment.id)
        return json_response({
            "type": "task_assignment", "id": assignment.id, "item": item_mini(item),
            "assigned_to": user_mini(state, assignee.id), "message": task.message,
            "assigned_at": iso(now), "resolution_state": "incomplete",
            "assigned_by": user_mini(state, ctx.user.id)}, 201)


ROUTES = [
    Route("POST", "/comments", create_comment, scope="write"),
    Route("POST", "/tasks", create_task, scope="write"),
    Route("POST", "/task_assignments", create_assignment, scope="write"),
]
