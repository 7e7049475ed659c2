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
those. Patients whose newest invoice is above the cursor are all read.

When a search is filtered or has several words and one of them is in no invoice number of
the practice (a name, mostly), every match has a patient with that word, and the invoices by
number are not looked for. If the search is
filtered (status, age, balance) or has other words, which may leave a patient's newest
invoice out of the list, the first `FIRST_PATIENTS` by that key are read first
(`_page_of_patients`): they hold the page when its last row is not older than the newest
invoice of every patient not read. Otherwise a filtered search reads every matching patient's
invoices, patient by patient.

Step 1 is one statement, and when it read the whole of a filtered list its matches are the
page. Step 2
is a subquery of the list's own statement, or a few statements when read in steps. All are
planned for their words (`plan_each_time`).

An invoice matching every word either has a number with one of them or a patient with all of
them, so the two parts of step 2 hold every match.
"""

from datetime import date

from sqlalchemy import (
    Date,
    Integer,
    String,
    and_,
    any_,
    bindparam,
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
from sqlalchemy.dialects.postgresql import ARRAY

from portal.extensions import db
from portal.models import Invoice, Patient

#: rows of the list read in order before the matches are taken from the indexes
WALK = 1000
#: patients read first, by their newest invoice, in a search read in steps
FIRST_PATIENTS = 400
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
    if len(walked) > limit or (filtered and _shorter_than_walk(first)):  # the page, or all
        return walked
    # one word, no filter: the first patients by newest invoice hold the page (below)
    free = _in_no_number(practice_id, words) if filtered or len(words) > 1 else []
    if free:
        matching = [Patient.practice_id == practice_id, *(_in_patient(word) for word in free)]
        others = [_word(Invoice.number, word) for word in words if word not in free]
        if not (filtered or others):
            return _of_patients(_first_patients(matching, limit + 1, cursor), conditions, limit)
        page = _page_of_patients(matching, conditions, others, limit, cursor)
        if page is not None:
            return page
    by_number = (
        db.select(Invoice.id)
        .join(Patient, Patient.id == Invoice.patient_id)
        .where(
            *conditions,
            or_(*(Invoice.number.ilike(_like(word)) for word in words)),
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
    of_patients = _of_patients(people, conditions, limit).subquery()
    return union(db.select(by_number.c.id), db.select(of_patients.c.id))


def _of_patients(
    people, conditions: list, limit: int, keyed: bool = False, by_patient: bool = False
):
    """The first `limit` + 1 invoices meeting `conditions` of the patients `people` (a select
    of their ids), read patient by patient: their ids, or their keys (issued_on, id) when
    `keyed`;
    `by_patient` when the conditions read the invoice's patient too."""
    people = people.subquery()
    theirs = db.select(Invoice.id, Invoice.issued_on)
    if by_patient:
        theirs = theirs.join(Patient, Patient.id == Invoice.patient_id)
    theirs = (
        theirs.where(Invoice.patient_id == people.c.id, *conditions)
        .order_by(Invoice.issued_on.desc(), Invoice.id.desc())
        .limit(limit + 1)
        .lateral()
    )
    columns = (theirs.c.issued_on, theirs.c.id) if keyed else (theirs.c.id,)
    return (
        db.select(*columns)
        .select_from(people)
        .join(theirs, true())
        .order_by(theirs.c.issued_on.desc(), theirs.c.id.desc())
        .limit(limit + 1)
    )


