"""Staff users of a practice, their sign-in attempts, and the practice's API keys."""

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.clock import utcnow
from portal.extensions import db
from portal.models.practice import Practice

#: owner: everything incl. settings and users; billing: invoices, sending, money; viewer: read
ROLES = ("owner", "billing", "viewer")


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
