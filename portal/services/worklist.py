"""The staff's invoice list: search and filters computed in SQL, balances from the ledger."""

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import func, or_

from portal.extensions import db
from portal.models import Invoice, LedgerEntry, Patient

#: age filters by days past the due date
AGES = {
    "current": (None, 0),
    "1-30": (1, 30),
    "31-60": (31, 60),
    "61-90": (61, 90),
    "90+": (91, None),
}


@dataclass(frozen=True)
class Row:
    invoice: Invoice
    patient: Patient
    balance_minor: int


def invoices(
    practice_id: int,
    *,
    text: str = "",
    status: str = "",
    age: str = "",
    min_balance_minor: int | None = None,
    today: date,
    limit: int = 200,
) -> list[Row]:
    """Invoices of a practice, newest first, with their balances."""
    balance = (
        db.select(LedgerEntry.invoice_id, func.sum(LedgerEntry.amount_minor).label("balance"))
        .group_by(LedgerEntry.invoice_id)
        .subquery()
    )
    amount = func.coalesce(balance.c.balance, 0)
    query = (
        db.select(Invoice, Patient, amount)
        .join(Patient, Patient.id == Invoice.patient_id)
        .outerjoin(balance, balance.c.invoice_id == Invoice.id)
        .where(Invoice.practice_id == practice_id)
    )
    for word in text.split():
        like = f"%{word}%"
        query = query.where(
            or_(
                Invoice.number.ilike(like),
                Patient.first_name.ilike(like),
                Patient.last_name.ilike(like),
                Patient.email.ilike(like),
            )
        )
    if status:
        query = query.where(Invoice.status == status)
    if age in AGES:
        low, high = AGES[age]
        if low is not None:
            query = query.where(Invoice.due_on <= today - timedelta(days=low))
        if high is not None:
            query = query.where(Invoice.due_on >= today - timedelta(days=high))
        query = query.where(Invoice.status == "open")
    if min_balance_minor is not None:
        query = query.where(amount >= min_balance_minor)
    query = query.order_by(Invoice.issued_on.desc(), Invoice.id.desc()).limit(limit)
    return [Row(inv, pat, int(bal)) for inv, pat, bal in db.session.execute(query)]
