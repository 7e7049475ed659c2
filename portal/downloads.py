"""Content-Disposition for every download: an ASCII file name and the exact one (RFC 6266,
RFC 5987 `filename*`), so any invoice number or practice name gives a working header."""

import re
import unicodedata
from urllib.parse import quote

_UNSAFE = re.compile(r"[^A-Za-z0-9!#$&+\-.^_`|~ ]")


def ascii_filename(name: str) -> str:
    """A plain-ASCII stand-in: accents dropped, dashes kept, anything else becomes `_`."""
    text = unicodedata.normalize("NFKD", name)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = re.sub(r"[\u2010-\u2015\u2212]", "-", text)
    text = _UNSAFE.sub("_", text)
    return re.sub(r"_+", "_", text).strip() or "download"


def content_disposition(filename: str, disposition: str = "inline") -> str:
    """The header value for `filename` shown `inline` or saved as an `attachment`."""
    fallback = ascii_filename(filename)
    header = f'{disposition}; filename="{fallback}"'
    if fallback != filename:
        header += f"; filename*=UTF-8''{quote(filename, safe='')}"
    return header
