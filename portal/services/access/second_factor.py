"""The second factor: TOTP codes accepted once each, wrong codes counted on the account,
and one-use recovery codes for a lost phone.

Every check is made against the database, never the browser's session: `code_failures`
counts wrong codes on the user row, five lock the account for `LOCK_FOR` (an owner can
unlock earlier), and `totp_last_step` keeps a code from being used twice.
"""

import hashlib
import secrets
from base64 import b32encode
from datetime import datetime, timedelta

from sqlalchemy import or_, update

from portal.clock import utcnow
from portal.extensions import db
from portal.gateways import otp
from portal.models import RecoveryCode, StaffUser
from portal.services.core import audit, counters
from portal.services.core.audit import Actor
from portal.services.practice import staff_auth

MAX_FAILURES = 5
LOCK_FOR = timedelta(minutes=15)
RECOVERY_CODES = 10


def new_secret() -> str:
    return otp.new_secret()


def setup_uri(user: StaffUser, secret: str) -> str:
    return otp.provisioning_uri(secret, user.email)


def _digits(code: str) -> str:
    return "".join(ch for ch in code if ch.isdigit())


def _recovery_form(code: str) -> str:
    return "".join(ch for ch in code.lower() if ch.isalnum())


def _hash(code: str) -> str:
    return hashlib.sha256(_recovery_form(code).encode()).hexdigest()


def _claim_step(user: StaffUser, step: int) -> bool:
    """Record `step` as used, unless it (or a later one) already was; atomic across workers."""
    claimed = db.session.execute(
        update(StaffUser)
        .where(
            StaffUser.id == user.id,
            or_(StaffUser.totp_last_step.is_(None), StaffUser.totp_last_step < step),
        )
        .values(totp_last_step=step)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.refresh(user)
    return claimed == 1


def _use_recovery_code(user: StaffUser, code: str, now: datetime) -> bool:
    used = db.session.execute(
        update(RecoveryCode)
        .where(
            RecoveryCode.staff_user_id == user.id,
            RecoveryCode.code_hash == _hash(code),
            RecoveryCode.used_at.is_(None),
        )
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    return used == 1


def code_matches(user: StaffUser, secret: str, code: str, now: datetime) -> bool:
    """A current TOTP code of `secret` not used before, or an unused recovery code; either is
    used up by this call."""
    digits = _digits(code)
    if len(digits) == 6 and len(code.strip()) <= 8:
        step = otp.matching_step(secret, digits, now)
        return step is not None and _claim_step(user, step)
    return len(_recovery_form(code)) == 16 and _use_recovery_code(user, code, now)


def is_locked(user: StaffUser, now: datetime | None = None) -> bool:
    return user.locked_until is not None and user.locked_until > (now or utcnow())


def _failed(user: StaffUser, actor: Actor, now: datetime) -> str:
    counters.increment(user, "code_failures")
    audit.record(
        "staff.code_failed",
        practice_id=user.practice_id,
        actor=actor,
        staff_id=user.id,
        failures=user.code_failures,
    )
    if user.code_failures < MAX_FAILURES:
        return "wrong"
    user.code_failures, user.locked_until = 0, now + LOCK_FOR
    audit.record("staff.locked", practice_id=user.practice_id, actor=actor, staff_id=user.id)
    return "locked"


def verify(user: StaffUser, code: str, actor: Actor, now: datetime | None = None) -> str:
    """Check a sign-in code of `user`: "ok", "wrong" or "locked"; the caller commits."""
    now = now or utcnow()
    if is_locked(user, now) or not user.totp_secret:
        return "locked" if is_locked(user, now) else "wrong"
    if code_matches(user, user.totp_secret, code or "", now):
        user.code_failures = 0
        return "ok"
    return _failed(user, actor, now)


def confirm(user: StaffUser, password: str, code: str, actor: Actor) -> str:
    """Check the password and a current code before a change to how the user signs in:
    "ok", "wrong" or "locked" (wrong codes count towards the lock as at sign-in)."""
    if not staff_auth.check_password(user, password):
        return "wrong"
    if not user.totp_secret:
        return "ok"
    return verify(user, code, actor)


def new_recovery_codes(user: StaffUser, now: datetime | None = None) -> list[str]:
    """Replace the user's recovery codes; the codes are returned only now, never stored."""
    db.session.execute(db.delete(RecoveryCode).where(RecoveryCode.staff_user_id == user.id))
    codes = []
    for _ in range(RECOVERY_CODES):
        raw = b32encode(secrets.token_bytes(10)).decode().lower()
        codes.append("-".join(raw[i : i + 4] for i in range(0, 16, 4)))
    db.session.add_all(
        RecoveryCode(staff_user_id=user.id, code_hash=_hash(c), created_at=now or utcnow())
        for c in codes
    )
    return codes


def unused_recovery_codes(user: StaffUser) -> int:
    return len(
        db.session.scalars(
            db.select(RecoveryCode.id).filter_by(staff_user_id=user.id, used_at=None)
        ).all()
    )


def enable(user: StaffUser, secret: str, code: str, actor: Actor) -> list[str] | None:
    """Turn the second factor on with `secret` once `code` proves the app has it; returns the
    new recovery codes, or None for a wrong code. Other sessions end."""
    now = utcnow()
    step = otp.matching_step(secret, _digits(code or ""), now)
    if step is None:
        return None
    user.totp_secret, user.totp_last_step = secret, step
    staff_auth.end_sessions(user)
    audit.record(
        "staff.second_factor_on", practice_id=user.practice_id, actor=actor, staff_id=user.id
    )
    return new_recovery_codes(user, now)


def disable(user: StaffUser, actor: Actor) -> None:
    """Turn the second factor off and drop the recovery codes; other sessions end."""
    user.totp_secret, user.totp_last_step = None, None
    db.session.execute(db.delete(RecoveryCode).where(RecoveryCode.staff_user_id == user.id))
    staff_auth.end_sessions(user)
    audit.record(
        "staff.second_factor_off", practice_id=user.practice_id, actor=actor, staff_id=user.id
    )
