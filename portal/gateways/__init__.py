"""Adapters to the outside world; the only modules that import an SDK.

Each gateway is built once per app by `init_app` and fetched with the accessors below, so a
test or a deployment chooses the implementation through configuration alone. A practice with
its own Stripe account gets a client of its own, built on first use and kept while its
credentials stay the same.
"""

import logging
from typing import Any

from flask import Flask, current_app

from portal.gateways import encryption
from portal.gateways.mail import Mailer, mailer_from_config
from portal.gateways.sms import Keep, SmsSender, sender_from_config
from portal.gateways.stripe_gateway import GatewayUnavailable, StripeGateway

log = logging.getLogger(__name__)


def init_app(app: Flask, keep_email: Keep, keep_text: Keep) -> None:
    """Build the app's gateways; without SMTP or an SMS provider, messages go to `keep_email`
    and `keep_text` (the outbox, where it is enabled)."""
    app.extensions["saldo.stripe"] = StripeGateway(
        secret_key=app.config["STRIPE_SECRET_KEY"] or "",
        api_base=app.config["STRIPE_API_BASE"],
        webhook_secret=app.config["STRIPE_WEBHOOK_SECRET"],
        max_network_retries=int(app.config.get("STRIPE_MAX_NETWORK_RETRIES", 2)),
    )
    app.extensions["saldo.stripe_accounts"] = {}
    app.extensions["saldo.mailer"] = mailer_from_config(app.config, keep_email)
    app.extensions["saldo.sms"] = sender_from_config(app.config, keep_text)


def stripe(practice: Any = None) -> StripeGateway:
    """The Stripe client for `practice`'s account: its own keys and webhook secret when it
    has them (`stripe_secret_key_encrypted`), else the installation's (STRIPE_*).
    GatewayUnavailable if its secrets cannot be decrypted with SALDO_ENCRYPTION_KEY."""
    if practice is None or not practice.stripe_secret_key_encrypted:
        return current_app.extensions["saldo.stripe"]
    clients = current_app.extensions["saldo.stripe_accounts"]
    credentials = (
        practice.stripe_secret_key_encrypted,
        practice.stripe_webhook_secret_encrypted,
        practice.stripe_api_base,
    )
    known = clients.get(practice.id)
    if known is None or known[0] != credentials:
        try:
            secret_key = encryption.read_column(practice, "stripe_secret_key_encrypted")
            webhook_secret = encryption.read_column(practice, "stripe_webhook_secret_encrypted")
        except encryption.SecretsUnavailable as exc:
            log.error("Stripe secrets of practice %s unreadable: %s", practice.id, exc)
            raise GatewayUnavailable(
                f"Stripe secrets of practice {practice.id} unreadable"
            ) from exc
        client = StripeGateway(
            secret_key=secret_key,
            api_base=practice.stripe_api_base or None,
            webhook_secret=webhook_secret,
            max_network_retries=int(current_app.config.get("STRIPE_MAX_NETWORK_RETRIES", 2)),
        )
        known = clients[practice.id] = (credentials, client)
    return known[1]


def check_stripe_key(secret_key: str, api_base: str | None) -> None:
    """Ask Stripe (or the stand-in at `api_base`) whether it accepts `secret_key`."""
    StripeGateway(
        secret_key=secret_key, api_base=api_base, max_network_retries=0
    ).check_secret_key()


def mailer() -> Mailer:
    return current_app.extensions["saldo.mailer"]


def sms() -> SmsSender:
    return current_app.extensions["saldo.sms"]
