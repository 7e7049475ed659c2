"""The staff's invoice list: the page is chosen first, in SQL, then balances for its rows.

Balances are the ones kept on the invoices (`Invoice.balance_minor`), read with the page.
Pages are keyset pages, newest first: `after` is the cursor of the last row of the previous
page ("<issued_on>.<id>"), so page 1,000 costs what page 1 does. Search matches every word
against the invoice number and the patient's names and email, by substring, through trigram
indexes (pg_trgm on PostgreSQL, GIN on the number and GiST on the patient's columns, 0014 and
0028; FTS5 trigram tables on SQLite, 0014).
"""

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import (
    Date,
    Integer,
    bindparam,
    func,
    literal_column,
    or_,
    text,
    tuple_,
    type_coerce,
    union,
)

from portal.extensions import db
from portal.models import Invoice, LedgerEntry, Patient
from portal.models.invoice import InvoiceStatus

#: age filters by days past the due date
AGES = {
    "current": (None, 0),
    "1-30": (1, 30),
    "31-60": (31, 60),
    "61-90": (61, 90),
    "90+": (91, None),
}
PAGE_SIZE = 50


@dataclass(frozen=True)
class Row:
    invoice: Invoice
    patient: Patient
    balance_minor: int


@dataclass(frozen=True)
class Page:
    rows: list[Row]
    #: the cursor of the next page, None on the last one
    next_after: str | None


def invoices(
    practice_id: int,
    *,
    text: str = "",
    status: str = "",
    age: str = "",
    min_balance_minor: int | None = None,
    today: date,
    after: str | None = None,
    limit: int | None = None,
) -> Page:
    """One page of a practice's invoices (`limit`, default `PAGE_SIZE`), newest first, with
    their balances."""
    limit = limit or PAGE_SIZE
    query = (
        db.select(Invoice, Patient, Invoice.balance_minor)
        .join(Patient, Patient.id == Invoice.patient_id)
        .where(Invoice.practice_id == practice_id)
    )
    for word in text.split():
        query = query.where(_matches(practice_id, word))
    if status:
        query = query.where(Invoice.status == status)
    if age in AGES:
        low, high = AGES[age]
        due_on = _due_on_in_order()
        if low is not None:
            query = query.where(due_on <= today - timedelta(days=low))
        if high is not None:
            query = query.where(due_on >= today - timedelta(days=high))
        query = query.where(Invoice.status == InvoiceStatus.OPEN)
    if min_balance_minor is not None:
        query = query.where(Invoice.balance_minor >= min_balance_minor)
    cursor = _cursor(after)
    if cursor is not None:
        issued_on, invoice_id = cursor
        # a row value: both databases read it as one range of the (issued_on, id) index
        query = query.where(tuple_(Invoice.issued_on, Invoice.id) < tuple_(issued_on, invoice_id))
    query = query.order_by(Invoice.issued_on.desc(), Invoice.id.desc()).limit(limit + 1)
    found = db.session.execute(query).all()
    more = len(found) > limit
    found = found[:limit]
    rows = [Row(invoice, patient, int(balance)) for invoice, patient, balance in found]
    last = rows[-1].invoice if rows and more else None
    return Page(rows, f"{last.issued_on.isoformat()}.{last.id}" if last else None)


def balances_of(invoice_ids: list[int]) -> dict[int, int]:
    """The balances of the given invoices, in one statement."""
    if not invoice_ids:
        return {}
    query = (
        db.select(LedgerEntry.invoice_id, func.sum(LedgerEntry.amount_minor))
        .where(LedgerEntry.invoice_id.in_(invoice_ids))
        .group_by(LedgerEntry.invoice_id)
    )
    return {invoice_id: int(total) for invoice_id, total in db.session.execute(query)}


def _due_on_in_order():
    """The due date to filter on. SQLite, without statistics, would read the range from the
    due date index and sort all of it; `+due_on` (the same value) keeps it on the index in
    the list's order, which stops at the page. PostgreSQL chooses by its statistics."""
    if db.session.get_bind().dialect.name == "sqlite":
        return type_coerce(literal_column("+invoice.due_on"), Date)
    return Invoice.due_on


def _cursor(after: str | None) -> tuple[date, int] | None:
    day, _, number = (after or "").partition(".")
    try:
        return date.fromisoformat(day), int(number)
    except ValueError:
        return None


def _matches(practice_id: int, word: str):
    """The invoice's number or its patient's names or email contain `word`: the matching
    invoice ids come from the trigram indexes, then the list is paged."""
    if db.session.get_bind().dialect.name == "sqlite" and len(word) >= 3:
        phrase = '"' + word.replace('"', '""') + '"'
        ids = text(_SQLITE_MATCHES).bindparams(bindparam("w", phrase, unique=True))
        return Invoice.id.in_(ids.columns(id=Integer))
    like = f"%{word}%"
    by_number = db.select(Invoice.id).where(
        Invoice.practice_id == practice_id, Invoice.number.ilike(like)
    )
    people = db.select(Patient.id).where(
        Patient.practice_id == practice_id,
        or_(
            Patient.first_name.ilike(like), Patient.last_name.ilike(like), Patient.email.ilike(like)
        ),
    )
    of_patients = db.select(Invoice.id).where(Invoice.patient_id.in_(people))
    return Invoice.id.in_(union(by_number, of_patients))


#: invoice ids whose number, or whose patient's names or email, contain the phrase :w
_SQLITE_MATCHES = (
    "SELECT rowid AS id FROM invoice_search WHERE invoice_search MATCH :w UNION "
    "SELECT id FROM invoice WHERE patient_id IN "
    "(SELECT rowid FROM patient_search WHERE patient_search MATCH :w)"
)
