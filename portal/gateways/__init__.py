"""Adapters to the outside world; the only modules that import an SDK.

Each gateway is built once per app by `init_app` and fetched with the accessors below, so a
test or a deployment chooses the implementation through configuration alone.
"""

from flask import Flask, current_app

from portal.gateways.mail import Mailer, mailer_from_config
from portal.gateways.sms import SmsSender, sender_from_config
from portal.gateways.stripe_gateway import StripeGateway


def init_app(app: Flask) -> None:
    app.extensions["saldo.stripe"] = StripeGateway(
        secret_key=app.config["STRIPE_SECRET_KEY"] or "",
        api_base=app.config["STRIPE_API_BASE"],
        webhook_secret=app.config["STRIPE_WEBHOOK_SECRET"],
        max_network_retries=int(app.config.get("STRIPE_MAX_NETWORK_RETRIES", 2)),
    )
    app.extensions["saldo.mailer"] = mailer_from_config(app.config)
    app.extensions["saldo.sms"] = sender_from_config(app.config)


def stripe() -> StripeGateway:
    return current_app.extensions["saldo.stripe"]


def mailer() -> Mailer:
    return current_app.extensions["saldo.mailer"]


def sms() -> SmsSender:
    return current_app.extensions["saldo.sms"]
