"""The staff list's search on PostgreSQL: the page of matches at a cost bounded by the list's
first rows or by the number of matches, not by where in the list the matches are.

The planner walks the list's index in order when a word matches many patients, expecting
the matches spread evenly; when they all sit far down the list (the patients of a common
first name who have no recent invoice) it reads hundreds of thousands of rows. So:

1. the first `WALK` rows of the list, in order, are read and matched: a word most rows have
   fills the page there;
2. otherwise the matches are found from the trigram indexes (0037): the invoices whose number
   has a word, and the invoices of the patients having every word (one GIN scan on
   `PATIENT_WORDS`), read patient by patient in the list's order from the
   `(patient_id, practice_id, issued_on, id)` index, then sorted and cut to the page.

Step 1 is one statement; step 2 is a subquery of the list's own statement. Both are planned
for their words (`plan_each_time`).

An invoice matching every word either has a number with one of them or a patient with all of
them, so the two parts of step 2 hold every match.
"""

from sqlalchemy import String, and_, func, literal_column, or_, text, true, type_coerce, union

from portal.extensions import db
from portal.models import Invoice, Patient

#: rows of the list read in order before the matches are taken from the indexes
WALK = 1000
#: the patient's names and email in one lower-case text, kept by the database (0037)
PATIENT_WORDS = type_coerce(literal_column("patient.search_words"), String)
_WILDCARDS = ("%", "_", "\\")


def page_of_matches(practice_id: int, words: list[str], conditions: list, limit: int):
    """The ids of the page's invoices (at most `limit` + 1) among those matching every word
    (each word in the invoice's number or in its patient's names or email): a list when the
    list's first rows held the page, else a subquery."""
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
    people = (
        db.select(Patient.id)
        .where(Patient.practice_id == practice_id, *(_in_patient(word) for word in words))
        .subquery()
    )
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
