"""Tokens never reach the logs, however the path is encoded; and the Permissions-Policy."""

import logging

import pytest

from portal.log_filters import RedactLinkTokens, redact

TOKEN = "Zm9vYmFyYmF6cXV4cXV1eHl6enkxMjM0NTY3ODkwYWI"


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (f"GET /p/{TOKEN} HTTP/1.1", "GET /p/[redacted] HTTP/1.1"),
        (f"GET /%70/{TOKEN} HTTP/1.1", "GET /p/[redacted] HTTP/1.1"),
        (f"GET /%2570/{TOKEN} HTTP/1.1", "GET /p/[redacted] HTTP/1.1"),
        (f"GET /p/{TOKEN[:20]}%5F{TOKEN[20:]} HTTP/1.1", "GET /p/[redacted] HTTP/1.1"),
        (f"GET //p/{TOKEN}?x=1 HTTP/1.1", "GET //p/[redacted]?x=1 HTTP/1.1"),
        (f"GET /staff/reset/{TOKEN}.AbC-12_x.yz HTTP/1.1", "GET /staff/reset/[redacted] HTTP/1.1"),
        (f"GET /staff/%72eset/{TOKEN} HTTP/1.1", "GET /staff/reset/[redacted] HTTP/1.1"),
        (f"POST /unsubscribe/{TOKEN}.sig HTTP/1.1", "POST /unsubscribe/[redacted] HTTP/1.1"),
        (f"GET /%75nsubscribe/{TOKEN} HTTP/1.1", "GET /unsubscribe/[redacted] HTTP/1.1"),
        ("GET /pay/verify HTTP/1.1", "GET /pay/verify HTTP/1.1"),
    ],
)
def test_every_token_kind_is_redacted_after_decoding(line, expected):
    assert redact(line) == expected


def test_the_filter_rewrites_werkzeug_style_records():
    record = logging.LogRecord(
        "werkzeug",
        logging.INFO,
        __file__,
        1,
        '%s - - "%s" %s',
        ("1.2.3.4", f"GET /%70/{TOKEN}", "302"),
        None,
    )
    RedactLinkTokens().filter(record)
    assert TOKEN not in record.getMessage()


def test_permissions_policy(client):
    policy = client.get("/staff/login").headers["Permissions-Policy"]
    assert policy == (
        'payment=(self "https://js.stripe.com"), camera=(), microphone=(), geolocation=(), '
        "usb=(), serial=(), bluetooth=(), hid=(), interest-cohort=()"
    )


def test_gunicorn_access_lines_keep_their_missing_atoms_and_lose_the_token():
    from gunicorn.glogging import SafeAtoms

    atoms = SafeAtoms({"h": "1.2.3.4", "r": f"GET /p/{TOKEN} HTTP/1.1", "s": "302"})
    record = logging.LogRecord(
        "gunicorn.access",
        logging.INFO,
        __file__,
        1,
        '%(h)s "%(r)s" %(s)s request_id=%({x-request-id}o)s',
        (atoms,),
        None,
    )
    assert RedactLinkTokens().filter(record) is True
    assert record.getMessage() == '1.2.3.4 "GET /p/[redacted] HTTP/1.1" 302 request_id=-'
