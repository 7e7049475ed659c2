"""Writing an import in bulk: every id on its own row, the staff search finding what was
imported, and a write that fails leaving the search as it was."""

import pytest
from sqlalchemy import text

from portal.extensions import db
from portal.models import Invoice, Patient
from portal.services.billing import imports, invoices
from portal.services.billing.imports import writing
from portal.services.billing.invoices import LineInput
from portal.services.collections import worklist
from portal.services.core.audit import SYSTEM
from tests import factories

ROWS = """\
First name,Last name,Date of birth,Email,Invoice number,Issue date,Due date,Service date,Description,Charged
Anna,Quercia,1980-01-02,anna@example.org,Q-1,2026-03-01,2026-03-31,2026-02-20,Cleaning,50.00
Bruno,Faggio,1975-05-06,,Q-2,2026-03-01,2026-03-31,2026-02-21,Filling,80.00
Anna,Quercia,1980-01-02,anna@example.org,Q-3,2026-03-02,2026-04-01,2026-02-22,Crown,900.00
"""
TRIGGERS = ("invoice_search_ai", "patient_search_ai")


def found(practice_id: int, word: str) -> list[str]:
    query = db.select(Invoice.number).where(worklist._matches(practice_id, word))
    return sorted(db.session.scalars(query))


def triggers() -> list[str]:
    if db.session.get_bind().dialect.name != "sqlite":
        return list(TRIGGERS)
    query = text("SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE '%_ai'")
    return sorted(db.session.scalars(query))


def test_imported_rows_get_their_own_ids_and_are_found_by_the_search(app):
    practice = factories.practice()
    other = factories.practice(slug="other")
    factories.invoice(factories.patient(other), number="Q-9")  # ids before the import's
    db.session.commit()
    csv_file = imports.read_csv(ROWS.encode())
    result = imports.commit(
        practice, csv_file, imports.guess_mapping(csv_file.headers), actor=SYSTEM
    )
    db.session.commit()

    assert result.imported
    made = db.session.scalars(db.select(Invoice).filter_by(practice_id=practice.id)).all()
    assert sorted((i.number, i.patient.last_name, i.lines[0].description) for i in made) == [
        ("Q-1", "Quercia", "Cleaning"),
        ("Q-2", "Faggio", "Filling"),
        ("Q-3", "Quercia", "Crown"),
    ]
    assert found(practice.id, "Q-2") == ["Q-2"]
    assert found(practice.id, "uerci") == ["Q-1", "Q-3"]
    assert found(practice.id, "anna@example") == ["Q-1", "Q-3"]
    assert triggers() == list(TRIGGERS)
    # the triggers are back: an invoice created one by one is found as before
    bruno = db.session.scalars(db.select(Patient).filter_by(last_name="Faggio")).one()
    line = LineInput(made[0].issued_on, "Check-up", 3000)
    invoices.create_invoice(
        bruno,
        number="Z-77",
        issued_on=line.service_date,
        due_on=line.service_date,
        lines=[line],
        actor=SYSTEM,
    )
    db.session.commit()
    assert found(practice.id, "Z-77") == ["Z-77"]


def test_a_write_that_fails_half_way_leaves_nothing_and_the_search_as_it_was(app, monkeypatch):
    practice = factories.practice()
    db.session.commit()
    csv_file = imports.read_csv(ROWS.encode())

    def broken(*args, **kwargs):
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(writing, "create_invoices", broken)  # after the patients are written
    with pytest.raises(RuntimeError):
        imports.commit(practice, csv_file, imports.guess_mapping(csv_file.headers), actor=SYSTEM)

    assert db.session.scalar(db.select(db.func.count()).select_from(Patient)) == 0
    assert triggers() == list(TRIGGERS)
    patient = factories.patient(practice, first_name="Carla", last_name="Olmo")
    factories.invoice(patient, number="Q-5")
    db.session.commit()
    assert found(practice.id, "Olmo") == ["Q-5"]
