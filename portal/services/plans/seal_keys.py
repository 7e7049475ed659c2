"""Which key and certificate seal a practice's agreements, and where they are kept.

`SEAL_KEY_PATH` and `SEAL_CERT_PATH` name a pair the operator provides (the same files on
every server; made self-signed there if both are missing). Without them each practice gets
a self-signed pair the first time one is needed, kept in the database (`SealKey`: the
private key encrypted with `SEAL_ENCRYPTION_KEY`, or a key derived from `SECRET_KEY`), so
every server and worker seals with the same key and checks every agreement against the
same certificate. Creating it is insert-or-get on the practice's row: when several
processes race, one insert wins and all use the winner's pair.
"""

from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from sqlalchemy.exc import IntegrityError

from portal.extensions import db
from portal.gateways import key_wrap, seal
from portal.models import Practice, SealKey

PURPOSE = "saldo seal key v1"


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
        key = key_wrap.unwrap(_wrapping_key(), row.key_encrypted, _context(practice.id))
    except key_wrap.UnwrapFailed as exc:
        raise seal.SealError(
            "The stored sealing key cannot be decrypted: SEAL_ENCRYPTION_KEY (or SECRET_KEY) "
            "differs from the one it was stored with"
        ) from exc
    return SealPair(key, row.cert_pem)


def _create(practice: Practice) -> SealKey:
    key_pem, cert_pem = seal.self_signed_pem(practice.name, practice.name, practice.country)
    row = SealKey(
        practice_id=practice.id,
        key_encrypted=key_wrap.wrap(_wrapping_key(), key_pem, _context(practice.id)),
        cert_pem=cert_pem,
    )
    try:
        with db.session.begin_nested():
            db.session.add(row)
    except IntegrityError:  # another process stored its pair first: use that one
        pass
    return db.session.get(SealKey, practice.id, populate_existing=True)


def _wrapping_key() -> bytes:
    config = current_app.config
    return key_wrap.derive_key(config.get("SEAL_ENCRYPTION_KEY") or config["SECRET_KEY"], PURPOSE)


def _context(practice_id: int) -> bytes:
    return f"seal_key:{practice_id}".encode()
