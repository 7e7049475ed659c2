"""Staff users of a practice, their sign-in attempts, and the practice's API keys."""

from datetime import datetime
from enum import StrEnum

from flask_login import UserMixin
from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.clock import utcnow
from portal.extensions import db
from portal.models.practice import Practice


class Role(StrEnum):
    """What a staff user may do."""

    #: everything, settings and users included
    OWNER = "owner"
    #: invoices, sending, money
    BILLING = "billing"
    #: read only
    VIEWER = "viewer"


#: the roles as plain strings, for the check constraint's SQL
ROLES = tuple(m.value for m in Role)


class StaffUser(UserMixin, db.Model):
    __table_args__ = (CheckConstraint(f"role IN {ROLES}", name="role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    practice_id: Mapped[int] = mapped_column(ForeignKey("practice.id"), index=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    #: argon2id hash
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    locale: Mapped[str] = mapped_column(String(5), default="en")
    #: base32 TOTP secret once the second factor is confirmed
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    #: the TOTP time step of the last code accepted; a code of that step or before is refused
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger)
    #: wrong second-factor codes since the last success or unlock
    code_failures: Mapped[int] = mapped_column(default=0, server_default="0")
    #: sign-in refused until then (too many wrong codes); an owner can unlock earlier
    locked_until: Mapped[datetime | None]
    #: wrong passwords before this time no longer count towards a lockout
    unlocked_at: Mapped[datetime | None]
    #: copied into the session at sign-in; raising it ends every session of the user
    session_version: Mapped[int] = mapped_column(default=1, server_default="1")
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]

    practice: Mapped[Practice] = relationship()

    @property
    def is_active(self) -> bool:
        return self.active

    def can(self, *roles: str) -> bool:
        return self.role in roles


class LoginAttempt(db.Model):
    __table_args__ = (
        Index("ix_login_email_time", "email", "created_at"),
        Index("ix_login_ip_time", "ip_address", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254))
    ip_address: Mapped[str] = mapped_column(String(45))
    succeeded: Mapped[bool]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class RecoveryCode(db.Model):
    """One-use codes that stand in for the authenticator app; only their SHA-256 is kept."""

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_user_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    used_at: Mapped[datetime | None]


class ApiKey(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    practice_id: Mapped[int] = mapped_column(ForeignKey("practice.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    #: first characters of the key, shown to staff to tell keys apart
    prefix: Mapped[str] = mapped_column(String(12))
    #: SHA-256 hex of the whole key
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]

    practice: Mapped[Practice] = relationship()
