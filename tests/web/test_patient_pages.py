"""The patient's pages over HTTP: link exchange, verification, invoice, headers, language."""

from datetime import timedelta

from portal.extensions import db
from portal.models import AuditEvent
from portal.services.access import links
from portal.services.core.audit import SYSTEM
from tests import factories
from tests.web.patient_client import csrf_token, open_and_verify

ENGLISH = {"Accept-Language": "en"}


def new_link(app, amounts=(12000, 3450), **patient):
    with app.app_context():
        invoice, token = factories.invoice_with_link(amounts, **patient)
        return invoice.id, token


def test_link_is_swapped_for_a_session_and_a_clean_url(client, web_app):
    _, token = new_link(web_app)
    response = client.get(f"/p/{token}")
    assert response.status_code == 302
    assert response.headers["Location"] == "/pay/verify"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert "session=" in response.headers["Set-Cookie"]
    assert "HttpOnly" in response.headers["Set-Cookie"]


def test_before_verification_only_the_practice_is_shown(client, web_app):
    _, token = new_link(web_app)
    client.get(f"/p/{token}")
    page = client.get("/pay/verify").get_data(as_text=True)
    assert "Studio Dentistico Rossi" in page
    # the balance (154.50) in either locale's format; the practice's slug may hold digits
    for private in ("Treatment", "D1001", "154.50", "154,50", "Giulia", "2026-0001"):
        assert private not in page
    assert client.get("/pay").headers["Location"] == "/pay/verify"


def test_right_date_of_birth_shows_the_itemized_invoice(client, web_app):
    _, token = new_link(web_app, locale="en")
    response = open_and_verify(client, token)
    assert response.headers["Location"] == "/pay"
    page = client.get("/pay").get_data(as_text=True)
    assert "Treatment 1" in page and "D1001" in page
    assert "€120.00" in page and "€34.50" in page
    assert "Pay in full · €154.50" in page


def test_wrong_date_of_birth_gives_a_generic_error(client, web_app):
    _, token = new_link(web_app, locale="en")
    response = open_and_verify(client, token, day=10)
    assert response.status_code == 422
    assert "These details do not match our records." in response.get_data(as_text=True)
    assert client.get("/pay").status_code == 302


def test_impossible_dates_are_form_errors_not_attempts(client, web_app):
    _, token = new_link(web_app, locale="en")
    response = open_and_verify(client, token, day=31, month=2)
    assert "This date does not exist." in response.get_data(as_text=True)
    with web_app.app_context():
        attempts = db.session.execute(db.text("SELECT count(*) FROM verification_attempt"))
        assert attempts.scalar() == 0


def test_five_wrong_tries_lock_the_link_and_say_whom_to_call(client, web_app):
    _, token = new_link(web_app, locale="en")
    for _ in range(4):
        assert open_and_verify(client, token, day=1).status_code == 422
    locked = open_and_verify(client, token, day=1)
    assert locked.status_code == 429
    page = locked.get_data(as_text=True)
    assert "This link is locked" in page
    assert "Studio Dentistico Rossi can unlock it or send you a new link." in page
    assert '<a href="tel:+390655501234">+39 06 5550 1234</a>' in page
    assert open_and_verify(client, token).status_code == 429
    assert client.get("/pay/verify").status_code == 429


def test_expired_revoked_and_unknown_links_have_their_own_pages(client, web_app):
    with web_app.app_context():
        invoice, _ = factories.invoice_with_link(locale="en")
        _, expired = links.issue(invoice, SYSTEM, lifetime=timedelta(seconds=-1))
        revoked_link, revoked = links.issue(invoice, SYSTEM)
        links.revoke(revoked_link, SYSTEM)
        db.session.commit()
    page = client.get(f"/p/{expired}", headers=ENGLISH)
    assert page.status_code == 410
    assert "This link has expired" in page.get_data(as_text=True)
    page = client.get(f"/p/{revoked}", headers=ENGLISH)
    assert page.status_code == 410
    assert "This link is no longer valid" in page.get_data(as_text=True)
    page = client.get("/p/nope-nope-nope", headers=ENGLISH)
    assert page.status_code == 404
    assert "Link not found" in page.get_data(as_text=True)


def test_paid_invoice_link_says_so_before_and_after_verifying(client, web_app):
    with web_app.app_context():
        invoice, token = factories.invoice_with_link(locale="en")
        invoice.status = "paid"
        db.session.commit()
    client.get(f"/p/{token}")
    assert "This bill has been paid." in client.get("/pay/verify").get_data(as_text=True)
    open_and_verify(client, token)
    assert "Paid in full. Thank you!" in client.get("/pay").get_data(as_text=True)


def test_session_without_a_link_is_told_to_reopen_it(client, web_app):
    response = client.get("/pay", headers=ENGLISH)
    assert response.status_code == 401
    assert "open the link from your text message or email again" in response.get_data(as_text=True)


def test_forms_need_the_csrf_token(client, web_app):
    _, token = new_link(web_app, locale="en")
    client.get(f"/p/{token}")
    response = client.post("/pay/verify", data={"day": 9, "month": 3, "year": 1984})
    assert response.status_code == 400
    assert client.get("/pay").status_code == 302


def test_strict_content_security_policy(client, web_app):
    _, token = new_link(web_app)
    client.get(f"/p/{token}")
    policy = client.get("/pay/verify").headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    assert "script-src 'self' http://127.0.0.1:8420" in policy
    assert "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy


def test_language_switch_is_explicit_and_wins(client, web_app):
    _, token = new_link(web_app, locale="en")
    client.get(f"/p/{token}")
    assert '<html lang="en">' in client.get("/pay/verify").get_data(as_text=True)
    response = client.get("/lang/it?next=/pay/verify")
    assert response.headers["Location"] == "/pay/verify"
    assert '<html lang="it">' in client.get("/pay/verify").get_data(as_text=True)
    assert client.get("/lang/it?next=//evil.example").headers["Location"] == "/pay/verify"
    assert client.get("/lang/de").status_code == 404


def test_patient_language_beats_accept_language(client, web_app):
    _, token = new_link(web_app, locale="it")
    client.get(f"/p/{token}")
    page = client.get("/pay/verify", headers={"Accept-Language": "en-US"})
    assert '<html lang="it">' in page.get_data(as_text=True)


def test_opening_and_verifying_are_audited(client, web_app):
    invoice_id, token = new_link(web_app)
    open_and_verify(client, token)
    with web_app.app_context():
        query = db.select(AuditEvent.action).filter_by(invoice_id=invoice_id)
        actions = db.session.scalars(query.order_by(AuditEvent.id)).all()
    assert actions == [
        "invoice.created",
        "invoice.issued",
        "link.created",
        "link.opened",
        "link.verified",
    ]


def test_csrf_token_is_in_the_page(client, web_app):
    _, token = new_link(web_app)
    client.get(f"/p/{token}")
    assert len(csrf_token(client)) > 20
