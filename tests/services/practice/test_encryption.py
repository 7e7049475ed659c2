"""One way to encrypt stored secrets (`SALDO_ENCRYPTION_KEY`): rotation through a list of
keys, `flask secrets reencrypt`, values written by the two earlier schemes still read, and
production refusing to start without a key."""

import os

import pytest
from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import text

from portal import create_app
from portal.extensions import db
from portal.gateways import encryption
from portal.gateways.encryption import SecretsUnavailable
from portal.models import SealKey
from portal.services.plans import seal_keys
from tests import factories

OLD = "old-key-of-the-installation-0000000000"
NEW = "new-key-of-the-installation-1111111111"
SK = "sk_test_practice_secret_4242"
WHSEC = "whsec_practice_webhook_9876"
#: sealing keys kept in the database, not in configured files
NO_FILES = {"SEAL_KEY_PATH": None, "SEAL_CERT_PATH": None}


def _earlier_key_wrap(secret: str, plaintext: bytes, context: bytes) -> bytes:
    """What the earlier release stored for a sealing key (gateways/key_wrap.py)."""
    key = HKDF(hashes.SHA256(), 32, None, b"saldo seal key v1").derive(secret.encode())
    nonce = os.urandom(12)
    return b"\x01" + nonce + AESGCM(key).encrypt(nonce, plaintext, context)


def _raw(practice_id: int):
    query = "SELECT stripe_secret_key_encrypted, stripe_webhook_secret_encrypted FROM practice"
    return db.session.execute(text(f"{query} WHERE id = :id"), {"id": practice_id}).one()


def test_values_are_bound_to_their_row_and_column(app):
    app.config["SALDO_ENCRYPTION_KEY"] = OLD
    a, b = factories.practice(), factories.practice()
    encryption.write_column(a, "stripe_secret_key_encrypted", SK)
    db.session.commit()
    stored = _raw(a.id)[0]
    assert stored.startswith("v2:") and SK not in stored
    assert encryption.read_column(a, "stripe_secret_key_encrypted") == SK
    b.stripe_secret_key_encrypted = stored  # copied into another practice's row
    with pytest.raises(SecretsUnavailable, match="changed or belongs elsewhere"):
        encryption.read_column(b, "stripe_secret_key_encrypted")
    b.stripe_secret_key_encrypted = "v2:not base64!"
    assert encryption.is_current(b.stripe_secret_key_encrypted) is False
    with pytest.raises(SecretsUnavailable, match="not readable"):
        encryption.read_column(b, "stripe_secret_key_encrypted")
    blob = encryption.encrypt(b"pem", "seal_key:1")
    flipped = blob[:-1] + bytes([blob[-1] ^ 1])
    with pytest.raises(SecretsUnavailable, match="changed or belongs elsewhere"):
        encryption.decrypt(flipped, "seal_key:1")


def test_rotation_first_key_encrypts_every_key_decrypts(app):
    app.config.update(SALDO_ENCRYPTION_KEY=OLD, **NO_FILES)
    practice = factories.practice()
    encryption.write_column(practice, "stripe_secret_key_encrypted", SK)
    encryption.write_column(practice, "stripe_webhook_secret_encrypted", WHSEC)
    seal_keys.for_practice(practice)
    db.session.commit()
    before = _raw(practice.id)

    app.config["SALDO_ENCRYPTION_KEY"] = f"{NEW}, {OLD}"
    assert encryption.read_column(practice, "stripe_secret_key_encrypted") == SK
    assert not encryption.is_current(before[0])
    result = app.test_cli_runner().invoke(args=["secrets", "reencrypt"])
    assert result.output == "3 secrets re-encrypted\n"
    db.session.expire_all()
    after = _raw(practice.id)
    assert after[0] != before[0] and encryption.is_current(after[0])
    again = app.test_cli_runner().invoke(args=["secrets", "reencrypt"])
    assert again.output == "0 secrets re-encrypted\n"

    app.config["SALDO_ENCRYPTION_KEY"] = NEW  # the old key dropped
    assert encryption.read_column(practice, "stripe_secret_key_encrypted") == SK
    assert encryption.read_column(practice, "stripe_webhook_secret_encrypted") == WHSEC
    assert seal_keys.for_practice(practice).key.startswith(b"-----BEGIN PRIVATE KEY-----")
    app.config["SALDO_ENCRYPTION_KEY"] = OLD  # only the old one: the new values stay closed
    with pytest.raises(SecretsUnavailable, match="no configured SALDO_ENCRYPTION_KEY"):
        encryption.read_column(practice, "stripe_secret_key_encrypted")


