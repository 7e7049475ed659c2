"""Private payment links and the date-of-birth checks made through them."""

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.clock import utcnow
from portal.extensions import db
from portal.models.invoice import Invoice


class PaymentLink(db.Model):
    #: the alert sweep's links first sent a week ago
    __table_args__ = (Index("ix_payment_link_created", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoice.id"), index=True)
    #: SHA-256 hex of the token; the token itself is never stored
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    #: revoked because a newer message carries a fresh link: the token no longer opens, but
    #: a patient session already open on it goes on (until the session itself ends)
    replaced_at: Mapped[datetime | None]
    first_opened_at: Mapped[datetime | None]
    verified_at: Mapped[datetime | None]
    #: wrong answers to the identity check since the link was made or last unlocked
    failed_checks: Mapped[int] = mapped_column(default=0, server_default="0")
    #: the identity check is refused until staff unlock the link or send a new one
    locked_at: Mapped[datetime | None]

    invoice: Mapped[Invoice] = relationship()


class VerificationAttempt(db.Model):
    __table_args__ = (
        Index("ix_verification_link_time", "link_id", "created_at"),
        Index("ix_verification_ip_time", "ip_address", "created_at"),
        Index("ix_verification_time", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    link_id: Mapped[int] = mapped_column(ForeignKey("payment_link.id"))
    ip_address: Mapped[str] = mapped_column(String(45))
    succeeded: Mapped[bool]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
