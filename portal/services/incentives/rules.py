"""The pure rules of incentives, computed from loaded facts: the discount and its rounding, the
discount deadline, the deposit a plan needs, whether an offer can be paid; with the
purposes and refusal reasons the other modules use."""

from dataclasses import dataclass
from datetime import date, timedelta

from portal.models import DiscountPolicy, Invoice, SettlementOffer
from portal.models.invoice import InvoiceStatus
from portal.models.payment import PaymentStatus
from portal.models.settlement_offer import OfferStatus
from portal.services.core.refusals import PaymentReason, RefusalCode, Refused

DISCOUNTED, SETTLEMENT = "discounted", "settlement"
#: refusal reasons added to those of `payments.PaymentRefused`
DISCOUNT_UNAVAILABLE = PaymentReason.DISCOUNT_UNAVAILABLE
OFFER_UNAVAILABLE = PaymentReason.OFFER_UNAVAILABLE
#: plan statuses after which the invoice is being paid by a plan: no discount any more
PLAN_TOOK_OVER = ("active", "past_due", "completed")
#: payment statuses that no longer hold a settlement offer
DEAD = ("failed", "canceled")

MAX_DISCOUNT_DAYS = 365


class IncentiveRefused(Refused, ValueError):
    """Bad input from staff; the message is translated and nothing was changed."""

    code = RefusalCode.INCENTIVE


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


def deadline(invoice: Invoice, policy: DiscountPolicy) -> date:
    return invoice.issued_on + timedelta(days=policy.within_days)


def discount_for(
    policy: DiscountPolicy | None, invoice: Invoice, today: date, balance_minor: int
) -> Discount | None:
    """The discount `policy` gives on `balance_minor` `today`, once the caller knows that no
    plan took over and no discount was used (the rule of `early_discount` on loaded facts)."""
    if policy is None or not policy.enabled or invoice.status != InvoiceStatus.OPEN:
        return None
    last_day = deadline(invoice, policy)
    off = discount_minor(balance_minor, policy.percent)
    if today > last_day or not 0 < off < balance_minor:
        return None
    return Discount(policy.percent, last_day, balance_minor, off, invoice.currency)


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


def whole(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


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
        offer.status == OfferStatus.OPEN
        and offer.expires_on >= today
        and invoice.status == InvoiceStatus.OPEN
        and 0 < offer.amount_minor < balance_minor
        and payment_status != PaymentStatus.SUCCEEDED
    )
