"""What the patient is told when a payment cannot go ahead: by Saldo's reason, and by every
error, decline and authentication code Stripe (or Stripe.js in the page) can report."""

from flask_babel import lazy_gettext as _l

from portal.services.core.refusals import PaymentReason

REFUSALS = {
    PaymentReason.NOTHING_DUE: _l("There is nothing left to pay on this bill."),
    PaymentReason.IN_PROGRESS: _l(
        "A payment for this bill is already being processed. Please wait a moment and reload."
    ),
    PaymentReason.METHOD: _l("This payment method is not available for this bill."),
    PaymentReason.SETUP: _l(
        "We could not use this payment method. Please check the details and try again."
    ),
    PaymentReason.DECLINED: _l(
        "Your bank declined the payment. No money was taken. "
        "Please try another card or contact your bank."
    ),
    PaymentReason.UNAVAILABLE: _l(
        "We could not reach the payment service. No money was taken. "
        "Please try again in a few minutes."
    ),
}

_AUTHENTICATION_AT_SETUP = _l(
    "Your bank could not confirm it was you, so the card was not saved and nothing was "
    "charged. Please try again and complete your bank's check, or use another card."
)
_AUTHENTICATION_AT_PAYMENT = _l(
    "Your bank could not confirm it was you, so the payment was not made. Please try again."
)
_LOST = _l(
    "Your bank declined this card. No money was taken. Please use another card, and "
    "contact your bank if you do not know why."
)
_INCORRECT_NUMBER = _l("The card number is not correct. Please check it and try again.")
_INCORRECT_CVC = _l(
    "The security code (CVC) is not correct. It is the 3 or 4 digits on the card. "
    "Please check it and try again."
)
_INCORRECT_EXPIRY = _l("The expiry date is not correct. Please check it and try again.")
_INCOMPLETE = _l("Some card details are missing. Please fill in every field.")
_INCORRECT_ZIP = _l("The postal code does not match the card. Please check it and try again.")
_IBAN = _l("The IBAN is not valid. Please check it and try again.")
_BUSY = _l("The payment service is busy. No money was taken. Please try again in a minute.")
_PROCESSING = _l(
    "Your bank could not process the card just now. No money was taken. "
    "Please try again, or use another card."
)
_NOT_SUPPORTED = _l(
    "This card cannot be used for this payment. No money was taken. Please use another card."
)
_LIMIT = _l(
    "The card has reached its spending limit. No money was taken. Please use another card "
    "or contact your bank."
)
_PIN = _l(
    "Your bank asks for the card's PIN, which cannot be entered online. No money was taken. "
    "Please use another card."
)
_ASK_AGAIN = _l("The payment was interrupted before it finished. Please try again.")

#: Stripe's error codes (`error.code`) and the bank's decline codes (`decline_code`)
FAILURES = {
    "insufficient_funds": _l(
        "The payment was declined for insufficient funds. No money was taken."
    ),
    "expired_card": _l("The card has expired. No money was taken. Please use another card."),
    "payment_intent_authentication_failure": _AUTHENTICATION_AT_PAYMENT,
    "authentication_required": _AUTHENTICATION_AT_PAYMENT,
    "setup_intent_authentication_failure": _AUTHENTICATION_AT_SETUP,
    "gateway_unavailable": REFUSALS[PaymentReason.UNAVAILABLE],
    "api_connection_error": REFUSALS[PaymentReason.UNAVAILABLE],
    "api_error": REFUSALS[PaymentReason.UNAVAILABLE],
    "rate_limit": _BUSY,
    "lock_timeout": _BUSY,
    "processing_error": _PROCESSING,
    "issuer_not_available": _PROCESSING,
    "reenter_transaction": _PROCESSING,
    "try_again_later": _PROCESSING,
    "lost_card": _LOST,
    "stolen_card": _LOST,
    "pickup_card": _LOST,
    "restricted_card": _LOST,
    "fraudulent": _LOST,
    "merchant_blacklist": _LOST,
    "security_violation": _LOST,
    "incorrect_number": _INCORRECT_NUMBER,
    "invalid_number": _INCORRECT_NUMBER,
    "incomplete_number": _INCOMPLETE,
    "incorrect_cvc": _INCORRECT_CVC,
    "invalid_cvc": _INCORRECT_CVC,
    "incomplete_cvc": _INCOMPLETE,
    "invalid_expiry_month": _INCORRECT_EXPIRY,
    "invalid_expiry_year": _INCORRECT_EXPIRY,
    "invalid_expiry_year_past": _INCORRECT_EXPIRY,
    "incomplete_expiry": _INCOMPLETE,
    "incorrect_zip": _INCORRECT_ZIP,
    "incomplete_zip": _INCOMPLETE,
    "postal_code_invalid": _INCORRECT_ZIP,
    "invalid_bank_account_iban": _IBAN,
    "incomplete_iban": _IBAN,
    "invalid_iban": _IBAN,
    "card_not_supported": _NOT_SUPPORTED,
    "currency_not_supported": _NOT_SUPPORTED,
    "transaction_not_allowed": _NOT_SUPPORTED,
    "service_not_allowed": _NOT_SUPPORTED,
    "card_velocity_exceeded": _LIMIT,
    "withdrawal_count_limit_exceeded": _LIMIT,
    "offline_pin_required": _PIN,
    "online_or_offline_pin_required": _PIN,
    "setup_intent_unexpected_state": _ASK_AGAIN,
    "payment_intent_unexpected_state": _ASK_AGAIN,
}

#: decline codes that mean "declined, no reason given": the general decline message
GENERIC_DECLINES = {
    "card_declined",
    "generic_decline",
    "do_not_honor",
    "do_not_try_again",
    "call_issuer",
    "no_action_taken",
    "not_permitted",
    "revocation_of_authorization",
    "revocation_of_all_authorizations",
    "stop_payment_order",
    "new_account_information_available",
    "invalid_account",
    "invalid_amount",
    "approve_with_id",
    "testmode_decline",
    "declined",
}

DEFAULT_FAILURE = _l("The payment did not go through. No money was taken. Please try again.")


def refusal(reason: str, detail: str | None = None) -> str:
    if reason == PaymentReason.DECLINED and detail:
        return failure(detail)
    if reason == PaymentReason.SETUP and detail:
        return setup_failure(detail)
    return str(REFUSALS.get(reason, DEFAULT_FAILURE))


def failure(code: str | None) -> str:
    """The message for a payment that failed with Stripe's `code` (error or decline code)."""
    if code in FAILURES:
        return str(FAILURES[code])
    if code in GENERIC_DECLINES:
        return str(REFUSALS[PaymentReason.DECLINED])
    return str(DEFAULT_FAILURE)


def setup_failure(code: str | None, decline_code: str | None = None) -> str:
    """The message for a card or IBAN that could not be saved: the bank's decline code first,
    then Stripe's error code; an unknown code asks to check the details."""
    for candidate in (decline_code, code):
        if candidate in FAILURES:
            return str(FAILURES[candidate])
        if candidate in GENERIC_DECLINES:
            return str(
                _l(
                    "Your bank declined this card, so it was not saved and nothing was "
                    "charged. Please try another card or contact your bank."
                )
            )
    return str(REFUSALS[PaymentReason.SETUP])


def session_ended() -> str:
    return str(
        _l(
            "For your security, your session ended after a while without activity. Nothing "
            "was charged. Open your bill again to continue."
        )
    )
