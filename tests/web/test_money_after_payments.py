"""What staff see of money that moved after a payment: pending work, refunds submitted twice,
and a warning when email is not set up."""

import re
from datetime import timedelta

from portal.clock import utcnow
from portal.extensions import db
from portal.gateways.mail import UnconfiguredMailer
from portal.models import Invoice, Payment, PendingWork, Refund
from portal.services.billing import ledger
from portal.services.core import outbox
from tests.web.test_staff_invoices import desk, new_invoice, new_patient, post  # noqa: F401

CLAIM = re.compile(r'name="claim_key" value="([^"]+)"')


def paid_at_desk(client):
    invoice_id = new_invoice(client, new_patient(client), then="issue")
    post(client, f"/staff/invoices/{invoice_id}/payments", amount="215,00", method="cash")
    return invoice_id


def test_a_refund_form_submitted_twice_refunds_once(desk, web_app):  # noqa: F811
    invoice_id = paid_at_desk(desk)
    page = desk.get(f"/staff/invoices/{invoice_id}").get_data(as_text=True)
    key = CLAIM.search(page).group(1)
    payment_id = int(re.search(r"/payments/(\d+)/refund", page).group(1))
    path = f"/staff/invoices/{invoice_id}/payments/{payment_id}/refund"
    for _ in range(2):
        post(desk, path, amount="50,00", reason="overcharged", reduce_balance="y", claim_key=key)
    with web_app.app_context():
        assert [(r.amount_minor, r.status) for r in db.session.scalars(db.select(Refund))] == [
            (5000, "succeeded")
        ]
        assert ledger.balance(invoice_id) == 0
    page = desk.get(f"/staff/invoices/{invoice_id}").get_data(as_text=True)
    assert page.count("Refund of €50.00: overcharged") == 1


def test_staff_see_failed_work_and_retry_it(desk, web_app):  # noqa: F811
    invoice_id = paid_at_desk(desk)
    with web_app.app_context():
        [work] = db.session.scalars(db.select(PendingWork)).all()
        work.status, work.attempts, work.last_error = "failed", 12, "connection refused"
        db.session.commit()
        work_id = work.id
    page = desk.get("/staff/work").get_data(as_text=True)
    assert "Receipt email" in page and "connection refused" in page and "gave up" in page
    post(desk, f"/staff/work/{work_id}/retry")
    with web_app.app_context():
        work = db.session.get(PendingWork, work_id)
        assert (work.status, work.attempts) == ("pending", 0)
        assert outbox.run_pending() == 1
    assert "Nothing is waiting." in desk.get("/staff/work").get_data(as_text=True)
    assert invoice_id


def test_staff_are_told_when_email_is_not_configured(desk, web_app):  # noqa: F811
    assert "email-not-configured" not in desk.get("/staff/").get_data(as_text=True)
    web_app.extensions["saldo.mailer"] = UnconfiguredMailer()
    page = desk.get("/staff/").get_data(as_text=True)
    assert "Email is not configured (SMTP_URL is not set)" in page


def test_staff_see_what_is_waiting_and_payments_stuck_in_flight(desk, web_app):  # noqa: F811
    invoice_id = paid_at_desk(desk)
    with web_app.app_context():
        invoice = db.session.get(Invoice, invoice_id)
        db.session.add(
            Payment(
                invoice_id=invoice_id,
                amount_minor=1000,
                currency="EUR",
                method="card",
                status="processing",
                stripe_payment_intent_id="pi_stuck",
                created_at=utcnow() - timedelta(hours=2),
            )
        )
        db.session.commit()
        number = invoice.number
    page = desk.get("/staff/work").get_data(as_text=True)
    # the desk payment's receipt is queued; the card payment has waited two hours
    assert (
        "Waiting: 1 · failing, to be tried again: 0 · given up: 0 · payments stuck in flight: 1"
    ) in page
    stuck = page[page.index('id="stuck-payments"') :]
    assert f">{number}</a>" in stuck and "€10.00" in stuck
