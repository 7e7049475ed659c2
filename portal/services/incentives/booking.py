"""Booking a successful discounted or settlement payment: the discount or the forgiven rest
is posted once per payment, never more than is still owed."""

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from portal.extensions import db
from portal.models import LedgerEntry, Payment, PaymentTerms, SettlementOffer
from portal.models.ledger import LedgerKind
from portal.models.payment import PaymentStatus
from portal.models.settlement_offer import OfferStatus
from portal.services.billing import invoices, ledger
from portal.services.core import audit
from portal.services.core.audit import SYSTEM, Actor
from portal.services.incentives.claims import move_offer
from portal.services.incentives.rules import DISCOUNTED, SETTLEMENT
from portal.services.plans import installments

# --- booking a successful discounted or settlement payment -------------------------------


def on_payment_succeeded(payment: Payment, actor: Actor = SYSTEM) -> None:
    """Book what a succeeded "discounted" or "settlement" payment forgives: a "discount" or
    "settlement" ledger entry for the rest of the balance (at most what was promised when
    the payment started), the offer accepted, the invoice paid. Idempotent; commits.

    Called by `payments.apply_intent` after every successful payment; other payments are
    ignored."""
    if payment.purpose not in (DISCOUNTED, SETTLEMENT) or payment.status != PaymentStatus.SUCCEEDED:
        return
    kind = LedgerKind.DISCOUNT if payment.purpose == DISCOUNTED else LedgerKind.SETTLEMENT
    invoice = payment.invoice
    claim = _claimed(payment)
    changed = False
    try:
        if not _booked(payment, kind):
            owed = ledger.balance(invoice.id)
            forgive = owed if claim is None else min(owed, int(claim["forgive_minor"]))
            if forgive > 0:
                memo = _memo(kind, claim)
                ledger.post(invoice, kind, forgive, payment_id=payment.id, memo=memo)
                db.session.flush()
                audit.record(
                    f"{kind}.booked",
                    practice_id=invoice.practice_id,
                    invoice_id=invoice.id,
                    actor=actor,
                    payment_id=payment.id,
                    amount_minor=forgive,
                )
                changed = True
        if kind == LedgerKind.SETTLEMENT:
            changed = _accept(payment, actor) or changed
        changed = invoices.settle_if_paid(invoice, actor) or changed
        # committed here: the unique ledger row is what tells a concurrent booking apart
        db.session.commit()
    except IntegrityError:
        # another process booked this payment at the same moment
        db.session.rollback()
        return
    if changed and kind == LedgerKind.SETTLEMENT:
        # a settled invoice's running plan is finished: nothing more will be charged
        installments.on_payment_succeeded(payment)


def _memo(kind: str, claim: dict | None) -> str | None:
    if claim and kind == LedgerKind.DISCOUNT and claim.get("percent"):
        return f"Early-payment discount {claim['percent']}%"
    if claim and kind == LedgerKind.SETTLEMENT and claim.get("offer_id"):
        return f"Settlement offer {claim['offer_id']}"
    return None


def _booked(payment: Payment, kind: str) -> bool:
    query = select(LedgerEntry.id).where(
        LedgerEntry.payment_id == payment.id, LedgerEntry.kind == kind
    )
    return db.session.scalar(query) is not None


def _accept(payment: Payment, actor: Actor) -> bool:
    offer = db.session.scalar(db.select(SettlementOffer).filter_by(payment_id=payment.id))
    if offer is None or offer.status == OfferStatus.ACCEPTED:
        return False
    if not move_offer(offer, "accepted", SettlementOffer.payment_id == payment.id):
        return False
    audit.record(
        "settlement.accepted",
        practice_id=offer.practice_id,
        invoice_id=offer.invoice_id,
        actor=actor,
        offer_id=offer.id,
        payment_id=payment.id,
    )
    return True


def _claimed(payment: Payment) -> dict | None:
    """What the payment was claimed to forgive, from its own terms row."""
    terms = db.session.get(PaymentTerms, payment.id)
    if terms is None:
        return None
    return {
        "payment_id": terms.payment_id,
        "balance_minor": terms.balance_minor,
        "forgive_minor": terms.forgive_minor,
        "offer_id": terms.offer_id,
        "percent": terms.percent,
    }
