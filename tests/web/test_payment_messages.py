"""Every error, decline and authentication code Stripe can send the checkout has a message
of its own, translated, and accurate about whether money was taken."""

import pytest
from flask_babel import force_locale

from portal.patient.messages import (
    DEFAULT_FAILURE,
    FAILURES,
    GENERIC_DECLINES,
    REFUSALS,
    failure,
    refusal,
    setup_failure,
)


@pytest.fixture(scope="module")
def app(sqlite_url):
    """One app for the catalogs (the messages need no database)."""
    from tests.conftest import _make_app

    return _make_app(sqlite_url)


#: codes Stripe documents for card and SEPA errors the page or the server can receive
#: (https://docs.stripe.com/error-codes, https://docs.stripe.com/declines/codes)
DOCUMENTED = [
    "authentication_required", "approve_with_id", "call_issuer", "card_not_supported",
    "card_velocity_exceeded", "currency_not_supported", "do_not_honor", "do_not_try_again",
    "expired_card", "fraudulent", "generic_decline", "incorrect_cvc", "incorrect_number",
    "incorrect_zip", "insufficient_funds", "invalid_account", "invalid_amount",
    "invalid_cvc", "invalid_expiry_month", "invalid_expiry_year", "invalid_number",
    "issuer_not_available", "lost_card", "merchant_blacklist", "new_account_information_available",
    "no_action_taken", "not_permitted", "offline_pin_required", "online_or_offline_pin_required",
    "pickup_card", "processing_error", "reenter_transaction", "restricted_card",
    "revocation_of_all_authorizations", "revocation_of_authorization", "security_violation",
    "service_not_allowed", "stolen_card", "stop_payment_order", "testmode_decline",
    "transaction_not_allowed", "try_again_later", "withdrawal_count_limit_exceeded",
    "card_declined", "payment_intent_authentication_failure",
    "setup_intent_authentication_failure", "incomplete_number", "incomplete_cvc",
    "incomplete_expiry", "incomplete_zip", "invalid_expiry_year_past", "postal_code_invalid",
    "invalid_bank_account_iban", "incomplete_iban", "rate_limit", "processing_error",
    "setup_intent_unexpected_state", "payment_intent_unexpected_state", "api_connection_error",
]  # fmt: skip


@pytest.mark.parametrize("code", sorted(set(DOCUMENTED)))
def test_every_documented_code_has_its_own_message(app, code):
    assert code in FAILURES or code in GENERIC_DECLINES
    with app.test_request_context(), force_locale("en"):
        assert failure(code) != str(DEFAULT_FAILURE)
        assert setup_failure(None, code) != str(REFUSALS["setup"])


@pytest.mark.parametrize("code", sorted(FAILURES))
def test_every_message_is_translated(app, code):
    with app.test_request_context():
        with force_locale("en"):
            english = failure(code)
        with force_locale("it"):
            italian = failure(code)
    assert italian != english, code


def test_the_messages_say_what_happened(app):
    with app.test_request_context(), force_locale("en"):
        assert failure("lost_card") == (
            "Your bank declined this card. No money was taken. Please use another card, "
            "and contact your bank if you do not know why."
        )
        assert failure("do_not_honor") == (
            "Your bank declined the payment. No money was taken. "
            "Please try another card or contact your bank."
        )
        assert refusal("declined", "incorrect_cvc") == (
            "The security code (CVC) is not correct. It is the 3 or 4 digits on the card. "
            "Please check it and try again."
        )
        assert setup_failure("card_declined", "generic_decline") == (
            "Your bank declined this card, so it was not saved and nothing was charged. "
            "Please try another card or contact your bank."
        )
        assert refusal("setup", "setup_intent_authentication_failure").startswith(
            "Your bank could not confirm it was you, so the card was not saved"
        )
        assert failure(None) == failure("never_heard_of") == str(DEFAULT_FAILURE)
