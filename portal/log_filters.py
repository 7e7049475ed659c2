"""Logging filter that keeps link, reset and unsubscribe tokens out of every log line."""

import logging
import re
from urllib.parse import unquote

#: every path that carries a secret token: patient links, password resets, unsubscribes
TOKEN_PATH = re.compile(r"(/p|/staff/reset|/unsubscribe)/[^\s/?#\"']+")
_WORD = re.compile(r"[^\s\"']*/[^\s\"']*")


def _decoded(text: str) -> str:
    """`text` percent-decoded until nothing changes (at most three times)."""
    for _ in range(3):
        decoded = unquote(text)
        if decoded == text:
            break
        text = decoded
    return text


def _redact_word(match: re.Match) -> str:
    word = match.group(0)
    decoded = _decoded(word)
    if TOKEN_PATH.search(decoded) is None:
        return word
    return TOKEN_PATH.sub(r"\1/[redacted]", decoded)


def redact(text: str) -> str:
    """Replace the token of every token path in `text`, however it was percent-encoded."""
    return _WORD.sub(_redact_word, text)


class RedactLinkTokens(logging.Filter):
    """Rewrites a record's message and arguments so no link token is written."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        elif isinstance(record.args, dict):
            record.args = {
                k: redact(v) if isinstance(v, str) else v for k, v in record.args.items()
            }
        return True
