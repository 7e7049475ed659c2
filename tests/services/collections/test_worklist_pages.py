"""The staff search's pages equal the plain answer (every invoice whose number or patient has
each word, newest first, cut into pages) for any patients, invoices on shared days, words,
page sizes and filters; and on PostgreSQL the key of each patient's newest invoice, by which
the search ranks its patients (0039), stays that of the patient's invoices through inserts
of one row and of many, changed days, invoices moved to another patient and deletions."""

from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, func, insert, text

from portal.extensions import db
from portal.models import Invoice, Patient
from portal.services.collections import worklist, worklist_postgres
from tests import factories

TODAY = date(2026, 11, 20)
FIRST_DAY = date(2026, 9, 1)
SYLLABLES = ("mar", "ros", "ssi", "ann")
NAMES = st.lists(st.sampled_from(SYLLABLES), min_size=1, max_size=3).map("".join)
#: the patients' names and emails, then their invoices: (patient, day, status)
PEOPLE = st.lists(st.tuples(NAMES, NAMES, st.booleans()), min_size=2, max_size=6)
BILLS = st.lists(
    st.tuples(st.integers(0, 5), st.integers(0, 3), st.sampled_from(["open", "paid"])),
    min_size=3,
    max_size=24,
)
#: words most patients have, then rarer ones: across two names, numbers, short, none
WORDS = st.lists(
    st.one_of(
        st.sampled_from(SYLLABLES), st.sampled_from(["marros", "ssiann", "b-1", "ma", "xyz"])
    ),
    min_size=1,
    max_size=2,
)


def _add(practice_id: int, people: list, bills: list) -> list[Patient]:
    patients = []
    for first, last, has_email in people:
        email = f"{last}.{first}@ex.org" if has_email else None
        row = Patient(
            practice_id=practice_id,
            first_name=first.title(),
            last_name=last.title(),
            email=email,
            date_of_birth=date(1980, 1, 1),
        )
        db.session.add(row)
        patients.append(row)
    db.session.flush()
    rows = [
        dict(
            practice_id=practice_id,
            patient_id=patients[who % len(patients)].id,
            number=f"B-{n}",
            currency="EUR",
            issued_on=FIRST_DAY + timedelta(days=day),
            due_on=FIRST_DAY + timedelta(days=day + 30),
            status=status,
        )
        for n, (who, day, status) in enumerate(bills, start=1)
    ]
    db.session.execute(insert(Invoice), rows)
    db.session.commit()
    return patients


def _plain(practice_id: int, words: list[str], status: str) -> list[str]:
    """The invoices matching every word, newest first, by number."""
    found = []
    rows = db.session.execute(
        db.select(Invoice, Patient).join(Patient).where(Invoice.practice_id == practice_id)
    )
    for invoice, patient in rows:
        person = f"{patient.first_name} {patient.last_name} {patient.email or ''}".lower()
        if status and invoice.status != status:
            continue
        if all(w.lower() in invoice.number.lower() or w.lower() in person for w in words):
            found.append(invoice)
    found.sort(key=lambda i: (i.issued_on, i.id), reverse=True)
    return [invoice.number for invoice in found]


def _pages(practice_id: int, text: str, limit: int, status: str) -> list[list[str]]:
    pages, after = [], None
    while True:
        page = worklist.invoices(
            practice_id, text=text, status=status, today=TODAY, after=after, limit=limit
        )
        pages.append([row.invoice.number for row in page.rows])
        if page.next_after is None or len(pages) > 30:
            return pages
        after = page.next_after


@settings(
    max_examples=100, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None
)
@given(
    people=PEOPLE,
    bills=BILLS,
    words=WORDS,
    limit=st.integers(1, 4),
    walk=st.sampled_from([0, 0, 3, 1000]),
    status=st.sampled_from(["", "open", "paid"]),
    first_patients=st.sampled_from([1, 2, 400]),
)
def test_search_pages_are_the_plain_answer_cut_into_pages(
    app, monkeypatch, people, bills, words, limit, walk, status, first_patients
):
    """`walk` 0 takes every PostgreSQL search from the indexes and the patients' ranking, 3
    reads a few rows in order first (and a list shorter than that is all read), 1000 the
    whole list; the status filter, or a second word, takes the patients in steps
    (`first_patients` of them first, which may not hold the page) or every matching
    patient's invoices."""
    _empty()
    monkeypatch.setattr(worklist_postgres, "WALK", walk)
    monkeypatch.setattr(worklist_postgres, "FIRST_PATIENTS", first_patients)
    monkeypatch.setattr(worklist, "MANY", 1000 if walk else 0)
    practice = factories.practice()
    _add(practice.id, people, bills)
    other = factories.practice(slug=f"other-{practice.slug}")
    _add(other.id, people[:1], bills[:2])
    expected = _plain(practice.id, words, status)
    pages = _pages(practice.id, " ".join(words), limit, status)
    assert [number for page in pages for number in page] == expected
    assert all(len(page) == limit for page in pages[:-1])
    assert len(pages[-1]) <= limit and (len(pages) == 1 or pages[-1])


