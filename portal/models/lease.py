"""Database leases for periodic work, and the log that makes each plan reminder unique."""

from datetime import date, datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from portal.clock import utcnow
from portal.extensions import db


class JobLease(db.Model):
    """Who runs a periodic job for one period (e.g. the hour "2026-12-01T09")."""

    __table_args__ = (UniqueConstraint("name", "period", name="uq_job_lease_period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(40))
    period: Mapped[str] = mapped_column(String(40))
    #: a random token of the process holding the lease
    holder: Mapped[str] = mapped_column(String(64))
    #: another process may take the lease over after this (its holder died)
    expires_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class InstallmentReminder(db.Model):
    """A plan message sent for an installment: at most one per (installment, step, day)."""

    __table_args__ = (
        UniqueConstraint("installment_id", "step", "sent_on", name="uq_installment_reminder"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    installment_id: Mapped[int] = mapped_column(ForeignKey("installment.id"), index=True)
    #: "upcoming"
    step: Mapped[str] = mapped_column(String(20))
    sent_on: Mapped[date]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
