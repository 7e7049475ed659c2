"""The staff's invoice list: newest first in keyset pages, filtered by status, age past due,
balance and words of the number or the patient's names and email."""

from datetime import date

from portal.extensions import db
from portal.services.billing import money
from portal.services.collections import worklist
from portal.services.core.audit import SYSTEM
from tests import factories

TODAY = date(2026, 12, 31)


def listed(practice, **filters) -> list[str]:
    page = worklist.invoices(practice.id, today=filters.pop("today", TODAY), **filters)
    return [row.invoice.number for row in page.rows]


def setup_practice():
    """Five invoices, each issued a month after the other and due 30 days later."""
    practice = factories.practice()
    giulia = factories.patient(practice)
    marco = factories.patient(practice, first_name="Marco", last_name="Rossi", email="m@ex.org")
    made = {}
    for number, patient, issued in (
        ("A-1", giulia, date(2026, 8, 1)),  # due 31 Aug: 122 days past due on 31 Dec
        ("A-2", marco, date(2026, 9, 1)),  # due 1 Oct: 91
        ("A-3", giulia, date(2026, 10, 1)),  # due 31 Oct: 61
        ("A-4", marco, date(2026, 11, 15)),  # due 15 Dec: 16
        ("A-5", giulia, date(2026, 12, 20)),  # due 19 Jan: not yet due
    ):
        made[number] = factories.invoice(patient, number=number, today=issued)
    factories.invoice(factories.patient(factories.practice()), number="OTHER")
    return practice, made


def test_newest_first_with_the_balances_kept_on_the_invoices(app):
    practice, made = setup_practice()
    money.record_desk_payment(made["A-4"], 5000, "cash", SYSTEM)
    db.session.commit()
    page = worklist.invoices(practice.id, today=TODAY)
    assert [(r.invoice.number, r.patient.last_name, r.balance_minor) for r in page.rows] == [
        ("A-5", "Bianchi", 15450),
        ("A-4", "Rossi", 10450),
        ("A-3", "Bianchi", 15450),
        ("A-2", "Rossi", 15450),
        ("A-1", "Bianchi", 15450),
    ]
    assert page.next_after is None
    assert worklist.balances_of([made["A-4"].id, made["A-1"].id]) == {
        made["A-4"].id: 10450,
        made["A-1"].id: 15450,
    }
    assert worklist.balances_of([]) == {}


def test_pages_follow_their_cursor_to_the_last_one(app):
    practice, made = setup_practice()
    first = worklist.invoices(practice.id, today=TODAY, limit=2)
    assert [r.invoice.number for r in first.rows] == ["A-5", "A-4"]
    assert first.next_after == f"2026-11-15.{made['A-4'].id}"
    second = worklist.invoices(practice.id, today=TODAY, limit=2, after=first.next_after)
    assert [r.invoice.number for r in second.rows] == ["A-3", "A-2"]
    third = worklist.invoices(practice.id, today=TODAY, limit=2, after=second.next_after)
    assert ([r.invoice.number for r in third.rows], third.next_after) == (["A-1"], None)
    # a cursor that is not one starts from the top
    assert listed(practice, limit=1, after="yesterday") == ["A-5"]


def test_the_age_filters_count_days_past_the_due_date_on_open_invoices(app):
    practice, made = setup_practice()
    money.record_desk_payment(made["A-2"], 15450, "cash", SYSTEM)  # paid: in no age
    db.session.commit()
    assert listed(practice, age="current") == ["A-5"]
    assert listed(practice, age="1-30") == ["A-4"]
    assert listed(practice, age="31-60") == []
    assert listed(practice, age="61-90") == ["A-3"]
    assert listed(practice, age="90+") == ["A-1"]
    # A-3 is 60 days past due on 30 December, the last day of 31-60
    assert listed(practice, age="31-60", today=date(2026, 12, 30)) == ["A-3"]
    assert listed(practice, age="61-90", today=date(2026, 12, 30)) == []
    # A-5 falls due on 19 January: current that day, 1-30 the day after
    assert listed(practice, age="current", today=date(2027, 1, 19)) == ["A-5"]
    assert listed(practice, age="1-30", today=date(2027, 1, 20)) == ["A-5"]
    assert listed(practice, age="no such age") == ["A-5", "A-4", "A-3", "A-2", "A-1"]


def test_status_balance_and_words_narrow_the_list(app):
    practice, made = setup_practice()
    money.record_desk_payment(made["A-2"], 15450, "cash", SYSTEM)
    money.record_desk_payment(made["A-3"], 10000, "cash", SYSTEM)
    db.session.commit()
    assert listed(practice, status="paid") == ["A-2"]
    assert listed(practice, min_balance_minor=6000) == ["A-5", "A-4", "A-1"]
    assert listed(practice, text="rossi") == ["A-4", "A-2"]
    assert listed(practice, text="giulia A-3") == ["A-3"]
    assert listed(practice, text="m@ex") == ["A-4", "A-2"]
    assert listed(practice, text="OTHER") == []  # another practice's invoice
    assert listed(practice, text="zz") == []
