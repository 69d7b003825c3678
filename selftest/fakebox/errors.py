"""Box's error answers, as exceptions a handler raises and the app renders.

Two families, as Box has them:

    BoxApiError     a ClientError JSON body (https://developer.box.com/reference/resources/client-error/)
    OAuthFailure    a token-endpoint body {"error", "error_description"} (RFC 6749 §5.2)

A 401 from the API has no body at all, only a `WWW-Authenticate` challenge: `Unauthorized`.
The default status and message for each code come from the reference page
(docs/facts.md §0) and §2; a handler may override the message.
"""

from __future__ import annotations

from typing import Any

HELP_URL = "http://developers.box.com/docs/#errors"

#: code -> (status, message). Messages follow Box's own wording where the reference page has it.
CODES: dict[str, tuple[int, str]] = {
    "bad_digest": (400, "The specified content digest did not match what was received"),
    "bad_request": (400, "Bad request"),
    "cannot_make_collaborated_subfolder_private": (
        400, "Cannot move a collaborated subfolder to a private folder unless the new owner "
        "is explicitly specified"),
    "collaborations_not_available_on_root_folder": (400, "Root folder cannot be collaborated"),
    "cyclical_folder_structure": (400, "Folder move creates cyclical folder structure"),
    "folder_not_empty": (400, "Cannot delete - folder not empty"),
    "invalid_collaboration_item": (400, "Item type must be specified and set to 'folder'"),
    "invalid_limit": (400, "Limit is not a valid number"),
    "invalid_offset": (400, "Offset is not a valid number"),
    "invalid_request_parameters": (400, "Invalid input parameters in request"),
    "invalid_status": (400, "You can change the status only if the collaboration is pending"),
    "invalid_upload_session_id": (400, "The upload session ID provided in the URL is not of a "
                                  "valid format"),
    "item_name_invalid": (400, "Item name invalid"),
    "item_name_too_long": (400, "Item name too long"),
    "password_reset_required": (400, "User needs to reset password"),
    "requested_page_out_of_range": (400, "Requested representation page out of range"),
    "requested_preview_unavailable": (400, "Requested preview unavailable"),
    "sync_item_move_failure": (400, "Cannot move a synced item"),
    "task_assignee_not_allowed": (400, "Assigner does not have sufficient privileges to assign "
                                  "task to assignee"),
    "terms_of_service_required": (400, "User must accept custom terms of service before "
                                  "taking action"),
    "user_already_collaborator": (400, "User is already a collaborator"),
    "access_denied_insufficient_permissions": (403, "Access denied - insufficient permission"),
    "insufficient_scope": (403, "The request requires higher privileges than provided by the "
                           "access token."),
    "access_denied_item_locked": (403, "Access denied - item locked"),
    "access_from_location_blocked": (403, "You're attempting to log in to Box from a location "
                                     "that has not been approved by your admin. Please talk to "
                                     "your admin to resolve this issue."),
    "file_size_limit_exceeded": (403, "File size exceeds the folder owner's file size limit"),
    "forbidden": (403, "Client does not have permission to upload to this session"),
    "incorrect_shared_item_password": (403, "Incorrect shared item password"),
    "storage_limit_exceeded": (403, "Account storage limit reached"),
    "user_email_confirmation_required": (403, "User needs to complete email confirmation"),
    "not_found": (404, "Not Found"),
    "trashed": (404, "Item is trashed"),
    "not_trashed": (404, "Item is not trashed"),
    "preview_cannot_be_generated": (404, "Cannot generate the preview"),
    "method_not_allowed": (405, "Method Not Allowed"),
    "conflict": (409, "A resource with this value already exists"),
    "item_name_in_use": (409, "Item with the same name already exists"),
    "name_temporarily_reserved": (409, "Another processing item is reserving the item name"),
    "operation_blocked_temporary": (409, "The operation is blocked by another ongoing "
                                    "operation"),
    "recent_similar_comment": (409, "A similar comment has been made recently"),
    "user_login_already_used": (409, "User with the specified login already exists"),
    "range_overlaps_existing_part": (409, "Part overlaps with previously uploaded part"),
    "session_conflict": (409, "The parts list does not match the parts of this upload session"),
    "session_expired": (410, "The upload session has expired"),
    "upload_failed": (410, "The upload session is in an unrecoverable failed state"),
    "length_required": (411, "Requires a Content-Length header"),
    "precondition_failed": (412, "The resource has been modified. Please retrieve the resource "
                            "again and retry"),
    "sync_state_precondition_failed": (412, "The resource has been modified. Please retrieve "
                                       "the resource again and retry"),
    "request_entity_too_large": (413, "Request entity too large"),
    "unsupported_media_type": (415, "Unsupported media type"),
    # Box documents a 416 for a part whose Content-Range does not fit the session, without
    # naming its code; this name is the fake's (UNCONFIRMED).
    "range_not_satisfiable": (416, "The content range does not match the upload session"),
    "rate_limit_exceeded": (429, "Request rate limit exceeded, please try again later"),
    "internal_server_error": (500, "Internal Server Error"),
    "bad_gateway": (502, "Bad Gateway"),
    "unavailable": (503, "Unavailable"),
}


class BoxApiError(Exception):
    """Raised by a handler to answer with a Box ClientError body."""

    def __init__(
        self,
        code: str,
        message: str | None = None,
        *,
        status: int | None = None,
        context_info: Any = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        default_status, default_message = CODES.get(code, (400, code))
        self.code = code
        self.status = status or default_status
        self.message = message or default_message
        self.context_info = context_info
        self.headers = dict(headers or {})
        super().__init__(f"{self.status} {code}: {self.message}")


def invalid_parameter(name: str, value: object, detail: str = "") -> BoxApiError:
    """A 400 bad_request carrying Box's validation `context_info.errors` list."""
    text = detail or f"Invalid value '{value}'. '{name}' with value '{value}' is invalid"
    return BoxApiError("bad_request", "Bad request", context_info={"errors": [
        {"reason": "invalid_parameter", "name": name, "message": text}]})


class OAuthFailure(Exception):
    """Raised by the token endpoint to answer {"error", "error_description"}."""

    def __init__(self, error: str, description: str, *, status: int = 400,
                 headers: dict[str, str] | None = None) -> None:
        self.error = error
        self.description = description
        self.status = status
        self.headers = dict(headers or {})
        super().__init__(f"{status} {error}: {description}")


class Unauthorized(Exception):
    """Raised when the bearer token is missing, unknown or expired: 401, empty body."""

    CHALLENGE = ('Bearer realm="Service", error="invalid_token", '
                 'error_description="The access token provided is invalid."')
