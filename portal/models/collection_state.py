"""Where an invoice's collection stands: its cadence position, a hold or dispute, a stop."""

from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.clock import utcnow
from portal.extensions import db
from portal.models.invoice import Invoice


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
    #: None, "hold" or "dispute": set by staff, stops the cadence
    hold: Mapped[str | None] = mapped_column(String(16))
    hold_note: Mapped[str | None] = mapped_column(String(300))
    #: why the cadence ended: "paid", "plan", "hold", "dispute", "written_off"
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
