"""Incentives to pay: the practice's early-payment discount, settlement offers on an invoice,
and the deposit a large balance needs before a payment plan.

Early-payment discount. A practice may take `percent` off the balance when the patient pays
it in full, in one payment, by `issued_on + within_days` (that day included, in the
practice's time zone). It never applies to a plan: not once a plan has taken a payment, and
a plan payer's instalments are never discounted (`forgone_discount_minor` is what a plan
payer gives up, for the Truth in Lending finance charge). It applies once per invoice.

Rounding. The discount is ``balance * percent / 100`` minor units rounded half up, so a half
cent goes to the patient: 5 % of €154.50 is 772.5 cents, a discount of €7.73 and €146.77 to
pay. The amount charged is the balance minus that discount, both whole minor units, so the
payment and the discount entry add up to the balance exactly. A discount of nothing, or of
the whole balance, is not offered.

Settlement offer. Staff offer to close the invoice for an amount below the balance until an
expiry date (included). The patient accepts by paying exactly that amount, once. The payment
is booked as a "payment" by `payments`; the rest of the balance is forgiven with a
"settlement" entry, so the balance is zero and the invoice is paid.

How a discounted or settlement payment is made. `pay_discounted` and `pay_settlement` call
`payments.charge` for the amount computed here, with the payment's purpose and a claim that
runs in the same transaction as the in-flight payment row: it re-reads the balance the
amount was computed from (refusing if it moved), claims the settlement offer by
compare-and-set (one live payment per offer), and writes a
"discount.claimed" / "settlement.claimed" audit event holding what is to be forgiven. When
the payment succeeds, by the page's read-back, the webhook or synchronously,
`on_payment_succeeded` books that amount (never more than what is still owed) once: the
ledger holds at most one entry per payment and kind.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError

from portal.extensions import db
from portal.models import (
    DiscountPolicy,
    Invoice,
    LedgerEntry,
    Payment,
    PaymentTerms,
    Plan,
    SettlementOffer,
)
from portal.models.payment import IN_FLIGHT
from portal.services.billing import invoices, ledger
from portal.services.core import audit
from portal.services.core.audit import SYSTEM, Actor
from portal.services.payments import payments
from portal.services.payments.payments import Outcome, PaymentRefused, SavedMethod
from portal.services.plans import installments

DISCOUNTED, SETTLEMENT = "discounted", "settlement"
#: refusal reasons added to those of `payments.PaymentRefused`
DISCOUNT_UNAVAILABLE, OFFER_UNAVAILABLE = "discount_unavailable", "offer_unavailable"
#: plan statuses after which the invoice is being paid by a plan: no discount any more
_PLAN_TOOK_OVER = ("active", "past_due", "completed")
#: payment statuses that no longer hold a settlement offer
_DEAD = ("failed", "canceled")

MAX_DISCOUNT_DAYS = 365


class IncentiveRefused(ValueError):
    """Bad input from staff; the message is translated and nothing was changed."""


# --- early-payment discount -------------------------------------------------------------


@dataclass(frozen=True)
class Discount:
    percent: int
    #: the last day (practice's time zone) on which paying in full earns the discount
    deadline: date
    balance_minor: int
    discount_minor: int
    currency: str

    @property
    def pay_minor(self) -> int:
        return self.balance_minor - self.discount_minor


def discount_minor(balance_minor: int, percent: int) -> int:
    """`percent` of `balance_minor`, in minor units, rounded half up (in the patient's favour)."""
    if balance_minor <= 0:
        return 0
    whole, rest = divmod(balance_minor * percent, 100)
    return whole + (1 if rest * 2 >= 100 else 0)


def discount_policy(practice_id: int) -> DiscountPolicy | None:
    """The practice's stored policy row (discount switched on or off, deposit rule)."""
    return db.session.scalar(db.select(DiscountPolicy).filter_by(practice_id=practice_id))


def deadline(invoice: Invoice, policy: DiscountPolicy) -> date:
    return invoice.issued_on + timedelta(days=policy.within_days)


def early_discount(invoice: Invoice, today: date) -> Discount | None:
    """The discount for paying the whole balance in one payment `today`, if one applies."""
    policy = discount_policy(invoice.practice_id)
    if policy is None or not policy.enabled or invoice.status != "open":
        return None
    if today > deadline(invoice, policy) or _plan_took_over(invoice) or _discount_used(invoice):
        return None
    return discount_for(policy, invoice, today, ledger.balance(invoice.id))


def discount_for(
    policy: DiscountPolicy | None, invoice: Invoice, today: date, balance_minor: int
) -> Discount | None:
    """The discount `policy` gives on `balance_minor` `today`, once the caller knows that no
    plan took over and no discount was used (the rule of `early_discount` on loaded facts)."""
    if policy is None or not policy.enabled or invoice.status != "open":
        return None
    last_day = deadline(invoice, policy)
    off = discount_minor(balance_minor, policy.percent)
    if today > last_day or not 0 < off < balance_minor:
        return None
    return Discount(policy.percent, last_day, balance_minor, off, invoice.currency)


def forgone_discount_minor(invoice: Invoice, today: date) -> int:
    """What a patient who chooses a plan `today` gives up: the early-payment discount they
    would get by paying in full now (0 when none applies). Regulation Z counts a discount
    forgone by a credit customer as a finance charge."""
    offer = early_discount(invoice, today)
    return offer.discount_minor if offer else 0


def _plan_took_over(invoice: Invoice) -> bool:
    query = select(Plan.id).where(Plan.invoice_id == invoice.id, Plan.status.in_(_PLAN_TOOK_OVER))
    return db.session.scalar(query.limit(1)) is not None


def _discount_used(invoice: Invoice) -> bool:
    used = select(Payment.id).where(
        Payment.invoice_id == invoice.id,
        Payment.purpose == DISCOUNTED,
        Payment.status.in_(("succeeded", *IN_FLIGHT)),
    )
    booked = select(LedgerEntry.id).where(
        LedgerEntry.invoice_id == invoice.id, LedgerEntry.kind == "discount"
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
    claim = _Claim(
        invoice_id=invoice.id,
        purpose=DISCOUNTED,
        balance_minor=offer.balance_minor,
        forgive_minor=offer.discount_minor,
        actor=actor,
        percent=offer.percent,
    )
    outcome = _charge(invoice, saved, actor, offer.pay_minor, claim)
    on_payment_succeeded(outcome.payment, actor)
    return outcome


# --- deposit rule ------------------------------------------------------------------------


def minimum_deposit(practice_id: int, balance_minor: int) -> int | None:
    """The least down payment a plan needs for `balance_minor` under the practice's deposit
    rule: `deposit_percent` of the balance, rounded up to the minor unit, once the balance is
    at least `deposit_threshold_minor`; None when no rule applies."""
    return deposit_for(discount_policy(practice_id), balance_minor)


def deposit_for(policy: DiscountPolicy | None, balance_minor: int) -> int | None:
    """`minimum_deposit` under an already loaded `policy`."""
    if (
        policy is None
        or policy.deposit_threshold_minor is None
        or not policy.deposit_percent
        or balance_minor < policy.deposit_threshold_minor
    ):
        return None
    return -(-balance_minor * policy.deposit_percent // 100)


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
    if not _whole(percent) or not 1 <= percent <= 50:
        raise IncentiveRefused(_l("The discount is a whole percentage from 1 to 50."))
    if not _whole(within_days) or not 1 <= within_days <= MAX_DISCOUNT_DAYS:
        raise IncentiveRefused(_l("The number of days is from 1 to 365."))
    if (deposit_threshold_minor is None) != (deposit_percent is None):
        raise IncentiveRefused(
            _l("For a deposit rule, give both the balance it starts from and the percentage.")
        )
    if deposit_threshold_minor is not None and (
        not _whole(deposit_threshold_minor) or deposit_threshold_minor <= 0
    ):
        raise IncentiveRefused(_l("Enter an amount greater than zero."))
    if deposit_percent is not None and not (_whole(deposit_percent) and 1 <= deposit_percent <= 99):
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


def _whole(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


# --- settlement offers -------------------------------------------------------------------


def offers_for(invoice: Invoice) -> list[SettlementOffer]:
    query = db.select(SettlementOffer).filter_by(invoice_id=invoice.id)
    return list(db.session.scalars(query.order_by(SettlementOffer.id.desc())))


def status_of(offer: SettlementOffer, today: date) -> str:
    """The stored status, except that an open offer past its expiry date reads "expired"
    (the row itself moves when something touches it, see `expire_lapsed`)."""
    if offer.status == "open" and offer.expires_on < today and not _held(offer):
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
    if offer.status != "open" or offer.expires_on < today or invoice.status != "open":
        return False
    return offer_payable(offer, today, invoice, ledger.balance(invoice.id), _linked_status(offer))


def offer_payable(
    offer: SettlementOffer,
    today: date,
    invoice: Invoice,
    balance_minor: int,
    payment_status: str | None,
) -> bool:
    """Whether the patient can pay `offer` `today`, given the invoice's balance and the status
    of the offer's payment (None when it has none)."""
    return (
        offer.status == "open"
        and offer.expires_on >= today
        and invoice.status == "open"
        and 0 < offer.amount_minor < balance_minor
        and payment_status != "succeeded"
    )


def _linked_status(offer: SettlementOffer) -> str | None:
    if offer.payment_id is None:
        return None
    return db.session.scalar(select(Payment.status).where(Payment.id == offer.payment_id))


def _held(offer: SettlementOffer) -> bool:
    """A payment of the offer is under way or made: it can no longer expire or be withdrawn."""
    status = _linked_status(offer)
    return status is not None and status not in _DEAD


def _free_of_payments():
    """SQL: the offer has no payment, or only one that failed or was cancelled."""
    dead = select(Payment.id).where(Payment.status.in_(_DEAD))
    return or_(SettlementOffer.payment_id.is_(None), SettlementOffer.payment_id.in_(dead))


def offer_settlement(
    invoice: Invoice, amount_minor: int, expires_on: date, actor: Actor, today: date
) -> SettlementOffer:
    """Offer to settle `invoice` for `amount_minor` until `expires_on` (the caller commits)."""
    if invoice.status != "open":
        raise IncentiveRefused(_l("Only an open invoice can have a settlement offer."))
    if not _whole(amount_minor) or amount_minor <= 0:
        raise IncentiveRefused(_l("Enter an amount greater than zero."))
    if amount_minor >= ledger.balance(invoice.id):
        raise IncentiveRefused(_l("A settlement offer must be less than the balance."))
    if not isinstance(expires_on, date) or expires_on < today:
        raise IncentiveRefused(_l("The expiry date cannot be in the past."))
    expire_lapsed(today, invoice=invoice, actor=actor)
    if any(o.status == "open" for o in offers_for(invoice)):
        raise IncentiveRefused(_l("This invoice already has an open offer: withdraw it first."))
    offer = SettlementOffer(
        practice_id=invoice.practice_id,
        invoice_id=invoice.id,
        amount_minor=amount_minor,
        expires_on=expires_on,
        status="open",
        staff_id=int(actor.ref) if actor.kind == "staff" and (actor.ref or "").isdigit() else None,
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
    if offer.status != "open":
        raise IncentiveRefused(_l("Only an open offer can be withdrawn."))
    if not _move_offer(offer, "withdrawn", _free_of_payments()):
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
        SettlementOffer.status == "open", SettlementOffer.expires_on < today
    )
    if invoice is not None:
        query = query.where(SettlementOffer.invoice_id == invoice.id)
    moved = 0
    for offer in db.session.scalars(query).all():
        if _move_offer(offer, "expired", _free_of_payments()):
            moved += 1
            audit.record(
                "settlement.expired",
                practice_id=offer.practice_id,
                invoice_id=offer.invoice_id,
                actor=actor,
                offer_id=offer.id,
            )
    return moved


def _move_offer(offer: SettlementOffer, target: str, *conditions) -> bool:
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


def pay_settlement(
    offer: SettlementOffer, saved: SavedMethod, actor: Actor, today: date
) -> Outcome:
    """Charge the offer's amount; refused with reason "offer_unavailable" when it is
    expired, withdrawn, accepted or no longer below the balance."""
    invoice = offer.invoice
    if offer.status == "open" and offer.expires_on < today:
        expire_lapsed(today, invoice=invoice, actor=actor)
        db.session.commit()
    if not _payable(offer, today):
        raise PaymentRefused(OFFER_UNAVAILABLE)
    balance = ledger.balance(invoice.id)
    claim = _Claim(
        invoice_id=invoice.id,
        purpose=SETTLEMENT,
        balance_minor=balance,
        forgive_minor=balance - offer.amount_minor,
        actor=actor,
        offer_id=offer.id,
    )
    outcome = _charge(invoice, saved, actor, offer.amount_minor, claim)
    db.session.refresh(offer)
    on_payment_succeeded(outcome.payment, actor)
    return outcome


# --- booking a successful discounted or settlement payment -------------------------------


def on_payment_succeeded(payment: Payment, actor: Actor = SYSTEM) -> None:
    """Book what a succeeded "discounted" or "settlement" payment forgives: a "discount" or
    "settlement" ledger entry for the rest of the balance (at most what was promised when
    the payment started), the offer accepted, the invoice paid. Idempotent; commits.

    Called by `payments.apply_intent` after every successful payment; other payments are
    ignored."""
    if payment.purpose not in (DISCOUNTED, SETTLEMENT) or payment.status != "succeeded":
        return
    kind = "discount" if payment.purpose == DISCOUNTED else "settlement"
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
        if kind == "settlement":
            changed = _accept(payment, actor) or changed
        changed = invoices.settle_if_paid(invoice, actor) or changed
        db.session.commit()
    except IntegrityError:
        # another process booked this payment at the same moment
        db.session.rollback()
        return
    if changed and kind == "settlement":
        # a settled invoice's running plan is finished: nothing more will be charged
        installments.on_payment_succeeded(payment)


def _memo(kind: str, claim: dict | None) -> str | None:
    if claim and kind == "discount" and claim.get("percent"):
        return f"Early-payment discount {claim['percent']}%"
    if claim and kind == "settlement" and claim.get("offer_id"):
        return f"Settlement offer {claim['offer_id']}"
    return None


def _booked(payment: Payment, kind: str) -> bool:
    query = select(LedgerEntry.id).where(
        LedgerEntry.payment_id == payment.id, LedgerEntry.kind == kind
    )
    return db.session.scalar(query) is not None


def _accept(payment: Payment, actor: Actor) -> bool:
    offer = db.session.scalar(db.select(SettlementOffer).filter_by(payment_id=payment.id))
    if offer is None or offer.status == "accepted":
        return False
    if not _move_offer(offer, "accepted", SettlementOffer.payment_id == payment.id):
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


# --- claiming: the payment row, its purpose and what it forgives, in one transaction ------


@dataclass(frozen=True)
class _Claim:
    invoice_id: int
    purpose: str
    #: the balance the amount was computed from: the claim is refused if it has moved
    balance_minor: int
    #: what the ledger forgives once the payment succeeds
    forgive_minor: int
    actor: Actor
    offer_id: int | None = None
    percent: int | None = None


def _charge(
    invoice: Invoice, saved: SavedMethod, actor: Actor, amount_minor: int, claim: _Claim
) -> Outcome:
    return payments.charge(
        invoice,
        saved,
        actor,
        amount_minor=amount_minor,
        purpose=claim.purpose,
        on_claim=lambda payment: _take(claim, payment),
    )


def _take(claim: _Claim, payment: Payment) -> None:
    """Inside the payment row's transaction: the balance must not have moved, the offer must
    still be free; record what the payment will forgive."""
    if ledger.balance(claim.invoice_id) != claim.balance_minor:
        raise PaymentRefused(DISCOUNT_UNAVAILABLE if claim.purpose == DISCOUNTED else "nothing_due")
    if claim.offer_id is not None:
        taken = db.session.execute(
            update(SettlementOffer)
            .where(
                SettlementOffer.id == claim.offer_id,
                SettlementOffer.status == "open",
                _free_of_payments(),
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
