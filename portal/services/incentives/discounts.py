"""The early-payment discount and the deposit rule of a practice: its stored policy, whether
an invoice's discount applies today, and paying the discounted balance."""

from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from portal.extensions import db
from portal.models import DiscountPolicy, Invoice, LedgerEntry, Payment, Plan
from portal.models.invoice import InvoiceStatus
from portal.models.ledger import LedgerKind
from portal.models.payment import IN_FLIGHT, PaymentStatus
from portal.services.billing import ledger
from portal.services.core import audit
from portal.services.core.audit import Actor
from portal.services.incentives.booking import on_payment_succeeded
from portal.services.incentives.claims import Claim, charge
from portal.services.incentives.rules import (
    DISCOUNT_UNAVAILABLE,
    DISCOUNTED,
    MAX_DISCOUNT_DAYS,
    PLAN_TOOK_OVER,
    Discount,
    IncentiveRefused,
    deadline,
    deposit_for,
    discount_for,
    whole,
)
from portal.services.payments.payments import Outcome, PaymentRefused, SavedMethod


def discount_policy(practice_id: int) -> DiscountPolicy | None:
    """The practice's stored policy row (discount switched on or off, deposit rule)."""
    return db.session.scalar(db.select(DiscountPolicy).filter_by(practice_id=practice_id))


def early_discount(invoice: Invoice, today: date) -> Discount | None:
    """The discount for paying the whole balance in one payment `today`, if one applies."""
    policy = discount_policy(invoice.practice_id)
    if policy is None or not policy.enabled or invoice.status != InvoiceStatus.OPEN:
        return None
    if today > deadline(invoice, policy) or _plan_took_over(invoice) or _discount_used(invoice):
        return None
    return discount_for(policy, invoice, today, ledger.balance(invoice.id))


def forgone_discount_minor(invoice: Invoice, today: date) -> int:
    """What a patient who chooses a plan `today` gives up: the early-payment discount they
    would get by paying in full now (0 when none applies). Regulation Z counts a discount
    forgone by a credit customer as a finance charge."""
    offer = early_discount(invoice, today)
    return offer.discount_minor if offer else 0


def _plan_took_over(invoice: Invoice) -> bool:
    query = select(Plan.id).where(Plan.invoice_id == invoice.id, Plan.status.in_(PLAN_TOOK_OVER))
    return db.session.scalar(query.limit(1)) is not None


def _discount_used(invoice: Invoice) -> bool:
    used = select(Payment.id).where(
        Payment.invoice_id == invoice.id,
        Payment.purpose == DISCOUNTED,
        Payment.status.in_((PaymentStatus.SUCCEEDED, *IN_FLIGHT)),
    )
    booked = select(LedgerEntry.id).where(
        LedgerEntry.invoice_id == invoice.id, LedgerEntry.kind == LedgerKind.DISCOUNT
    )
    return (
        db.session.scalar(used.limit(1)) is not None
        or db.session.scalar(booked.limit(1)) is not None
    )


def pay_discounted(invoice: Invoice, saved: SavedMethod, actor: Actor, today: date) -> Outcome:
    """Charge the discounted amount of the whole balance; refused with reason
    "discount_unavailable" when the discount does not apply `today`."""
    offer = early_discount(invoice, today)
    if offer is None:
        raise PaymentRefused(DISCOUNT_UNAVAILABLE)
    claim = Claim(
        invoice_id=invoice.id,
        purpose=DISCOUNTED,
        balance_minor=offer.balance_minor,
        forgive_minor=offer.discount_minor,
        actor=actor,
        percent=offer.percent,
    )
    outcome = charge(invoice, saved, actor, offer.pay_minor, claim)
    on_payment_succeeded(outcome.payment, actor)
    return outcome


# --- deposit rule ------------------------------------------------------------------------


def minimum_deposit(practice_id: int, balance_minor: int) -> int | None:
    """The least down payment a plan needs for `balance_minor` under the practice's deposit
    rule: `deposit_percent` of the balance, rounded up to the minor unit, once the balance is
    at least `deposit_threshold_minor`; None when no rule applies."""
    return deposit_for(discount_policy(practice_id), balance_minor)


def save_policy(
    practice_id: int,
    *,
    enabled: bool,
    percent: int,
    within_days: int,
    deposit_threshold_minor: int | None,
    deposit_percent: int | None,
    actor: Actor,
) -> DiscountPolicy:
    """Create or replace the practice's discount and deposit settings (the caller commits)."""
    if not whole(percent) or not 1 <= percent <= 50:
        raise IncentiveRefused(_l("The discount is a whole percentage from 1 to 50."))
    if not whole(within_days) or not 1 <= within_days <= MAX_DISCOUNT_DAYS:
        raise IncentiveRefused(_l("The number of days is from 1 to 365."))
    if (deposit_threshold_minor is None) != (deposit_percent is None):
        raise IncentiveRefused(
            _l("For a deposit rule, give both the balance it starts from and the percentage.")
        )
    if deposit_threshold_minor is not None and (
        not whole(deposit_threshold_minor) or deposit_threshold_minor <= 0
    ):
        raise IncentiveRefused(_l("Enter an amount greater than zero."))
    if deposit_percent is not None and not (whole(deposit_percent) and 1 <= deposit_percent <= 99):
        raise IncentiveRefused(_l("The deposit is a whole percentage from 1 to 99."))
    policy = discount_policy(practice_id) or DiscountPolicy(practice_id=practice_id)
    policy.enabled = bool(enabled)
    policy.percent, policy.within_days = percent, within_days
    policy.deposit_threshold_minor = deposit_threshold_minor
    policy.deposit_percent = deposit_percent
    db.session.add(policy)
    audit.record(
        "discount_policy.updated",
        practice_id=practice_id,
        actor=actor,
        enabled=policy.enabled,
        percent=percent,
        within_days=within_days,
        deposit_threshold_minor=deposit_threshold_minor,
        deposit_percent=deposit_percent,
    )
    return policy