def test_the_first_patients_by_newest_invoice_hold_the_page(app, monkeypatch):
    """Six patients called Mar…, their invoices interleaved with a busy patient's newer ones;
    from the indexes alone (no rows read in order first), every page of two is the plain
    answer, also from a cursor in the middle of a patient's invoices."""
    monkeypatch.setattr(worklist_postgres, "WALK", 0)
    monkeypatch.setattr(worklist, "MANY", 0)
    practice = factories.practice()
    people = [("mar", "ros", n % 2 == 0) for n in range(6)] + [("ann", "ssi", True)]
    bills = [(n % 6, n // 6, "open") for n in range(18)] + [(6, 9, "open")] * 5
    _add(practice.id, people, bills)
    expected = _plain(practice.id, ["mar"], "")
    assert len(expected) == 18
    pages = _pages(practice.id, "mar", 2, "")
    assert pages == [expected[n : n + 2] for n in range(0, 18, 2)]
    assert _pages(practice.id, "MAR ros", 4, "")[:2] == [expected[:4], expected[4:8]]


def _empty() -> None:
    """The rows of the example before (hypothesis runs many in one test)."""
    db.session.rollback()
    db.session.execute(delete(Invoice))
    db.session.execute(delete(Patient))
    db.session.commit()


def _kept_newest() -> dict[int, tuple]:
    rows = db.session.execute(text("SELECT id, newest_issued_on, newest_invoice_id FROM patient"))
    return {patient_id: (on, invoice_id) for patient_id, on, invoice_id in rows}


def _plain_newest() -> dict[int, tuple]:
    newest = {patient_id: (None, None) for patient_id in db.session.scalars(db.select(Patient.id))}
    for patient_id, on, invoice_id in db.session.execute(
        db.select(Invoice.patient_id, Invoice.issued_on, Invoice.id)
    ):
        if newest[patient_id][1] is None or (on, invoice_id) > newest[patient_id]:
            newest[patient_id] = (on, invoice_id)
    return newest


MOVES = st.tuples(
    st.sampled_from(["add", "bulk", "day", "move", "delete", "status"]),
    st.integers(0, 40),
    st.integers(-20, 20),
)


@pytest.fixture
def postgres_app(app):
    if db.session.get_bind().dialect.name != "postgresql":
        pytest.skip("the newest invoice's key is PostgreSQL's (0039)")
    return app


@settings(
    max_examples=30, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None
)
@given(moves=st.lists(MOVES, min_size=1, max_size=16), commit_every=st.integers(1, 3))
def test_each_patients_newest_invoice_is_kept(postgres_app, moves, commit_every):
    _empty()
    practice = factories.practice()
    patients = _add(
        practice.id, [("anna", "rossi", True), ("bruno", "neri", False)], [(0, 0, "open")]
    )
    patients.append(factories.patient(practice, first_name="Carla"))  # no invoice yet
    made = 1
    for step, (what, which, days) in enumerate(moves, start=1):
        bills = db.session.scalars(db.select(Invoice).order_by(Invoice.id)).all()
        bill = bills[which % len(bills)] if bills else None
        owner = patients[which % len(patients)]
        day = FIRST_DAY + timedelta(days=20 + days)
        if what in ("add", "bulk") or bill is None:
            rows = [
                dict(
                    practice_id=practice.id,
                    patient_id=patients[(which + n) % len(patients)].id,
                    number=f"N-{made + n}",
                    currency="EUR",
                    issued_on=day - timedelta(days=n),
                    due_on=day,
                )
                for n in range(1 if what == "add" else 4)
            ]
            made += len(rows)
            db.session.execute(insert(Invoice), rows)
        elif what == "day":
            bill.issued_on = day
        elif what == "move":
            bill.patient_id = owner.id
        elif what == "delete":
            db.session.delete(bill)
        else:  # a change the key does not depend on
            bill.status = "paid"
        db.session.flush()
        if step % commit_every == 0:
            db.session.commit()
    db.session.commit()
    assert _kept_newest() == _plain_newest()
    assert db.session.scalar(db.select(func.count()).select_from(Patient)) == 3
