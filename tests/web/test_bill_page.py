"""The bill page: a fixed number of SQL statements, the same text, no rate-limit hit once
verified, and a brand stylesheet the browser keeps."""

import html
from contextlib import contextmanager
from datetime import timedelta

import pytest
from sqlalchemy import event

from portal.extensions import db, limiter
from portal.i18n import day_filter
from portal.models import Invoice
from tests.conftest import _make_app
from tests.web import bill_scenarios
from tests.web.patient_client import open_and_verify


@contextmanager
def counted_statements(app):
    """The SQL statements the engine sends while the block runs."""
    with app.app_context():
        engine = db.engine
    seen: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)


def verified_client(app, kind="plain", payments=0, locale="en"):
    with app.app_context():
        invoice_id, token = bill_scenarios.build(kind, payments, locale)
    client = app.test_client()
    assert open_and_verify(client, token).headers["Location"] == "/pay"
    return client, invoice_id


@pytest.mark.parametrize("payments", [1, 100])
def test_the_bill_costs_five_statements_however_many_payments(web_app, payments):
    client, _ = verified_client(web_app, "incentives", payments, "it")
    with counted_statements(web_app) as statements:
        response = client.get("/pay")
    assert response.status_code == 200
    assert len(statements) == 5, statements
    page = html.unescape(response.get_data(as_text=True))
    assert page.count("Ricevuta n. R") == payments
    assert page.count("Rimborsato: 0,40\xa0€") == min(payments, 3)


def test_a_hundred_payments_show_with_their_refunds_and_the_balance(web_app):
    client, invoice_id = verified_client(web_app, "plain", 100, "en")
    page = html.unescape(client.get("/pay").get_data(as_text=True))
    assert f"Receipt R{invoice_id}-000 (PDF)" in page and f"Receipt R{invoice_id}-099 (PDF)" in page
    assert "Nov 20, 2026, 10:30\u202fAM CET · €1.00 · Visa •••• 4242" in page
    assert page.count("Refunded: €0.40") == 3
    assert "<dt>Paid so far</dt><dd>−€98.80</dd>" in page
    assert "<dt>Discounts and credits</dt><dd>−€1.20</dd>" in page
    assert "Pay in full · €254.50" in page


def test_the_discount_deadline_and_the_offer_come_with_the_page(web_app):
    client, _ = verified_client(web_app, "incentives", 0, "en")
    page = html.unescape(client.get("/pay").get_data(as_text=True))
    today = bill_scenarios.practice_today()
    with web_app.test_request_context(headers={"Accept-Language": "en"}):
        deadline = day_filter(today + timedelta(days=10))
        expiry = day_filter(today + timedelta(days=7))
    assert f"Pay by {deadline} and save €17.73: pay €336.77" in page
    assert f"Settle for €200.00 by {expiry}" in page
    assert "the remaining €154.50 is forgiven" in page
    assert "Payment plan</a>" in page


def test_the_plan_shows_its_next_charge_without_loading_the_agreement(web_app):
    client, _ = verified_client(web_app, "plan", 0, "en")
    with counted_statements(web_app) as statements:
        page = html.unescape(client.get("/pay").get_data(as_text=True))
    assert len(statements) == 5
    assert not any("agreement_pdf," in s or "signature_png" in s for s in statements)
    assert "Next charge: €55.00 on December 23, 2026" in page
    assert '<td>Nov 20, 2026 · down payment</td><td class="num">€44.50</td><td>Paid</td>' in page
    assert "Signed agreement (PDF)" not in page


@pytest.fixture
def limited_app(sqlite_url):
    app = _make_app(sqlite_url, RATELIMIT_ENABLED=True)
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.mark.parametrize(
    "path, endpoint", [("/pay", "patient.invoice"), ("/pay/checkout", "patient.checkout")]
)
def test_a_verified_bill_does_not_touch_the_rate_limit_storage(
    limited_app, monkeypatch, path, endpoint
):
    client, _ = verified_client(limited_app)
    hits: list[str] = []
    storage = limiter.storage
    real_incr = storage.incr

    def incr(key, *args, **kwargs):
        hits.append(key)
        return real_incr(key, *args, **kwargs)

    monkeypatch.setattr(storage, "incr", incr)
    assert client.get(path).status_code == 200
    assert client.get(path).status_code == 200  # the kept page too
    assert hits == []
    fresh = limited_app.test_client()
    with limited_app.app_context():
        _, token = bill_scenarios.build("plain")
    fresh.get(f"/p/{token}")
    hits.clear()
    assert fresh.get(path).headers["Location"] == "/pay/verify"
    assert len(hits) == 1 and endpoint in hits[0]


def test_the_brand_stylesheet_is_kept_by_the_browser_and_revalidated(web_app):
    client, invoice_id = verified_client(web_app)
    with web_app.app_context():
        practice_id = db.session.get(Invoice, invoice_id).practice_id
    first = client.get(f"/brand/{practice_id}.css")
    assert first.status_code == 200
    assert first.headers["Cache-Control"] == "private, max-age=3600"
    etag = first.headers["ETag"]
    again = client.get(f"/brand/{practice_id}.css", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.get_data() == b""
    assert client.get("/pay").headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("payments", [1, 100])
def test_the_checkout_costs_three_statements_however_many_payments(web_app, payments):
    client, _ = verified_client(web_app, "plain", payments, "en")
    with counted_statements(web_app) as statements:
        response = client.get("/pay/checkout")
    assert response.status_code == 200
    assert len(statements) == 3, statements
    # €354.50 of lines less €1.00 a payment (each refund comes with an equal adjustment)
    expected = "€353.50" if payments == 1 else "€254.50"
    page = html.unescape(response.get_data(as_text=True))
    assert f'<strong class="big" id="amount">{expected}</strong>' in page
