"""A practice's API keys: shown once, stored only as a hash, refused once revoked."""

import hashlib
from datetime import datetime

from portal.extensions import db
from portal.models import ApiKey
from portal.services.practice import api_keys
from tests import factories


def test_a_key_is_shown_once_and_only_its_hash_is_kept(app):
    practice = factories.practice()
    record, key = api_keys.create(practice, "  Gestionale  ")
    assert key.startswith("sk_saldo_") and len(key) == len("sk_saldo_") + 43
    assert (record.name, record.prefix) == ("Gestionale", key[:12])
    assert record.key_hash == hashlib.sha256(key.encode()).hexdigest()
    stored = db.session.execute(db.select(ApiKey.__table__)).one()._asdict()
    assert key not in {str(value) for value in stored.values()}
    assert api_keys.create(practice, "x" * 150)[0].name == "x" * 100
    assert api_keys.create(practice, "again")[1] != key


def test_the_key_authenticates_and_notes_its_last_use(app, monkeypatch):
    practice = factories.practice()
    record, key = api_keys.create(practice, "PMS")
    assert record.last_used_at is None
    moment = datetime(2026, 3, 29, 1, 30)
    monkeypatch.setattr(api_keys, "utcnow", lambda: moment)
    assert api_keys.authenticate(key) is record
    assert record.last_used_at == moment


def test_wrong_shaped_or_unknown_keys_are_refused(app):
    _, key = api_keys.create(factories.practice(), "PMS")
    for attempt in (
        key[:-1],
        key + "x",
        key.replace("sk_saldo_", "sk_live_"),
        key.upper(),
        "sk_saldo_" + "a" * 92,  # over 100 characters: refused before any lookup
        "",
    ):
        assert api_keys.authenticate(attempt) is None


def test_a_revoked_key_no_longer_opens_and_revoking_again_keeps_the_first_time(app, monkeypatch):
    record, key = api_keys.create(factories.practice(), "PMS")
    first = datetime(2026, 10, 25, 1, 0)
    monkeypatch.setattr(api_keys, "utcnow", lambda: first)
    api_keys.revoke(record)
    monkeypatch.setattr(api_keys, "utcnow", lambda: datetime(2026, 11, 1, 0, 0))
    api_keys.revoke(record)
    assert record.revoked_at == first
    assert api_keys.authenticate(key) is None
    assert record.last_used_at is None
