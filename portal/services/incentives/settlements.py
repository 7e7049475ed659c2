"""Settlement offers: staff offer to close an invoice for less until a day; the patient pays
that amount once, or the offer expires or is withdrawn."""

from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from portal.extensions import db
from portal.models import Invoice, Payment, SettlementOffer
from portal.models.audit import ActorKind
from portal.models.invoice import InvoiceStatus
from portal.models.settlement_offer import OfferStatus
from portal.services.billing import ledger
from portal.services.core import audit
from portal.services.core.audit import SYSTEM, Actor
from portal.services.incentives.booking import on_payment_succeeded
from portal.services.incentives.claims import Claim, charge, free_of_payments, move_offer
from portal.services.incentives.rules import (
    DEAD,
    OFFER_UNAVAILABLE,
    SETTLEMENT,
    IncentiveRefused,
    offer_payable,
    whole,
)
from portal.services.payments.payments import Outcome, PaymentRefused, SavedMethod

# --- settlement offers -------------------------------------------------------------------


def offers_for(invoice: Invoice) -> list[SettlementOffer]:
    query = db.select(SettlementOffer).filter_by(invoice_id=invoice.id)
    return list(db.session.scalars(query.order_by(SettlementOffer.id.desc())))


def status_of(
    offer: SettlementOffer, today: date, payment_statuses: dict[int, str] | None = None
) -> str:
    """The stored status, except that an open offer past its expiry date reads "expired"
    (the row itself moves when something touches it, see `expire_lapsed`). The invoice's
    `payment_statuses` by payment id, when the caller has them, spare a statement."""
    if (
        offer.status == OfferStatus.OPEN
        and offer.expires_on < today
        and not _held(offer, payment_statuses)
    ):
        return "expired"
    return offer.status


def payable_offer(invoice: Invoice, offer_id: int, today: date) -> SettlementOffer | None:
    """The invoice's offer `offer_id` if the patient can pay it `today`."""
    offer = db.session.get(SettlementOffer, offer_id)
    if offer is None or offer.invoice_id != invoice.id or not _payable(offer, today):
        return None
    return offer


def open_offer(invoice: Invoice, today: date) -> SettlementOffer | None:
    """The offer the patient's bill shows `today`, if any."""
    for offer in offers_for(invoice):
        if _payable(offer, today):
            return offer
    return None


def _payable(offer: SettlementOffer, today: date) -> bool:
    invoice = offer.invoice
    if (
        offer.status != OfferStatus.OPEN
        or offer.expires_on < today
        or invoice.status != InvoiceStatus.OPEN
    ):
        return False
    return offer_payable(offer, today, invoice, ledger.balance(invoice.id), _linked_status(offer))


def _linked_status(offer: SettlementOffer, known: dict[int, str] | None = None) -> str | None:
    if offer.payment_id is None:
        return None
    if known is not None and offer.payment_id in known:
        return known[offer.payment_id]
    return db.session.scalar(select(Payment.status).where(Payment.id == offer.payment_id))


def _held(offer: SettlementOffer, known: dict[int, str] | None = None) -> bool:
    """A payment of the offer is under way or made: it can no longer expire or be withdrawn."""
    status = _linked_status(offer, known)
    return status is not None and status not in DEAD


def offer_settlement(
    invoice: Invoice, amount_minor: int, expires_on: date, actor: Actor, today: date
) -> SettlementOffer:
    """Offer to settle `invoice` for `amount_minor` until `expires_on` (the caller commits)."""
    if invoice.status != InvoiceStatus.OPEN:
        raise IncentiveRefused(_l("Only an open invoice can have a settlement offer."))
    if not whole(amount_minor) or amount_minor <= 0:
        raise IncentiveRefused(_l("Enter an amount greater than zero."))
    if amount_minor >= ledger.balance(invoice.id):
        raise IncentiveRefused(_l("A settlement offer must be less than the balance."))
    if not isinstance(expires_on, date) or expires_on < today:
        raise IncentiveRefused(_l("The expiry date cannot be in the past."))
    expire_lapsed(today, invoice=invoice, actor=actor)
    if any(o.status == OfferStatus.OPEN for o in offers_for(invoice)):
        raise IncentiveRefused(_l("This invoice already has an open offer: withdraw it first."))
    offer = SettlementOffer(
        practice_id=invoice.practice_id,
        invoice_id=invoice.id,
        amount_minor=amount_minor,
        expires_on=expires_on,
        status=OfferStatus.OPEN,
        staff_id=int(actor.ref)
        if actor.kind == ActorKind.STAFF and (actor.ref or "").isdigit()
        else None,
    )
    db.session.add(offer)
    db.session.flush()
    audit.record(
        "settlement.offered",
        practice_id=invoice.practice_id,
        invoice_id=invoice.id,
        actor=actor,
        offer_id=offer.id,
        amount_minor=amount_minor,
        expires_on=expires_on.isoformat(),
    )
    return offer


def withdraw(offer: SettlementOffer, actor: Actor) -> None:
    """Open -> withdrawn, unless a payment of the offer is under way or made (caller commits)."""
    if offer.status != OfferStatus.OPEN:
        raise IncentiveRefused(_l("Only an open offer can be withdrawn."))
    if not move_offer(offer, "withdrawn", free_of_payments()):
        raise IncentiveRefused(_l("The patient is paying this offer: it cannot be withdrawn now."))
    audit.record(
        "settlement.withdrawn",
        practice_id=offer.practice_id,
        invoice_id=offer.invoice_id,
        actor=actor,
        offer_id=offer.id,
    )


def expire_lapsed(today: date, *, invoice: Invoice | None = None, actor: Actor = SYSTEM) -> int:
    """Move open offers past their expiry date to "expired" (all practices, or one invoice's);
    an offer whose payment is under way is left alone. Returns how many moved; the caller
    commits."""
    query = db.select(SettlementOffer).where(
        SettlementOffer.status == OfferStatus.OPEN, SettlementOffer.expires_on < today
    )
    if invoice is not None:
        query = query.where(SettlementOffer.invoice_id == invoice.id)
    moved = 0
    for offer in db.session.scalars(query).all():
        if move_offer(offer, "expired", free_of_payments()):
            moved += 1
            audit.record(
                "settlement.expired",
                practice_id=offer.practice_id,
                invoice_id=offer.invoice_id,
                actor=actor,
                offer_id=offer.id,
            )
    return moved


def pay_settlement(
    offer: SettlementOffer, saved: SavedMethod, actor: Actor, today: date
) -> Outcome:
    """Charge the offer's amount; refused with reason "offer_unavailable" when it is
    expired, withdrawn, accepted or no longer below the balance."""
    invoice = offer.invoice
    if offer.status == OfferStatus.OPEN and offer.expires_on < today:
        expire_lapsed(today, invoice=invoice, actor=actor)
        # the lapse is recorded before the payment is refused
        db.session.commit()
    if not _payable(offer, today):
        raise PaymentRefused(OFFER_UNAVAILABLE)
    balance = ledger.balance(invoice.id)
    claim = Claim(
        invoice_id=invoice.id,
        purpose=SETTLEMENT,
        balance_minor=balance,
        forgive_minor=balance - offer.amount_minor,
        actor=actor,
        offer_id=offer.id,
    )
    outcome = charge(invoice, saved, actor, offer.amount_minor, claim)
    db.session.refresh(offer)
    on_payment_succeeded(outcome.payment, actor)
    return outcome
