"""Box's rules for file and folder names (reference page: item_name_invalid / _too_long).

"Box only supports file or folder names that are 255 characters or less. Does not support file
names containing non-printable ascii, '/' or '\\', names with leading or trailing spaces, and
the special names '.' and '..'." A lone surrogate (U+D800..U+DFFF, which JSON's `\\ud800`
escape can carry) is no character at all and cannot be stored or echoed as UTF-8: the fake
refuses it as item_name_invalid.
"""

from __future__ import annotations

from .errors import BoxApiError

MAX_NAME_CHARS = 255


def check_name(name: object) -> str:
    """Return `name` when Box would accept it; raise the Box error it would get."""
    if not isinstance(name, str) or not name:
        raise BoxApiError("bad_request", "Bad request", context_info={"errors": [
            {"reason": "missing_parameter", "name": "name",
             "message": "'name' is required"}]})
    if len(name) > MAX_NAME_CHARS:
        raise BoxApiError("item_name_too_long")
    if (name in {".", ".."} or name != name.strip(" ") or "/" in name or "\\" in name
            or any(ord(ch) < 32 or ord(ch) == 127 or 0xD800 <= ord(ch) <= 0xDFFF for ch in name)):
        raise BoxApiError("item_name_invalid")
    return name


def fold(name: str) -> str:
    """Box compares names in one folder case-insensitively."""
    return name.casefold()
