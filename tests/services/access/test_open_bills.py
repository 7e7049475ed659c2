"""Every open bill of a verified patient at one practice, and moving the session to another
of them without asking for the date of birth again."""

from datetime import date, datetime

from portal.extensions import db
from portal.models import PaymentLink
from portal.services.access import links, open_bills
from portal.services.billing import ledger, money
from portal.services.core.audit import SYSTEM
from tests import factories

PATIENT = SYSTEM  # the verified patient's actor does not change what is found


def bills(practice, patient):
    """Four invoices of `patient`: due 1 Mar, 28 Feb (two) and 31 Jan 2027."""
    made = {}
    for number, issued, amounts in (
        ("A", date(2027, 1, 30), (5000,)),
        ("B", date(2027, 1, 29), (1200, 34)),
        ("C", date(2027, 1, 29), (1,)),  # one cent still owed
        ("D", date(2027, 1, 1), (9999,)),
    ):
        made[number] = factories.invoice(patient, amounts=amounts, number=number, today=issued)
    return made


def test_open_bills_with_a_balance_oldest_due_first(app):
    practice = factories.practice()
    giulia = factories.patient(practice)
    made = bills(practice, giulia)
    paid = factories.invoice(giulia, amounts=(700,), number="PAID")
    money.record_desk_payment(paid, 700, "cash", SYSTEM)
    settled = factories.invoice(giulia, amounts=(800,), number="ZERO")
    ledger.post(settled, "adjustment", 800)  # open, but nothing owed
    factories.invoice(factories.patient(practice, first_name="Luca"), number="OTHER")
    db.session.commit()
    found = open_bills.of_patient(made["B"])
    assert [(b.invoice.number, b.balance_minor, b.current) for b in found] == [
        ("D", 9999, False),
        ("B", 1234, True),
        ("C", 1, False),
        ("A", 5000, False),
    ]
    assert sum(b.balance_minor for b in found) == 16234


def test_the_same_person_at_another_practice_is_another_patient(app):
    here, there = factories.practice(), factories.practice()
    mine = factories.invoice(factories.patient(here), number="H-1")
    factories.invoice(factories.patient(there), number="T-1")
    assert [b.invoice.number for b in open_bills.of_patient(mine)] == ["H-1"]


def test_switching_gives_a_verified_link_to_another_open_bill(app):
    practice = factories.practice()
    giulia = factories.patient(practice)
    made = bills(practice, giulia)
    current, _ = links.issue(made["A"], SYSTEM)
    db.session.commit()
    now = datetime(2027, 2, 1, 9, 0)
    link = open_bills.switch_to(current, made["D"].id, PATIENT, now=now)
    assert link.invoice_id == made["D"].id and link.id != current.id
    assert link.verified_at == link.created_at == now
    assert link.first_opened_at == now
    # the current link keeps working
    db.session.flush()
    assert db.session.get(PaymentLink, current.id).revoked_at is None


def test_switching_to_a_bill_that_is_not_theirs_or_not_open_gives_nothing(app):
    practice = factories.practice()
    giulia = factories.patient(practice)
    mine = factories.invoice(giulia, number="G-1")
    paid = factories.invoice(giulia, amounts=(700,), number="G-2")
    money.record_desk_payment(paid, 700, "cash", SYSTEM)
    luca = factories.invoice(factories.patient(practice, first_name="Luca"), number="L-1")
    elsewhere = factories.invoice(factories.patient(factories.practice()), number="E-1")
    current, _ = links.issue(mine, SYSTEM)
    db.session.commit()
    count = db.session.scalar(db.select(db.func.count()).select_from(PaymentLink))
    for invoice_id in (paid.id, luca.id, elsewhere.id, 999999):
        assert open_bills.switch_to(current, invoice_id, PATIENT) is None
    assert db.session.scalar(db.select(db.func.count()).select_from(PaymentLink)) == count
