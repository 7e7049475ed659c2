"""Inbound webhooks from Stripe."""

from flask import Blueprint

bp = Blueprint("webhooks", __name__, url_prefix="/webhooks")

from portal.webhooks import views  # noqa: E402, F401
