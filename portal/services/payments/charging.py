"""Claiming a charge in the database before Stripe is asked, and what a failure means.

`claim()` runs inside the transaction that inserts the in-flight `Payment`: it inserts a
`ChargeAttempt` with a random key and, for an installment, moves the installment to
"processing" by compare-and-set against the status and attempt count the caller read. If
another worker, consumer or click got there first, the unique constraints or the
compare-and-set refuse the claim and Stripe is never called. The idempotency key is the
installation's id plus the claim's key, so a retry after a lost answer reuses it and no other
attempt, database copy or installation can.

Retry rules: declines for lost, stolen, picked-up or fraudulent cards, and any decline the card
network advises `do_not_try_again`, are never retried; other declines are retried on the plan's
retry days; an outage (Stripe unreachable, rate limited, or found to have created nothing) gives
the attempt back.
"""

import uuid
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from sqlalchemy import func, update
from sqlalchemy.exc import IntegrityError

from portal import gateways
from portal.clock import utcnow
from portal.extensions import db
from portal.gateways.stripe_gateway import IntentResult
from portal.models import ChargeAttempt, Installation, Installment, Payment
from portal.models.payment import PaymentStatus
from portal.models.plan import InstallmentStatus
from portal.services.payments import stripe_accounts

#: decline reasons card networks penalise retrying
NEVER_RETRY = frozenset(
    {"lost_card", "stolen_card", "pickup_card", "fraudulent", "do_not_try_again"}
)
#: failures that ask the patient to act rather than to wait for a retry
NO_RETRY = NEVER_RETRY | {"authentication_required", "expired_card"}
#: what a payment records when Stripe did not (or is known not to have) charged anything
OUTAGE = "gateway_unavailable"


class ClaimTaken(Exception):
    """Someone else claimed this charge first."""


@dataclass(frozen=True)
class Seen:
    """An installment as the caller read it; the claim holds only if it is still so."""

    installment_id: int
    status: str
    attempts: int
    #: a decline uses up one of the plan's attempts (the scheduled charge)
    counts: bool = False

    @classmethod
    def of(cls, installment: Installment, counts: bool = False) -> "Seen":
        return cls(installment.id, installment.status, installment.attempts, counts)


def installation_id() -> str:
    """This installation's id: SALDO_INSTALLATION_ID, else the one stored (made on first use)."""
    configured = current_app.config.get("SALDO_INSTALLATION_ID")
    if configured:
        return str(configured)
    row = db.session.get(Installation, 1)
    if row is None:
        try:
            with db.session.begin_nested():
                db.session.add(Installation(id=1, installation_id=uuid.uuid4().hex))
        except IntegrityError:
            pass
        row = db.session.get(Installation, 1)
    return row.installation_id


@dataclass(frozen=True)
class Asked:
    """What a charge asks Stripe to take, kept on the claim so it can be asked again."""

    customer_id: str | None
    payment_method_id: str | None
    off_session: bool


def claim(
    payment: Payment, seen: Seen | None, asked: Asked | None = None, key: str | None = None
) -> ChargeAttempt:
    """Record the claim for `payment` (flushed, not committed); raise ClaimTaken if the
    installment is no longer as `seen` or its next attempt is already claimed, or if `key`
    (a desk form's claim key; default: a new random one) was claimed already."""
    installation_id()  # made, if need be, in this transaction rather than during the call
    attempt = 1
    if seen is not None:
        moved = db.session.execute(
            update(Installment)
            .where(
                Installment.id == seen.installment_id,
                Installment.status == seen.status,
                Installment.attempts == seen.attempts,
                Installment.status.in_((InstallmentStatus.SCHEDULED, InstallmentStatus.FAILED)),
            )
            .values(
                status=InstallmentStatus.PROCESSING,
                attempts=seen.attempts + (1 if seen.counts else 0),
            )
            .execution_options(synchronize_session=False)
        )
        if moved.rowcount != 1:
            raise ClaimTaken(seen.installment_id)
        previous = db.session.scalar(
            db.select(func.max(ChargeAttempt.attempt)).filter_by(installment_id=seen.installment_id)
        )
        attempt = (previous or 0) + 1
    asked = asked or Asked(None, None, False)
    row = ChargeAttempt(
        key=key or uuid.uuid4().hex,
        customer_id=asked.customer_id,
        payment_method_id=asked.payment_method_id,
        off_session=asked.off_session,
        payment_id=payment.id,
        installment_id=seen.installment_id if seen else None,
        attempt=attempt,
        prior_status=seen.status if seen else None,
        prior_attempts=seen.attempts if seen else None,
        counts=bool(seen and seen.counts),
    )
    db.session.add(row)
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError as exc:
        raise ClaimTaken(seen.installment_id if seen else None) from exc
    return row


