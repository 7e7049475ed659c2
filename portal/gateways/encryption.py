"""Secrets kept in the database, encrypted: practices' Stripe keys, the sealing keys.

One setting, `SALDO_ENCRYPTION_KEY`: one or more keys separated by commas, newest first
(each at least 32 characters; `new_key()` makes one). The first encrypts, every one of them
decrypts, so a key is replaced by putting the new one first, running
`flask secrets reencrypt`, then dropping the old one.

A value is AES-256-GCM under a key derived from the configured one with HKDF-SHA256, bound
to a context naming the row and column it belongs to (a value copied into another row does
not open):

    b"\\x02" + key id (4 bytes) + nonce (12 bytes) + ciphertext and tag

Text columns keep it as "v2:" + URL-safe base64. Values written by the two earlier schemes
are still read, so an existing installation keeps working until it re-encrypts:

- Fernet tokens ("gAAAAA…", Stripe secrets), opened by whichever configured key is a
  Fernet key;
- key-wrap blobs (b"\\x01" + nonce + AES-GCM, sealing keys), whose key was derived from
  `SEAL_ENCRYPTION_KEY` or else `SECRET_KEY`: both are tried, and so is every configured key.
"""

import base64
import hashlib
import os

from cryptography.exceptions import InvalidTag
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app

SETTING = "SALDO_ENCRYPTION_KEY"
CURRENT = b"\x02"
KEY_WRAP = b"\x01"
TEXT_PREFIX = "v2:"
FERNET_PREFIX = "gAAAAA"
NONCE_BYTES = 12
KEY_ID_BYTES = 4
MIN_KEY_LENGTH = 32
PURPOSE = b"saldo secrets v2"
#: the HKDF purpose of the earlier sealing-key scheme
KEY_WRAP_PURPOSE = b"saldo seal key v1"


class SecretsUnavailable(RuntimeError):
    """No usable key is configured, or none of the configured keys opens a stored secret."""


def configured_keys(value: str | None) -> list[str]:
    """The keys of a `SALDO_ENCRYPTION_KEY` value, newest first; ValueError when one is
    too short to be a key."""
    keys = [k.strip() for k in (value or "").split(",") if k.strip()]
    for key in keys:
        if len(key) < MIN_KEY_LENGTH:
            raise ValueError(f"{SETTING}: every key needs at least {MIN_KEY_LENGTH} characters")
    return keys


def new_key() -> str:
    """A fresh random key for `SALDO_ENCRYPTION_KEY` (also a valid Fernet key)."""
    return Fernet.generate_key().decode("ascii")


def _keys() -> list[str]:
    try:
        keys = configured_keys(current_app.config.get(SETTING))
    except ValueError as exc:
        raise SecretsUnavailable(str(exc)) from exc
    if not keys:
        raise SecretsUnavailable(f"{SETTING} is not set")
    return keys


