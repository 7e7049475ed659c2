"""Staff sign-in: argon2 passwords, throttling, reset tokens and TOTP second factor."""

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import func, or_

from portal.clock import utcnow
from portal.extensions import db
from portal.models import Practice
from portal.models.staff import ROLES, LoginAttempt, StaffUser

MIN_PASSWORD_LENGTH = 12
RESET_MAX_AGE = timedelta(hours=1)
_hasher = PasswordHasher()


@cache
def _dummy_hash() -> str:
    """A real hash to verify against when the email is unknown, so timing does not tell
    (made on first use, not at import)."""
    return _hasher.hash("not-a-real-password")


class InvalidStaff(ValueError):
    pass


@dataclass(frozen=True)
class Throttle:
    per_email: int = 5
    per_address: int = 20
    window: timedelta = timedelta(minutes=15)


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidStaff(f"passwords have at least {MIN_PASSWORD_LENGTH} characters")
    return _hasher.hash(password)


def create_staff(
    practice: Practice, email: str, name: str, password: str, role: str, locale: str = "en"
) -> StaffUser:
    """Add a staff user; emails are unique across the installation."""
    email = email.strip().lower()
    if role not in ROLES:
        raise InvalidStaff(f"role must be one of {', '.join(ROLES)}")
    if "@" not in email:
        raise InvalidStaff("not an email address")
    if db.session.scalar(db.select(StaffUser).filter_by(email=email)) is not None:
        raise InvalidStaff("a staff user with this email exists")
    user = StaffUser(
        practice_id=practice.id,
        email=email,
        name=name.strip(),
        password_hash=hash_password(password),
        role=role,
        locale=locale,
    )
    db.session.add(user)
    db.session.flush()
    return user


def _locked(email: str, ip_address: str, throttle: Throttle, now: datetime) -> bool:
    by_email, by_address = db.session.execute(
        db.select(
            func.count().filter(LoginAttempt.email == email),
            func.count().filter(LoginAttempt.ip_address == ip_address),
        ).where(
            LoginAttempt.succeeded.is_(False),
            LoginAttempt.created_at > now - throttle.window,
            or_(LoginAttempt.email == email, LoginAttempt.ip_address == ip_address),
        )
    ).one()
    return by_email >= throttle.per_email or by_address >= throttle.per_address


def authenticate(
    email: str,
    password: str,
    *,
    ip_address: str,
    throttle: Throttle = Throttle(),
    now: datetime | None = None,
) -> tuple[str, StaffUser | None]:
    """("ok", user), ("wrong", None) or ("locked", None); the caller commits."""
    now = now or utcnow()
    email = email.strip().lower()
    if _locked(email, ip_address, throttle, now):
        return "locked", None
    user = db.session.scalar(db.select(StaffUser).filter_by(email=email))
    try:
        _hasher.verify(user.password_hash if user else _dummy_hash(), password)
        good = user is not None and user.active
    except (VerificationError, InvalidHashError):
        good = False
    db.session.add(LoginAttempt(email=email, ip_address=ip_address, succeeded=good, created_at=now))
    if not good:
        return ("locked" if _locked(email, ip_address, throttle, now) else "wrong"), None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    user.last_login_at = now
    return "ok", user


def _serializer(secret_key: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt="saldo.staff.reset")


def _fingerprint(user: StaffUser) -> str:
    """Changes with the password, so a reset token works once."""
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:16]


def reset_token(user: StaffUser, secret_key: str) -> str:
    return _serializer(secret_key).dumps({"id": user.id, "fp": _fingerprint(user)})


def read_reset_token(token: str, secret_key: str) -> tuple[bool, bool, StaffUser | None]:
    """(expired, invalid, user) for a password-reset token, without raising."""
    try:
        data = _serializer(secret_key).loads(token, max_age=int(RESET_MAX_AGE.total_seconds()))
    except SignatureExpired:
        return True, False, None
    except BadSignature:
        return False, True, None
    user = db.session.get(StaffUser, data.get("id")) if isinstance(data, dict) else None
    if user is None or not user.active or data.get("fp") != _fingerprint(user):
        return False, True, None
    return False, False, user


def set_password(user: StaffUser, password: str) -> None:
    user.password_hash = hash_password(password)


def new_totp_secret() -> str:
    return pyotp.random_base32()


def totp_uri(user: StaffUser, secret: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name="Saldo")


def verify_totp(secret: str, code: str, at: datetime | None = None) -> bool:
    code = "".join(ch for ch in code if ch.isdigit())
    return len(code) == 6 and pyotp.TOTP(secret).verify(code, for_time=at, valid_window=1)
