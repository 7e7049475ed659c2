"""Which key and certificate seal a practice's agreements, and where they are kept.

`SEAL_KEY_PATH` and `SEAL_CERT_PATH` name a pair the operator provides (the same files on
every server; made self-signed there if both are missing). Without them each practice gets
a self-signed pair the first time one is needed, kept in the database (`SealKey`: the
private key encrypted with `SALDO_ENCRYPTION_KEY`, see `gateways.encryption`), so
every server and worker seals with the same key and checks every agreement against the
same certificate. Creating it is insert-or-get on the practice's row: when several
processes race, one insert wins and all use the winner's pair.
"""

from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from sqlalchemy.exc import IntegrityError

from portal.extensions import db
from portal.gateways import encryption, seal
from portal.models import Practice, SealKey


@dataclass(frozen=True)
class SealPair:
    """A key and certificate as file paths (configured) or PEM bytes (from the database)."""

    key: Path | bytes
    cert: Path | bytes
    #: the passphrase of a configured key file; keys from the database come decrypted
    passphrase: str | None = None


def for_practice(practice: Practice) -> SealPair:
    """The pair that seals and checks `practice`'s agreements, made once if needed."""
    config = current_app.config
    if config.get("SEAL_KEY_PATH") and config.get("SEAL_CERT_PATH"):
        passphrase = config.get("SEAL_KEY_PASSPHRASE")
        key, cert = seal.ensure_practice_certificate(
            config["SEAL_KEY_PATH"],
            config["SEAL_CERT_PATH"],
            practice.name,
            practice.name,
            practice.country,
            passphrase,
        )
        return SealPair(key, cert, passphrase)
    row = db.session.get(SealKey, practice.id) or _create(practice)
    try:
        key = encryption.decrypt(row.key_encrypted, context(practice.id))
    except encryption.SecretsUnavailable as exc:
        raise seal.SealError(f"The stored sealing key cannot be decrypted: {exc}") from exc
    return SealPair(key, row.cert_pem)


def _create(practice: Practice) -> SealKey:
    key_pem, cert_pem = seal.self_signed_pem(practice.name, practice.name, practice.country)
    row = SealKey(
        practice_id=practice.id,
        key_encrypted=encryption.encrypt(key_pem, context(practice.id)),
        cert_pem=cert_pem,
    )
    try:
        with db.session.begin_nested():
            db.session.add(row)
    except IntegrityError:  # another process stored its pair first: use that one
        pass
    return db.session.get(SealKey, practice.id, populate_existing=True)


def context(practice_id: int) -> str:
    """What a practice's stored sealing key is bound to (the scheme before also used it)."""
    return f"seal_key:{practice_id}"
