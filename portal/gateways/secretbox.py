"""Encrypting secrets kept in the database (Fernet, from `cryptography`).

The key comes from configuration (`SALDO_ENCRYPTION_KEY`): one or more Fernet keys separated
by commas. The first encrypts; every one of them decrypts, so a key can be replaced by putting
the new one first and re-encrypting (`flask practice reencrypt`) before dropping the old one.
"""

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from flask import current_app


class SecretsUnavailable(RuntimeError):
    """No encryption key is configured, or none of the configured keys opens a secret."""


def _box() -> MultiFernet:
    keys = [k.strip() for k in (current_app.config.get("SALDO_ENCRYPTION_KEY") or "").split(",")]
    keys = [k for k in keys if k]
    if not keys:
        raise SecretsUnavailable("SALDO_ENCRYPTION_KEY is not set")
    try:
        return MultiFernet([Fernet(k) for k in keys])
    except ValueError as exc:
        raise SecretsUnavailable(f"SALDO_ENCRYPTION_KEY is not a Fernet key: {exc}") from exc


def encrypt(plaintext: str) -> str:
    """The secret as a Fernet token (text), safe to store."""
    return _box().encrypt(plaintext.encode()).decode("ascii")


def decrypt(token: str) -> str:
    """The secret a Fernet token holds; SecretsUnavailable if no configured key opens it."""
    try:
        return _box().decrypt(token.encode("ascii")).decode()
    except InvalidToken as exc:
        raise SecretsUnavailable("no configured SALDO_ENCRYPTION_KEY opens this secret") from exc


def reencrypt(token: str) -> str:
    """The same secret encrypted with the first (newest) configured key."""
    try:
        return _box().rotate(token.encode("ascii")).decode("ascii")
    except InvalidToken as exc:
        raise SecretsUnavailable("no configured SALDO_ENCRYPTION_KEY opens this secret") from exc


def new_key() -> str:
    """A fresh Fernet key, for `SALDO_ENCRYPTION_KEY`."""
    return Fernet.generate_key().decode("ascii")
