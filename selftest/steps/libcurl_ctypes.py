"""Setting the three libcurl options pycurl does not expose, on pycurl's own easy handle.

pycurl refuses a string for CURLOPT_FTP_ACCOUNT and has no CURLOPT_ABSTRACT_UNIX_SOCKET or
CURLOPT_CHUNK_BGN_FUNCTION, yet libcurl codes 11, 15 and 88 are reached only through them. This
module calls `curl_easy_setopt` of the SAME libcurl that pycurl loaded (found in /proc/self/maps,
so never a second copy) on the CURL* inside a `pycurl.Curl`. The transfer itself is still
pycurl's `perform()`: the code that comes back is libcurl's, from a real exchange.

Finding the CURL*: pycurl's CurlObject (src/pycurl.h, 7.45 and later) is `PyObject_HEAD;
PyObject *dict; PyObject *weakreflist; CURL *handle; ...`, so the handle is the third pointer
after the object header. It is then CHECKED before any option is set: pycurl stores the Python
object's address as the handle's CURLOPT_PRIVATE (`util_curl_init` in pycurl's easy.c), so
`curl_easy_getinfo(CURLINFO_PRIVATE)` must give back `id(curl)`. A NULL there (a closed handle,
or an older layout whose third slot is a thread state, NULL outside perform) or any mismatch
raises LibcurlUnreachable and nothing is set.
"""

from __future__ import annotations

import ctypes
import os
from functools import cache
from typing import Any

import pycurl

# Option numbers from curl/curl.h (CURLOPTTYPE_STRINGPOINT 10000, CURLOPTTYPE_FUNCTIONPOINT 20000).
FTP_ACCOUNT = 10000 + 134
ABSTRACT_UNIX_SOCKET = 10000 + 264
CHUNK_BGN_FUNCTION = 20000 + 198
#: The string options scenarios may set by name (`ctypes_options` of perform-with-ctypes-options).
STRING_OPTIONS = {"FTP_ACCOUNT": FTP_ACCOUNT, "ABSTRACT_UNIX_SOCKET": ABSTRACT_UNIX_SOCKET}
#: CURLINFO_STRING + 21 (curl/curl.h): the pointer set with CURLOPT_PRIVATE.
CURLINFO_PRIVATE = 0x100000 + 21
#: `CURL *handle` is the third pointer after PyObject_HEAD (dict, weakreflist, handle).
HANDLE_SLOT = 2
#: What a CHUNK_BGN callback returns to make libcurl give up (curl/curl.h).
CHUNK_BGN_FUNC_FAIL = 1

#: long chunk_bgn(const void *transfer_info, void *userdata, int remains)
ChunkBeginCallback = ctypes.CFUNCTYPE(ctypes.c_long, ctypes.c_void_p, ctypes.c_void_p,
                                      ctypes.c_int)


class LibcurlUnreachable(RuntimeError):
    """Raised when pycurl's libcurl or its easy handle cannot be found and checked."""


@cache
def loaded_libcurl() -> ctypes.CDLL:
    """The libcurl shared object pycurl loaded (dlopen of a loaded path returns that same copy)."""
    paths = sorted({line.split()[-1] for line in _memory_map()
                    if "libcurl" in os.path.basename(line.split()[-1])})
    pycurl_dir = os.path.dirname(os.path.realpath(pycurl.__file__ or ""))
    preferred = [p for p in paths if p.startswith(pycurl_dir)] or paths
    if len(preferred) != 1:
        raise LibcurlUnreachable(f"cannot tell which libcurl pycurl uses among {paths}")
    lib = ctypes.CDLL(preferred[0])
    lib.curl_version.restype = ctypes.c_char_p
    version = lib.curl_version().decode()
    if not version.startswith(f"libcurl/{pycurl.version_info()[1]} "):
        raise LibcurlUnreachable(f"{preferred[0]} is {version}, not pycurl's libcurl")
    lib.curl_easy_setopt.restype = ctypes.c_int
    lib.curl_easy_getinfo.restype = ctypes.c_int
    return lib


def _memory_map() -> list[str]:
    try:
        with open("/proc/self/maps", encoding="utf-8") as maps:
            return [line for line in maps if line.count("/") and "libcurl" in line]
    except OSError as exc:  # not Linux: no /proc to find the library in
        raise LibcurlUnreachable(f"cannot read /proc/self/maps: {exc}") from None


def easy_handle(curl: Any) -> int:
    """The CURL* inside a `pycurl.Curl`, checked against its CURLINFO_PRIVATE."""
    slots = ctypes.c_void_p * (HANDLE_SLOT + 1)
    if type(curl).__basicsize__ < object.__basicsize__ + ctypes.sizeof(slots):
        raise LibcurlUnreachable(f"{type(curl).__name__} is too small to be a pycurl.Curl")
    candidate = slots.from_address(id(curl) + object.__basicsize__)[HANDLE_SLOT]
    if not candidate:
        raise LibcurlUnreachable("no easy handle where pycurl keeps it (closed, or a new layout)")
    private = ctypes.c_void_p()
    code = loaded_libcurl().curl_easy_getinfo(
        ctypes.c_void_p(candidate), ctypes.c_int(CURLINFO_PRIVATE), ctypes.byref(private))
    if code != 0 or private.value != id(curl):
        raise LibcurlUnreachable("the pointer found is not this pycurl.Curl's easy handle")
    return int(candidate)


def setopt_string(curl: Any, option: int, value: str) -> None:
    """curl_easy_setopt(handle, option, "value"); libcurl copies the string."""
    _check(loaded_libcurl().curl_easy_setopt(
        ctypes.c_void_p(easy_handle(curl)), ctypes.c_int(option), ctypes.c_char_p(value.encode())))


def setopt_callback(curl: Any, option: int, callback: Any) -> None:
    """curl_easy_setopt(handle, option, function). The caller keeps `callback` alive until done."""
    _check(loaded_libcurl().curl_easy_setopt(
        ctypes.c_void_p(easy_handle(curl)), ctypes.c_int(option), callback))


def _check(code: int) -> None:
    # Reported exactly as pycurl reports a refused option, so transport.perform observes it.
    if code != 0:
        raise pycurl.error(code, f"curl_easy_setopt through ctypes returned {code}")
