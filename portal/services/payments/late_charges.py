"""Creates that reach Stripe after their claim was settled another way, given back once.

A create can sit in a proxy or a queue past the moment the reconciliation gave up waiting for
it (`RECONCILE_AFTER_SECONDS`) and sent the same create again, or found nothing and let the
installment be charged anew. Real Stripe answers a late create with the same idempotency key
with the PaymentIntent it already made; a stand-in that ignores the key, or a key older than
Stripe keeps it, makes a second one. So a claim the reconciliation settled is watched for a
day: any other PaymentIntent carrying its claim key is a second charge and is refunded in
full (or canceled if nothing was taken), claimed by a unique row so it happens once.
"""

from datetime import timedelta

from sqlalchemy.exc import IntegrityError

from portal import gateways
from portal.clock import utcnow
from portal.extensions import db
from portal.gateways.stripe_gateway import GatewayError, IntentResult
from portal.models import ChargeAttempt, LateCharge
from portal.models.audit import ActorKind
from portal.models.charge_attempt import LateChargeStatus
from portal.services.core import audit
from portal.services.core.audit import Actor
from portal.services.payments import charging

RECONCILE = Actor(ActorKind.SYSTEM, "payments.reconcile")
#: how long a claim settled by the reconciliation is checked for a late create
WATCH = timedelta(hours=24)
TAKEN = ("succeeded", "processing")


def watch(claim: ChargeAttempt) -> None:
    """Check `claim` for a late create for the next day (the caller commits)."""
    claim.watch_until = utcnow() + WATCH


def give_back(claim: ChargeAttempt, intent: IntentResult) -> LateCharge | None:
    """Refund (or cancel) `intent`, a second PaymentIntent under `claim`; None if another
    process has it already. Commits."""
    row = LateCharge(
        charge_attempt_id=claim.id, stripe_payment_intent_id=intent.id, amount_minor=intent.amount
    )
    try:
        with db.session.begin_nested():
            db.session.add(row)
        db.session.commit()  # the row is the claim: durable before Stripe is asked to refund
    except IntegrityError:
        db.session.rollback()
        return None
    _return(row, intent, claim)
    return row


def _return(row: LateCharge, intent: IntentResult, claim: ChargeAttempt) -> None:
    invoice = claim.payment.invoice
    gateway = gateways.stripe(invoice.practice)
    try:
        if intent.status in TAKEN:
            key = f"saldo-{charging.installation_id()}-late-{intent.id}"
            metadata = {"saldo_late_charge": str(row.id), "saldo_charge": claim.key}
            refund = gateway.create_refund(intent.id, intent.amount, key, metadata)
            row.status, row.stripe_refund_id = LateChargeStatus.REFUNDED, refund.id
        elif intent.status != "canceled":
            gateway.cancel_intent(intent.id)
            row.status = LateChargeStatus.CANCELED
        else:
            row.status = LateChargeStatus.CANCELED
    except GatewayError:
        db.session.rollback()
        return
    audit.record(
        "payment.late_charge_returned",
        practice_id=invoice.practice_id,
        invoice_id=invoice.id,
        actor=RECONCILE,
        payment_id=claim.payment_id,
        payment_intent=intent.id,
        amount_minor=intent.amount,
        outcome=row.status,
    )
    # the late charge was refunded or canceled at Stripe: recorded at once, never twice
    db.session.commit()


def sweep() -> int:
    """Look for late creates under every watched claim, and finish refunds left pending by
    an outage; returns how many late charges were given back."""
    now = utcnow()
    returned = 0
    watched = db.select(ChargeAttempt).where(ChargeAttempt.watch_until > now)
    for claim in db.session.scalars(watched).all():
        payment = claim.payment
        gateway = gateways.stripe(payment.invoice.practice)
        try:
            found = gateway.find_intents("saldo_charge", claim.key)
        except GatewayError:
            continue
        for intent in found:
            if intent.id != payment.stripe_payment_intent_id and give_back(claim, intent):
                returned += 1
    pending = db.select(LateCharge).where(LateCharge.status == LateChargeStatus.REFUND_PENDING)
    for row in db.session.scalars(pending).all():
        claim = db.session.get(ChargeAttempt, row.charge_attempt_id)
        try:
            intent = gateways.stripe(claim.payment.invoice.practice).retrieve_intent(
                row.stripe_payment_intent_id
            )
        except GatewayError:
            continue
        _return(row, intent, claim)
        returned += row.status != LateChargeStatus.REFUND_PENDING
    return returned
