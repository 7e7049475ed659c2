"""Where an invoice's collection stands: its cadence position, a hold or dispute, a stop."""

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.clock import utcnow
from portal.extensions import db
from portal.models.invoice import Invoice


class Hold(StrEnum):
    """Why staff paused an invoice's reminders."""

    HOLD = "hold"
    DISPUTE = "dispute"


class StopReason(StrEnum):
    """Why an invoice's cadence stopped (for good: paid, written off, void, a plan)."""

    PAID = "paid"
    WRITTEN_OFF = "written_off"
    VOID = "void"
    PLAN = "plan"
    HOLD = "hold"
    DISPUTE = "dispute"
    QUESTION = "question"


class CollectionState(db.Model):
    """Where an invoice stands in its cadence, and whether staff paused it."""

    __table_args__ = (
        #: the few invoices on hold or paused, which every run looks at
        Index(
            "ix_collection_state_hold",
            "invoice_id",
            postgresql_where=text("hold IS NOT NULL"),
            sqlite_where=text("hold IS NOT NULL"),
        ),
        Index(
            "ix_collection_state_paused",
            "invoice_id",
            postgresql_where=text("paused_until IS NOT NULL"),
            sqlite_where=text("paused_until IS NOT NULL"),
        ),
    )

    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoice.id"), primary_key=True)
    #: None or a `Hold`: set by staff (or by a chargeback), stops the cadence
    hold: Mapped[str | None] = mapped_column(String(16))
    hold_note: Mapped[str | None] = mapped_column(String(300))
    #: why the cadence ended: a `StopReason`
    stopped_reason: Mapped[str | None] = mapped_column(String(16))
    last_position: Mapped[int | None]
    #: the patient asked a question about the bill: reminders wait until this day
    paused_until: Mapped[date | None]
    #: the day the cadence next has something to do here (a step, a retry; every day while
    #: a hold, dispute or question stops it); None: nothing until the invoice changes (paid,
    #: plan, hold), which the run also picks up
    next_action_on: Mapped[date | None] = mapped_column(index=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    invoice: Mapped[Invoice] = relationship()