def _derive(secret: str, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(
        secret.encode()
    )


def _key_id(key: bytes) -> bytes:
    return hashlib.sha256(b"key id" + key).digest()[:KEY_ID_BYTES]


def encrypt(plaintext: bytes, context: str) -> bytes:
    """`plaintext` encrypted under the newest configured key, bound to `context`."""
    key = _derive(_keys()[0], PURPOSE)
    nonce = os.urandom(NONCE_BYTES)
    sealed = AESGCM(key).encrypt(nonce, plaintext, context.encode())
    return CURRENT + _key_id(key) + nonce + sealed


def decrypt(blob: bytes, context: str) -> bytes:
    """The plaintext of a stored value (current or key-wrap scheme); SecretsUnavailable
    when no configured key opens it or it was changed or moved."""
    if blob[:1] == CURRENT:
        wanted = blob[1 : 1 + KEY_ID_BYTES]
        start = 1 + KEY_ID_BYTES
        for secret in _keys():
            key = _derive(secret, PURPOSE)
            if _key_id(key) == wanted:
                return _open(key, blob[start:], context.encode())
        raise SecretsUnavailable(f"no configured {SETTING} opens this secret")
    if blob[:1] == KEY_WRAP:
        return _legacy_key_wrap(blob, context)
    raise SecretsUnavailable("unknown format of a stored secret")


def _open(key: bytes, rest: bytes, context: bytes) -> bytes:
    try:
        return AESGCM(key).decrypt(rest[:NONCE_BYTES], rest[NONCE_BYTES:], context)
    except InvalidTag as exc:
        raise SecretsUnavailable("a stored secret was changed or belongs elsewhere") from exc


def _legacy_key_wrap(blob: bytes, context: str) -> bytes:
    config = current_app.config
    candidates = [config.get("SEAL_ENCRYPTION_KEY"), config.get("SECRET_KEY")]
    candidates += configured_keys(config.get(SETTING))
    for secret in filter(None, candidates):
        try:
            return _open(_derive(secret, KEY_WRAP_PURPOSE), blob[1:], context.encode())
        except SecretsUnavailable:
            continue
    raise SecretsUnavailable(
        f"no configured key opens this sealing key: add the SEAL_ENCRYPTION_KEY it was stored "
        f"with to {SETTING}"
    )


def encrypt_text(plaintext: str, context: str) -> str:
    """A text secret as text, safe to store."""
    blob = encrypt(plaintext.encode(), context)
    return TEXT_PREFIX + base64.urlsafe_b64encode(blob).decode("ascii")


def decrypt_text(token: str, context: str) -> str:
    """The secret of `encrypt_text`, or of an earlier Fernet token."""
    if token.startswith(TEXT_PREFIX):
        try:
            blob = base64.urlsafe_b64decode(token[len(TEXT_PREFIX) :].encode("ascii"))
        except ValueError as exc:
            raise SecretsUnavailable("a stored secret is not readable") from exc
        return decrypt(blob, context).decode()
    if token.startswith(FERNET_PREFIX):
        return _legacy_fernet(token)
    raise SecretsUnavailable("unknown format of a stored secret")


def _legacy_fernet(token: str) -> str:
    fernets = []
    for secret in _keys():
        try:
            fernets.append(Fernet(secret))
        except ValueError:
            continue  # not a Fernet key: a key of the current scheme only
    if not fernets:
        raise SecretsUnavailable(f"no configured {SETTING} is the Fernet key of this secret")
    try:
        return MultiFernet(fernets).decrypt(token.encode("ascii")).decode()
    except InvalidToken as exc:
        raise SecretsUnavailable(f"no configured {SETTING} opens this secret") from exc


def is_current(value: bytes | str) -> bool:
    """Whether a stored value is in the current scheme under the newest key."""
    if isinstance(value, str):
        if not value.startswith(TEXT_PREFIX):
            return False
        try:
            value = base64.urlsafe_b64decode(value[len(TEXT_PREFIX) :].encode("ascii"))
        except ValueError:
            return False  # unreadable: decrypting it says so
    newest = _key_id(_derive(_keys()[0], PURPOSE))
    return value[:1] == CURRENT and value[1 : 1 + KEY_ID_BYTES] == newest


def column_context(table: str, row_id: int, column: str) -> str:
    """The context a column's secret is bound to, e.g. "practice:3:stripe_secret_key_encrypted"."""
    return f"{table}:{row_id}:{column}"


def read_column(row, column: str) -> str | None:
    """The decrypted text secret kept in `row.<column>` (None when empty)."""
    token = getattr(row, column)
    if not token:
        return None
    return decrypt_text(token, column_context(row.__tablename__, row.id, column))


def write_column(row, column: str, plaintext: str) -> None:
    """Store `plaintext` encrypted in `row.<column>` (the row must have its id)."""
    context = column_context(row.__tablename__, row.id, column)
    setattr(row, column, encrypt_text(plaintext, context))
