"""Time-based one-time passwords (RFC 6238) with pyotp."""

import hmac
from datetime import UTC, datetime

import pyotp

#: seconds per code
STEP = 30


def new_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(secret: str, account: str, issuer: str = "Saldo") -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=account, issuer_name=issuer)


def _aware(at: datetime) -> datetime:
    """Stored times are naive UTC; pyotp would read a naive time as local."""
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def current_code(secret: str, at: datetime) -> str:
    return pyotp.TOTP(secret, interval=STEP).at(_aware(at))


def matching_step(secret: str, code: str, at: datetime, window: int = 1) -> int | None:
    """The time step (counter) whose code is `code`, within `window` steps of `at`, or None."""
    totp = pyotp.TOTP(secret, interval=STEP)
    step = totp.timecode(_aware(at))
    for candidate in range(step - window, step + window + 1):
        if hmac.compare_digest(totp.generate_otp(candidate), code):
            return candidate
    return None
