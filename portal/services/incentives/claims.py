"""Claiming a discounted or settlement payment: the payment row, its purpose and what it
forgives are written in one transaction, and a settlement offer moves by compare-and-set."""

from dataclasses import dataclass

from sqlalchemy import or_, select, update

from portal.extensions import db
from portal.models import Invoice, Payment, PaymentTerms, SettlementOffer
from portal.models.settlement_offer import OfferStatus
from portal.services.billing import ledger
from portal.services.core import audit
from portal.services.core.audit import Actor
from portal.services.core.refusals import PaymentReason
from portal.services.incentives.rules import (
    DEAD,
    DISCOUNT_UNAVAILABLE,
    DISCOUNTED,
    OFFER_UNAVAILABLE,
)
from portal.services.payments import payments
from portal.services.payments.payments import Outcome, PaymentRefused, SavedMethod


def move_offer(offer: SettlementOffer, target: str, *conditions) -> bool:
    result = db.session.execute(
        update(SettlementOffer)
        .where(SettlementOffer.id == offer.id, SettlementOffer.status == offer.status, *conditions)
        .values(status=target)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        return False
    db.session.refresh(offer)
    return True


# --- claiming: the payment row, its purpose and what it forgives, in one transaction ------


@dataclass(frozen=True)
class Claim:
    invoice_id: int
    purpose: str
    #: the balance the amount was computed from: the claim is refused if it has moved
    balance_minor: int
    #: what the ledger forgives once the payment succeeds
    forgive_minor: int
    actor: Actor
    offer_id: int | None = None
    percent: int | None = None


def charge(
    invoice: Invoice, saved: SavedMethod, actor: Actor, amount_minor: int, claim: Claim
) -> Outcome:
    return payments.charge(
        invoice,
        saved,
        actor,
        amount_minor=amount_minor,
        purpose=claim.purpose,
        on_claim=lambda payment: _take(claim, payment),
    )


def _take(claim: Claim, payment: Payment) -> None:
    """Inside the payment row's transaction: the balance must not have moved, the offer must
    still be free; record what the payment will forgive."""
    if ledger.balance(claim.invoice_id) != claim.balance_minor:
        raise PaymentRefused(
            DISCOUNT_UNAVAILABLE if claim.purpose == DISCOUNTED else PaymentReason.NOTHING_DUE
        )
    if claim.offer_id is not None:
        taken = db.session.execute(
            update(SettlementOffer)
            .where(
                SettlementOffer.id == claim.offer_id,
                SettlementOffer.status == OfferStatus.OPEN,
                free_of_payments(),
            )
            .values(payment_id=payment.id)
            .execution_options(synchronize_session=False)
        )
        if taken.rowcount != 1:
            raise PaymentRefused(OFFER_UNAVAILABLE)
    data = {
        "payment_id": payment.id,
        "balance_minor": claim.balance_minor,
        "forgive_minor": claim.forgive_minor,
    }
    if claim.offer_id is not None:
        data["offer_id"] = claim.offer_id
    if claim.percent is not None:
        data["percent"] = claim.percent
    db.session.add(
        PaymentTerms(
            payment_id=payment.id,
            balance_minor=claim.balance_minor,
            forgive_minor=claim.forgive_minor,
            offer_id=claim.offer_id,
            percent=claim.percent,
        )
    )
    audit.record(
        "discount.claimed" if claim.purpose == DISCOUNTED else "settlement.claimed",
        practice_id=payment.invoice.practice_id,
        invoice_id=claim.invoice_id,
        actor=claim.actor,
        **data,
    )


def free_of_payments():
    """SQL: the offer has no payment, or only one that failed or was cancelled."""
    dead = select(Payment.id).where(Payment.status.in_(DEAD))
    return or_(SettlementOffer.payment_id.is_(None), SettlementOffer.payment_id.in_(dead))
