"""The staff list's search and age filters: the page of matches, newest first, whether a word
or a due date range is rare or matches nearly everything (on SQLite the two are found by
different statements; on PostgreSQL the list's first rows are read in order, then the matches
are taken from the indexes)."""

from datetime import date

import pytest

from portal.extensions import db
from portal.services.collections import worklist, worklist_postgres
from tests import factories

TODAY = date(2026, 11, 20)


@pytest.fixture(params=[(1000, 0), (0, 1000)], ids=["few-matches", "many-matches"])
def ways(request, monkeypatch):
    """`MANY` 0 makes every SQLite search word one that matches many rows; `WALK` 0 takes
    every PostgreSQL search from the indexes, 1000 reads this whole list in order first."""
    monkeypatch.setattr(worklist, "MANY", request.param[0])
    monkeypatch.setattr(worklist_postgres, "WALK", request.param[1])


@pytest.fixture
def practice_id(app, ways):
    """A practice whose patients are mostly called Rossi (one by email, one only in an
    invoice number), and another practice's Rossi."""
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


@pytest.fixture
def older_matches(app, ways, monkeypatch):
    """Ten invoices, newest first: four of Luca Neri, then Marco and Marta Bianchi's (one
    numbered MAR-5), then Giorgio Marchi's and Sara Torre's (an email with "orr"). A search
    for "mar" finds nothing in the newest four, then six invoices of three patients."""
    practice = factories.practice()

    def patient(first, last, email=None):
        return factories.patient(practice, first_name=first, last_name=last, email=email)

    luca, marco, marta = (
        patient("Luca", "Neri"),
        patient("Marco", "Bianchi"),
        patient("Marta", "Bianchi"),
    )
    giorgio, sara = patient("Giorgio", "Marchi"), patient("Sara", "Torre", "sara.torre@ex.org")
    made = [
        ("S-1", sara),
        ("G-2", giorgio),
        ("M-3", marta),
        ("M-4", marco),
        ("MAR-5", luca),
        ("M-6", marta),
        *((f"L-{n}", luca) for n in range(7, 11)),
    ]
    for day, (number, owner) in enumerate(made, start=1):
        factories.invoice(owner, number=number, today=date(2026, 10, day))
    db.session.commit()
    if db.session.get_bind().dialect.name == "postgresql":
        monkeypatch.setattr(worklist_postgres, "WALK", min(worklist_postgres.WALK, 4))
    return practice.id


def test_a_word_matching_older_invoices_pages_newest_first(older_matches):
    assert numbers(older_matches, "mar") == [["M-6", "MAR-5"], ["M-4", "M-3"], ["G-2"]]
    assert numbers(older_matches, "bianchi") == [["M-6", "M-4"], ["M-3"]]
    page = worklist.invoices(older_matches, text="MAR", today=TODAY, after="2026-10-05.0", limit=2)
    assert [row.invoice.number for row in page.rows] == ["M-4", "M-3"]
    assert numbers(older_matches, "neri") == [["L-10", "L-9"], ["L-8", "L-7"], ["MAR-5"]]


def test_several_words_each_in_the_number_or_the_patient(older_matches):
    assert numbers(older_matches, "bianchi mar") == [["M-6", "M-4"], ["M-3"]]
    assert numbers(older_matches, "marta bianchi") == [["M-6", "M-3"]]
    assert numbers(older_matches, "mar luca") == [["MAR-5"]]
    assert numbers(older_matches, "luca L-") == [["L-10", "L-9"], ["L-8", "L-7"]]
    assert numbers(older_matches, "marco marta") == [[]]
    assert numbers(older_matches, "MAR-") == [["MAR-5"]]


def test_a_wildcard_in_a_word_matches_inside_one_column(older_matches):
    if db.session.get_bind().dialect.name == "sqlite":
        pytest.skip("SQLite's search tables read a word's _ as a letter, its LIKE as any letter")
    # "o_r" is in Sara's email (s-ara.t-orr-e), not across Marco's names ("marco bianchi")
    assert numbers(older_matches, "o_r") == [["S-1"]]
    assert numbers(older_matches, "co%bi") == [[]]
