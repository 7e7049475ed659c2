"""What the cadence did for an invoice's step: sent, skipped, failed, a letter."""

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from portal.clock import utcnow
from portal.extensions import db


class ReminderStatus(StrEnum):
    """sent; task: a call task was made; letter: queued for the letters batch; skipped (with
    the reason); failed (retried by the messaging rule)."""

    SENT = "sent"
    TASK = "task"
    LETTER = "letter"
    SKIPPED = "skipped"
    FAILED = "failed"


class ReminderLog(db.Model):
    """A cadence step carried out (or skipped, with the reason) for an invoice."""

    __table_args__ = (UniqueConstraint("invoice_id", "position", "channel"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    practice_id: Mapped[int] = mapped_column(ForeignKey("practice.id"), index=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoice.id"), index=True)
    position: Mapped[int]
    channel: Mapped[str] = mapped_column(String(8))
    #: the day (patient's time zone) it went out
    sent_on: Mapped[date] = mapped_column(index=True)
    #: a `ReminderStatus`
    status: Mapped[str] = mapped_column(String(8))
    reason: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
