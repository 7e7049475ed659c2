"""Running totals the database keeps for the collection reports (migration 0028), so the
aging and a period's sums read a row per day instead of a row per invoice or entry.

They are kept by triggers in the transaction that changes the invoice or writes the entry,
whoever writes it. A trigger only appends a row of what changed (it never updates a shared row,
so two writers of one practice and day never wait on each other or deadlock); the sum of a
key's rows is exactly the plain sum it stands for, and the hourly run folds them into one row
per key (`services.collections.kept_totals.compact`).
"""

from datetime import date

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import db

#: a row per change until the hourly fold: 64-bit ids on PostgreSQL
_ID = BigInteger().with_variant(Integer(), "sqlite")


class KeptReceivable(db.Model):
    """The open receivables of a practice due on one day, summed over the key's rows: the sum
    of the positive `invoice.balance_minor` of its invoices due that day, and how many."""

    __tablename__ = "kept_receivable"
    __table_args__ = (Index("ix_kept_receivable_key", "practice_id", "due_on"),)
    id: Mapped[int] = mapped_column(_ID, primary_key=True)
    practice_id: Mapped[int] = mapped_column(ForeignKey("practice.id"))
    due_on: Mapped[date]
    amount_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    invoices: Mapped[int] = mapped_column(default=0)


class KeptLedgerDay(db.Model):
    """A practice's ledger entries of one kind created on one UTC day (the day of their
    naive UTC `created_at`): their signed sum and how many they are."""

    __tablename__ = "kept_ledger_day"
    __table_args__ = (Index("ix_kept_ledger_day_key", "practice_id", "day", "kind"),)
    id: Mapped[int] = mapped_column(_ID, primary_key=True)
    practice_id: Mapped[int] = mapped_column(ForeignKey("practice.id"))
    day: Mapped[date]
    kind: Mapped[str] = mapped_column(String(16))
    amount_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    entries: Mapped[int] = mapped_column(default=0)


class KeptPatientsOwing(db.Model):
    """How many of a practice's patients have a positive `patient.open_balance_minor`."""

    __tablename__ = "kept_patients_owing"
    __table_args__ = (Index("ix_kept_patients_owing_key", "practice_id"),)
    id: Mapped[int] = mapped_column(_ID, primary_key=True)
    practice_id: Mapped[int] = mapped_column(ForeignKey("practice.id"))
    patients: Mapped[int] = mapped_column(default=0)
