"""The one place a `next` target is checked before the app redirects to it."""

import re
from urllib.parse import unquote, urlsplit

#: printable ASCII only: tabs, line breaks and other controls are stripped by browsers
#: (turning `/\t/evil` into `//evil`), non-ASCII can fold into dots or slashes
_PRINTABLE = re.compile(r"[\x21-\x7e]*")


def _decodings(text: str) -> list[str]:
    """`text` and each percent-decoding of it until nothing changes (at most three)."""
    forms = [text]
    for _ in range(3):
        decoded = unquote(forms[-1])
        if decoded == forms[-1]:
            break
        forms.append(decoded)
    return forms


def safe_next(target: str | None, fallback: str, prefix: str = "/") -> str:
    """`target` if it is a path on this site starting with `prefix`, else `fallback`.

    Refused: anything with a scheme or host, `//` or a backslash where a browser could read
    a host, control or non-ASCII characters, and the same tricks percent-encoded (the path
    is checked as given and after each decoding)."""
    if not target or len(target) > 2000 or not _PRINTABLE.fullmatch(target):
        return fallback
    if urlsplit(target).scheme or urlsplit(target).netloc or not target.startswith(prefix):
        return fallback
    path = target.split("?", 1)[0].split("#", 1)[0]
    for form in _decodings(path):
        if not _PRINTABLE.fullmatch(form) or "\\" in form or not form.startswith("/"):
            return fallback
        if "//" in form or urlsplit(form).scheme or urlsplit(form).netloc:
            return fallback
    return target
