"""Secrets never appear in output: tokens, passwords, keys, assertions, cookies.

Secrets are found by what they look like, wherever they are in the text, not by where a caller
expects them: a header on any line (`Authorization:`, `> Proxy-Authorization: Basic ...` from
`curl -v`, `'Authorization': 'Bearer ...'` in a Python dict), a secret key with any quoting and
separator (`"refresh_token" : "..."`, `client_secret=...&`, `'password' => '...'`,
`define('WP_PROXY_PASSWORD', '...')`), a bare JWT, a Bearer/Basic credential, a PEM private key,
and the password of a URL or of a scheme-less `user:pw@host:port` (passwords may contain `@`).
Box's SDK keeps a list of keys that are always redacted when printed (box_sdk_gen
`networking/fetch.py`); this is the same idea, extended to free text.

Every pattern here starts at a literal (a key name, `://`, `@`, `eyJ`, `-----BEGIN`) and uses only
bounded or single, unnested quantifiers, so redaction is linear in the size of the text.
Placeholders in our own advice (`http://USER:PASSWORD@HOST:PORT`, `$PASSWORD`) are left alone.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

REDACTED = "[redacted]"

#: Keys whose values are secret wherever they appear (header names, form fields, JSON keys).
SECRET_KEYS = frozenset({
    "authorization", "proxy-authorization", "cookie", "set-cookie",
    "access_token", "refresh_token", "id_token", "client_secret", "assertion",
    "client_assertion", "password", "passwd", "passphrase", "privatekey", "private_key",
    "upload_token", "clientsecret", "accesstoken", "refreshtoken", "developer_token",
    "primaryaccesstoken", "secondaryaccesstoken", "api_key", "apikey",
})

#: Header names whose whole value is a credential.
_HEADER = re.compile(
    r"(?P<pre>[\"']?)\b(?P<name>proxy-authorization|authorization|set-cookie|cookie"
    r"|x-api-key|x-auth-token)\b(?P<close>\\{0,3}[\"']?)(?P<sep>[ \t]{0,8}(?:=>|[:=])[ \t]{0,8})",
    re.IGNORECASE)
#: The anchors: a key's last word and its separator, cheap enough to try at every position.
#: (They run on the ASCII-lower-cased text, case-sensitively: several times faster.)
_HEADER_ANCHOR = re.compile(r"(?:authorization|cookie|x-api-key|x-auth-token)\\{0,3}[\"']?"
                            r"[ \t]{0,8}(?:=>|[:=])")
#: Secret keys in JSON, Python dicts, PHP arrays, form bodies, query strings, env files, YAML.
_KEY = re.compile(
    r"(?P<open>\\{0,3}[\"']?)\b(?P<name>(?:[A-Za-z0-9]{1,24}_){0,3}"
    r"(?:(?:access|refresh|id|auth|upload|session|developer|primary_?access|secondary_?access)"
    r"_?token|client_?secret|(?:client_)?assertion|pass(?:word|wd|phrase)|pwd|private_?key"
    r"|api_?key|secret|token|code_verifier))\b"
    r"(?P<close>\\{0,3}[\"']?\]?)(?P<sep>[ \t]{0,8}(?:=>|[:=]|,(?=[ \t]{0,8}[\"']))[ \t]{0,8})",
    re.IGNORECASE)
#: A generic key (`token:`) followed by a plain word (`token: invalid_grant`) is no anchor.
_KEY_ANCHOR = re.compile(
    r"(?:token|secret)\\{0,3}[\"']?\]?[ \t]{0,8}"
    r"(?:=>|=|,|:(?![ \t]{0,8}[a-z_]{1,40}(?![^ \t\r\n\"'<>`()\[\]{}|,;&\\:])))"
    r"|(?:assertion|pass(?:word|wd|phrase)|pwd|verifier|[_ie]key)\\{0,3}[\"']?\]?[ \t]{0,8}"
    r"(?:=>|[:=,])")
_ASCII_LOWER = str.maketrans({chr(c): chr(c + 32) for c in range(65, 91)})
#: A credential after its scheme word (found in the lower-cased text; the word boundary before
#: it is checked in Python).
_AUTH_SCHEME = re.compile(r"(?:bearer|basic|digest|ntlm|negotiate)[ \t]{1,4}([a-z0-9._~+/-]{8,}=*)")
_JWT = re.compile(r"eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*")
_AUTH_CODE = re.compile(r"([?&]code=)([A-Za-z0-9._~-]{8,})")
_PEM_BEGIN = re.compile(r"-----BEGIN [A-Z ]{0,40}PRIVATE KEY-----")
_PEM_END = re.compile(r"-----END [A-Z ]{0,40}PRIVATE KEY-----")
#: A value that is one of our own placeholders (or already redacted), not a secret.
_PLACEHOLDER = re.compile(r"(?:YOUR_|THE_)?(?:PROXY_)?(?:PASSWORD|PASS|PW|TOKEN|SECRET|KEY"
                          r"|PASSPHRASE|CLIENT_SECRET|ACCESS_TOKEN|REFRESH_TOKEN|API_KEY|CREDENTIALS)|\$\{?[A-Za-z_]{1,40}\}?|<[^<>]{0,40}>|\*{1,40}"
                          r"|\[redacted\]|x{3,40}|\.{3}|…")
#: Generic keys (`token`) whose unquoted value is kept when it reads as words, not as a secret:
#: rclone's "couldn't fetch token: invalid_grant: ..." must stay readable.
_WORDS = re.compile(r"[a-z_ ]{1,40}")
_MAX_TOKEN = 4096
_BARE_VALUE = re.compile(r"[^ \t\r\n\"'<>`()\[\]{}|,;&\\]{1,4096}")


def redact_text(text: str) -> str:
    """Blank out every secret in `text` (any number of lines), by what the secret looks like."""
    if not text:
        return text
    text = _redact_pem(text)
    text = _redact_keyed(_HEADER_ANCHOR, _HEADER, text, 10, _header_value)
    text = _redact_keyed(_KEY_ANCHOR, _KEY, text, 48, _key_value)
    text = _redact_credentials(text)
    text = _JWT.sub(REDACTED, text)
    text = _AUTH_CODE.sub(lambda m: m[1] + REDACTED, text)
    return _redact_userinfo(text)


def redact_line(line: str) -> str:
    """Blank out secrets in one line of text (a header, a URL, a form body); same as redact_text."""
    return redact_text(line)


def redact(value: Any) -> Any:
    """Redact a JSON-like value: secret keys blanked at any depth, strings text-redacted."""
    if isinstance(value, Mapping):
        return {k: REDACTED if str(k).lower() in SECRET_KEYS and v else redact(v)
                for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact(v) for v in value]
    if isinstance(value, str):
        return redact_text(value)
    return value


def _is_placeholder(value: str) -> bool:
    return bool(_PLACEHOLDER.fullmatch(value))


#: A value's span: (start, end) in the text, or None when the match guards nothing secret.
Span = tuple[int, int] | None


def _redact_keyed(anchor: re.Pattern[str], pattern: re.Pattern[str], text: str,
                  lookback: int, locate: Callable[[re.Match[str]], Span]) -> str:
    """Blank the value after each match of `pattern` that contains a match of the cheap `anchor`.

    Trying a long alternation of key names at every position costs ~0.6 s per MB; the anchor,
    found first in C, narrows the tries to the few places where a key name can be. Each
    character is looked back over at most once, and nothing inside a blanked value is re-read.
    """
    out: list[str] = []
    copied = 0  # text[:copied] is in `out` already
    floor = 0  # no look-back goes below this: each character is looked back over once
    for a in anchor.finditer(text.translate(_ASCII_LOWER)):
        if a.start() < copied:
            continue  # inside a value blanked already
        start = a.start()
        low = max(floor, start - lookback)
        while start > low and (text[start - 1].isalnum() or text[start - 1] in "_-"):
            start -= 1
        opened = start
        while opened > low and start - opened < 4 and text[opened - 1] in "\"'\\":
            opened -= 1
        m = pattern.match(text, opened)
        if m is None and opened != start:
            m = pattern.match(text, start)
        span = locate(m) if m is not None and m.end() > a.start() else None
        floor = max(floor, a.end() - 1)
        if span is None:
            continue
        out.append(text[copied:span[0]])
        out.append(REDACTED)
        copied = floor = span[1]
    if not out:
        return text
    out.append(text[copied:])
    return "".join(out)


def _line_end(text: str, start: int) -> int:
    """The end of the line `start` is on, looking at most _MAX_TOKEN characters ahead."""
    limit = min(len(text), start + _MAX_TOKEN)
    end = text.find("\n", start, limit)
    return limit if end < 0 else end


def _quoted_end(text: str, start: int, quote: str) -> int:
    """The closing `quote` of a value starting at `start` (or the end of the line)."""
    line_end = _line_end(text, start)
    close = text.find(quote, start, line_end)
    end = line_end if close < 0 else close
    while end > start and text[end - 1] == "\\":
        end -= 1  # JSON escaped inside a string: \\"token\\":\\"abc\\"
    return end


def _open_quote(text: str, start: int) -> tuple[int, str]:
    """Skip up to three backslashes and one opening quote: (value start, quote or '')."""
    skipped = start
    while skipped < len(text) and text[skipped] == "\\" and skipped - start < 3:
        skipped += 1
    if skipped < len(text) and text[skipped] in "\"'":
        return skipped + 1, text[skipped]
    return start, ""


def _header_value(m: re.Match[str]) -> Span:
    """`Authorization: Bearer x` keeps the scheme word; the credential and the rest go."""
    text = m.string
    start, quote = _open_quote(text, m.end())
    if not quote and m["pre"] and not m["close"]:
        quote = m["pre"]  # -H "Authorization: Bearer x": the value ends at the closing quote
    end = _quoted_end(text, start, quote) if quote else _line_end(text, start)
    value = text[start:end].rstrip()
    if not value or _is_placeholder(value) or value.startswith(REDACTED):
        return None
    words = value.split(None, 1)
    if len(words) == 2 and words[0].lower() in _SCHEMES:
        start += len(words[0]) + 1
        if _is_placeholder(words[1]) or words[1].startswith(REDACTED):
            return None
    return start, start + len(text[start:end].rstrip())


_SCHEMES = frozenset({"bearer", "basic", "digest", "ntlm", "negotiate"})


def _key_value(m: re.Match[str]) -> Span:
    text = m.string
    if "," in m["sep"] and not text[max(0, m.start() - 40):m.start()].rstrip().endswith("("):
        return None  # a comma separates a key only in a call: define('WP_PROXY_PASSWORD', '...')
    start, quote = _open_quote(text, m.end())
    if quote:
        end = _quoted_end(text, start, quote)
    else:
        bare = _BARE_VALUE.match(text, start)
        end = bare.end() if bare else start
    value = text[start:end]
    if not quote and ":" in m["sep"] and m["name"].lower() in ("token", "secret") \
            and _WORDS.fullmatch(value.rstrip(":")):
        return None
    if not value or value.startswith(REDACTED) or _is_placeholder(value):
        return None
    return start, end


def _redact_credentials(text: str) -> str:
    """`Bearer <token>`, `Basic <base64>`, ... anywhere: the credential goes, the word stays."""
    lowered = text.translate(_ASCII_LOWER)
    out: list[str] = []
    copied = 0
    for m in _AUTH_SCHEME.finditer(lowered):
        if m.start() and (lowered[m.start() - 1].isalnum() or lowered[m.start() - 1] == "_"):
            continue
        credential = text[m.start(1):m.end(1)]
        if _is_placeholder(credential) or not _looks_random(credential):
            continue  # "Basic authentication", "a bearer challenge": words, not credentials
        out.append(text[copied:m.start(1)])
        out.append(REDACTED)
        copied = m.end(1)
    if not out:
        return text
    out.append(text[copied:])
    return "".join(out)


def _looks_random(value: str) -> bool:
    """A token or base64 blob, not a word: a digit or a symbol, mixed case, or long."""
    inner_upper = any(c.isupper() for c in value[1:])  # not just a Capitalised word
    return (any(c.isdigit() or c in "+/=._~-" for c in value) or len(value) >= 20
            or (inner_upper and any(c.islower() for c in value)))


def _redact_pem(text: str) -> str:
    out: list[str] = []
    pos = 0
    while True:
        begin = _PEM_BEGIN.search(text, pos)
        if begin is None:
            break
        end = _PEM_END.search(text, begin.end())
        stop = end.start() if end else len(text)
        out.append(text[pos:begin.end()])
        out.append(REDACTED)
        pos = stop
    out.append(text[pos:])
    return "".join(out)


def _redact_userinfo(text: str) -> str:
    """Passwords in `scheme://user:pw@host` and `user:pw@host:port`; the password may hold '@'."""
    at = text.find("@")
    if at < 0:
        return text
    backwards = text[::-1]  # the token's start is found by matching forwards in the reversal
    out: list[str] = []
    pos = 0
    while at >= 0:
        left = _TOKEN.match(backwards, len(text) - at)
        right = _TOKEN.match(text, at)
        start = at - (left.end() - left.start()) if left else at
        end = right.end() if right else at + 1
        start = max(start, pos)
        token = text[start:end]
        if ":" in token:
            redacted = _redact_token(token)
            if redacted != token:
                out.append(text[pos:start])
                out.append(redacted)
                pos = end
        at = text.find("@", max(end, at + 1))
    out.append(text[pos:])
    return "".join(out)


#: A whitespace-free token (bounded, so a huge run is cut into pieces, never scanned twice).
_TOKEN = re.compile(r"[^\s\"'<>`()\[\]{}|,;]{1,4096}")
_HOSTPORT = re.compile(r"[A-Za-z0-9.-]{1,253}(?::\d{1,5})?(?:[/?#].*)?", re.DOTALL)
_USER = re.compile(r"[\w.%+~-]{1,128}")


def _redact_token(token: str) -> str:
    """One whitespace-free token holding '@': blank what lies between user: and the last '@'."""
    scheme_at = token.find("://")
    authority_start = scheme_at + 3 if scheme_at >= 0 else 0
    slash = token.find("/", authority_start)
    authority_end = len(token) if slash < 0 else slash
    last_at = token.rfind("@", authority_start, authority_end)
    if last_at < 0:
        return token
    userinfo = token[authority_start:last_at]
    host = token[last_at + 1:]
    if scheme_at < 0:
        # No scheme: only user:pw@host[:port], never an e-mail address or git@host:path.
        eq = userinfo.rfind("=")
        if eq >= 0:
            authority_start += eq + 1
            userinfo = userinfo[eq + 1:]
        hostname = host.split(":", 1)[0]
        if not _HOSTPORT.fullmatch(host) or ("." not in hostname and hostname != "localhost"):
            return token
    colon = userinfo.find(":")
    if colon < 0:
        return token
    user, password = userinfo[:colon], userinfo[colon + 1:]
    if scheme_at < 0 and not _USER.fullmatch(user):
        return token
    if not password or _is_placeholder(password) or password == REDACTED:
        return token
    cut = authority_start + colon + 1
    return token[:cut] + REDACTED + token[last_at:]
