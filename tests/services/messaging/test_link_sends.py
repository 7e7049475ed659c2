"""Sending links by email and SMS: language, consent, fresh links, failures and retries."""

from datetime import timedelta

import pytest

from portal.clock import utcnow
from portal.extensions import db
from portal.gateways import qr
from portal.gateways.mail import SMTPMailer
from portal.gateways.sms import TwilioSender, plain_text
from portal.models import Delivery, PaymentLink
from portal.services import messaging
from portal.services.access import links
from portal.services.core.audit import Actor
from portal.services.messaging import CannotSend
from tests import factories
from tests.support.servers import free_port
from tests.support.twilio import FakeTwilio

STAFF = Actor("staff", "1", "127.0.0.1")


@pytest.fixture
def twilio(app):
    with FakeTwilio() as fake:
        app.extensions["saldo.sms"] = TwilioSender("AC_test", "secret", "+15005550006", fake.url)
        yield fake


@pytest.fixture
def mail(app, smtp):
    app.extensions["saldo.mailer"] = SMTPMailer(smtp.url)
    return smtp


def an_invoice(**patient):
    defaults = dict(phone="+393331234567", sms_consent=True)
    defaults.update(patient)
    invoice, _ = factories.invoice_with_link(**defaults)
    return invoice


def test_italian_email_with_a_working_link(app, mail):
    invoice = an_invoice(locale="it")
    delivery = messaging.send_link(invoice, "email", STAFF)
    db.session.commit()
    [message] = mail.messages
    assert message["Subject"] == "La Sua fattura – Studio Dentistico Rossi"
    text = message.get_body(preferencelist=("plain",)).get_content()
    assert text.startswith("Gentile Giulia,")
    url = next(line for line in text.splitlines() if "/p/" in line).strip()
    token = url.rsplit("/p/", 1)[1]
    assert links.resolve(token).ok
    assert delivery.status == "sent" and token not in delivery.body and "[link]" in delivery.body
    # the balance (154.50) in either locale's format; the practice's slug may hold digits
    for private in ("Treatment", "154.50", "154,50", "D1001"):
        assert private not in text


def test_sending_again_revokes_the_earlier_links(app, mail):
    invoice = an_invoice(locale="en")
    messaging.send_link(invoice, "email", STAFF)
    messaging.send_link(invoice, "email", STAFF)
    db.session.commit()
    live = db.select(PaymentLink).filter_by(invoice_id=invoice.id, revoked_at=None)
    assert len(db.session.scalars(live).all()) == 1
    first, second = (m.get_body(preferencelist=("plain",)).get_content() for m in mail.messages)
    token_of = lambda text: next(w for w in text.split() if "/p/" in w).rsplit("/p/", 1)[1]  # noqa: E731
    assert links.resolve(token_of(first)).state == "revoked"
    assert links.resolve(token_of(second)).ok


def test_sms_through_twilio_in_english(app, twilio):
    invoice = an_invoice(locale="en")
    delivery = messaging.send_link(invoice, "sms", STAFF)
    db.session.commit()
    [sms] = twilio.messages
    assert sms["To"] == "+393331234567" and sms["From"] == "+15005550006"
    base = app.config["PORTAL_BASE_URL"].rstrip("/")
    token = sms["Body"].split("/p/", 1)[1].split(" ", 1)[0]
    assert links.resolve(token).ok
    assert sms["Body"] == (
        f"Studio Dentistico Rossi: your bill is ready. Pay securely: {base}/p/{token}"
        f" Reply STOP to opt out. Privacy: {base}/privacy/{invoice.practice.slug}"
    )
    assert delivery.status == "sent"


def test_no_consent_no_message(app, twilio):
    invoice = an_invoice(sms_consent=False)
    with pytest.raises(CannotSend):
        messaging.send_link(invoice, "sms", STAFF)
    assert twilio.messages == []
    invoice.patient.email = None
    with pytest.raises(CannotSend):
        messaging.send_link(invoice, "email", STAFF)


def test_failed_sms_is_recorded_and_retried_with_a_new_link(app, twilio):
    invoice, earlier = factories.invoice_with_link(phone="+393331234567", sms_consent=True)
    twilio.fail_with = 503
    delivery = messaging.send_link(invoice, "sms", STAFF)
    db.session.commit()
    assert (delivery.status, delivery.attempts) == ("failed", 1)
    assert "503" in delivery.last_error
    # the failed message's own link is revoked; the link the patient already has still works
    assert links_alive(invoice) == 1 and links.resolve(earlier).ok
    assert messaging.retry_due(now=utcnow()) == 0
    twilio.fail_with = None
    assert messaging.retry_due(now=utcnow() + timedelta(minutes=6)) == 1
    db.session.refresh(delivery)
    assert (delivery.status, delivery.attempts) == ("sent", 2)
    assert len(twilio.messages) == 1 and links_alive(invoice) == 1
    assert links.resolve(earlier).state == "revoked"  # replaced by the one just sent


def test_unreachable_mail_server_fails_softly(app):
    app.extensions["saldo.mailer"] = SMTPMailer(f"smtp://127.0.0.1:{free_port()}", 2)
    invoice = an_invoice()
    delivery = messaging.send_link(invoice, "email", STAFF)
    assert delivery.status == "failed" and delivery.next_attempt_at is not None


def test_only_open_invoices_are_sent(app, mail):
    invoice = an_invoice()
    invoice.status = "paid"
    with pytest.raises(CannotSend):
        messaging.send_link(invoice, "email", STAFF)
    assert db.session.scalars(db.select(Delivery)).all() == []


def test_qr_code_is_svg():
    svg = qr.svg("https://pay.example/p/abc")
    assert svg.startswith("<svg") and "</svg>" in svg


def links_alive(invoice):
    live = db.select(PaymentLink).filter_by(invoice_id=invoice.id, revoked_at=None)
    return len(db.session.scalars(live).all())


def test_texts_use_plain_spaces(app, twilio):
    invoice = an_invoice(locale="it")
    assert plain_text("154,50\xa0€") == "154,50 €"
    messaging.send_link(invoice, "sms", STAFF)
    assert "\xa0" not in twilio.messages[0]["Body"]