def create_intent(payment: Payment, claim: ChargeAttempt) -> IntentResult:
    """Ask Stripe for the PaymentIntent of `claim`, exactly as first asked (a resend after a
    lost answer must match the first call, or Stripe refuses the idempotency key)."""
    invoice = payment.invoice
    labels = stripe_accounts.charge_labels(invoice)
    return gateways.stripe(invoice.practice).charge(
        customer_id=claim.customer_id,
        payment_method_id=claim.payment_method_id,
        method=payment.method,
        amount_minor=payment.amount_minor,
        currency=payment.currency,
        metadata={**metadata(claim, payment), **labels.metadata},
        idempotency_key=idempotency_key(claim),
        off_session=claim.off_session,
        description=labels.description,
        statement_descriptor_suffix=labels.descriptor_suffix,
    )


def claim_of(payment: Payment) -> ChargeAttempt | None:
    return db.session.scalar(db.select(ChargeAttempt).filter_by(payment_id=payment.id))


def idempotency_key(row: ChargeAttempt) -> str:
    """The Stripe idempotency key of a claim, scoped to this installation."""
    return f"saldo-{installation_id()}-charge-{row.key}"


def metadata(row: ChargeAttempt, payment: Payment) -> dict[str, str]:
    """PaymentIntent metadata: the claim key is what reconciliation searches for."""
    return {
        "saldo_charge": row.key,
        "saldo_payment_id": str(payment.id),
        "saldo_invoice_id": str(payment.invoice_id),
    }


def note_decline(payment: Payment, decline_code: str | None, advice_code: str | None) -> None:
    row = claim_of(payment)
    if row is not None:
        row.decline_code, row.advice_code = decline_code, advice_code


def failure_reason(payment: Payment) -> str:
    """What a failed payment's installment records: the network's advice wins."""
    row = claim_of(payment)
    if row is not None and row.advice_code == "do_not_try_again":
        return "do_not_try_again"
    return payment.failure_code or "declined"


def retryable(code: str) -> bool:
    """Whether a failed installment charge is tried again on the plan's retry days."""
    return code not in NO_RETRY


def counts_against_plan(payment: Payment) -> bool:
    """A genuine decline of the scheduled charge, not an outage, cancellation or click."""
    row = claim_of(payment)
    return bool(
        row is not None
        and row.counts
        and payment.status == PaymentStatus.FAILED
        and payment.failure_code not in (OUTAGE, "abandoned")
    )


def restore(payment: Payment) -> bool:
    """Give the installment back as it was before the claim (nothing was charged)."""
    row = claim_of(payment)
    if row is None or row.installment_id is None or row.prior_status is None:
        return False
    moved = db.session.execute(
        update(Installment)
        .where(
            Installment.id == row.installment_id,
            Installment.status == InstallmentStatus.PROCESSING,
            Installment.attempts == row.prior_attempts + (1 if row.counts else 0),
        )
        .values(status=row.prior_status, attempts=row.prior_attempts)
        .execution_options(synchronize_session=False)
    )
    return moved.rowcount == 1


def hold_intent(payment: Payment, intent) -> bool:
    """Record Stripe's PaymentIntent on the payment waiting for it (committed); False if the
    payment no longer waits (the reconciliation settled it while the call ran)."""
    moved = db.session.execute(
        update(Payment)
        .where(
            Payment.id == payment.id,
            Payment.status == PaymentStatus.CREATING,
            Payment.stripe_payment_intent_id.is_(None),
        )
        .values(stripe_payment_intent_id=intent.id)
        .execution_options(synchronize_session=False)
    )
    # durable at once: a reconciler in another process must see the intent Stripe created
    db.session.commit()
    db.session.refresh(payment)
    return moved.rowcount == 1 or payment.stripe_payment_intent_id == intent.id


#: Stripe keeps an idempotency key at least a day; a create is sent again only well within it
RESEND_WITHIN = timedelta(hours=23)


def resendable(row: ChargeAttempt) -> bool:
    """Whether the create of `row` may be sent again: what it asked is known, and its key is
    still one Stripe answers from its record."""
    return bool(
        row.customer_id and row.payment_method_id and row.created_at > utcnow() - RESEND_WITHIN
    )


def take_resend(row: ChargeAttempt, quiet: timedelta) -> bool:
    """Claim the resend of `row` for this process (committed): no other reconciler sent it in
    the last `quiet`."""
    now = utcnow()
    taken = db.session.execute(
        update(ChargeAttempt)
        .where(
            ChargeAttempt.id == row.id,
            (ChargeAttempt.resent_at.is_(None)) | (ChargeAttempt.resent_at <= now - quiet),
        )
        .values(resent_at=now)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()  # the claim is durable before the resend reaches Stripe
    return taken.rowcount == 1
