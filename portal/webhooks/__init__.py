"""Inbound webhooks from Stripe."""

from flask import Blueprint

bp = Blueprint("webhooks", __name__, url_prefix="/webhooks")

from portal.webhooks import sms_views, views  # noqa: E402, F401
