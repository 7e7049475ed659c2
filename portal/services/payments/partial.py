"""Paying part of a balance, when the practice allows it.

A practice turns partial payments on by setting the smallest amount a patient may pay
(`Practice.partial_payment_minimum_minor`). The patient chooses an amount on the bill; it is
checked here against the balance and that minimum (paying the whole remaining balance is always
allowed, even below the minimum), then charged through `payments.charge` like any other payment,
so the ledger, receipts, events and reminders treat it as one.
"""

from dataclasses import dataclass
from enum import StrEnum

from flask_babel import gettext as _

from portal.extensions import db
from portal.i18n import money_filter
from portal.models import Invoice, Practice
from portal.models.invoice import InvoiceStatus
from portal.services.billing import ledger
from portal.services.core import audit
from portal.services.core.audit import Actor
from portal.services.core.refusals import PaymentReason, RefusalCode, Refused
from portal.services.payments import payments
from portal.services.payments.payments import Outcome, PaymentRefused, SavedMethod

#: Payment.purpose of a payment of part of the balance
PARTIAL = "partial"


class PartialReason(StrEnum):
    """Why a partial payment (or the practice's minimum) is refused."""

    OFF = "off"
    NOTHING_DUE = "nothing_due"
    TOO_SMALL = "too_small"
    TOO_LARGE = "too_large"
    #: the minimum typed on the settings page is not an amount
    AMOUNT = "amount"


class PartialRefused(Refused):
    """A partial payment that cannot go ahead; `message` is translated, `reason` is a
    `PartialReason`."""

    code = RefusalCode.PARTIAL

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason
        self.message = message


@dataclass(frozen=True)
class PartialRules:
    minimum_minor: int
    balance_minor: int
    currency: str

    @property
    def smallest_minor(self) -> int:
        """The least the patient may pay now: the minimum, or the balance if it is smaller."""
        return min(self.minimum_minor, self.balance_minor)


def rules_for(invoice: Invoice, balance_minor: int) -> PartialRules | None:
    """The partial-payment rules of `invoice` at `balance_minor`, or None when its practice
    does not allow them or nothing is due."""
    minimum = invoice.practice.partial_payment_minimum_minor
    if minimum is None or invoice.status != InvoiceStatus.OPEN or balance_minor <= 0:
        return None
    return PartialRules(minimum, balance_minor, invoice.currency)


def check_amount(invoice: Invoice, amount_minor: int) -> PartialRules:
    """The rules, if `amount_minor` may be paid now; otherwise PartialRefused with the reason
    the patient reads."""
    rules = rules_for(invoice, ledger.balance(invoice.id))
    if invoice.practice.partial_payment_minimum_minor is None:
        raise PartialRefused(
            PartialReason.OFF, _("This practice does not accept partial payments.")
        )
    if rules is None:
        raise PartialRefused(PartialReason.NOTHING_DUE, _("There is nothing to pay on this bill."))
    if amount_minor > rules.balance_minor:
        raise PartialRefused(
            PartialReason.TOO_LARGE,
            _(
                "Enter at most the balance due, %(amount)s.",
                amount=money_filter(rules.balance_minor, rules.currency),
            ),
        )
    if amount_minor < rules.smallest_minor:
        raise PartialRefused(
            PartialReason.TOO_SMALL,
            _(
                "Enter at least %(amount)s.",
                amount=money_filter(rules.smallest_minor, rules.currency),
            ),
        )
    return rules


def pay_part(invoice: Invoice, saved: SavedMethod, amount_minor: int, actor: Actor) -> Outcome:
    """Charge `amount_minor` of the balance to the saved method, after `check_amount`.

    A balance that fell below the amount since the page was shown is refused with
    "amount_changed" and the balance now due, so the patient confirms again."""
    try:
        check_amount(invoice, amount_minor)
    except PartialRefused as exc:
        if exc.reason == PartialReason.TOO_LARGE:
            raise PaymentRefused(
                PaymentReason.AMOUNT_CHANGED, str(ledger.balance(invoice.id))
            ) from exc
        raise
    return payments.charge(
        invoice,
        saved,
        actor,
        amount_minor=amount_minor,
        expected_minor=amount_minor,
        purpose=PARTIAL,
    )


def save_minimum(practice: Practice, minimum_minor: int | None, actor: Actor) -> None:
    """Allow partial payments of at least `minimum_minor` (None: turn them off). Does not
    commit."""
    if minimum_minor is not None and minimum_minor <= 0:
        raise PartialRefused(PartialReason.TOO_SMALL, _("Enter a minimum amount above zero."))
    practice.partial_payment_minimum_minor = minimum_minor
    audit.record(
        "practice.partial_payments",
        practice_id=practice.id,
        actor=actor,
        minimum_minor=minimum_minor,
    )
    db.session.flush()
