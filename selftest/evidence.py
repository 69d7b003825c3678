"""Find every piece of error evidence in pasted text, with its position: the scanner of `explain`.

A paste is a log, a stack trace, an SDK exception, a `curl -v` trace, an HTML error page or a
JSON body, often several at once. The scanner does not parse any of those formats; it looks for
the fragments that carry a diagnosis wherever they are:

    curl      a libcurl code after a curl word in any wrapper (`cURL error 60`, `curl: (7)`,
              `[curl] 28:`, `curl_easy_perform = 5`, `pycurl.error: (60, ...`, `CURLE_...`)
    weak      a small number after a generic error word (`ErrCode: 77`, `(err: 7)`, `Error: 60:`),
              which counts only where a curl word or a libcurl wording backs it up
    status    an HTTP status (`HTTP/2 504`, `Status Code:502`, `502 Bad Gateway`, `[409 Conflict]`,
              `<title>502 Bad Gateway</title>`, `Request failed with status code 504`)
    connect   the status a proxy answered CONNECT with (`CONNECT tunnel failed, response 407`,
              a Basic/NTLM challenge)
    box       a Box error code; oauth / desc: an OAuth error and its error_description
    wording   a message a program prints (libcurl, OpenSSL, GnuTLS, NSS, Schannel, SecureTransport,
              WordPress, Box, Box OAuth): the catalog entries' `wordings`, and plugin messages

Every pattern starts at a literal or a small character class and has only bounded quantifiers,
nothing nested over unbounded input, so the scan is linear in the text. Catalog wordings are found
with str.find, and only those whose words all occur in the text are looked for at all.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from itertools import islice

from selftest.catalog import Catalog, Entry

#: At most this many fragments are kept from one paste (memory stays bounded on any input).
MAX_FRAGMENTS = 4000
#: At most this many places are looked at for one wording.
MAX_HITS_PER_WORDING = 64


@dataclass(frozen=True)
class Fragment:
    """One piece of evidence: what it says, where it starts, how much it can be trusted."""

    pos: int
    kind: str  # curl | weak | status | connect | box | oauth | desc | bearer | plugin | wording
    value: int | str
    #: For wordings: the catalog entry whose wording this is.
    entry: str = ""
    #: 2: explicit (a keyword said what the number is); 1: needs backing from nearby evidence.
    strength: int = 2


def clean(text: str) -> str:
    """The paste as the scanner reads it, character positions and line breaks unchanged in count.

    Invalid UTF-8 (which reaches Python as lone surrogates) becomes U+FFFD; typographic quotes
    become ASCII ones; JSON escaped inside a string (\\") is unescaped; terminal colour codes and
    carriage returns are blanked.
    """
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # only lone surrogates fail: invalid UTF-8 that reached Python
        text = _SURROGATE.sub("\ufffd", text)
    text = text.translate(_QUOTES)
    text = _ANSI.sub(lambda m: " " * len(m[0]), text)
    # Positions move here, but line breaks are kept: lines are counted in the cleaned text.
    return _ESCAPED_QUOTE.sub(lambda m: m[0][-1], text)


_SURROGATE = re.compile("[\ud800-\udfff]")
_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'",
                         "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u00ab": '"',
                         "\u00bb": '"', "\u00a0": " ", "\u2009": " ", "\r": " ", "\t": " "})
_ANSI = re.compile(r"\x1b\[[0-9;?]{0,16}[A-Za-z]")
_ESCAPED_QUOTE = re.compile(r"\\{1,7}[\"'/]")
_ASCII_LOWER = str.maketrans({chr(c): chr(c + 32) for c in range(65, 91)})


def ascii_lower(text: str) -> str:
    """Lower-case A-Z only, so that every position in the result is the same as in `text`."""
    return text.translate(_ASCII_LOWER)


# Every pattern below runs on the ASCII-lower-cased text and starts with a literal or a small
# character class, so the regex engine skips ahead in C; a "not after a letter" condition is
# checked in Python (`_glued`), since a look-behind at the start would defeat that skipping.
# Optional separators before a number are possessive (`?+`, `{0,3}+`): they cannot hold a
# digit, so giving characters back could never help, and a failed try ends at once.
_NUM_END = r"(?![0-9a-z])(?!\.[0-9])"
#: A curl word, its usual suffixes and connectives, then the code: every wrapper of issue 9.
_CURL_CODE = re.compile(
    r"curl(?:_easy_perform(?:\(\))?|[ _.-]{0,2}(?:error_?|errno|err|code|exception))?(?![a-z/])"
    r"(?:[ :=#\[\](,'\"-]|error|errno|err|code|number|no\.|returned|status|failed|with|result"
    r"|said|exit){0,8}+"
    r"([0-9]{1,3})" + _NUM_END)
_CURLE_NAME = re.compile(r"curle_[a-z0-9_]{2,40}(?![a-z0-9_])")
_CURL_EASY = re.compile(r"\[curl-easy\]\[([a-z0-9_]{2,40})\]")
#: A keyword then a number: an HTTP status (100..599) or, after an error word, a weak curl code.
_KEYWORD_NUMBER = re.compile(
    r"(?P<key>(?>h(?:ttps?(?:[ _/-]?(?:status|code|error|response))?(?:[ _]code)?)"
    r"|s(?:tatus(?:[ _-]?code)?)"
    r"|r(?:esponse(?:[ _-]?code)?|eturned an error code|eturned error|eturned|esponded with)"
    r"|e(?:rror[ _-]?code|rrcode|rrno|rr(?:or)?(?:[ _-]?(?:no|number))?)|c(?:ode)))"
    r"[\"']?+[ ]{0,3}+(?:[:=#]|is|of)?+[ ]{0,3}+[\[(\"']?+[ ]{0,2}+(?P<n>[0-9]{1,3})" + _NUM_END)
_HTTPISH = ("http", "status", "response", "returned", "responded", "error code", "error_code",
            "error-code", "code")
_STATUS_LINE = re.compile(r"http/[0-3](?:\.[0-9])?[ ]{1,3}([1-5][0-9][0-9])" + _NUM_END)
#: A status followed by words: kept when the words are that status's reason phrase.
_STATUS_REASON = re.compile(
    r"([1-5][0-9][0-9])(?![0-9])[ ]{0,2}[)\]:-]?[ ]{0,2}([a-z][a-z' -]{1,40})")
#: `[Forbidden | 1a2b3c]` (box-java-sdk), `[NotFound | ...]`, `[Unauthorized]` (.NET): a reason
#: phrase where the status number would be.
_REASON_BAR = re.compile(r"\[[ ]{0,2}([a-z][a-z ]{2,40}?)[ ]{0,2}[|\]]")
#: rclone's `Error "item_name_in_use" (409): ...`: a Box code and its status, one-word codes too.
_QUOTED_CODE_STATUS = re.compile(r"error \"([a-z][a-z0-9_]{2,60})\" \(([1-5][0-9][0-9])\)")
#: box-node-sdk's `Unexpected API Response [403 Forbidden] (forbidden_by_policy: "...")`.
_NODE_CODE = re.compile(r"\] \(([a-z][a-z0-9]{1,30}_[a-z0-9_]{2,50}): ")
#: A Box error body's `"type": "error"` (JSON, Python dict, JS object): its codes are Box's.
_TYPED_ERROR = re.compile(r"type[\"']?[ ]{0,3}[:=][ ]{0,3}[\"']error[\"']")
#: `[Forbidden | id] forbidden_by_policy - Access denied`: the Box code after the SDK's bracket.
_SDK_CODE = re.compile(r"\|[ ]{0,2}[a-z0-9.]{1,80}\][ ]{1,3}([a-z][a-z0-9_]{2,60})[ ]{1,3}-")
#: `"POST https://api.box.com/2.0/folders" 409 312` (urllib3 debug, access logs) and squid's
#: `TCP_DENIED/403`: a status by its place in a log line.
_LOGGED_REQUEST = re.compile(
    r"\"(?:get|post|put|delete|patch|head|options|connect) [^\"\n]{1,400}\" ([1-5][0-9][0-9]) ")
_SQUID_STATUS = re.compile(r"/([1-5][0-9][0-9])(?![0-9a-z])")
_SQUID_RESULT = re.compile(r"(?:tcp|udp|none)_[a-z_]{2,30}$")
#: `403: {...}`, `403: Bearer ...` (boxr), `400 invalid_grant`, `(401 expired_auth_token)`: a
#: status right before a body, a challenge or an error code.
_STATUS_BEFORE = re.compile(
    r"([1-5][0-9][0-9]):?[ ]{1,3}(?:[\[{]|bearer\b|[a-z]{2,20}_[a-z_]{2,40}\b)")
#: `401. That's an error.` at the start of a line: a status only where an error body backs it.
_LEADING_STATUS = re.compile(r"\n[ ]{0,8}([1-5][0-9][0-9])[.:] ")
#: `Message=Forbidden`, `StatusCode: NotFound` (.NET dumps): a reason phrase as a whole value.
_REASON_VALUE = re.compile(
    r"(?:message|reason|reasonphrase|statuscode|status|statustext)[\"']?[ ]{0,3}"
    r"[:=][ ]{0,3}[\"']?([a-z][a-z ]{2,40}?)[ ]{0,2}(?:[\"',;)\n]|$)")
#: `(409)` after an error word, `400: {` at the start of a line (boxr): statuses by position.
_PAREN_STATUS = re.compile(r"\(([1-5][0-9][0-9])\)")
_LINE_STATUS = re.compile(r"\n[ ]{0,8}([1-5][0-9][0-9]):[ ]{0,3}[\[{]")
#: JSON / dict / JS-object / form keys that carry a Box code or an OAuth error; `sp`: a code
#: retyped with spaces for its underscores (`{"error": "invalid grant"}`).
_CODE_KEY = re.compile(
    r"(?P<key>code|error)[\"']?+[ ]{0,3}+(?:=>|[:=])[ ]{0,3}+"
    r"(?:(?P<q>[\"'])(?:(?P<v>[a-z][a-z0-9_]{1,60})|(?P<sp>[a-z]{2,20}(?: [a-z]{2,20}){1,3}))"
    r"(?P=q)|(?P<bare>[a-z][a-z0-9_]{2,60})\b)")
_DESCRIPTION = re.compile(
    r"error_description[\"']?[ ]{0,3}(?:=>|[:=])[ ]{0,3}"
    r"(?:\"(?P<dq>[^\"\n]{0,400})|'(?P<sq>[^'\n]{0,400}))")
_BEARER = re.compile(r"bearer\b[ ]{1,3}(?:realm|error|scope)")
#: A proxy's challenge; a Basic challenge with an OAuth `error=` is a token endpoint's instead.
_CHALLENGE = re.compile(
    r"-authenticate[\"']?[ ]{0,3}[:=][ ]{0,3}[\"']?[ ]{0,2}(ntlm|negotiate|basic|kerberos)?"
    r"(?![^\n]{0,200}error=)")


#: At most this many matches of one pattern are looked at (the Python work stays bounded).
MAX_MATCHES = 20_000


def _first(matches: Iterator[re.Match[str]]) -> Iterator[re.Match[str]]:
    return islice(matches, MAX_MATCHES)


def _glued(lowered: str, pos: int) -> bool:
    """True when the match at `pos` continues a word (a letter right before it)."""
    return pos > 0 and "a" <= lowered[pos - 1] <= "z"


_WORD = re.compile(r"[a-z0-9_]{3,}")
_CONNECT_CONTEXT = ("connect", "tunnel", "proxy")


@dataclass(frozen=True)
class _Needle:
    text: str  # lower-cased
    entry: Entry
    with_: tuple[str, ...]
    words: frozenset[str]
    bounded_start: bool
    bounded_end: bool


@cache
def _needles(catalog: Catalog) -> tuple[_Needle, ...]:
    """Every wording of the catalog (and every plugin message), longest first."""
    found: list[_Needle] = []
    for entry in catalog:
        texts = [(w.text, w.with_) for w in entry.wordings]
        if entry.layer == "plugin":
            texts.append((entry.name, ()))
        for text, with_ in texts:
            lowered = ascii_lower(text)
            found.append(_Needle(lowered, entry, tuple(ascii_lower(w) for w in with_),
                                 frozenset(_WORD.findall(lowered)),
                                 lowered[:1].isalnum(), lowered[-1:].isalnum()))
    # Longest first; of equal texts, the one that needs more (`with`) is tried first.
    return tuple(sorted(found, key=lambda n: (-len(n.text), -len(n.with_))))


@cache
def _reasons(catalog: Catalog) -> dict[str, int]:
    """Reason phrase (lower-case) -> status, from the http entries' names and aliases."""
    phrases: dict[str, int] = {}
    for entry in catalog.layer("http"):
        if entry.code.isdigit():
            for name in (entry.name, *entry.aliases, *(w.text for w in entry.wordings)):
                phrases.setdefault(ascii_lower(name), int(entry.code))
                together = _SPELLED_TOGETHER + ascii_lower(name).replace(" ", "")
                phrases.setdefault(together, int(entry.code))
    return phrases


#: Marks the key of a reason phrase spelled without spaces (never a prefix of a real phrase).
_SPELLED_TOGETHER = "\x00"


@cache
def _codes(catalog: Catalog) -> tuple[frozenset[str], frozenset[str]]:
    """(Box codes, OAuth errors) the catalog knows, lower-case."""
    box = frozenset(e.code for e in catalog.layer("box") if e.code != "unknown")
    box |= frozenset(a.lower() for e in catalog.layer("box") for a in e.aliases)
    oauth = frozenset(e.code for e in catalog.layer("oauth") if e.code != "unknown")
    return box, oauth


#: An error status standing alone (`upstream said 502`): read only when nothing else was found.
_BARE_STATUS = re.compile(r"([45][0-9][0-9])(?![0-9a-z.:/_-])")


def scan_bare_statuses(text: str, catalog: Catalog) -> list[Fragment]:
    """Error statuses with nothing around them that says so: the last reading of a paste.

    Only statuses the catalog has an entry of their own for, and never a port (`port 443`).
    """
    lowered = ascii_lower(text)
    found: list[Fragment] = []
    for m in _first(_BARE_STATUS.finditer(lowered)):
        if m.start() and (lowered[m.start() - 1].isalnum() or lowered[m.start() - 1] in ".:/#_-"):
            continue
        if f"http:{m[1]}" not in catalog or lowered.endswith("port ", 0, m.start()):
            continue
        found.append(Fragment(m.start(1), "status", int(m[1])))
        if len(found) >= MAX_FRAGMENTS:
            break
    return found


def scan(text: str, catalog: Catalog) -> list[Fragment]:
    """Every fragment of evidence in the cleaned `text`, in order of position.

    Each kind of pattern contributes at most MAX_FRAGMENTS fragments (the first ones), so that
    memory and the work after the scan stay bounded whatever the text.
    """
    lowered = ascii_lower(text)
    mentions_curl = "curl" in lowered
    words = set(_WORD.findall(lowered))
    parts = [_Capped() for _ in range(4)]
    for run in range(4):
        try:
            if run == 0:
                _scan_curl(lowered, catalog, parts[0])
            elif run == 1:
                _scan_numbers(text, lowered, catalog, parts[1], mentions_curl)
            elif run == 2:
                _scan_codes(text, lowered, catalog, parts[2], words)
            else:
                _scan_wordings(lowered, catalog, parts[3], words)
        except _Full:
            pass
    found = [fragment for part in parts for fragment in part]
    found.sort(key=lambda f: f.pos)
    return found[:MAX_FRAGMENTS]


class _Full(Exception):
    """Raised by a _Capped list that holds MAX_FRAGMENTS fragments: that pass stops."""


class _Capped(list[Fragment]):
    """A list that stops its pass when full."""

    def append(self, fragment: Fragment) -> None:
        if len(self) >= MAX_FRAGMENTS:
            raise _Full
        super().append(fragment)


def _scan_curl(lowered: str, catalog: Catalog, found: list[Fragment]) -> None:
    for m in _first(_CURL_CODE.finditer(lowered)):
        start = m.start()
        for prefix in ("lib", "py", "php"):
            if lowered.endswith(prefix, max(0, start - len(prefix)), start):
                start -= len(prefix)
                break
        code = int(m[1])
        if code <= 101 and not _glued(lowered, start):
            found.append(Fragment(m.start(1), "curl", code))
    names = [(m.start(), m[0]) for m in _CURLE_NAME.finditer(lowered)
             if not (m.start() and _is_word(lowered[m.start() - 1]))]
    names += [(m.start(), "curle_" + m[1]) for m in _CURL_EASY.finditer(lowered)]
    for pos, name in names:
        entries = [e for e in catalog.lookup_name(name.upper()) if e.layer == "curl"]
        if entries:
            found.append(Fragment(pos, "curl", int(entries[0].code)))


def _scan_numbers(text: str, lowered: str, catalog: Catalog, found: list[Fragment],
                  mentions_curl: bool) -> None:
    reasons = _reasons(catalog)
    for m in _first(_STATUS_LINE.finditer(lowered)):
        _status(found, m.start(1), int(m[1]), lowered)
    for m in _first(_KEYWORD_NUMBER.finditer(lowered)):
        if _glued(lowered, m.start()):
            continue
        number, key = int(m["n"]), m["key"]
        if 100 <= number <= 599 and key.startswith(_HTTPISH):
            _status(found, m.start("n"), number, lowered, 2 if key != "code" else 1)
        elif 400 <= number <= 599 and key.startswith("err"):
            _status(found, m.start("n"), number, lowered)  # `Error 403: ...`, `Error 522 Ray ID`
        elif number <= 101 and not key.startswith(("http", "response", "returned", "responded")):
            found.append(Fragment(m.start("n"), "weak", number, strength=2 if mentions_curl else 1))
    for m in _first(_STATUS_REASON.finditer(lowered)):
        if m.start() and lowered[m.start() - 1] in "0123456789.":
            continue
        number, words = int(m[1]), " ".join(m[2].split())
        if lowered.endswith(("port ", ":"), max(0, m.start() - 5), m.start()):
            continue  # `port 443: Connection timed out`, `host:443`
        status = reasons.get(_reason_prefix(words, reasons))
        if status == number or (status is None and 400 <= number <= 599
                                and words.startswith(("client error", "server error"))) \
                or (status is None and 520 <= number <= 530 and words.startswith(_CLOUDFLARE)):
            _status(found, m.start(1), number, lowered)
    for m in _first(_REASON_BAR.finditer(lowered)):
        phrase = " ".join(m[1].split())
        status = reasons.get(phrase) or reasons.get(_SPELLED_TOGETHER + phrase.replace(" ", ""))
        if status:
            _status(found, m.start(1), status, lowered)
    for m in _first(_REASON_VALUE.finditer(lowered)):
        if _glued(lowered, m.start()):
            continue
        phrase = " ".join(m[1].split())
        # .NET's HttpStatusCode names are the phrase spelled together: NotFound, BadGateway.
        status = reasons.get(phrase) or reasons.get(_SPELLED_TOGETHER + phrase.replace(" ", ""))
        if status:
            _status(found, m.start(1), status, lowered)
    for m in _first(_PAREN_STATUS.finditer(lowered)):
        _status(found, m.start(1), int(m[1]), lowered, 1)
    for pattern, strength in ((_LINE_STATUS, 2), (_LEADING_STATUS, 1)):
        first = pattern.match("\n" + lowered[:64])
        if first:
            _status(found, first.start(1) - 1, int(first[1]), lowered, strength)
        for m in pattern.finditer(lowered):
            _status(found, m.start(1), int(m[1]), lowered, strength)
    for m in _first(_LOGGED_REQUEST.finditer(lowered)):
        _status(found, m.start(1), int(m[1]), lowered)
    for m in _first(_SQUID_STATUS.finditer(lowered)):
        if _SQUID_RESULT.search(lowered, max(0, m.start() - 40), m.start()):
            _status(found, m.start(1), int(m[1]), lowered)
    for m in _first(_STATUS_BEFORE.finditer(lowered)):
        if not (m.start() and lowered[m.start() - 1] in "0123456789.:/-"):
            _status(found, m.start(1), int(m[1]), lowered)
    for m in _first(_CHALLENGE.finditer(lowered)):
        if lowered.endswith("proxy", max(0, m.start() - 5), m.start()) or \
                (m[1] and lowered.endswith("www", max(0, m.start() - 3), m.start())):
            found.append(Fragment(m.start(), "connect", 407))
    for m in _first(_BEARER.finditer(lowered)):
        if not _glued(lowered, m.start()):
            found.append(Fragment(m.start(), "bearer", 401))


#: Cloudflare's own 52x statuses, by the words of their error pages.
_CLOUDFLARE = ("web server", "origin", "a timeout occurred", "ssl handshake failed",
               "invalid ssl certificate", "connection timed out", "unknown error")


def _reason_prefix(words: str, reasons: dict[str, int]) -> str:
    """The longest known reason phrase that `words` starts with ('' when none)."""
    best = ""
    for phrase in reasons:
        if len(phrase) > len(best) and words.startswith(phrase) \
                and (len(words) == len(phrase) or not words[len(phrase)].isalpha()):
            best = phrase
    return best


def _status(found: list[Fragment], pos: int, status: int, lowered: str, strength: int = 2) -> None:
    """Record an error status (1xx-3xx are not errors); a proxy's answer to CONNECT is apart."""
    if status < 400 or len(found) >= MAX_FRAGMENTS:
        return
    before = lowered[max(0, pos - 48):pos]
    after = lowered[pos:pos + 40]
    to_proxy = status == 407 or any(w in before for w in _CONNECT_CONTEXT) \
        or "from proxy" in after or "after connect" in after
    found.append(Fragment(pos, "connect" if to_proxy else "status", status, strength=strength))


def _scan_codes(text: str, lowered: str, catalog: Catalog, found: list[Fragment],
                words: set[str]) -> None:
    box_codes, oauth_errors = _codes(catalog)
    typed_error = _TYPED_ERROR.search(lowered) is not None
    for m in _first(_CODE_KEY.finditer(lowered)):
        if m.start() and (_glued(lowered, m.start()) or lowered[m.start() - 1] == "_"):
            continue
        if m["sp"]:
            # Only an OAuth error the catalog knows, after an `error` key, is read this way
            # (`{"error": "not found"}` is a message, not a code).
            spaced = m["sp"].replace(" ", "_")
            if m["key"] == "error" and spaced in oauth_errors:
                found.append(Fragment(m.start(), "oauth", spaced))
            continue
        value = m["v"] or m["bare"] or ""
        lowered_value = value
        if lowered_value in oauth_errors \
                and (m["key"] == "error" or lowered_value not in box_codes):
            found.append(Fragment(m.start(), "oauth", lowered_value))
        elif m["key"] == "code" and (lowered_value in box_codes or (typed_error and m["v"])
                                     or (m["bare"] and "_" in value and _line_start(lowered, m))):
            # (boxsdk prints `Code: forbidden_by_policy` on a line of its own: a Box code)
            found.append(Fragment(m.start(), "box", value))
        elif m["key"] == "error" and m["v"] and "_" in value and value.islower():
            found.append(Fragment(m.start(), "oauth", lowered_value))
    for m in _first(_DESCRIPTION.finditer(lowered)):
        group = "dq" if m["dq"] is not None else "sq"
        found.append(Fragment(m.start(), "desc", text[m.start(group):m.end(group)]))
    for m in _first(_QUOTED_CODE_STATUS.finditer(lowered)):
        if m[1] in box_codes or "_" in m[1]:
            found.append(Fragment(m.start(1), "box", m[1]))
    for m in _first(_NODE_CODE.finditer(lowered)):
        found.append(Fragment(m.start(1), "box", m[1]))
    for m in _first(_SDK_CODE.finditer(lowered)):
        found.append(Fragment(m.start(1), "box", m[1]))
    for code in sorted(words & (box_codes | oauth_errors)):
        if "_" not in code:
            continue  # a one-word code (conflict, trashed) counts only after a code key
        for pos in _positions(lowered, code, True, True):
            kind = "oauth" if code in oauth_errors else "box"
            found.append(Fragment(pos, kind, code, strength=1))


def _scan_wordings(lowered: str, catalog: Catalog, found: list[Fragment],
                   words: set[str]) -> None:
    taken: list[tuple[int, int]] = []
    for needle in _needles(catalog):
        if not needle.words <= words:
            continue
        for pos in _positions(lowered, needle.text, needle.bounded_start, needle.bounded_end):
            end = pos + len(needle.text)
            if any(start < end and pos < stop for start, stop in taken):
                continue  # inside a longer wording found already
            if needle.with_ and not _near(lowered, pos, needle.with_):
                continue
            taken.append((pos, end))
            kind = "plugin" if needle.entry.layer == "plugin" else "wording"
            found.append(Fragment(pos, kind, needle.entry.code, entry=needle.entry.id))


def _positions(lowered: str, needle: str, bounded_start: bool, bounded_end: bool) -> list[int]:
    """Where `needle` occurs as a whole word (at most MAX_HITS_PER_WORDING places)."""
    hits: list[int] = []
    pos = lowered.find(needle)
    while pos >= 0 and len(hits) < MAX_HITS_PER_WORDING:
        end = pos + len(needle)
        glued_before = bounded_start and pos > 0 and _is_word(lowered[pos - 1]) \
            and not (pos >= 3 and lowered[pos - 3] == "%")  # URL-encoded: %20ERR_ACCESS_DENIED
        glued_after = bounded_end and end < len(lowered) and _is_word(lowered[end])
        if not glued_before and not glued_after:
            hits.append(pos)
        pos = lowered.find(needle, end)
    return hits


def _line_start(lowered: str, m: re.Match[str]) -> bool:
    """True when only spaces stand between the start of the line and the match."""
    start = lowered.rfind("\n", max(0, m.start() - 40), m.start()) + 1
    return not lowered[start:m.start()].strip() and (start > 0 or m.start() < 40)


def _is_word(char: str) -> bool:
    return char.isalnum() or char == "_"


def _near(lowered: str, pos: int, needles: tuple[str, ...]) -> bool:
    """True when every needle is on the line of `pos` (within 400 characters)."""
    start = lowered.rfind("\n", max(0, pos - 400), pos) + 1
    end = lowered.find("\n", pos, pos + 400)
    window = lowered[start:end if end >= 0 else pos + 400]
    return all(n in window for n in needles)
