"""Logging: a filter that keeps link, reset and unsubscribe tokens out of every log line,
request ids, and one-line text or JSON formatters."""

import json
import logging
import re
import time
import uuid
from datetime import UTC, datetime
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


#: what a token path contains literally when it is not percent-encoded
_MARKERS = ("/p/", "/staff/reset/", "/unsubscribe/")


def redact(text: str) -> str:
    """Replace the token of every token path in `text`, however it was percent-encoded."""
    if "%" not in text and not any(marker in text for marker in _MARKERS):
        return text  # no token path, encoded or not (most access lines)
    return _WORD.sub(_redact_word, text)


class RedactLinkTokens(logging.Filter):
    """Rewrites a record's message so no link token is written.

    The message is formatted with its own arguments first (gunicorn's access atoms are a
    mapping that answers "-" for what a response lacks) and the one line is redacted; a
    record whose arguments do not fit its message has each argument redacted instead."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.args and isinstance(record.msg, str):
            try:
                message = record.getMessage()
            except (TypeError, ValueError, KeyError):
                pass
            else:
                record.msg, record.args = redact(message), None
                return True
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        elif isinstance(record.args, dict):
            record.args = {
                k: redact(v) if isinstance(v, str) else v for k, v in record.args.items()
            }
        return True


REQUEST_ID = re.compile(r"^[A-Za-z0-9._\-]{8,64}$")
TEXT_FORMAT = "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"


def request_id() -> str:
    """The current request's id ("-" outside a request): the proxy's `X-Request-ID` when it
    looks like one, otherwise one made for this request."""
    from flask import g, has_request_context, request

    if not has_request_context():
        return "-"
    if "request_id" not in g:
        given = request.headers.get("X-Request-ID", "")
        g.request_id = given if REQUEST_ID.match(given) else uuid.uuid4().hex
    return g.request_id


class AddRequestId(logging.Filter):
    """Gives every record a `request_id` attribute for the formatters."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = request_id()
        return True


class OneLineFormatter(logging.Formatter):
    """Time (UTC, ISO 8601), level, request id, logger and message on one line: newlines in
    the message or a traceback are written as `\\n`."""

    converter = time.gmtime

    def __init__(self, fmt: str = TEXT_FORMAT, datefmt: str | None = None, style: str = "%"):
        super().__init__(fmt, datefmt, style)

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        return _timestamp(record)

    def format(self, record: logging.LogRecord) -> str:
        if not hasattr(record, "request_id"):
            record.request_id = "-"
        return super().format(record).replace("\r", "\\r").replace("\n", "\\n")


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, request_id, logger, message (and exception)."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": _timestamp(record),
            "level": record.levelname,
            "request_id": getattr(record, "request_id", "-"),
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def _timestamp(record: logging.LogRecord) -> str:
    moment = datetime.fromtimestamp(record.created, UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def formatter(kind: str | None) -> logging.Formatter:
    """The formatter for `LOG_FORMAT` ("json" or the one-line text)."""
    return JsonFormatter() if (kind or "").lower() == "json" else OneLineFormatter()


def configure_logging(app) -> None:
    """Give the app a one-line (or JSON) handler with request ids, unless the process already
    configured logging (gunicorn's `logconfig_dict`, pytest)."""
    app.before_request(_assign_request_id)
    app.after_request(_echo_request_id)
    root = logging.getLogger()
    if root.handlers:
        return
    root.addHandler(stream_handler(app.config.get("LOG_FORMAT")))
    root.setLevel(app.config.get("LOG_LEVEL", "INFO"))


def stream_handler(kind: str | None, stream=None) -> logging.Handler:
    """A handler writing `formatter(kind)` lines with request ids and redacted link tokens."""
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter(kind))
    handler.addFilter(AddRequestId())
    handler.addFilter(RedactLinkTokens())
    return handler


def _assign_request_id() -> None:
    request_id()


def _echo_request_id(response):
    response.headers["X-Request-ID"] = request_id()
    return response
