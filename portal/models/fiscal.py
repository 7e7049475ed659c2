"""Fiscal documents: the practice's fiscal profile, patients' tax ids, per-year counters,
issued health invoices and credit notes, and oppositions to the Sistema TS."""

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.clock import utcnow
from portal.extensions import db
from portal.models.invoice import Invoice
from portal.models.patient import Patient
from portal.models.payment import Payment, Refund
from portal.models.practice import Practice


class Issuer(StrEnum):
    """Who issues the practice's fiscal documents."""

    #: Saldo issues the fiscal document
    SALDO = "saldo"
    #: the practice's own software does
    PRACTICE = "practice"


class DocumentKind(StrEnum):
    """A health invoice documents a payment; a credit note documents a refund of one."""

    INVOICE = "invoice"
    CREDIT_NOTE = "credit_note"


class TaxIdSource(StrEnum):
    """Who gave a patient's codice fiscale (the patient: after verification)."""

    STAFF = "staff"
    CSV = "csv"
    API = "api"
    PATIENT = "patient"


#: the members as plain strings, for the check constraints' SQL
ISSUERS = tuple(m.value for m in Issuer)
DOCUMENT_KINDS = tuple(m.value for m in DocumentKind)
TAX_ID_SOURCES = tuple(m.value for m in TaxIdSource)


class FiscalProfile(db.Model):
    __table_args__ = (CheckConstraint(f"issuer IN {ISSUERS}", name="issuer"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    practice_id: Mapped[int] = mapped_column(ForeignKey("practice.id"), unique=True)
    issuer: Mapped[str] = mapped_column(String(16), default=Issuer.PRACTICE.value)
    #: when Saldo started issuing: payments before it were documented by the practice
    issuing_since: Mapped[datetime | None]
    #: legal name on fiscal documents (default: the practice name)
    legal_name: Mapped[str | None] = mapped_column(String(200))
    #: postal address of the registered office, lines separated by newlines
    fiscal_address: Mapped[str | None] = mapped_column(String(500))
    #: Italy: partita IVA (11 digits) and codice fiscale of the practice or professional
    partita_iva: Mapped[str | None] = mapped_column(String(11))
    codice_fiscale: Mapped[str | None] = mapped_column(String(16))
    #: Italy: tax regime as written on the invoice, e.g. "RF01 ordinario", "RF19 forfettario"
    regime: Mapped[str | None] = mapped_column(String(100))
    #: Italy: professional register, e.g. "Ordine dei Medici e Odontoiatri di Roma n. 12345"
    albo: Mapped[str | None] = mapped_column(String(200))
    #: Italy: the €2 stamp duty is recovered from the patient (else the practice bears it)
    stamp_charged_to_patient: Mapped[bool] = mapped_column(default=False)
    #: Italy: authorisation for virtual stamp duty (art. 15 DPR 642/1972), as printed
    stamp_authorization: Mapped[str | None] = mapped_column(String(200))
    #: US: employer identification number "12-3456789" and 10-digit NPI
    ein: Mapped[str | None] = mapped_column(String(10))
    npi: Mapped[str | None] = mapped_column(String(10))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    practice: Mapped[Practice] = relationship()


class PatientTaxId(db.Model):
    __table_args__ = (CheckConstraint(f"source IN {TAX_ID_SOURCES}", name="source"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"), unique=True)
    codice_fiscale: Mapped[str] = mapped_column(String(16))
    #: a `TaxIdSource`
    source: Mapped[str] = mapped_column(String(8))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    patient: Mapped[Patient] = relationship()


class FiscalCounter(db.Model):
    """The last number used per practice, kind and year; bumped under a row lock."""

    practice_id: Mapped[int] = mapped_column(ForeignKey("practice.id"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    year: Mapped[int] = mapped_column(primary_key=True)
    last_number: Mapped[int] = mapped_column(default=0)


class FiscalDocument(db.Model):
    __table_args__ = (
        UniqueConstraint("practice_id", "kind", "year", "number"),
        CheckConstraint(f"kind IN {DOCUMENT_KINDS}", name="kind"),
        CheckConstraint("amount_minor > 0", name="amount_positive"),
        CheckConstraint("stamp_duty_minor IN (0, 200)", name="stamp_duty"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    practice_id: Mapped[int] = mapped_column(ForeignKey("practice.id"), index=True)
    #: a `DocumentKind`
    kind: Mapped[str] = mapped_column(String(16))
    year: Mapped[int]
    number: Mapped[int]
    issued_on: Mapped[date]
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoice.id"), index=True)
    #: the payment a health invoice documents (one document per payment)
    payment_id: Mapped[int | None] = mapped_column(ForeignKey("payment.id"), unique=True)
    #: the refund a credit note documents, and the health invoice it corrects
    refund_id: Mapped[int | None] = mapped_column(ForeignKey("refund.id"), unique=True)
    corrects_id: Mapped[int | None] = mapped_column(ForeignKey("fiscal_document.id"))
    #: snapshot of the patient's codice fiscale at issue
    patient_codice_fiscale: Mapped[str] = mapped_column(String(16))
    #: VAT-exempt health services (art. 10 n. 18 DPR 633/72), excluding stamp duty
    amount_minor: Mapped[int]
    stamp_duty_minor: Mapped[int] = mapped_column(default=0)
    #: the stamp duty is part of what the patient paid
    stamp_charged: Mapped[bool] = mapped_column(default=False)
    currency: Mapped[str] = mapped_column(String(3))
    #: the payment (or refund) method, e.g. "card", and its date in the practice's zone
    method: Mapped[str] = mapped_column(String(16))
    paid_on: Mapped[date]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    practice: Mapped[Practice] = relationship()
    invoice: Mapped[Invoice] = relationship()
    payment: Mapped[Payment | None] = relationship()
    refund: Mapped[Refund | None] = relationship()
    corrects: Mapped["FiscalDocument | None"] = relationship(remote_side=[id])

    @property
    def total_minor(self) -> int:
        return self.amount_minor + (self.stamp_duty_minor if self.stamp_charged else 0)

    @property
    def label(self) -> str:
        prefix = "NC " if self.kind == DocumentKind.CREDIT_NOTE else ""
        return f"{prefix}{self.number}/{self.year}"

    @property
    def sts_number(self) -> str:
        """The document number as sent to the Sistema TS (numDocType: [A-Za-z0-9_./\\-])."""
        return (
            f"NC{self.number}/{self.year}" if self.kind == DocumentKind.CREDIT_NOTE else self.label
        )


class TsOpposition(db.Model):
    """The patient's choice about sending an invoice's data to the Sistema TS
    (art. 3 DM 31 luglio 2015); the newest row for an invoice is in force."""

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoice.id"), index=True)
    #: True: the patient opposes the transmission; False: withdrew an opposition
    opposed: Mapped[bool]
    #: "patient:link:<id>" or "staff:<id>"
    recorded_by: Mapped[str] = mapped_column(String(64))
    #: the exact text the patient was shown, in the language shown
    text_shown: Mapped[str] = mapped_column(Text)
    locale: Mapped[str] = mapped_column(String(5))
    ip_address: Mapped[str | None] = mapped_column(String(45))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)


class StsReminder(db.Model):
    """One reminder per practice and month to export the Sistema TS data."""

    practice_id: Mapped[int] = mapped_column(ForeignKey("practice.id"), primary_key=True)
    #: the month to export, "YYYY-MM"
    month: Mapped[str] = mapped_column(String(7), primary_key=True)
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)
