"""Settling payments whose outcome Saldo does not know yet, from what Stripe says.

A worker can crash, or lose Stripe's answer, between creating the PaymentIntent and booking
it. Every payment still in flight is read back here: one with a PaymentIntent id is
retrieved; one still "creating" after `RECONCILE_AFTER_SECONDS` (the call has long ended) is
looked up at Stripe by its claim key in the metadata. Not found, the same create is sent
again with the same idempotency key, as Stripe documents for a lost answer: Stripe answers
with the PaymentIntent the first call made, if it made one, and makes it otherwise. One
reconciler at a time does it (`ChargeAttempt.resent_at`); a stand-in that ignores the key is
asked only after the lookup found nothing. Found or made, the answer is applied like any
(booked once on success); past the day Stripe keeps a key, nothing is sent again: nothing
was charged, the payment fails as an outage and its installment gets its attempt back. A
create that reaches Stripe after all this is refunded (`late_charges`).
"""

from datetime import timedelta

from flask import current_app

from portal import gateways
from portal.clock import utcnow
from portal.extensions import db
from portal.gateways.stripe_gateway import GatewayError, PaymentDeclined
from portal.models import Payment
from portal.models.payment import IN_FLIGHT, PaymentStatus
from portal.services.core.audit import Actor
from portal.services.core.refusals import PaymentReason
from portal.services.payments import charging, late_charges, payments
from portal.services.payments.payments import PaymentRefused


def _after() -> timedelta:
    return timedelta(seconds=int(current_app.config.get("RECONCILE_AFTER_SECONDS", 300)))


def stale_before():
    """Payments started before this moment have been in flight longer than any call lasts."""
    return utcnow() - _after()


def is_stale(payment: Payment) -> bool:
    """Whether a payment has been in flight long enough that no call can still be running."""
    return payment.created_at <= stale_before()


def settle(payment: Payment, actor: Actor) -> bool:
    """Re-read one in-flight payment from Stripe and apply what it says; False if Stripe
    could not be asked (the payment stays as it is, to be tried again)."""
    if payment.stripe_payment_intent_id:
        payments.refresh(payment, actor)
        return True
    claim = charging.claim_of(payment)
    key, value = ("saldo_charge", claim.key) if claim else ("saldo_payment_id", str(payment.id))
    try:
        intent = gateways.stripe(payment.invoice.practice).find_intent(key, value)
    except GatewayError:
        return False
    if intent is None and claim is not None and charging.resendable(claim):
        if not charging.take_resend(claim, _after()):
            return False  # another reconciler is sending it again right now
        try:
            intent = charging.create_intent(payment, claim)
        except PaymentDeclined as exc:
            late_charges.watch(claim)
            charging.note_decline(payment, exc.decline_code, exc.advice_code)
            payments._fail(payment, actor, exc.decline_code or exc.code or "declined")
            return True
        except GatewayError:
            return False
    if claim is not None:
        late_charges.watch(claim)
    if intent is None:
        if payments._move(payment, "failed", actor, failure_code=charging.OUTAGE):
            # Stripe never saw the charge: the claim is released for good
            db.session.commit()
            payments._after_failure(payment)
        else:
            db.session.rollback()
        return True
    if not charging.hold_intent(payment, intent):
        db.session.expire_all()
        if payment.stripe_payment_intent_id not in (None, intent.id):
            late_charges.give_back(claim, intent)
        return True
    payment.stripe_payment_method_id = intent.payment_method_id
    # the payment Stripe reports is recorded before the next one is read back
    db.session.commit()
    payments.apply_intent(payment, intent, actor)
    if payment.status == PaymentStatus.REQUIRES_ACTION and payment.installment_id:
        from portal.services.plans import installments

        installments.on_payment_needs_action(payment)
    return True


def run(actor: Actor) -> int:
    """Settle every payment in flight: read back those Stripe knows, look up lost answers
    old enough (sending the create again with its key), and give back creates that reached
    Stripe late. Returns how many payments were read."""
    query = db.select(Payment).where(Payment.status.in_(IN_FLIGHT)).order_by(Payment.id)
    count = 0
    for payment in db.session.scalars(query).all():
        if payment.stripe_payment_intent_id or is_stale(payment):
            settle(payment, actor)
            count += 1
    late_charges.sweep()
    return count


def release_stale(invoice_id: int, actor: Actor) -> None:
    """Before a new charge: end an abandoned 3-D Secure step and settle a lost answer old
    enough; refuse while Stripe cannot say what happened."""
    query = db.select(Payment).where(
        Payment.invoice_id == invoice_id, Payment.status.in_(IN_FLIGHT)
    )
    for payment in db.session.scalars(query).all():
        if payment.status == PaymentStatus.REQUIRES_ACTION and payment.stripe_payment_intent_id:
            payments.refresh(payment, actor)
            if payment.status == PaymentStatus.REQUIRES_ACTION:
                try:
                    gateway = gateways.stripe(payment.invoice.practice)
                    gateway.cancel_intent(payment.stripe_payment_intent_id)
                except GatewayError as exc:
                    raise PaymentRefused(PaymentReason.IN_PROGRESS) from exc
                payments._move(payment, "canceled", actor)
                # canceled at Stripe: recorded before the failure is announced
                db.session.commit()
                payments._after_failure(payment)
        elif payment.status == PaymentStatus.CREATING and is_stale(payment):
            settle(payment, actor)
        # per payment: one payment's read-back must not wait for the others
        db.session.commit()
