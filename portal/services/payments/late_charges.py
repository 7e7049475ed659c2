"""Creates that reach Stripe after their claim was settled another way, given back once.

A create can sit in a proxy or a queue past the moment the reconciliation gave up waiting for
it (`RECONCILE_AFTER_SECONDS`) and sent the same create again, or found nothing and let the
installment be charged anew. Real Stripe answers a late create with the same idempotency key
with the PaymentIntent it already made; a stand-in that ignores the key, or a key older than
Stripe keeps it, makes a second one. So a claim the reconciliation settled is watched for a
day: any other PaymentIntent carrying its claim key is a second charge and is refunded in
full (or canceled if nothing was taken), claimed by a unique row so it happens once.

A Stripe outage leaves the row `refund_pending` for the next sweep. A definitive refusal
marks it `failed` with Stripe's reason and raises a *Second charge not refunded* alert, unless
Stripe shows the charge refunded already (then it is `refunded`, with that refund's id). A row
is asked about by one process at a time (`attempted_at`), and only the process that moves it
out of `refund_pending` records the outcome, its audit event and the alert.
"""

from datetime import timedelta

from sqlalchemy import or_, update
from sqlalchemy.exc import IntegrityError

from portal import gateways
from portal.clock import utcnow
from portal.extensions import db
from portal.gateways.stripe_gateway import GatewayError, GatewayUnavailable, IntentResult
from portal.models import ChargeAttempt, LateCharge
from portal.models.alert import AlertKind
from portal.models.audit import ActorKind
from portal.models.charge_attempt import LateChargeStatus
from portal.services.billing import credits
from portal.services.core import audit
from portal.services.core.audit import Actor
from portal.services.payments import charging, late_refunds

RECONCILE = Actor(ActorKind.SYSTEM, "payments.reconcile")
#: how long a claim settled by the reconciliation is checked for a late create
WATCH = timedelta(hours=24)
#: how long a process may take asking Stripe about a row before another may try (more than
#: the longest Stripe call, `stripe_results.longest_call_seconds`)
LEASE = timedelta(minutes=10)
GIVEN_BACK = (LateChargeStatus.REFUNDED, LateChargeStatus.CANCELED)


def watch(claim: ChargeAttempt) -> None:
    """Check `claim` for a late create for the next day (the caller commits)."""
    claim.watch_until = utcnow() + WATCH


def give_back(claim: ChargeAttempt, intent: IntentResult) -> LateCharge | None:
    """Refund (or cancel) `intent`, a second PaymentIntent under `claim`; None if another
    process has it already. Commits."""
    row = LateCharge(
        charge_attempt_id=claim.id,
        stripe_payment_intent_id=intent.id,
        amount_minor=intent.amount,
        attempted_at=utcnow(),
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
    """Ask Stripe to give `intent` back and record the outcome once; an outage leaves the
    row pending (and free) for the next sweep."""
    gateway = gateways.stripe(claim.payment.invoice.practice)
    key = f"saldo-{charging.installation_id()}-late-{intent.id}"
    metadata = {"saldo_late_charge": str(row.id), "saldo_charge": claim.key}
    try:
        outcome = late_refunds.give_back(gateway, intent, key, metadata)
    except GatewayUnavailable:
        db.session.rollback()
        _release(row)
        return
    _record(row, intent, claim, outcome)


def _release(row: LateCharge) -> None:
    db.session.execute(
        update(LateCharge)
        .where(LateCharge.id == row.id, LateCharge.status == LateChargeStatus.REFUND_PENDING)
        .values(attempted_at=None)
    )
    db.session.commit()


def _record(
    row: LateCharge, intent: IntentResult, claim: ChargeAttempt, outcome: late_refunds.Outcome
) -> None:
    """The outcome, its audit event and (for a refusal) the staff alert, by the one process
    that moves the row out of refund_pending."""
    moved = db.session.execute(
        update(LateCharge)
        .where(LateCharge.id == row.id, LateCharge.status == LateChargeStatus.REFUND_PENDING)
        .values(
            status=outcome.status,
            stripe_refund_id=outcome.refund_id,
            failure_reason=outcome.reason,
        )
        .execution_options(synchronize_session=False)
    )
    if moved.rowcount != 1:
        db.session.rollback()  # another process recorded it
        return
    invoice = claim.payment.invoice
    facts = dict(payment_id=claim.payment_id, payment_intent=intent.id, amount_minor=intent.amount)
    failed = outcome.status == LateChargeStatus.FAILED
    audit.record(
        "payment.late_charge_refund_failed" if failed else "payment.late_charge_returned",
        practice_id=invoice.practice_id,
        invoice_id=invoice.id,
        actor=RECONCILE,
        **({"reason": outcome.reason} if failed else {"outcome": outcome.status}),
        **facts,
    )
    if failed:
        credits.raise_alert(
            invoice,
            AlertKind.LATE_CHARGE_FAILED,
            late_charge_id=row.id,
            reason=outcome.reason,
            **facts,
        )
    # the late charge's outcome: recorded at once, never twice
    db.session.commit()
    db.session.refresh(row)


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
            if intent.id != payment.stripe_payment_intent_id:
                row = give_back(claim, intent)
                returned += row is not None and row.status in GIVEN_BACK
    pending = db.select(LateCharge).where(LateCharge.status == LateChargeStatus.REFUND_PENDING)
    for row in db.session.scalars(pending).all():
        if not _lease(row, now):
            continue
        claim = db.session.get(ChargeAttempt, row.charge_attempt_id)
        try:
            intent = gateways.stripe(claim.payment.invoice.practice).retrieve_intent(
                row.stripe_payment_intent_id
            )
        except GatewayError:
            _release(row)
            continue
        _return(row, intent, claim)
        returned += row.status in GIVEN_BACK
    return returned


def _lease(row: LateCharge, now) -> bool:
    """Take `row` for this process while it asks Stripe (committed); False if another
    process has it, or it is no longer pending."""
    taken = db.session.execute(
        update(LateCharge)
        .where(
            LateCharge.id == row.id,
            LateCharge.status == LateChargeStatus.REFUND_PENDING,
            or_(LateCharge.attempted_at.is_(None), LateCharge.attempted_at < now - LEASE),
        )
        .values(attempted_at=now)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return taken.rowcount == 1
