"""Installment plans: the practice's policy, a patient's plan, and its installments."""

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.clock import utcnow
from portal.extensions import db
from portal.models.invoice import Invoice
from portal.models.patient import Patient


class PlanStatus(StrEnum):
    PENDING_SIGNATURE = "pending_signature"
    ACTIVE = "active"
    COMPLETED = "completed"
    PAST_DUE = "past_due"
    CANCELLED = "cancelled"


class InstallmentStatus(StrEnum):
    SCHEDULED = "scheduled"
    PROCESSING = "processing"
    PAID = "paid"
    FAILED = "failed"
    CANCELLED = "cancelled"


PLAN_STATUSES = tuple(s.value for s in PlanStatus)
INSTALLMENT_STATUSES = tuple(s.value for s in InstallmentStatus)


#: the days after a failed charge's due date on which it is retried, when a practice has no
#: plan policy or keeps the default one
DEFAULT_RETRY_DAYS = (3, 5, 7)


class PlanPolicy(db.Model):
    """What plans a practice offers. Absent policy = no plans offered."""

    __table_args__ = (
        CheckConstraint("min_down_percent BETWEEN 0 AND 100", name="down_percent"),
        CheckConstraint("day_of_month IS NULL OR day_of_month BETWEEN 1 AND 28", name="day"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    practice_id: Mapped[int] = mapped_column(ForeignKey("practice.id"), unique=True)
    enabled: Mapped[bool] = mapped_column(default=True)
    #: comma-separated numbers of monthly installments offered, e.g. "3,6,10,12"
    allowed_counts: Mapped[str] = mapped_column(String(64), default="3,6,10,12")
    min_down_percent: Mapped[int] = mapped_column(default=10)
    min_down_minor: Mapped[int] = mapped_column(default=0)
    min_installment_minor: Mapped[int] = mapped_column(default=2500)
    min_balance_minor: Mapped[int] = mapped_column(default=10000)
    #: charge day of the month; None = the day of the month the plan was signed
    day_of_month: Mapped[int | None]
    #: days after a failed charge's due date on which it is tried again, e.g. "3,5,7"
    retry_days: Mapped[str] = mapped_column(
        String(32), default=",".join(map(str, DEFAULT_RETRY_DAYS))
    )

    @property
    def counts(self) -> list[int]:
        return sorted({int(n) for n in self.allowed_counts.split(",") if n.strip().isdigit()})

    @property
    def retries(self) -> list[int]:
        return sorted({int(n) for n in self.retry_days.split(",") if n.strip().isdigit()})


def retry_days_for(policy: PlanPolicy | None) -> list[int]:
    """The days after a declined charge's due date on which it is tried again: the
    practice's policy's, `DEFAULT_RETRY_DAYS` when it has no policy."""
    return policy.retries if policy is not None else list(DEFAULT_RETRY_DAYS)


class Plan(db.Model):
    __table_args__ = (
        CheckConstraint(f"status IN {PLAN_STATUSES}", name="status"),
        Index("ix_plan_status", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    practice_id: Mapped[int] = mapped_column(ForeignKey("practice.id"), index=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoice.id"), index=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), default="pending_signature")
    currency: Mapped[str] = mapped_column(String(3))
    #: the balance the plan covers, down payment included
    total_minor: Mapped[int]
    down_payment_minor: Mapped[int]
    installment_count: Mapped[int]
    #: Regulation Z disclosure figures, fixed when the plan is offered
    amount_financed_minor: Mapped[int]
    finance_charge_minor: Mapped[int] = mapped_column(default=0)
    apr: Mapped[str] = mapped_column(String(12), default="0.00")
    agreement_version: Mapped[str] = mapped_column(String(20))
    language: Mapped[str] = mapped_column(String(5))
    method: Mapped[str | None] = mapped_column(String(16))
    stripe_payment_method_id: Mapped[str | None] = mapped_column(String(64))
    #: the saved card or account as the patient knows it, e.g. "Visa •••• 4242"
    method_label: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    signed_at: Mapped[datetime | None]
    activated_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]
    #: everything recorded about the e-signature: hashes, IP, user agent, times, versions
    evidence: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    signer_name: Mapped[str | None] = mapped_column(String(200))
    #: PNG of the drawn signature, if one was drawn
    signature_png: Mapped[bytes | None] = mapped_column(LargeBinary)
    #: the agreement exactly as the sign page showed it (UTF-8 HTML), rendered once when the
    #: payment method is known; what is signed, hashed and embedded in the sealed PDF
    document_html: Mapped[bytes | None] = mapped_column(LargeBinary)
    document_sha256: Mapped[str | None] = mapped_column(String(64))
    #: the consent to electronic records exactly as shown (UTF-8 HTML)
    consent_html: Mapped[bytes | None] = mapped_column(LargeBinary)
    #: retry days stated in the agreement, frozen when it was rendered, e.g. "3,5,7"
    retry_days: Mapped[str | None] = mapped_column(String(32))
    #: the sealed agreement PDF and its SHA-256
    agreement_pdf: Mapped[bytes | None] = mapped_column(LargeBinary)
    agreement_pdf_sha256: Mapped[str | None] = mapped_column(String(64))

    invoice: Mapped[Invoice] = relationship()
    patient: Mapped[Patient] = relationship()
    installments: Mapped[list["Installment"]] = relationship(
        back_populates="plan", order_by="Installment.sequence", cascade="all, delete-orphan"
    )


class Installment(db.Model):
    __table_args__ = (
        UniqueConstraint("plan_id", "sequence"),
        CheckConstraint(f"status IN {INSTALLMENT_STATUSES}", name="status"),
        CheckConstraint("amount_minor > 0", name="amount_positive"),
        #: the installments to charge today and the retries due (`installments.due`)
        Index("ix_installment_status_due", "status", "due_on"),
        Index("ix_installment_status_retry", "status", "next_attempt_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.id"), index=True)
    #: 0 is the down payment, 1..n the monthly installments
    sequence: Mapped[int]
    due_on: Mapped[date] = mapped_column(index=True)
    amount_minor: Mapped[int]
    status: Mapped[str] = mapped_column(String(16), default="scheduled")
    attempts: Mapped[int] = mapped_column(default=0)
    #: when a failed charge is tried again; None once no attempt is left
    next_attempt_on: Mapped[date | None]
    failure_code: Mapped[str | None] = mapped_column(String(64))
    reminded_on: Mapped[date | None]
    paid_at: Mapped[datetime | None]

    plan: Mapped[Plan] = relationship(back_populates="installments")
