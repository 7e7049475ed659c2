"""The one base of the refusals services raise when a domain rule says no.

Each domain's refusal (`PaymentRefused`, `PlanRefused`, `HoldRefused`...) derives from
`Refused`; its `code` names the domain (or, for payments, the reason) and its message, when
it has one, is translated for the person who asked. A view catches `Refused`, rolls back and
shows the message; nothing was changed.
"""

from enum import StrEnum


class RefusalCode(StrEnum):
    """The domain that refused: each `Refused` subclass has its own (payments say their
    reason instead, a `PaymentReason`)."""

    REFUSED = "refused"
    ALERT = "alert"
    BRANDING = "branding"
    CADENCE = "cadence"
    CALL = "call"
    CSV = "csv"
    FISCAL = "fiscal"
    FISCAL_EXPORT = "fiscal_export"
    HOLD = "hold"
    INCENTIVE = "incentive"
    INVOICE = "invoice"
    MONEY = "money"
    PARTIAL = "partial"
    PATIENT = "patient"
    PLAN = "plan"
    PREFERENCE = "preference"
    QUESTION = "question"
    SEND = "send"
    SIGNING = "signing"
    STAFF = "staff"
    STRIPE_ACCOUNT = "stripe_account"
    STRIPE_EVENT = "stripe_event"


class PaymentReason(StrEnum):
    """Why a payment cannot go ahead: the `code` of a `PaymentRefused`."""

    NOTHING_DUE = "nothing_due"
    IN_PROGRESS = "in_progress"
    METHOD = "method"
    SETUP = "setup"
    DECLINED = "declined"
    UNAVAILABLE = "unavailable"
    AMOUNT_CHANGED = "amount_changed"
    DISCOUNT_UNAVAILABLE = "discount_unavailable"
    OFFER_UNAVAILABLE = "offer_unavailable"


class Refused(Exception):
    """A domain rule refused the request; nothing was changed."""

    #: what refused, e.g. "plan", "hold"; subclasses set it
    code: str = RefusalCode.REFUSED
