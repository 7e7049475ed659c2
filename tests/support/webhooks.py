"""Signing webhook payloads the way Stripe does."""

import hashlib
import hmac
import json
import time


def signed(event: dict, secret: str) -> tuple[bytes, str]:
    """The raw body and the Stripe-Signature header for `event`."""
    payload = json.dumps(event).encode()
    timestamp = int(time.time())
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + payload, hashlib.sha256)
    return payload, f"t={timestamp},v1={mac.hexdigest()}"


def sign_raw(payload: bytes, secret: str) -> tuple[bytes, str]:
    """The Stripe-Signature header for a raw body (which need not be JSON)."""
    timestamp = int(time.time())
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + payload, hashlib.sha256)
    return payload, f"t={timestamp},v1={mac.hexdigest()}"
