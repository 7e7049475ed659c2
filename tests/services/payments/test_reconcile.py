"""A worker killed between Stripe's answer and the booking, and lost answers: the
reconciliation settles each payment from what Stripe holds, once."""

import pytest

from portal.extensions import db
from portal.models import ChargeAttempt, LateCharge, LedgerEntry, OutboxMessage, Payment
from portal.services.billing import ledger
from portal.services.core import jobs
from portal.services.payments import payments
from tests.services.payments.test_charge_race import intents_at_stripe
from tests.services.plans.test_plans import PATIENT, pay_down_payment, signed_plan
from tests.support import stripe_js, workers
from tests.support.stripe_proxy import StripeProxy

pytestmark = pytest.mark.stripe


def killed_mid_charge(app, mode: str, proxy: StripeProxy):
    """A plan whose first installment a `run-due` worker was charging when killed -9:
    with `mode` "delay_answer" Stripe had created the PaymentIntent, with "hold" it had not,
    with "late" the create is still on its way (until `proxy.release` is set)."""
    invoice, plan, saved = signed_plan(app, locale="en")
    pay_down_payment(invoice, plan, saved)
    day = plan.installments[1].due_on
    proxy.reset(mode, delay=60)
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
    with StripeProxy(stripe_app.config["STRIPE_API_BASE"]) as proxy:
        invoice, plan, day = killed_mid_charge(stripe_app, "delay_answer", proxy)
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


def test_a_create_that_never_reached_stripe_is_sent_again_with_its_key(stripe_app):
    with StripeProxy(stripe_app.config["STRIPE_API_BASE"]) as proxy:
        invoice, plan, day = killed_mid_charge(stripe_app, "hold", proxy)
    base = stripe_app.config["STRIPE_API_BASE"]
    customer = {invoice.patient.stripe_customer_id}
    assert len(intents_at_stripe(base, customer)) == 1
    stripe_app.config["RECONCILE_AFTER_SECONDS"] = 0
    report = jobs.run_due(day)
    # the lost create was sent again under its claim: the installment is paid by it
    assert (report.read_back, report.charged) == (1, 0)
    assert jobs.run_due(day).charged == 0
    db.session.expire_all()
    [down, first] = payments_of(invoice)
    claim = db.session.scalars(db.select(ChargeAttempt).filter_by(payment_id=first.id)).one()
    assert claim.resent_at is not None
    at_stripe = {pi["id"]: pi for pi in intents_at_stripe(base, customer)}
    assert set(at_stripe) == {down.stripe_payment_intent_id, first.stripe_payment_intent_id}
    assert at_stripe[first.stripe_payment_intent_id]["metadata"]["saldo_charge"] == claim.key
    assert first.status == "succeeded"
    assert (plan.installments[1].status, plan.installments[1].attempts) == ("paid", 1)
    # and the patient can pay off the rest at once
    saved = payments.SavedMethod(
        invoice.patient.stripe_customer_id, plan.stripe_payment_method_id, plan.method
    )
    assert payments.charge(invoice, saved, PATIENT).status == "succeeded"
    assert ledger.balance(invoice.id) == 0


def test_a_create_reaching_stripe_after_the_reconciliation_is_refunded(stripe_app):
    base = stripe_app.config["STRIPE_API_BASE"]
    with StripeProxy(base) as proxy:
        invoice, plan, day = killed_mid_charge(stripe_app, "late", proxy)
        stripe_app.config["RECONCILE_AFTER_SECONDS"] = 0
        # nothing at Stripe yet: the reconciliation sends the create again and books it
        assert jobs.run_due(day).read_back == 1
        proxy.release.set()
        assert proxy.late_done.wait(60)
    customer = {invoice.patient.stripe_customer_id}
    db.session.expire_all()
    [down, first] = payments_of(invoice)
    claim = db.session.scalars(db.select(ChargeAttempt).filter_by(payment_id=first.id)).one()
    # localstripe ignores the idempotency key: the late create made a second charge
    under_claim = [
        pi
        for pi in intents_at_stripe(base, customer)
        if pi["metadata"]["saldo_charge"] == claim.key
    ]
    assert sorted(pi["status"] for pi in under_claim) == ["succeeded", "succeeded"]
    [late_id] = [pi["id"] for pi in under_claim if pi["id"] != first.stripe_payment_intent_id]
    for _ in range(3):
        jobs.run_due(day)
    db.session.expire_all()
    [late] = db.session.scalars(db.select(LateCharge)).all()
    assert (late.stripe_payment_intent_id, late.status) == (late_id, "refunded")
    assert late.amount_minor == plan.installments[1].amount_minor
    refunds = stripe_js.get(base, f"/v1/refunds?payment_intent={late_id}")["data"]
    assert [(r["id"], r["amount"]) for r in refunds] == [
        (late.stripe_refund_id, plan.installments[1].amount_minor)
    ]
    # the books show one charge of the installment, as the patient now has at the bank
    assert first.status == "succeeded"
    payments_booked = db.session.scalars(
        db.select(LedgerEntry.amount_minor).filter_by(invoice_id=invoice.id, kind="payment")
    ).all()
    assert payments_booked == [-down.amount_minor, -plan.installments[1].amount_minor]
    assert (
        db.session.scalars(
            db.select(LedgerEntry).filter_by(invoice_id=invoice.id, kind="refund")
        ).all()
        == []
    )