def _page_of_patients(
    matching: list, conditions: list, others: list, limit: int, cursor: tuple[date, int] | None
) -> list[int] | None:
    """The ids of the first `limit` + 1 invoices meeting `conditions` and having the `others`
    words in their number or patient, of the patients `matching`: those of the first
    `FIRST_PATIENTS` by their newest invoice (and of every one above the cursor), or None
    when these may not hold the page.

    A patient not read has only invoices older than the newest of every patient read below
    the cursor, so once the page's last row is not older than the last of those, no other
    patient can change the page."""
    first = _first_patients(matching, FIRST_PATIENTS, cursor, keyed=True)
    people = db.session.execute(first).all()
    below = [(on, newest) for _, on, newest in people if not _above(on, newest, cursor)]
    conditions = [*conditions, *others]
    found = []
    if people:
        ids = bindparam("ids", [row[0] for row in people], type_=ARRAY(Integer))
        chosen = db.select(Patient.id).where(Patient.id == any_(ids))
        chosen = _of_patients(chosen, conditions, limit, keyed=True, by_patient=bool(others))
        found = db.session.execute(chosen).all()
    if len(below) < FIRST_PATIENTS or (len(found) > limit and tuple(found[limit]) >= min(below)):
        return [invoice_id for _, invoice_id in found]
    return None


def _above(on: date, newest: int, cursor: tuple[date, int] | None) -> bool:
    return cursor is not None and (on, newest) >= cursor


def _first_patients(
    matching: list, count: int, cursor: tuple[date, int] | None, keyed: bool = False
):
    """The matching patients who may have invoices on the page of an unfiltered list: the
    first `count` by their newest invoice below the cursor, and every one whose newest
    invoice is above it; their ids, or (id, newest issued_on, newest invoice id) when
    `keyed`."""
    newest = tuple_(*NEWEST)
    columns = (Patient.id, *NEWEST) if keyed else (Patient.id,)
    below = (
        db.select(*columns)
        .where(*matching, NEWEST[1].is_not(None))
        .order_by(NEWEST[0].desc(), NEWEST[1].desc())
        .limit(count)
    )
    if cursor is None:
        return below
    below = below.where(newest < tuple_(*cursor))
    above = db.select(*columns).where(*matching, newest >= tuple_(*cursor))
    return union_all(above, below.subquery().select())


def _in_no_number(practice_id: int, words: list[str]) -> list[str]:
    """The words no invoice number of the practice has. Looked for in the trigram index of
    the numbers only (bitmap scans, for this statement): for a word few numbers have, the
    planner would otherwise walk the practice's invoices until it found one, all of them
    when there is none."""
    found = [
        db.select(literal_column("1"))
        .where(Invoice.practice_id == practice_id, Invoice.number.ilike(_like(word)))
        .exists()
        for word in words
    ]
    db.session.execute(text(_SCANS_OFF))
    try:
        has = db.session.execute(db.select(*found)).one()
    finally:
        db.session.execute(text(_SCANS_BACK))
    return [word for word, there in zip(words, has, strict=True) if not there]


#: index and sequential scans off for the rest of the transaction, then as they were
_SCANS_OFF = (
    "SELECT set_config('enable_seqscan', 'off', true), set_config('enable_indexscan', 'off', true)"
)
_SCANS_BACK = (
    "SELECT set_config(name, reset_val, true) FROM pg_settings "
    "WHERE name IN ('enable_seqscan', 'enable_indexscan')"
)


def _like(word: str) -> str:
    return f"%{word}%"


def _shorter_than_walk(first) -> bool:
    """Whether the list has fewer rows than `WALK` (the walk then read all of it)."""
    counted = db.select(func.count()).select_from(first)
    return db.session.scalar(counted) < WALK


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
    return or_(number.ilike(_like(word)), _in_patient(word))


def _in_patient(word: str):
    """The patient's names or email contain `word` (the case folded as ILIKE folds it): read
    through `PATIENT_WORDS`'s index; a word with a LIKE wildcard could match across two of
    the columns there, so it is also matched column by column."""
    like = _like(word)
    found = PATIENT_WORDS.like(func.lower(like))
    if any(mark in word for mark in _WILDCARDS):
        columns = (Patient.first_name, Patient.last_name, Patient.email)
        found = and_(found, or_(*(column.ilike(like) for column in columns)))
    return found
