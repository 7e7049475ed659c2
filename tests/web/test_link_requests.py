"""An expired or replaced link's page lets the patient ask for a new link, sent to the email or
phone on file; the answer says nothing about whether anything was sent. Real SMTP (aiosmtpd)."""

import re
from datetime import timedelta

import pytest

from portal.clock import utcnow
from portal.extensions import db
from portal.gateways.mail import SMTPMailer
from portal.models import AuditEvent, Delivery
from portal.services import messaging
from portal.services.access import links
from portal.services.core.audit import SYSTEM, Actor
from tests import factories
from tests.web.patient_client import open_and_verify

FORM_CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
SENT = "If the practice has an address of this kind on file for you, a new link is on its way."
SENT_IT = (
    "Se lo studio dispone di un recapito di questo tipo a Suo nome, un nuovo link è in arrivo."
)


@pytest.fixture
def mail(web_app, smtp):
    web_app.extensions["saldo.mailer"] = SMTPMailer(smtp.url)
    return smtp


def expired_link(web_app, **patient):
    with web_app.app_context():
        invoice, _ = factories.invoice_with_link(**patient)
        _, token = links.issue(
            invoice, SYSTEM, lifetime=timedelta(days=45), now=utcnow() - timedelta(days=60)
        )
        db.session.commit()
        return invoice.id, token


def ask(client, token, channel="email"):
    page = client.get(f"/p/{token}")
    form_token = FORM_CSRF.search(page.get_data(as_text=True)).group(1)
    return client.post(
        "/p/new-link", data={"csrf_token": form_token, "token": token, "channel": channel}
    )


def test_an_expired_link_offers_a_new_one_by_email_in_the_patients_language(web_app, client, mail):
    invoice_id, token = expired_link(web_app, locale="it")
    page = client.get(f"/p/{token}")
    assert page.status_code == 410
    body = page.get_data(as_text=True)
    assert "Ricevere un nuovo link" in body and "Mi invii un nuovo link" in body
    answer = ask(client, token)
    assert answer.status_code == 200
    assert SENT_IT in answer.get_data(as_text=True)
    [message] = mail.messages
    assert message["To"] == "giulia@example.org"
    assert message["Subject"] == "La Sua fattura – Studio Dentistico Rossi"
    text = message.get_body(preferencelist=("plain",)).get_content()
    fresh = next(w for w in text.split() if "/p/" in w).rsplit("/p/", 1)[1]
    # the new link opens the bill (after the date of birth)
    assert open_and_verify(client, fresh).headers["Location"].endswith("/pay")
    with web_app.app_context():
        [delivery] = db.session.scalars(db.select(Delivery).filter_by(invoice_id=invoice_id))
        assert (delivery.purpose, delivery.channel, delivery.status) == (
            "link_request",
            "email",
            "sent",
        )


def test_unknown_links_and_missing_addresses_get_the_same_answer(web_app, client, mail):
    _, token = expired_link(web_app, locale="en", phone=None)
    by_text = ask(client, token, "sms")  # no mobile number on file
    unknown = ask(client, "not-a-real-token-at-all")
    assert by_text.status_code == unknown.status_code == 200
    # in the practice's language for a link of that practice; the default for an unknown one
    assert by_text.get_data(as_text=True).count(SENT_IT) == 1
    assert unknown.get_data(as_text=True).count(SENT) == 1
    assert mail.messages == []


def test_at_most_three_new_links_a_day_per_bill(web_app, client, mail):
    invoice_id, token = expired_link(web_app, locale="en")
    for _ in range(4):
        assert SENT_IT in ask(client, token).get_data(as_text=True)
    assert len(mail.messages) == 3
    with web_app.app_context():
        refused = db.session.scalars(
            db.select(AuditEvent).filter_by(invoice_id=invoice_id, action="link.request_refused")
        ).all()
        assert [e.data["reason"] for e in refused] == ["too_many"]


def test_a_void_bill_gets_no_new_link(web_app, client, mail):
    invoice_id, token = expired_link(web_app, locale="en")
    with web_app.app_context():
        from portal.models import Invoice

        db.session.get(Invoice, invoice_id).status = "void"
        db.session.commit()
    assert SENT_IT in ask(client, token).get_data(as_text=True)
    assert mail.messages == []


def test_a_session_open_on_a_link_goes_on_when_a_newer_message_replaces_it(web_app, client, mail):
    with web_app.app_context():
        invoice, token = factories.invoice_with_link(locale="en")
        db.session.commit()
    assert open_and_verify(client, token).headers["Location"].endswith("/pay")
    with web_app.app_context():
        invoice = db.session.merge(invoice)
        messaging.send_link(invoice, "email", Actor("staff", "1", "127.0.0.1"))
        db.session.commit()
    assert client.get("/pay").status_code == 200  # the patient paying now is not thrown out
    other = web_app.test_client()
    replaced = other.get(f"/p/{token}")  # but the old token no longer opens the bill
    assert replaced.status_code == 410
    assert "Ricevere un nuovo link" in replaced.get_data(as_text=True)
    with web_app.app_context():
        assert links.resolve(token).state == "revoked"
