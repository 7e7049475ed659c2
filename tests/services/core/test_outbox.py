"""Pending work after payments: never inside the request, retried until it is done."""

from datetime import timedelta

import pytest

from portal.clock import utcnow
from portal.extensions import db
from portal.gateways.mail import SMTPMailer, mailer_from_config
from portal.models import Delivery, OutboxMessage, PendingWork, Plan
from portal.services import messaging
from portal.services.access import links
from portal.services.core import audit, outbox
from portal.services.payments import payments
from tests import factories
from tests.services.payments.test_webhooks import authenticated_intent, post_event
from tests.services.plans.test_plans import signed_plan
from tests.support.mail import SMTPServer
from tests.support.servers import free_port

pytestmark = pytest.mark.stripe


def work_rows():
    db.session.expire_all()
    return [
        (w.kind, w.status, w.attempts)
        for w in db.session.scalars(db.select(PendingWork).order_by(PendingWork.id))
    ]


def receipt_deliveries():
    db.session.expire_all()
    query = db.select(Delivery).filter_by(purpose="receipt").order_by(Delivery.id)
    return db.session.scalars(query).all()


def test_smtp_down_during_a_payment_the_receipt_goes_out_when_it_is_back(stripe_app):
    port = free_port()
    stripe_app.extensions["saldo.mailer"] = SMTPMailer(f"smtp://127.0.0.1:{port}", 2)
    invoice, payment, event = authenticated_intent(stripe_app)
    response = post_event(stripe_app, event)
    assert response.get_json() == {"result": "handled"}
    # the webhook booked the payment and only recorded the email: nothing was tried yet
    assert work_rows() == [("receipt_email", "pending", 0)]
    assert db.session.get(type(payment), payment.id).status == "succeeded"

    # the worker hands the receipt to messaging, whose delivery records the failure and
    # retries it by the one rule for every message (5 minutes, 30, 2 hours, 8 hours)
    started = utcnow()
    assert outbox.run_pending() == 1
    assert work_rows() == [("receipt_email", "done", 0)]
    [delivery] = receipt_deliveries()
    assert (delivery.status, delivery.attempts, delivery.recipient) == (
        "failed",
        1,
        "giulia@example.org",
    )
    assert started + timedelta(minutes=5) <= delivery.next_attempt_at
    assert delivery.next_attempt_at <= utcnow() + timedelta(minutes=5)
    actions = [e.action for e in audit.timeline(invoice.id)]
    assert "receipt.emailed" not in actions and "receipt.email_failed" in actions

    with SMTPServer(port) as smtp:
        assert messaging.retry_due() == 0  # not due yet
        assert messaging.retry_due(utcnow() + timedelta(minutes=6)) == 1
        [message] = smtp.messages
    assert message["To"] == "giulia@example.org"
    text = message.get_body(preferencelist=("plain",)).get_content()
    assert payment.receipt_number in text
    assert list(message.iter_attachments()) == []  # no health details by email by default
    # the receipt carries a fresh link to the bill
    token = next(w for w in text.split() if "/p/" in w).rsplit("/p/", 1)[1]
    assert links.resolve(token).ok
    [delivery] = receipt_deliveries()
    assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == ("sent", 2, None)
    assert messaging.retry_due(utcnow() + timedelta(days=1)) == 0


def test_nothing_is_lost_while_the_worker_is_down_for_a_day(stripe_app, smtp):
    stripe_app.extensions["saldo.mailer"] = SMTPMailer(smtp.url)
    authenticated_intent(stripe_app)
    _invoice, _payment, event = authenticated_intent(stripe_app)
    post_event(stripe_app, event)
    assert smtp.messages == []
    assert outbox.run_pending(utcnow() + timedelta(days=1)) == 1
    assert len(smtp.messages) == 1


