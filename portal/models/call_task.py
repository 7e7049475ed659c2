"""A call staff are to make about an invoice, with its outcome."""

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.clock import utcnow
from portal.extensions import db
from portal.models.invoice import Invoice
from portal.models.patient import Patient


class CallStatus(StrEnum):
    OPEN = "open"
    DONE = "done"


class CallOutcome(StrEnum):
    """What a call staff made came to; a promise carries a day and an amount."""

    REACHED = "reached"
    VOICEMAIL = "voicemail"
    PROMISE = "promise"
    DISPUTE = "dispute"
    WRONG_NUMBER = "wrong_number"


#: the outcomes as plain strings, for the check constraint's SQL
CALL_OUTCOMES = tuple(m.value for m in CallOutcome)


class CallTask(db.Model):
    __table_args__ = (
        CheckConstraint(f"outcome IS NULL OR outcome IN {CALL_OUTCOMES}", name="outcome"),
        Index("ix_call_task_outcome", "outcome"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    practice_id: Mapped[int] = mapped_column(ForeignKey("practice.id"), index=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoice.id"), index=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"))
    due_on: Mapped[date]
    position: Mapped[int]
    #: a `CallStatus`
    status: Mapped[str] = mapped_column(String(8), default="open")
    #: a `CallOutcome`
    outcome: Mapped[str | None] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(String(500))
    promise_on: Mapped[date | None]
    promise_amount_minor: Mapped[int | None]
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    completed_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    invoice: Mapped[Invoice] = relationship()
    patient: Mapped[Patient] = relationship()
