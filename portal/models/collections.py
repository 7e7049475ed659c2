"""Collections: the reminder cadence, what was sent, call tasks, consent records,
settlement offers, early-payment discounts and delinquency alerts."""

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.clock import utcnow
from portal.extensions import db
from portal.models.invoice import Invoice
from portal.models.patient import Patient

CADENCE_CHANNELS = ("call", "sms", "email", "letter")
CALL_OUTCOMES = ("reached", "voicemail", "promise", "dispute", "wrong_number")
ALERT_KINDS = (
    "late_installment",
    "failed_charge",
    "short_payment",
    "skipped_cycle",
    "link_not_opened",
    "verification_locked",
    "missed_promise",
    "card_expiring",
    "stripe_dispute",
    "credit_held",
)


class CadenceStep(db.Model):
    """One step of a practice's reminder cadence; none stored = the default 3-3-3 cadence."""

    __table_args__ = (
        UniqueConstraint("practice_id", "position"),
        CheckConstraint(f"channel IN {CADENCE_CHANNELS}", name="channel"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    practice_id: Mapped[int] = mapped_column(ForeignKey("practice.id"), index=True)
    position: Mapped[int]
    channel: Mapped[str] = mapped_column(String(8))
    #: days after the due date (negative: before it, for the courtesy reminder)
    day_offset: Mapped[int]
    #: "courtesy", "friendly", "firm", "final": picks the message template
    tone: Mapped[str] = mapped_column(String(16))


class CollectionState(db.Model):
    """Where an invoice stands in its cadence, and whether staff paused it."""

    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoice.id"), primary_key=True)
    #: None, "hold" or "dispute": set by staff, stops the cadence
    hold: Mapped[str | None] = mapped_column(String(16))
    hold_note: Mapped[str | None] = mapped_column(String(300))
    #: why the cadence ended: "paid", "plan", "hold", "dispute", "written_off"
    stopped_reason: Mapped[str | None] = mapped_column(String(16))
    last_position: Mapped[int | None]
    #: the patient asked a question about the bill: reminders wait until this day
    paused_until: Mapped[date | None]
    #: the day the cadence next has something to do here (a step, a retry); None: nothing
    #: until the invoice changes (paid, plan, hold), which the run also picks up
    next_action_on: Mapped[date | None] = mapped_column(index=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    invoice: Mapped[Invoice] = relationship()


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
    #: "sent", "task" (a call task was made), "letter", "skipped", "failed"
    status: Mapped[str] = mapped_column(String(8))
    reason: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CallTask(db.Model):
    __table_args__ = (
        CheckConstraint(f"outcome IS NULL OR outcome IN {CALL_OUTCOMES}", name="outcome"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    practice_id: Mapped[int] = mapped_column(ForeignKey("practice.id"), index=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoice.id"), index=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"))
    due_on: Mapped[date]
    position: Mapped[int]
    #: "open" or "done"
    status: Mapped[str] = mapped_column(String(8), default="open")
    outcome: Mapped[str | None] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(String(500))
    promise_on: Mapped[date | None]
    promise_amount_minor: Mapped[int | None]
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    completed_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    invoice: Mapped[Invoice] = relationship()
    patient: Mapped[Patient] = relationship()


class ConsentRecord(db.Model):
    """A change of a patient's consent to be contacted on a channel, with the text shown."""

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"), index=True)
    channel: Mapped[str] = mapped_column(String(8))
    granted: Mapped[bool]
    #: "sms_stop", "sms_start", "email_unsubscribe", "staff", "api", "csv", "patient_page"
    source: Mapped[str] = mapped_column(String(32))
    text_shown: Mapped[str] = mapped_column(Text)
    #: who made the change: "staff:12", "system:apikey:3", "patient:link:5"
    recorded_by: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SettlementOffer(db.Model):
    __table_args__ = (
        CheckConstraint("amount_minor > 0", name="amount_positive"),
        CheckConstraint("status IN ('open', 'accepted', 'expired', 'withdrawn')", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    practice_id: Mapped[int] = mapped_column(ForeignKey("practice.id"), index=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoice.id"), index=True)
    amount_minor: Mapped[int]
    expires_on: Mapped[date]
    status: Mapped[str] = mapped_column(String(12), default="open")
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    payment_id: Mapped[int | None] = mapped_column(ForeignKey("payment.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    invoice: Mapped[Invoice] = relationship()


class DiscountPolicy(db.Model):
    """Early-payment discount: `percent` off if paid in full within `within_days` of issue."""

    __table_args__ = (CheckConstraint("percent BETWEEN 1 AND 50", name="percent"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    practice_id: Mapped[int] = mapped_column(ForeignKey("practice.id"), unique=True)
    enabled: Mapped[bool] = mapped_column(default=True)
    percent: Mapped[int] = mapped_column(default=5)
    within_days: Mapped[int] = mapped_column(default=10)
    #: balances from this amount up must pay a deposit before a plan; None = no rule
    deposit_threshold_minor: Mapped[int | None]
    deposit_percent: Mapped[int | None]


class Alert(db.Model):
    __table_args__ = (
        CheckConstraint(f"kind IN {ALERT_KINDS}", name="kind"),
        UniqueConstraint("invoice_id", "kind", "raised_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    practice_id: Mapped[int] = mapped_column(ForeignKey("practice.id"), index=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoice.id"), index=True)
    kind: Mapped[str] = mapped_column(String(24))
    raised_on: Mapped[date]
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    resolved_at: Mapped[datetime | None]

    invoice: Mapped[Invoice] = relationship()
