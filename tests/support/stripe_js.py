"""What Stripe.js does in the patient's browser, done over HTTP against localstripe.

Used where a test needs a saved payment method without driving Chromium.
"""

import json
import re
import urllib.error
import urllib.request

PUBLISHABLE_KEY = "pk_test_saldo_demo"


def _post(url: str, body: dict) -> dict:
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return json.loads(exc.read())


def confirm_card_setup(base: str, client_secret: str, number: str, authenticate: bool = True):
    """confirmCardSetup: attach a card; for a 3-D Secure card, complete or fail the challenge."""
    seti = re.match(r"^(seti_\w+)_secret_", client_secret).group(1)
    body = {
        "key": PUBLISHABLE_KEY,
        "use_stripe_sdk": True,
        "client_secret": client_secret,
        "payment_method_data": {
            "type": "card",
            "card": {"number": number, "exp_month": "12", "exp_year": "2034", "cvc": "123"},
            "billing_details": {"address": {"postal_code": "00186"}},
        },
    }
    result = _post(f"{base}/v1/setup_intents/{seti}/confirm", body)
    if result.get("status") == "requires_action":
        action = "confirm" if authenticate else "cancel"
        result = _post(
            f"{base}/v1/setup_intents/{seti}/{action}",
            {"key": PUBLISHABLE_KEY, "use_stripe_sdk": True, "client_secret": client_secret},
        )
    return result


def confirm_sepa_setup(base: str, client_secret: str, iban: str):
    """confirmSepaDebitSetup with an IBAN and the account holder's details."""
    seti = re.match(r"^(seti_\w+)_secret_", client_secret).group(1)
    body = {
        "key": PUBLISHABLE_KEY,
        "use_stripe_sdk": True,
        "client_secret": client_secret,
        "payment_method_data": {
            "type": "sepa_debit",
            "sepa_debit": {"iban": iban},
            "billing_details": {"name": "Giulia Bianchi", "email": "giulia@example.org"},
        },
    }
    return _post(f"{base}/v1/setup_intents/{seti}/confirm", body)


def confirm_card_payment(base: str, client_secret: str, success: bool = True):
    """confirmCardPayment's 3-D Secure challenge, completed or failed."""
    pi = re.match(r"^(pi_\w+)_secret_", client_secret).group(1)
    flag = "true" if success else "false"
    return _post(
        f"{base}/v1/payment_intents/{pi}/_authenticate?success={flag}",
        {"key": PUBLISHABLE_KEY, "client_secret": client_secret},
    )


def get(base: str, path: str) -> dict:
    request = urllib.request.Request(
        f"{base}{path}", headers={"Authorization": "Bearer sk_test_saldo_demo"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def post_form(base: str, path: str, fields: dict) -> dict:
    """A server-side call to localstripe, as the Stripe Dashboard or another tool makes it."""
    from urllib.parse import urlencode

    request = urllib.request.Request(
        f"{base}{path}",
        data=urlencode(fields).encode(),
        method="POST",
        headers={"Authorization": "Bearer sk_test_saldo_demo"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())
