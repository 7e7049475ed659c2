"""Staff sign-in: passwords, lockouts per account, reset tokens and session versions.

Wrong passwords are counted per account (email), never per address: five within the window
lock that account for the rest of the window, or until an owner unlocks it. Too many wrong
second-factor codes (see `second_factor`) lock it in `locked_until`. A user's
`session_version` is copied into each session at sign-in; raising it ends them all.
"""

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import func

from portal.clock import utcnow
from portal.extensions import db
from portal.gateways import passwords
from portal.models import Practice
from portal.models.staff import ROLES, LoginAttempt, StaffUser
from portal.services.core import audit
from portal.services.core.audit import Actor
from portal.services.core.refusals import RefusalCode, Refused
from portal.validation import has_control_characters

MIN_PASSWORD_LENGTH = 12
RESET_MAX_AGE = timedelta(hours=1)


class InvalidStaff(Refused, ValueError):
    code = RefusalCode.STAFF


@dataclass(frozen=True)
class Throttle:
    per_account: int = 5
    window: timedelta = timedelta(minutes=15)


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidStaff(f"passwords have at least {MIN_PASSWORD_LENGTH} characters")
    return passwords.hash_password(password)


def check_email(email: str, user: StaffUser | None = None) -> str:
    """The normalised email, if it is one and no other staff user has it."""
    email = email.strip().lower()
    if "@" not in email or has_control_characters(email):
        raise InvalidStaff("not an email address")
    other = db.session.scalar(db.select(StaffUser).filter_by(email=email))
    if other is not None and other is not user:
        raise InvalidStaff("a staff user with this email exists")
    return email


def create_staff(
    practice: Practice, email: str, name: str, password: str, role: str, locale: str = "en"
) -> StaffUser:
    """Add a staff user; emails are unique across the installation."""
    if role not in ROLES:
        raise InvalidStaff(f"role must be one of {', '.join(ROLES)}")
    if has_control_characters(name):
        raise InvalidStaff("names cannot hold line breaks or control characters")
    user = StaffUser(
        practice_id=practice.id,
        email=check_email(email),
        name=name.strip(),
        password_hash=hash_password(password),
        role=role,
        locale=locale,
    )
    db.session.add(user)
    db.session.flush()
    return user


def is_locked(user: StaffUser | None, email: str, throttle: Throttle, now: datetime) -> bool:
    """True while the account is locked by wrong codes or has used up its wrong passwords."""
    if user is not None and user.locked_until is not None and user.locked_until > now:
        return True
    since = now - throttle.window
    if user is not None and user.unlocked_at is not None:
        since = max(since, user.unlocked_at)
    failures = db.session.scalar(
        db.select(func.count()).where(
            LoginAttempt.email == email,
            LoginAttempt.succeeded.is_(False),
            LoginAttempt.created_at > since,
        )
    )
    return failures >= throttle.per_account


def authenticate(
    email: str,
    password: str,
    *,
    ip_address: str,
    throttle: Throttle = Throttle(),
    now: datetime | None = None,
) -> tuple[str, StaffUser | None]:
    """("ok", user), ("wrong", None) or ("locked", None); the caller commits. The address is
    recorded, never counted: address limits only slow requests down (in the web layer)."""
    now = now or utcnow()
    email = email.strip().lower()
    user = db.session.scalar(db.select(StaffUser).filter_by(email=email))
    if is_locked(user, email, throttle, now):
        passwords.verify(None, password)
        return "locked", None
    good = passwords.verify(user.password_hash if user else None, password)
    good = good and user is not None and user.active
    db.session.add(LoginAttempt(email=email, ip_address=ip_address, succeeded=good, created_at=now))
    if not good:
        db.session.flush()
        return ("locked" if is_locked(user, email, throttle, now) else "wrong"), None
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(password)
    user.last_login_at = now
    return "ok", user


def check_password(user: StaffUser, password: str) -> bool:
    return passwords.verify(user.password_hash, password or "")


def set_password(user: StaffUser, password: str) -> None:
    """Change the password; every session of the user ends."""
    user.password_hash = hash_password(password)
    end_sessions(user)


def end_sessions(user: StaffUser) -> None:
    """Every session that carries the current version stops working."""
    user.session_version = (user.session_version or 0) + 1


def sign_out_everywhere(user: StaffUser, actor: Actor) -> None:
    """End every session of `user` (the user's own choice, or an owner's)."""
    end_sessions(user)
    audit.record(
        "staff.signed_out_everywhere", practice_id=user.practice_id, actor=actor, staff_id=user.id
    )


def unlock(user: StaffUser, actor: Actor, now: datetime | None = None) -> None:
    """Lift a lockout now: wrong codes and earlier wrong passwords no longer count."""
    now = now or utcnow()
    user.locked_until, user.code_failures, user.unlocked_at = None, 0, now
    audit.record("staff.unlocked", practice_id=user.practice_id, actor=actor, staff_id=user.id)


def _serializer(secret_key: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt="saldo.staff.reset")


def _fingerprint(password_hash: str) -> str:
    """Changes with the password, so a reset token works once."""
    return hashlib.sha256(password_hash.encode()).hexdigest()[:16]


def reset_token(user: StaffUser | None, secret_key: str) -> str:
    """A one-hour token for `user`; for None, the same work for a token that leads nowhere."""
    if user is None:
        return _serializer(secret_key).dumps({"id": 0, "fp": _fingerprint("no such user")})
    return _serializer(secret_key).dumps({"id": user.id, "fp": _fingerprint(user.password_hash)})


def read_reset_token(token: str, secret_key: str) -> tuple[bool, bool, StaffUser | None]:
    """(expired, invalid, user) for a password-reset token, without raising."""
    try:
        data = _serializer(secret_key).loads(token, max_age=int(RESET_MAX_AGE.total_seconds()))
    except SignatureExpired:
        return True, False, None
    except BadSignature:
        return False, True, None
    user = db.session.get(StaffUser, data.get("id")) if isinstance(data, dict) else None
    if user is None or not user.active or data.get("fp") != _fingerprint(user.password_hash):
        return False, True, None
    return False, False, user
