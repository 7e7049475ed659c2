"""Work that must follow a committed change (emails, sealing, notices), done by a worker.

A row is written in the same transaction as the change it follows, so the work is never
lost and never done for a change that rolled back. The worker (`portal.services.core.outbox`)
leases a row, performs it and marks it done, or schedules the next attempt with backoff.
"""

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from portal.clock import utcnow
from portal.extensions import db


class WorkStatus(StrEnum):
    """pending: waiting for its next attempt; done: performed; failed: gave up, staff may
    retry."""

    PENDING = "pending"
    DONE = "done"
    FAILED = "failed"


WORK_STATUSES = tuple(s.value for s in WorkStatus)


class PendingWork(db.Model):
    __tablename__ = "pending_work"
    __table_args__ = (
        CheckConstraint(f"status IN {WORK_STATUSES}", name="status"),
        Index("ix_pending_work_due", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    practice_id: Mapped[int] = mapped_column(ForeignKey("practice.id"), index=True)
    invoice_id: Mapped[int | None] = mapped_column(ForeignKey("invoice.id"), index=True)
    #: what to do, e.g. "receipt_email", "seal_agreement", "plan_email"
    kind: Mapped[str] = mapped_column(String(32))
    #: the same work is recorded once, e.g. "receipt:payment:12"
    dedupe_key: Mapped[str] = mapped_column(String(120), unique=True)
    #: ids and names the handler needs; never message bodies or health details
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(8), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: a worker holds the row until then; after it, another worker may take it over
    leased_until: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    done_at: Mapped[datetime | None]
