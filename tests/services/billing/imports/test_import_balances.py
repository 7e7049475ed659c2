"""An import writes the invoices' and patients' balances with its rows, with the ledger's
balance trigger set aside only for its own charges: afterwards every balance is its ledger
sum, and the trigger works again for the next entry."""

from sqlalchemy import text

from portal.extensions import db
from portal.models import Invoice, Patient
from portal.services.billing import imports
from portal.services.core.audit import SYSTEM
from tests import factories

ROWS = """\
First name,Last name,Date of birth,Invoice number,Issue date,Due date,Service date,Description,Charged,Insurance paid
Anna,Quercia,1980-01-02,B-1,2026-03-01,2026-03-31,2026-02-20,Cleaning,50.00,0.00
Anna,Quercia,1980-01-02,B-1,2026-03-01,2026-03-31,2026-02-20,X-ray,20.00,0.00
Bruno,Faggio,1975-05-06,B-2,2026-03-01,2026-03-31,2026-02-21,Filling,80.00,80.00
Carla,Olmo,1990-07-08,B-3,2026-03-02,2026-04-01,2026-02-22,Crown,900.00,0.00
"""


def ledger_sum(invoice_id: int) -> int:
    query = text("SELECT coalesce(sum(amount_minor), 0) FROM ledger_entry WHERE invoice_id = :i")
    return db.session.scalar(query, {"i": invoice_id})


def test_balances_are_the_ledger_sums_and_the_trigger_is_back(app):
    practice = factories.practice()
    carla = factories.patient(practice, first_name="Carla", last_name="Olmo")
    carla.date_of_birth = carla.date_of_birth.replace(1990, 7, 8)
    earlier = factories.invoice(carla, number="A-1")
    db.session.commit()
    owed_before = db.session.get(Patient, carla.id).open_balance_minor
    csv_file = imports.read_csv(ROWS.encode())
    mapping = imports.guess_mapping(csv_file.headers)
    result = imports.commit(practice, csv_file, mapping, actor=SYSTEM)
    db.session.commit()

    assert (result.imported, result.new_patients, result.matched_patients) == (True, 2, 1)
    made = {i.number: i for i in db.session.scalars(db.select(Invoice))}
    assert {n: (i.balance_minor, i.status) for n, i in made.items() if n != "A-1"} == {
        "B-1": (7000, "open"),
        "B-2": (0, "paid"),
        "B-3": (90000, "open"),
    }
    assert all(i.balance_minor == ledger_sum(i.id) for i in made.values())
    owing = {p.last_name: p.open_balance_minor for p in db.session.scalars(db.select(Patient))}
    assert owing == {"Quercia": 7000, "Faggio": 0, "Olmo": owed_before + 90000}
    # the balance trigger is back: the next entry moves the invoice's balance
    db.session.execute(
        text(
            "INSERT INTO ledger_entry (practice_id, invoice_id, kind, amount_minor, currency,"
            " memo, created_at) VALUES (:p, :i, 'adjustment', -500, 'EUR', 'x', :t)"
        ),
        {"p": practice.id, "i": made["B-3"].id, "t": earlier.created_at},
    )
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Invoice, made["B-3"].id).balance_minor == 89500
