"""After paying: the receipt PDF and the confirmation email, in the patient's language."""

import pytest

from portal.extensions import db
from portal.gateways.mail import SMTPMailer
from portal.models import Delivery
from portal.services.access import links
from portal.services.billing import receipts
from portal.services.core import audit, outbox
from portal.services.payments import saved_methods
from tests import factories
from tests.services.payments.test_payments import PATIENT, saved_card
from tests.support.pdf import pdf_text
from tests.support.servers import free_port

pytestmark = pytest.mark.stripe


@pytest.fixture
def mailed_app(stripe_app, smtp):
    stripe_app.extensions["saldo.mailer"] = SMTPMailer(smtp.url)
    return stripe_app


def pay(app, **patient):
    invoice, _ = factories.invoice_with_link(amounts=(12000, 3450), **patient)
    seti, _ = saved_card(app, invoice, "4242424242424242")
    payment = saved_methods.pay_in_full(invoice, seti, PATIENT).payment
    outbox.run_pending()
    return invoice, payment


def test_english_confirmation_email_with_receipt(mailed_app, smtp):
    _invoice, payment = pay(
        mailed_app,
        locale="en",
        email="emma@example.org",
        first_name="Emma",
        email_attachments=True,  # she asked for her receipts as attachments
    )
    [message] = smtp.messages
    assert message["To"] == "emma@example.org"
    assert message["Subject"] == "Payment received – Studio Dentistico Rossi"
    assert "Studio Dentistico Rossi" in message["From"]
    text = message.get_body(preferencelist=("plain",)).get_content()
    assert "Dear Emma Bianchi," in text
    assert "Amount: €154.50" in text
    assert f"Receipt number: {payment.receipt_number}" in text
    assert "Method: Visa •••• 4242" in text
    [attachment] = list(message.iter_attachments())
    assert attachment.get_filename() == f"receipt-{payment.receipt_number}.pdf"
    pdf = attachment.get_content()
    assert pdf.startswith(b"%PDF")
    body = pdf_text(pdf)
    assert f"Receipt {payment.receipt_number}" in body
    assert "€154.50" in body and "Treatment 1" in body and "D1001" in body


def test_italian_confirmation_email_and_receipt(mailed_app, smtp):
    invoice, payment = pay(mailed_app, locale="it")
    [message] = smtp.messages
    assert message["Subject"] == "Pagamento ricevuto – Studio Dentistico Rossi"
    text = message.get_body(preferencelist=("plain",)).get_content()
    assert "Gentile Giulia Bianchi," in text
    assert "154,50\xa0€" in text
    # by default no attachment and no treatment in the email: the link, then the download
    assert list(message.iter_attachments()) == []
    assert "Treatment" not in text and "D1001" not in text
    assert "Può scaricare la ricevuta, e vedere la fattura, con questo link riservato:" in text
    token = next(w for w in text.split() if "/p/" in w).rsplit("/p/", 1)[1]
    assert links.resolve(token).ok  # the confirmation carries a fresh link to the bill
    base = mailed_app.config["PORTAL_BASE_URL"].rstrip("/")
    assert f"Informativa sulla privacy: {base}/privacy/{invoice.practice.slug}" in text
    body = pdf_text(receipts.render_pdf(payment))
    assert f"Ricevuta n. {payment.receipt_number}" in body
    assert "154,50" in body
    assert "tracciabile" in body


def test_a_mail_server_that_is_down_does_not_undo_the_payment(stripe_app):
    stripe_app.extensions["saldo.mailer"] = SMTPMailer(f"smtp://127.0.0.1:{free_port()}", 2)
    invoice, payment = pay(stripe_app, locale="en")
    assert payment.status == "succeeded"
    assert invoice.status == "paid"
    # the receipt was handed to messaging, which keeps it failed and retries it later
    assert outbox.unfinished(invoice.practice_id) == []
    [delivery] = db.session.scalars(db.select(Delivery).filter_by(purpose="receipt")).all()
    assert (delivery.status, delivery.attempts) == ("failed", 1)
    assert delivery.next_attempt_at is not None
    assert "receipt.emailed" not in [event.action for event in audit.timeline(invoice.id)]


def test_only_succeeded_payments_have_receipts(stripe_app):
    invoice, _ = factories.invoice_with_link(amounts=(5000,))
    seti, _ = saved_card(stripe_app, invoice, "4000002760003184")
    payment = saved_methods.pay_in_full(invoice, seti, PATIENT).payment
    with pytest.raises(ValueError):
        receipts.render_pdf(payment)
