"""Logging filter that keeps patient link tokens out of every log line."""

import logging
import re

LINK_PATH = re.compile(r"/p/[A-Za-z0-9_\-]{8,}")


def redact(text: str) -> str:
    """Replace the token of every `/p/<token>` path in `text`."""
    return LINK_PATH.sub("/p/[redacted]", text)


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