def test_a_sealing_failure_is_retried_until_the_agreement_is_sealed(stripe_app, tmp_path):
    invoice, plan, saved = signed_plan(stripe_app, locale="it")
    good = stripe_app.config["SEAL_KEY_PATH"], stripe_app.config["SEAL_CERT_PATH"]
    (tmp_path / "key.pem").write_text("a key whose certificate went missing")
    stripe_app.config["SEAL_KEY_PATH"] = str(tmp_path / "key.pem")
    stripe_app.config["SEAL_CERT_PATH"] = str(tmp_path / "cert.pem")
    payments.charge(
        invoice,
        saved,
        audit.SYSTEM,
        amount_minor=plan.down_payment_minor,
        installment_id=plan.installments[0].id,
    )
    assert db.session.get(Plan, plan.id).status == "active"
    assert work_rows() == [("receipt_email", "pending", 0), ("seal_agreement", "pending", 0)]

    assert outbox.run_pending() == 1  # the receipt; sealing fails
    assert work_rows() == [("receipt_email", "done", 0), ("seal_agreement", "pending", 1)]
    [seal_work] = db.session.scalars(db.select(PendingWork).filter_by(kind="seal_agreement"))
    assert "must come as a pair" in seal_work.last_error
    assert db.session.get(Plan, plan.id).agreement_pdf is None

    stripe_app.config["SEAL_KEY_PATH"], stripe_app.config["SEAL_CERT_PATH"] = good
    later = utcnow() + timedelta(minutes=2)
    assert outbox.run_pending(later) == 1
    assert db.session.get(Plan, plan.id).agreement_pdf.startswith(b"%PDF")
    assert outbox.run_pending(later) == 1  # the agreement email, queued by the sealing
    subjects = [m.subject for m in db.session.scalars(db.select(OutboxMessage))]
    assert len(subjects) == 2
    assert work_rows() == [
        ("receipt_email", "done", 0),
        ("seal_agreement", "done", 1),
        ("plan_email", "done", 0),
    ]


def test_after_the_last_attempt_a_receipt_is_left_failed(stripe_app):
    stripe_app.extensions["saldo.mailer"] = SMTPMailer(f"smtp://127.0.0.1:{free_port()}", 2)
    _invoice, _payment, event = authenticated_intent(stripe_app)
    post_event(stripe_app, event)
    moment = utcnow()
    outbox.run_pending(moment)
    for _ in messaging.RETRY_AFTER:
        moment += timedelta(hours=9)
        assert messaging.retry_due(moment) == 1
    [delivery] = receipt_deliveries()
    assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == ("failed", 5, None)
    assert messaging.retry_due(moment + timedelta(days=30)) == 0


def test_after_the_last_attempt_the_work_waits_for_staff(app):
    def broken(work):
        raise RuntimeError("the handler always fails")

    outbox.register("test_broken", broken)
    invoice, _ = factories.invoice_with_link()
    outbox.enqueue("test_broken", "test:broken", practice_id=invoice.practice_id)
    db.session.commit()
    moment = utcnow()
    for _ in range(outbox.MAX_ATTEMPTS):
        moment += outbox.LONGEST_WAIT
        outbox.run_pending(moment)
    assert work_rows() == [("test_broken", "failed", outbox.MAX_ATTEMPTS)]
    assert outbox.run_pending(moment + timedelta(days=30)) == 0
    [work] = db.session.scalars(db.select(PendingWork)).all()
    assert work.last_error == "the handler always fails"
    outbox.retry(work, audit.SYSTEM)
    db.session.commit()
    assert work_rows() == [("test_broken", "pending", 0)]


def test_production_without_smtp_sends_nothing_and_says_so(app):
    mailer = mailer_from_config({"SMTP_URL": None, "OUTBOX_ENABLED": False})
    assert mailer.configured is False
    with pytest.raises(OSError, match="email is not configured"):
        mailer.send(messaging.build_message(_practice(), "a@example.org", "s", "t", "<p>t</p>"))
    app.extensions["saldo.mailer"] = mailer
    assert messaging.email_configured() is False


def _practice():
    from tests import factories

    return factories.practice()
