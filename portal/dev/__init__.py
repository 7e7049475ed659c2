"""The outbox: email and SMS kept in the app when no provider is configured (demo, tests)."""

from flask import Blueprint

bp = Blueprint("dev", __name__, url_prefix="/dev")

from portal.dev import views  # noqa: E402, F401
