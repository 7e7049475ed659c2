"""A patient's question about a bill, on the practice's worklist until staff answer it."""

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.clock import utcnow
from portal.extensions import db
from portal.models.invoice import Invoice


class QuestionStatus(StrEnum):
    #: waiting on the practice's worklist
    OPEN = "open"
    #: staff answered it (with a reply or without)
    ANSWERED = "answered"


QUESTION_STATUSES = tuple(s.value for s in QuestionStatus)


class BillQuestion(db.Model):
    __table_args__ = (
        CheckConstraint(f"status IN {QUESTION_STATUSES}", name="status"),
        Index("ix_bill_question_worklist", "practice_id", "status", "asked_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    practice_id: Mapped[int] = mapped_column(ForeignKey("practice.id"))
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoice.id"), index=True)
    text: Mapped[str] = mapped_column(Text)
    asked_at: Mapped[datetime] = mapped_column(default=utcnow)
    status: Mapped[str] = mapped_column(String(16), default=QuestionStatus.OPEN)
    #: the last day the question paused the reminders for; None: it paused nothing
    paused_until: Mapped[date | None]
    #: what staff answered, shown to the patient on the bill once verified
    reply: Mapped[str | None] = mapped_column(Text)
    answered_at: Mapped[datetime | None]
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))

    invoice: Mapped[Invoice] = relationship()
