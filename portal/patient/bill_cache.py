"""The rendered bill, kept in each worker while nothing it shows has changed, with an ETag.

The key is everything the page depends on: the invoice, the digest of every row the page
reads (`services.billing.bill_version`: ledger, payments, refunds, plans, installments,
offers, the invoice, patient and practice with its policies and profile), the locale, the
practice's calendar day and the path. What belongs to the session stays out of the kept
page: its CSRF token (in the page's meta tag and in the forms of the Italian fiscal section)
and the link's resume note (the checkout's "Open your bill again") are written in when the
page is sent. The checkout is kept the same way. While flashed messages wait, the bill is
rendered as usual (the fiscal section shows them).

The ETag names the kept page and the session's CSRF secret, so an `If-None-Match` from the
same session gets `304 Not Modified` while nothing changed. `BILL_CACHE_SIZE` (default 256
pages per worker, 0 to keep none) bounds the memory.
"""

import hashlib
import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from flask import Response, current_app, g, request, session
from flask_wtf.csrf import generate_csrf

from portal import clock
from portal.i18n import current_locale
from portal.patient import session as patient_session
from portal.security import content_security_policy
from portal.services.billing import bill_version
from portal.services.billing.bill_version import BillState

#: stands for the session's CSRF token in a kept page (never a real token: it is random)
CSRF_MARK = f"csrf-{secrets.token_hex(16)}"
#: stands for the link's resume note (signed for a link; a kept page serves every link of
#: its invoice)
RESUME_MARK = f"resume-{secrets.token_hex(16)}"
DEFAULT_SIZE = 256


@dataclass(frozen=True)
class KeptPage:
    html: str
    content_security_policy: str


class PageCache:
    """A bounded, thread-safe LRU of kept pages."""

    def __init__(self, size: int):
        self.size = size
        self._pages: OrderedDict[tuple, KeptPage] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple) -> KeptPage | None:
        with self._lock:
            page = self._pages.get(key)
            if page is not None:
                self._pages.move_to_end(key)
            return page

    def put(self, key: tuple, page: KeptPage) -> None:
        if self.size <= 0:
            return
        with self._lock:
            self._pages[key] = page
            self._pages.move_to_end(key)
            while len(self._pages) > self.size:
                self._pages.popitem(last=False)


def _cache() -> PageCache:
    cache = current_app.extensions.get("saldo_bill_cache")
    if cache is None:
        size = current_app.config.get("BILL_CACHE_SIZE", DEFAULT_SIZE)
        cache = current_app.extensions.setdefault("saldo_bill_cache", PageCache(size))
    return cache


def current_state() -> BillState | None:
    """The bill of the verified session in one statement, with the locale settings on `g`;
    None when the session is not verified, its link is gone, or flashed messages wait (the
    ordinary view then answers)."""
    link_id = session.get(patient_session.LINK_KEY)
    if not isinstance(link_id, int) or not patient_session.is_verified() or "_flashes" in session:
        return None
    state = bill_version.state(link_id)
    if state is None:
        return None
    g.patient_locale, g.practice_locale = state.patient_locale, state.practice_locale
    g.practice_timezone = state.practice_timezone
    return state


#: renders the bill of a state, or None when its link turned out to be gone
Render = Callable[[BillState], "str | None"]


def serve(state: BillState, render: Render) -> Response | None:
    """The bill for `state`: `304` when the browser's copy is current (answered by any
    worker, kept page or not), the kept page with this session's CSRF token, or a fresh
    render, kept for next time."""
    today = clock.today_in(state.practice_timezone)
    key = (state.invoice_id, state.digest, current_locale(), today.isoformat(), request.full_path)
    token = generate_csrf()
    g.kept_page_link_id = state.link_id  # the page's resume note cookie (`resume_views`)
    etag = _etag(key)
    if request.if_none_match.contains_weak(etag):
        response = Response(status=304)
        response.set_etag(etag, weak=True)
        return response
    cache = _cache()
    kept = cache.get(key)
    if kept is None:
        # Flask-WTF hands out the request's token from `g`: every token the page writes (the
        # page's meta tag, the forms of the fiscal section) is the mark
        signed = g.pop("csrf_token", None)
        g.csrf_token, g.resume_mark = CSRF_MARK, RESUME_MARK
        try:
            html = render(state)
        finally:
            g.pop("csrf_token", None)
            g.pop("resume_mark", None)
            if signed is not None:
                g.csrf_token = signed
        if html is None:
            return None
        kept = KeptPage(html, content_security_policy())
        cache.put(key, kept)
    html = kept.html.replace(CSRF_MARK, token)
    if RESUME_MARK in html:
        html = html.replace(RESUME_MARK, patient_session.resume_token(state.link_id))
    response = Response(html, mimetype="text/html")
    response.headers["Content-Security-Policy"] = kept.content_security_policy
    response.set_etag(etag, weak=True)
    return response


def _etag(key: tuple) -> str:
    """The kept page with this session's CSRF secret (other sessions' copies carry other
    tokens)."""
    secret = session["csrf_token"]
    return hashlib.blake2b(f"{key!r}\x1f{secret}".encode(), digest_size=16).hexdigest()
