"""The staff list's search on PostgreSQL: the page of matches at a cost bounded by the list's
first rows or by the number of matches, not by where in the list the matches are.

The planner walks the list's index in order when a word matches many patients, expecting
the matches spread evenly; when they all sit far down the list (the patients of a common
first name who have no recent invoice) it reads hundreds of thousands of rows. So:

1. the first `WALK` rows of the list, in order, are read and matched: a word most rows have
   fills the page there;
2. otherwise the matches are found from the trigram indexes (0037): the invoices whose number
   has a word, and the invoices of the patients having every word (one GIN scan on
   `PATIENT_WORDS`), then sorted and cut to the page.

The patients' invoices of step 2 are read from the `(patient_id, practice_id, issued_on, id)`
index for a few patients only: the page belongs to the patients whose newest invoices
(`NEWEST`, 0039) come first. Of the patients whose newest invoice is below the page's cursor,
the first `limit` + 1 by that key hold every row they can give the page: each of them gives
the page at least its newest invoice, and any other such patient's invoices all come after
those. Patients whose newest invoice is above the cursor are all read. A filter (status, age,
balance) may leave a patient's newest invoice out of the list, so a filtered search reads
every matching patient's invoices, patient by patient.

Step 1 is one statement; step 2 is a subquery of the list's own statement. Both are planned
for their words (`plan_each_time`).

An invoice matching every word either has a number with one of them or a patient with all of
them, so the two parts of step 2 hold every match.
"""

from datetime import date

from sqlalchemy import (
    Date,
    Integer,
    String,
    and_,
    func,
    literal_column,
    or_,
    text,
    true,
    tuple_,
    type_coerce,
    union,
    union_all,
)

from portal.extensions import db
from portal.models import Invoice, Patient

#: rows of the list read in order before the matches are taken from the indexes
WALK = 1000
#: the patient's names and email in one lower-case text, kept by the database (0037)
PATIENT_WORDS = type_coerce(literal_column("patient.search_words"), String)
#: the list's key (issued_on, id) of the patient's newest invoice, kept by the database (0039)
NEWEST = (
    type_coerce(literal_column("patient.newest_issued_on"), Date),
    type_coerce(literal_column("patient.newest_invoice_id"), Integer),
)
_WILDCARDS = ("%", "_", "\\")


def page_of_matches(
    practice_id: int,
    words: list[str],
    conditions: list,
    limit: int,
    *,
    filtered: bool,
    cursor: tuple[date, int] | None = None,
):
    """The ids of the page's invoices (at most `limit` + 1) among those matching every word
    (each word in the invoice's number or in its patient's names or email): a list when the
    list's first rows held the page, else a subquery. `conditions` hold the practice, the
    filters (`filtered` when there are any) and the `cursor`."""
    order = (Invoice.issued_on.desc(), Invoice.id.desc())
    first = (
        db.select(Invoice.id, Invoice.patient_id, Invoice.number, Invoice.issued_on)
        .where(*conditions)
        .order_by(*order)
        .limit(WALK)
        .subquery()
    )
    walked = db.session.scalars(
        db.select(first.c.id)
        .join(Patient, Patient.id == first.c.patient_id)
        .where(*(_word(first.c.number, word) for word in words))
        .order_by(first.c.issued_on.desc(), first.c.id.desc())
        .limit(limit + 1)
    ).all()
    if len(walked) > limit:
        return walked
    by_number = (
        db.select(Invoice.id)
        .join(Patient, Patient.id == Invoice.patient_id)
        .where(
            *conditions,
            or_(*(Invoice.number.ilike(f"%{word}%") for word in words)),
            *(_word(Invoice.number, word) for word in words),
        )
        .order_by(*order)
        .limit(limit + 1)
        .subquery()
    )
    matching = [Patient.practice_id == practice_id, *(_in_patient(word) for word in words)]
    if filtered:
        people = db.select(Patient.id).where(*matching)
    else:
        people = _first_patients(matching, limit + 1, cursor)
    people = people.subquery()
    theirs = (
        db.select(Invoice.id, Invoice.issued_on)
        .where(Invoice.patient_id == people.c.id, *conditions)
        .order_by(*order)
        .limit(limit + 1)
        .lateral()
    )
    of_patients = (
        db.select(theirs.c.id)
        .select_from(people)
        .join(theirs, true())
        .order_by(theirs.c.issued_on.desc(), theirs.c.id.desc())
        .limit(limit + 1)
        .subquery()
    )
    return union(db.select(by_number.c.id), db.select(of_patients.c.id))


def _first_patients(matching: list, count: int, cursor: tuple[date, int] | None):
    """The matching patients who may have invoices on the page of an unfiltered list: the
    first `count` by their newest invoice below the cursor, and every one whose newest
    invoice is above it."""
    newest = tuple_(*NEWEST)
    below = (
        db.select(Patient.id)
        .where(*matching, NEWEST[1].is_not(None))
        .order_by(NEWEST[0].desc(), NEWEST[1].desc())
        .limit(count)
    )
    if cursor is None:
        return below
    below = below.where(newest < tuple_(*cursor))
    above = db.select(Patient.id).where(*matching, newest >= tuple_(*cursor))
    return union_all(above, below.subquery().select())


def plan_each_time() -> None:
    """Plan the rest of this transaction's statements for their own words, without JIT.

    The driver prepares a statement run five times on one connection, and PostgreSQL may
    then keep one generic plan for every word: planned for an unknown pattern, it walks the
    list's index for a word no row has (seconds at a million invoices). A patient-by-patient
    read is costed by the patients the words may match, and above `jit_above_cost` would be
    compiled first: tens of milliseconds for a statement that then runs in a few."""
    settings = "SELECT set_config('plan_cache_mode', 'force_custom_plan', true), "
    db.session.execute(text(settings + "set_config('jit', 'off', true)"))


def _word(number, word: str):
    """The invoice's `number` or its (joined) patient has `word`."""
    return or_(number.ilike(f"%{word}%"), _in_patient(word))


def _in_patient(word: str):
    """The patient's names or email contain `word` (the case folded as ILIKE folds it): read
    through `PATIENT_WORDS`'s index; a word with a LIKE wildcard could match across two of
    the columns there, so it is also matched column by column."""
    like = f"%{word}%"
    found = PATIENT_WORDS.like(func.lower(like))
    if any(mark in word for mark in _WILDCARDS):
        columns = (Patient.first_name, Patient.last_name, Patient.email)
        found = and_(found, or_(*(column.ilike(like) for column in columns)))
    return found
