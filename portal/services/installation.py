"""This installation's identity, which scopes every idempotency key Saldo sends to Stripe, so
a restored database or a staging copy never reuses production's keys."""

import secrets

from flask import current_app
from sqlalchemy.exc import IntegrityError

from portal.extensions import db
from portal.models import InstallationIdentity


def installation_id() -> str:
    """`INSTALLATION_ID` from the configuration, else a random id stored on first use."""
    configured = current_app.config.get("INSTALLATION_ID")
    if configured:
        return str(configured)
    row = db.session.get(InstallationIdentity, 1)
    if row is None:
        try:
            with db.session.begin_nested():
                db.session.add(InstallationIdentity(id=1, value=secrets.token_hex(8)))
        except IntegrityError:
            pass
        row = db.session.get(InstallationIdentity, 1)
    return row.value
