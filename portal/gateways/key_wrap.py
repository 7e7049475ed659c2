"""Encrypting secrets kept in the database (AES-256-GCM, the key derived with HKDF-SHA256
from a configured secret), so a copy of the database alone does not give them away."""

import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

NONCE_BYTES = 12
VERSION = b"\x01"


class UnwrapFailed(Exception):
    """The stored secret was encrypted with another key, or it was changed."""


def derive_key(secret: str, purpose: str) -> bytes:
    """A 32-byte key for `purpose` from the configured `secret` (HKDF-SHA256, no salt)."""
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose.encode())
    return hkdf.derive(secret.encode())


def wrap(key: bytes, plaintext: bytes, context: bytes) -> bytes:
    """`plaintext` encrypted under `key`, bound to `context` (e.g. the row it belongs to)."""
    nonce = os.urandom(NONCE_BYTES)
    return VERSION + nonce + AESGCM(key).encrypt(nonce, plaintext, context)


def unwrap(key: bytes, blob: bytes, context: bytes) -> bytes:
    """The plaintext of `wrap(key, plaintext, context)`; `UnwrapFailed` otherwise."""
    if blob[:1] != VERSION:
        raise UnwrapFailed("unknown format")
    nonce, sealed = blob[1 : 1 + NONCE_BYTES], blob[1 + NONCE_BYTES :]
    try:
        return AESGCM(key).decrypt(nonce, sealed, context)
    except InvalidTag as exc:
        raise UnwrapFailed("wrong key or changed data") from exc
