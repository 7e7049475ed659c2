"""Running totals the database keeps for the collection reports (migration 0028), so the
aging and a period's sums read a row per day instead of a row per invoice or entry.

Both are kept by triggers in the transaction that changes the invoice or writes the entry,
whoever writes it; nothing in the portal writes them. Each row is exactly the plain sum it
stands for.
"""

from datetime import date

from sqlalchemy import BigInteger, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import db


class KeptReceivable(db.Model):
    """The open receivables of a practice due on one day: the sum of the positive
    `invoice.balance_minor` of its invoices due that day, and how many they are."""

    __tablename__ = "kept_receivable"
    practice_id: Mapped[int] = mapped_column(ForeignKey("practice.id"), primary_key=True)
    due_on: Mapped[date] = mapped_column(primary_key=True)
    amount_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    invoices: Mapped[int] = mapped_column(default=0)


class KeptLedgerDay(db.Model):
    """A practice's ledger entries of one kind created on one UTC day (the day of their
    naive UTC `created_at`): their signed sum and how many they are."""

    __tablename__ = "kept_ledger_day"
    practice_id: Mapped[int] = mapped_column(ForeignKey("practice.id"), primary_key=True)
    day: Mapped[date] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    amount_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    entries: Mapped[int] = mapped_column(default=0)


class KeptPatientsOwing(db.Model):
    """How many of a practice's patients have a positive `patient.open_balance_minor`."""

    __tablename__ = "kept_patients_owing"
    practice_id: Mapped[int] = mapped_column(ForeignKey("practice.id"), primary_key=True)
    patients: Mapped[int] = mapped_column(default=0)