def test_values_of_the_earlier_schemes_are_read_and_moved(app):
    """Stripe secrets as Fernet tokens under SALDO_ENCRYPTION_KEY; sealing keys wrapped with
    SEAL_ENCRYPTION_KEY on one practice and with SECRET_KEY (no SEAL_ENCRYPTION_KEY) on
    another."""
    fernet_key = Fernet.generate_key().decode()
    app.config.update(
        SALDO_ENCRYPTION_KEY=fernet_key, SEAL_ENCRYPTION_KEY="seal secret", **NO_FILES
    )
    with_seal_key, with_secret_key = factories.practice(), factories.practice()
    with_seal_key.stripe_secret_key_encrypted = Fernet(fernet_key).encrypt(SK.encode()).decode()
    pem = b"-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEI...\n-----END PRIVATE KEY-----\n"
    for practice, secret in ((with_seal_key, "seal secret"), (with_secret_key, app.secret_key)):
        context = f"seal_key:{practice.id}".encode()
        db.session.add(
            SealKey(
                practice_id=practice.id,
                key_encrypted=_earlier_key_wrap(secret, pem, context),
                cert_pem=b"cert",
            )
        )
    db.session.commit()

    assert encryption.read_column(with_seal_key, "stripe_secret_key_encrypted") == SK
    for practice in (with_seal_key, with_secret_key):
        assert seal_keys.for_practice(practice).key == pem

    # a new key first, the Fernet key kept for the Stripe secret, SEAL_ENCRYPTION_KEY set
    app.config["SALDO_ENCRYPTION_KEY"] = f"{NEW},{fernet_key}"
    result = app.test_cli_runner().invoke(args=["practice", "reencrypt"])  # the older name
    assert result.output == "3 secrets re-encrypted\n"
    app.config.update(SALDO_ENCRYPTION_KEY=NEW, SEAL_ENCRYPTION_KEY=None, SECRET_KEY="changed")
    db.session.expire_all()
    assert encryption.read_column(with_seal_key, "stripe_secret_key_encrypted") == SK
    for practice in (with_seal_key, with_secret_key):
        assert seal_keys.for_practice(practice).key == pem
        assert encryption.is_current(db.session.get(SealKey, practice.id).key_encrypted)


def test_a_secret_no_key_opens_stops_reencryption_and_changes_nothing(app):
    app.config["SALDO_ENCRYPTION_KEY"] = OLD
    first, second = factories.practice(), factories.practice()
    encryption.write_column(first, "stripe_secret_key_encrypted", SK)
    second.stripe_secret_key_encrypted = Fernet(Fernet.generate_key()).encrypt(b"x").decode()
    db.session.commit()
    before = _raw(first.id)
    app.config["SALDO_ENCRYPTION_KEY"] = f"{NEW},{OLD}"
    result = app.test_cli_runner().invoke(args=["secrets", "reencrypt"])
    assert result.exit_code == 1
    assert "no configured SALDO_ENCRYPTION_KEY is the Fernet key" in result.output
    assert "nothing was changed" in result.output
    db.session.expire_all()
    assert _raw(first.id) == before


def test_new_key_is_usable(app):
    result = app.test_cli_runner().invoke(args=["secrets", "new-key"])
    key = result.output.strip()
    assert len(key) == 44 and encryption.configured_keys(key) == [key]
    app.config["SALDO_ENCRYPTION_KEY"] = key
    assert encryption.decrypt(encryption.encrypt(b"x", "c"), "c") == b"x"


def _production(**values):
    return create_app(
        {
            "SALDO_ENV": "production",
            "SECRET_KEY": "production-secret-key",
            "SQLALCHEMY_DATABASE_URI": "sqlite://",
            **values,
        }
    )


def test_production_refuses_to_start_without_a_key():
    with pytest.raises(RuntimeError, match="SALDO_ENCRYPTION_KEY must be set in production"):
        _production(SALDO_ENCRYPTION_KEY=None)
    with pytest.raises(RuntimeError, match="every key needs at least 32 characters"):
        _production(SALDO_ENCRYPTION_KEY=f"{NEW},short")
    assert _production(SALDO_ENCRYPTION_KEY=NEW).config["SALDO_ENCRYPTION_KEY"] == NEW
