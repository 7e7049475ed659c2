"""What the patient is told when a payment cannot go ahead, by reason and bank code."""

from flask_babel import lazy_gettext as _l

REFUSALS = {
    "nothing_due": _l("There is nothing left to pay on this bill."),
    "in_progress": _l(
        "A payment for this bill is already being processed. Please wait a moment and reload."
    ),
    "method": _l("This payment method is not available for this bill."),
    "setup": _l("We could not use this payment method. Please check the details and try again."),
    "declined": _l(
        "Your bank declined the payment. No money was taken. "
        "Please try another card or contact your bank."
    ),
    "unavailable": _l(
        "We could not reach the payment service. No money was taken. "
        "Please try again in a few minutes."
    ),
}

FAILURES = {
    "insufficient_funds": _l(
        "The payment was declined for insufficient funds. No money was taken."
    ),
    "expired_card": _l("The card has expired. No money was taken. Please use another card."),
    "payment_intent_authentication_failure": _l(
        "Your bank could not confirm it was you, so the payment was not made. Please try again."
    ),
    "gateway_unavailable": REFUSALS["unavailable"],
}

DEFAULT_FAILURE = _l("The payment did not go through. No money was taken. Please try again.")


def refusal(reason: str, detail: str | None = None) -> str:
    if reason == "declined" and detail in FAILURES:
        return str(FAILURES[detail])
    return str(REFUSALS.get(reason, DEFAULT_FAILURE))


def failure(code: str | None) -> str:
    if code in FAILURES:
        return str(FAILURES[code])
    if code == "card_declined":
        return str(REFUSALS["declined"])
    return str(DEFAULT_FAILURE)
