"""Link tokens: 256 bits, stored only as a hash, expiring and revocable."""

import base64
import hashlib
from datetime import datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from portal.extensions import db
from portal.models import PaymentLink
from portal.services.access import links
from portal.services.core.audit import SYSTEM
from tests import factories

NOW = datetime(2026, 11, 1, 12, 0)


def test_token_has_256_bits_and_only_its_hash_is_stored(app):
    invoice = factories.invoice(factories.patient(factories.practice()))
    link, token = links.issue(invoice, SYSTEM, now=NOW)
    assert len(base64.urlsafe_b64decode(token + "=")) == 32
    assert link.token_hash == hashlib.sha256(token.encode()).hexdigest()
    stored = db.session.execute(db.text("SELECT * FROM payment_link")).mappings().one()
    assert token not in {str(value) for value in stored.values()}


def test_default_lifetime_is_45_days(app):
    invoice = factories.invoice(factories.patient(factories.practice()))
    link, token = links.issue(invoice, SYSTEM, now=NOW)
    assert link.expires_at == NOW + timedelta(days=45)
    assert links.resolve(token, now=NOW + timedelta(days=45, seconds=-1)).state == "ok"
    assert links.resolve(token, now=NOW + timedelta(days=45)).state == "expired"


def test_revoked_and_unknown_links(app):
    invoice = factories.invoice(factories.patient(factories.practice()))
    link, token = links.issue(invoice, SYSTEM, now=NOW)
    links.revoke(link, SYSTEM, now=NOW)
    assert links.resolve(token, now=NOW).state == "revoked"
    assert links.usable(link.id, now=NOW) is None
    assert links.resolve("not-a-token", now=NOW).state == "unknown"
    assert links.resolve("", now=NOW).state == "unknown"
    assert links.resolve("x" * 500, now=NOW).state == "unknown"


def test_paid_invoice_links_still_resolve(app):
    invoice = factories.invoice(factories.patient(factories.practice()))
    _, token = links.issue(invoice, SYSTEM, now=NOW)
    invoice.status = "paid"
    db.session.commit()
    lookup = links.resolve(token, now=NOW)
    assert lookup.ok and lookup.link.invoice.status == "paid"


def test_each_link_gets_a_different_token(app):
    invoice = factories.invoice(factories.patient(factories.practice()))
    tokens = {links.issue(invoice, SYSTEM, now=NOW)[1] for _ in range(20)}
    assert len(tokens) == 20
    assert db.session.scalar(db.select(db.func.count()).select_from(PaymentLink)) == 20


@given(st.text(max_size=80))
def test_hash_is_hex_sha256(token):
    digest = links.hash_token(token)
    assert len(digest) == 64 and int(digest, 16) >= 0
