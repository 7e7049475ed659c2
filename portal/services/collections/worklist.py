"""The staff's invoice list: the page is chosen first, in SQL, then balances for its rows.

Balances are the ones kept on the invoices (`Invoice.balance_minor`), read with the page.
Pages are keyset pages, newest first: `after` is the cursor of the last row of the previous
page ("<issued_on>.<id>"), so page 1,000 costs what page 1 does. Search matches every word
against the invoice number and the patient's names and email, by substring, through trigram
indexes (pg_trgm on PostgreSQL, GIN on the number and GiST on the patient's columns, 0014 and
0028, and GIN on the patient's words together, 0037, see `worklist_postgres`; FTS5 trigram
tables on SQLite, 0014).
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
from portal.services.collections import worklist_postgres

#: age filters by days past the due date
AGES = {
    "current": (None, 0),
    "1-30": (1, 30),
    "31-60": (31, 60),
    "61-90": (61, 90),
    "90+": (91, None),
}
PAGE_SIZE = 50
#: on SQLite, a search word matching more rows than this is looked for row by row, in
#: the list's order, rather than through the search tables
MANY = 1000


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
    order = (Invoice.issued_on.desc(), Invoice.id.desc())
    filters = []
    if status:
        filters.append(Invoice.status == status)
    if age in AGES:
        low, high = AGES[age]
        latest = today - timedelta(days=low) if low is not None else None
        earliest = today - timedelta(days=high) if high is not None else None
        filters += _due_between(practice_id, earliest, latest)
    if min_balance_minor is not None:
        filters.append(Invoice.balance_minor >= min_balance_minor)
    conditions = [Invoice.practice_id == practice_id, *filters]
    cursor = _cursor(after)
    if cursor is not None:
        issued_on, invoice_id = cursor
        # a row value: both databases read it as one range of the (issued_on, id) index
        conditions.append(tuple_(Invoice.issued_on, Invoice.id) < tuple_(issued_on, invoice_id))
    query = (
        db.select(Invoice, Patient, Invoice.balance_minor)
        .join(Patient, Patient.id == Invoice.patient_id)
        .order_by(*order)
        .limit(limit + 1)
    )
    words = sorted(text.split(), key=len, reverse=True)
    if words:
        matches = _page_of_matches(practice_id, words, conditions, limit, bool(filters), cursor)
        query = query.where(Invoice.id.in_(matches))
    else:
        query = query.where(*conditions)
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


def _due_between(practice_id: int, earliest: date | None, latest: date | None) -> list:
    """The age filter: open, due between the two days. PostgreSQL chooses its plan by its
    statistics; SQLite is told: up to `MANY` invoices in the range are read from the due date
    index and sorted, more through `+due_on` (the same value, no index), so that the list's
    index is read in order and stops at the page."""

    def between(due_on) -> list:
        found = [Invoice.status == InvoiceStatus.OPEN]
        if latest is not None:
            found.append(due_on <= latest)
        if earliest is not None:
            found.append(due_on >= earliest)
        return found

    if db.session.get_bind().dialect.name != "sqlite":
        return between(Invoice.due_on)
    in_range = db.select(literal_column("1")).where(
        Invoice.practice_id == practice_id, *between(Invoice.due_on)
    )
    count = db.select(func.count()).select_from(in_range.limit(MANY + 1).subquery())
    if db.session.scalar(count) <= MANY:  # read from the due date index, then sorted
        return [Invoice.id.in_(in_range.with_only_columns(Invoice.id))]
    return between(type_coerce(literal_column("+invoice.due_on"), Date))


def _cursor(after: str | None) -> tuple[date, int] | None:
    day, _, number = (after or "").partition(".")
    try:
        return date.fromisoformat(day), int(number)
    except ValueError:
        return None


def _page_of_matches(
    practice_id: int,
    words: list[str],
    conditions: list,
    limit: int,
    filtered: bool,
    cursor: tuple[date, int] | None,
):
    """The ids of the page's invoices (at most `limit` + 1) among those matching every word.

    The first (longest) word matches the invoice's number or its patient: each of the two
    is its own subquery, ordered like the list and limited to the page, with the other words
    and the filters inside it, so each stops at the page whether its word is rare (read from
    the trigram index, then sorted) or matches nearly everyone (the list's index read in
    order until the page is full). The page is the first rows of the two. On PostgreSQL,
    words of three letters or more are looked for by `worklist_postgres`."""
    if db.session.get_bind().dialect.name == "postgresql":
        worklist_postgres.plan_each_time()
        if min(len(word) for word in words) >= 3:
            return worklist_postgres.page_of_matches(
                practice_id, words, conditions, limit, filtered=filtered, cursor=cursor
            )
    by_number, of_patient = _word_parts(practice_id, words[0])
    others = [or_(*_word_parts(practice_id, word)) for word in words[1:]]
    branches = []
    for part in (by_number, of_patient):
        branch = (
            db.select(Invoice.id)
            .join(Patient, Patient.id == Invoice.patient_id)
            .where(*conditions, part, *others)
            .order_by(Invoice.issued_on.desc(), Invoice.id.desc())
            .limit(limit + 1)
            .subquery()
        )
        branches.append(db.select(branch.c.id))
    return union(*branches)


def _word_parts(practice_id: int, word: str):
    """(the invoice's number contains `word`, its patient's names or email contain it), as
    conditions on an invoice joined to its patient.

    SQLite has no statistics on its FTS5 tables and always starts from their matches: a
    word found in more than `MANY` rows of a table is looked for with LIKE instead, so the
    list's index is read in order and stops at the page (LIKE folds the case of ASCII
    letters only, the trigram tables of every letter)."""
    like = f"%{word}%"
    names = or_(
        Patient.first_name.ilike(like), Patient.last_name.ilike(like), Patient.email.ilike(like)
    )
    by_number = Invoice.number.ilike(like)
    if db.session.get_bind().dialect.name != "sqlite" or len(word) < 3:
        return by_number, names
    phrase = '"' + word.replace('"', '""') + '"'
    numbers = text(_SQLITE_NUMBERS).bindparams(bindparam("w", phrase, unique=True))
    people = text(_SQLITE_PEOPLE).bindparams(bindparam("w", phrase, unique=True))
    if not _many("invoice_search", phrase):
        by_number = Invoice.id.in_(numbers.columns(id=Integer))
    if not _many("patient_search", phrase):
        names = Invoice.patient_id.in_(people.columns(id=Integer))
    return by_number, names


def _many(fts: str, phrase: str) -> bool:
    """Whether more than `MANY` rows of SQLite's search table `fts` match `phrase`."""
    probe = f"SELECT count(*) FROM (SELECT 1 FROM {fts} WHERE {fts} MATCH :w LIMIT :n)"  # noqa: S608
    return db.session.scalar(text(probe), dict(w=phrase, n=MANY + 1)) > MANY


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


#: invoice ids whose number contains the phrase :w; patient ids whose names or email do
_SQLITE_NUMBERS = "SELECT rowid AS id FROM invoice_search WHERE invoice_search MATCH :w"
_SQLITE_PEOPLE = "SELECT rowid AS id FROM patient_search WHERE patient_search MATCH :w"
#: invoice ids whose number, or whose patient's names or email, contain the phrase :w
_SQLITE_MATCHES = (
    "SELECT rowid AS id FROM invoice_search WHERE invoice_search MATCH :w UNION "
    "SELECT id FROM invoice WHERE patient_id IN "
    "(SELECT rowid FROM patient_search WHERE patient_search MATCH :w)"
)
