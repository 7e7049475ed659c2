"""Fixtures of the service tests: Stripe accounts of two practices."""

import pytest

from portal.extensions import db
from portal.services.core.audit import SYSTEM
from portal.services.payments import stripe_accounts
from tests import factories
from tests.support import servers
from tests.support.accounts import SECRET_A, SECRET_B, WEBHOOK_A, WEBHOOK_B


@pytest.fixture(scope="session")
def account_servers():
    """Two more localstripe servers: the Stripe accounts of practice A and practice B."""
    with servers.localstripe() as first, servers.localstripe() as second:
        yield first, second


@pytest.fixture
def two_practices(stripe_app, account_servers):
    """Practices A and B, each with its own account on its own server (flushed per test)."""
    base_a, base_b = account_servers
    for base in account_servers:
        servers.flush_localstripe(base)
    a = factories.practice(slug="studio-a", name="Studio Dentistico Àlfa")
    b = factories.practice(slug="clinic-b", name="Clinica Beta", **factories.USA)
    for practice, secret, webhook, base in (
        (a, SECRET_A, WEBHOOK_A, base_a),
        (b, SECRET_B, WEBHOOK_B, base_b),
    ):
        stripe_accounts.set_credentials(
            practice,
            SYSTEM,
            publishable_key=f"pk_test_{practice.slug}_0000000000",
            secret_key=secret,
            webhook_secret=webhook,
            api_base=base,
        )
    db.session.commit()
    return a, b
