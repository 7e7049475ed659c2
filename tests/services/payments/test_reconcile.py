"""A worker killed between Stripe's answer and the booking, and lost answers: the
reconciliation settles each payment from what Stripe holds, once."""

import pytest

from portal.extensions import db
from portal.models import ChargeAttempt, LedgerEntry, OutboxMessage, Payment
from portal.services.billing import ledger
from portal.services.core import jobs
from portal.services.payments import payments
from tests.services.payments.test_charge_race import intents_at_stripe
from tests.services.plans.test_plans import PATIENT, pay_down_payment, signed_plan
from tests.support import workers
from tests.support.stripe_proxy import StripeProxy

pytestmark = pytest.mark.stripe


def killed_mid_charge(app, mode: str):
    """A plan whose first installment a `run-due` worker was charging when killed -9:
    with `mode` "delay_answer" Stripe had created the PaymentIntent, with "hold" it had not."""
    invoice, plan, saved = signed_plan(app, locale="en")
    pay_down_payment(invoice, plan, saved)
    day = plan.installments[1].due_on
    with StripeProxy(app.config["STRIPE_API_BASE"]) as proxy:
        proxy.reset(mode, delay=30)
        worker = workers.run_due(workers.env_for(app, proxy.url), day)
        assert proxy.create_seen.wait(120)
        worker.kill()  # SIGKILL: no cleanup, no rollback, no answer read
        worker.communicate()
    db.session.expire_all()
    [payment] = [p for p in payments_of(invoice) if p.installment_id == plan.installments[1].id]
    assert (payment.status, payment.stripe_payment_intent_id) == ("creating", None)
    assert plan.installments[1].status == "processing"
    return invoice, plan, day


def payments_of(invoice):
    return db.session.scalars(
        db.select(Payment).filter_by(invoice_id=invoice.id).order_by(Payment.id)
    ).all()


def test_money_taken_before_the_crash_is_booked_once(stripe_app):
    invoice, plan, day = killed_mid_charge(stripe_app, "delay_answer")
    customer = {invoice.patient.stripe_customer_id}
    base = stripe_app.config["STRIPE_API_BASE"]
    # too recent to look up: the charge may still be running, so nothing is charged again
    assert jobs.run_due(day).charged == 0
    assert len(intents_at_stripe(base, customer)) == 2
    stripe_app.config["RECONCILE_AFTER_SECONDS"] = 0
    for _ in range(3):
        jobs.run_due(day)
    db.session.expire_all()
    installment = plan.installments[1]
    assert (installment.status, installment.attempts) == ("paid", 1)
    [down, first] = payments_of(invoice)
    at_stripe = {pi["id"]: pi for pi in intents_at_stripe(base, customer)}
    assert set(at_stripe) == {down.stripe_payment_intent_id, first.stripe_payment_intent_id}
    pi_first = at_stripe[first.stripe_payment_intent_id]
    assert (first.status, pi_first["status"]) == ("succeeded", "succeeded")
    claim = db.session.scalars(db.select(ChargeAttempt).filter_by(payment_id=first.id)).one()
    assert pi_first["metadata"]["saldo_charge"] == claim.key
    entries = db.session.scalars(
        db.select(LedgerEntry.amount_minor).filter_by(invoice_id=invoice.id, kind="payment")
    ).all()
    assert entries == [-down.amount_minor, -installment.amount_minor]
    assert ledger.balance(invoice.id) == 154500 - down.amount_minor - installment.amount_minor
    subjects = db.session.scalars(db.select(OutboxMessage.subject)).all()
    assert len([s for s in subjects if s.startswith("Payment received")]) == 2


def test_nothing_charged_before_the_crash_leaves_the_invoice_payable(stripe_app):
    invoice, plan, day = killed_mid_charge(stripe_app, "hold")
    base = stripe_app.config["STRIPE_API_BASE"]
    customer = {invoice.patient.stripe_customer_id}
    assert len(intents_at_stripe(base, customer)) == 1
    stripe_app.config["RECONCILE_AFTER_SECONDS"] = 0
    report = jobs.run_due(day)
    # the lost attempt failed as an outage and gave its attempt back; the same run charged it
    assert (report.read_back, report.charged, report.paid) == (1, 1, 1)
    db.session.expire_all()
    lost, charged = payments_of(invoice)[1:]
    assert (lost.status, lost.failure_code) == ("failed", "gateway_unavailable")
    assert charged.status == "succeeded"
    assert (plan.installments[1].status, plan.installments[1].attempts) == ("paid", 1)
    assert len(intents_at_stripe(base, customer)) == 2
    # and the patient can pay off the rest at once
    saved = payments.SavedMethod(
        invoice.patient.stripe_customer_id, plan.stripe_payment_method_id, plan.method
    )
    assert payments.charge(invoice, saved, PATIENT).status == "succeeded"
    assert ledger.balance(invoice.id) == 0
