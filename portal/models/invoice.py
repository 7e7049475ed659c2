"""An invoice and its itemized lines. Amounts are integer minor units of `Invoice.currency`."""

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.clock import utcnow
from portal.extensions import db
from portal.models.patient import Patient
from portal.models.practice import Practice


class InvoiceStatus(StrEnum):
    """draft: being written, not yet owed; open: issued and owed; paid; void: cancelled."""

    DRAFT = "draft"
    OPEN = "open"
    PAID = "paid"
    VOID = "void"


INVOICE_STATUSES = tuple(s.value for s in InvoiceStatus)
#: open invoices the cadence has not started (the condition of a partial index)
CADENCE_NEW = "status = 'open' AND NOT cadence_started"


class Invoice(db.Model):
    __table_args__ = (
        UniqueConstraint("practice_id", "number"),
        CheckConstraint(f"status IN {INVOICE_STATUSES}", name="status"),
        #: the staff list, page by page (search indexes: see migration 0013)
        Index("ix_invoice_practice_issued", "practice_id", "issued_on", "id"),
        Index("ix_invoice_practice_status_issued", "practice_id", "status", "issued_on", "id"),
        Index("ix_invoice_status_due", "status", "due_on"),
        #: open balances by due date: the aging and the staff list's age filter (0024)
        Index(
            "ix_invoice_open_due",
            "practice_id",
            "due_on",
            "patient_id",
            "balance_minor",
            "issued_on",
            "voided_at",
            postgresql_where=text("balance_minor > 0"),
            sqlite_where=text("balance_minor > 0"),
        ),
        Index("ix_invoice_practice_voided", "practice_id", "voided_at"),
        #: void invoices that still show a balance: the aging's kept totals hold without (0028)
        Index(
            "ix_invoice_void_open",
            "practice_id",
            "voided_at",
            postgresql_where=text("balance_minor > 0 AND voided_at IS NOT NULL"),
            sqlite_where=text("balance_minor > 0 AND voided_at IS NOT NULL"),
        ),
        #: the open invoices the reminder cadence has not started yet
        Index(
            "ix_invoice_cadence_new",
            "status",
            "due_on",
            postgresql_where=text(CADENCE_NEW),
            sqlite_where=text(CADENCE_NEW),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    practice_id: Mapped[int] = mapped_column(ForeignKey("practice.id"), index=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"), index=True)
    #: the practice's own invoice number, shown to the patient
    number: Mapped[str] = mapped_column(String(40))
    currency: Mapped[str] = mapped_column(String(3))
    issued_on: Mapped[date]
    due_on: Mapped[date]
    status: Mapped[str] = mapped_column(String(16), default="open")
    #: the reminder cadence has a `CollectionState` for it (set by the cadence)
    cadence_started: Mapped[bool] = mapped_column(default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    paid_at: Mapped[datetime | None]
    voided_at: Mapped[datetime | None]
    #: the sum of the invoice's ledger entries, kept by a database trigger on every ledger
    #: insert (migration 0024); read it from a query, an invoice loaded earlier may be stale
    balance_minor: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")

    practice: Mapped[Practice] = relationship()
    patient: Mapped[Patient] = relationship()
    lines: Mapped[list["InvoiceLine"]] = relationship(
        back_populates="invoice", order_by="InvoiceLine.position", cascade="all, delete-orphan"
    )


class InvoiceLine(db.Model):
    __table_args__ = (
        CheckConstraint("charged_minor >= 0", name="charged_not_negative"),
        CheckConstraint("patient_share_minor >= 0", name="share_not_negative"),
        CheckConstraint(
            "patient_share_minor = charged_minor - insurance_paid_minor - adjustment_minor",
            name="share_adds_up",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoice.id"), index=True)
    position: Mapped[int]
    service_date: Mapped[date]
    #: CDT/CPT or the practice's own code; optional
    procedure_code: Mapped[str | None] = mapped_column(String(20))
    description: Mapped[str] = mapped_column(String(300))
    charged_minor: Mapped[int]
    insurance_paid_minor: Mapped[int] = mapped_column(default=0)
    #: contractual or courtesy adjustment taken off the charge
    adjustment_minor: Mapped[int] = mapped_column(default=0)
    patient_share_minor: Mapped[int]

    invoice: Mapped[Invoice] = relationship(back_populates="lines")
