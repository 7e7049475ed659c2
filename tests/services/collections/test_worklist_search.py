"""The staff list's search and age filters: the page of matches, newest first, whether a word
or a due date range is rare or matches nearly everything (on SQLite the two are found by
different statements)."""

from datetime import date

import pytest

from portal.extensions import db
from portal.services.collections import worklist
from tests import factories

TODAY = date(2026, 11, 20)


@pytest.fixture(params=[1000, 0], ids=["few-matches", "many-matches"])
def practice_id(app, request, monkeypatch):
    """A practice whose patients are mostly called Rossi (one by email, one only in an
    invoice number), and another practice's Rossi; `MANY` 0 makes every SQLite search word
    one that matches many rows."""
    monkeypatch.setattr(worklist, "MANY", request.param)
    practice = factories.practice()
    anna = factories.patient(practice, first_name="Anna", last_name="Rossi", email="a@ex.org")
    bruno = factories.patient(practice, first_name="Bruno", last_name="Rossini", email=None)
    carla = factories.patient(
        practice, first_name="Carla", last_name="Verdi", email="rossi.carla@ex.org"
    )
    dario = factories.patient(practice, first_name="Dario", last_name="Neri", email=None)
    made = [
        ("R-1", anna),
        ("R-2", bruno),
        ("ROSSI-3", dario),
        ("R-4", carla),
        ("R-5", anna),
        ("R-6", dario),
    ]
    for day, (number, patient) in enumerate(made, start=1):
        factories.invoice(patient, number=number, today=date(2026, 10, day))
    elsewhere = factories.practice(slug="elsewhere")
    factories.invoice(factories.patient(elsewhere, last_name="Rossi"), number="R-7")
    db.session.commit()
    return practice.id


def numbers(practice_id: int, text: str, **filters) -> list[list[str]]:
    """Every page of the search, two invoices a page, by their numbers."""
    pages, after = [], None
    while True:
        page = worklist.invoices(
            practice_id, text=text, today=TODAY, after=after, limit=2, **filters
        )
        pages.append([row.invoice.number for row in page.rows])
        if page.next_after is None:
            return pages
        after = page.next_after


def test_a_word_every_patient_has_pages_newest_first(practice_id):
    assert numbers(practice_id, "rossi") == [["R-5", "R-4"], ["ROSSI-3", "R-2"], ["R-1"]]
    assert numbers(practice_id, "ROSS", status="open") == [
        ["R-5", "R-4"],
        ["ROSSI-3", "R-2"],
        ["R-1"],
    ]


def test_every_word_must_match_a_number_or_the_patient(practice_id):
    assert numbers(practice_id, "rossi anna") == [["R-5", "R-1"]]
    assert numbers(practice_id, "bruno R-2") == [["R-2"]]
    assert numbers(practice_id, "carla rossi") == [["R-4"]]
    assert numbers(practice_id, "rossi nobody") == [[]]


def test_rare_and_short_words(practice_id):
    assert numbers(practice_id, "rossini") == [["R-2"]]
    assert numbers(practice_id, "R-6") == [["R-6"]]
    assert numbers(practice_id, "ne") == [["R-6", "ROSSI-3"]]
    assert numbers(practice_id, "rossi", status="draft") == [[]]


def test_the_rows_carry_their_patient_and_balance(practice_id):
    page = worklist.invoices(practice_id, text="anna", today=TODAY)
    assert [(r.invoice.number, r.patient.first_name, r.balance_minor) for r in page.rows] == [
        ("R-5", "Anna", 15450),
        ("R-1", "Anna", 15450),
    ]
    assert page.next_after is None


def test_age_filters_page_the_open_invoices_due_in_the_range(practice_id):
    # issued 1-6 October, due 30 days later: 15 to 20 days past due on 20 November
    assert numbers(practice_id, "", age="1-30") == [
        ["R-6", "R-5"],
        ["R-4", "ROSSI-3"],
        ["R-2", "R-1"],
    ]
    assert numbers(practice_id, "rossi", age="1-30") == [
        ["R-5", "R-4"],
        ["ROSSI-3", "R-2"],
        ["R-1"],
    ]
    assert numbers(practice_id, "", age="current") == [[]]
    assert numbers(practice_id, "", age="31-60") == [[]]
