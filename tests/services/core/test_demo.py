"""The demo data: two practices on their own calendar days, their patients reused on a second
seed, bills whose balances are the patient shares of the lines, overdue invoices of the ages
the reports show, and one owner login per practice."""

from datetime import date, datetime

import pytest

from portal.extensions import db
from portal.models import Invoice, Patient, PlanPolicy, Practice, StaffUser
from portal.services.access import links
from portal.services.billing import ledger
from portal.services.core import demo
from portal.services.practice import staff_auth

#: nothing here differs by database
pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

#: 23:30 UTC on 31 December: already 1 January in Rome, still 31 December in New York
NEW_YEAR_IN_ROME = datetime(2026, 12, 31, 23, 30)


def invoices_of(slug: str) -> list[tuple]:
    query = (
        db.select(Invoice)
        .join(Practice, Invoice.practice_id == Practice.id)
        .where(Practice.slug == slug)
        .order_by(Invoice.id)
    )
    return [
        (i.number, i.issued_on, i.due_on, i.currency, ledger.balance(i.id))
        for i in db.session.scalars(query)
    ]


def count(model) -> int:
    return db.session.scalar(db.select(db.func.count()).select_from(model))


def test_each_practice_dates_its_bills_from_its_own_day(app):
    found = demo.seed(NEW_YEAR_IN_ROME)
    db.session.commit()
    assert [
        (d.practice, d.patient, d.language, d.date_of_birth, d.invoice_number) for d in found
    ] == [
        ("Studio Dentistico Rossi", "Giulia Bianchi", "it", date(1984, 3, 9), "2027-0001"),
        ("Studio Dentistico Rossi", "Emma Walker", "en", date(1990, 11, 23), "2027-0002"),
        ("Maple Family Dental", "John Miller", "en", date(1978, 6, 14), "2026-0001"),
        ("Maple Family Dental", "Marco Esposito", "it", date(1965, 1, 30), "2026-0002"),
    ]
    assert all(links.resolve(d.token).ok for d in found)
    # the patient shares: 90.00 + (140.00 - 15.00) + 60.00 in Rome; in New York what the
    # insurance did not pay: (125 - 80 - 10) + (140 - 112) + (1450 - 725 - 180) dollars
    rome = (date(2026, 12, 20), date(2027, 1, 19), "EUR", 27500)
    new_york = (date(2026, 12, 19), date(2027, 1, 18), "USD", 60800)
    assert invoices_of("studio-rossi") == [("2027-0001", *rome), ("2027-0002", *rome)]
    assert invoices_of("maple-family-dental") == [
        ("2026-0001", *new_york),
        ("2026-0002", *new_york),
    ]
    giulia = db.session.scalars(db.select(Patient).filter_by(first_name="Giulia")).one()
    john = db.session.scalars(db.select(Patient).filter_by(first_name="John")).one()
    assert (giulia.phone, giulia.email, giulia.sms_consent) == (
        "+393330903198",
        "giulia.bianchi@patients.example",
        True,
    )
    assert (john.phone, john.email) == ("+12125550614", "john.miller@patients.example")


def test_a_second_seed_reuses_the_practices_and_patients_and_numbers_on(app):
    demo.seed(NEW_YEAR_IN_ROME)
    again = demo.seed(NEW_YEAR_IN_ROME)
    db.session.commit()
    assert [d.invoice_number for d in again] == ["2027-0003", "2027-0004", "2026-0003", "2026-0004"]
    assert (count(Practice), count(Patient), count(Invoice)) == (2, 4, 8)
    policies = db.session.scalars(db.select(PlanPolicy.allowed_counts)).all()
    assert policies == ["3,6,10,12", "3,6,10,12"]


def test_overdue_invoices_are_as_late_as_the_list_says_on_each_practices_day(app):
    demo.seed(NEW_YEAR_IN_ROME)
    assert demo.seed_overdue(NEW_YEAR_IN_ROME) == 9
    db.session.commit()
    rossi = invoices_of("studio-rossi")[2:]
    assert [(number, due, balance) for number, _issued, due, _cur, balance in rossi] == [
        ("2027-0003", date(2026, 12, 20), 18000),
        ("2027-0004", date(2026, 11, 17), 32000),
        ("2027-0005", date(2026, 10, 13), 9500),
        ("2027-0006", date(2026, 9, 13), 45000),
        ("2027-0007", date(2026, 7, 25), 27000),
    ]
    maple = invoices_of("maple-family-dental")[2:]
    assert [(due, balance) for _n, _issued, due, _cur, balance in maple] == [
        (date(2026, 12, 11), 24000),
        (date(2026, 11, 11), 61000),
        (date(2026, 9, 27), 38000),
        (date(2026, 8, 23), 15500),
    ]
    # each issued thirty days before it fell due
    assert all((due - issued).days == 30 for _n, issued, due, _c, _b in rossi + maple)


def test_one_owner_login_per_practice_made_once(app):
    demo.seed(NEW_YEAR_IN_ROME)
    logins = demo.staff_logins()
    again = demo.staff_logins()
    db.session.commit()
    assert (
        logins
        == again
        == [
            demo.DemoLogin(
                "Studio Dentistico Rossi", "owner@studio-rossi.example", demo.DEMO_PASSWORD
            ),
            demo.DemoLogin(
                "Maple Family Dental", "owner@maple-family-dental.example", demo.DEMO_PASSWORD
            ),
        ]
    )
    owners = db.session.scalars(db.select(StaffUser).order_by(StaffUser.id)).all()
    assert [(o.name, o.role, o.locale) for o in owners] == [
        ("Dott.ssa Laura Rossi", "owner", "it"),
        ("Dr. Sarah Maple", "owner", "en"),
    ]
    assert all(staff_auth.check_password(o, demo.DEMO_PASSWORD) for o in owners)
