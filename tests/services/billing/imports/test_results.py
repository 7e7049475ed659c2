"""What an import plans: patients matched by name and birth date, and the patients' share
of every invoice summed to the cent (no database)."""

from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from portal.services.billing.imports.results import (
    ImportResult,
    PlannedInvoice,
    PlannedPatient,
    RowError,
    patient_key,
)
from portal.services.billing.invoices import LineInput
from portal.services.billing.patients import PatientInput

BORN = date(1984, 3, 9)


def test_patients_match_without_case_or_extra_spaces():
    assert patient_key("  Giulia ", "De  Luca", BORN) == ("giulia", "de luca", BORN)
    assert patient_key("GIULIA", "de luca", BORN) == patient_key("Giulia", " De Luca ", BORN)
    assert patient_key("Straße", "X", BORN) == patient_key("STRASSE", "x", BORN)  # casefold
    assert patient_key("Giulia", "De Luca", BORN) != patient_key("Giulia", "DeLuca", BORN)
    assert patient_key("Giulia", "Bianchi", BORN) != patient_key(
        "Giulia", "Bianchi", date(1984, 3, 10)
    )


def planned(key_name, existing_id=None):
    person = PatientInput(key_name, "Bianchi", BORN)
    return PlannedPatient(patient_key(key_name, "Bianchi", BORN), 2, person, existing_id)


def line(charged, insurance=0, adjustment=0):
    return LineInput(BORN, "Igiene", charged, insurance, adjustment)


def test_a_plan_counts_lines_patients_and_the_patients_share():
    giulia, luca = planned("Giulia"), planned("Luca", existing_id=7)
    first = PlannedInvoice("F-1", 2, giulia, date(2026, 3, 1), date(2026, 3, 31))
    first.lines += [line(12000, 2000, 500), line(1)]
    second = PlannedInvoice("F-2", 4, luca, date(2026, 3, 1), date(2026, 3, 31), [line(3450)])
    result = ImportResult(3, "EUR", [first, second], [giulia, luca], [])
    assert first.patient_share_minor == 9501
    assert (result.lines, result.new_patients, result.matched_patients) == (3, 1, 1)
    assert result.patient_share_minor == 9501 + 3450
    assert result.ok
    assert not ImportResult(3, "EUR", [], [], [RowError(3, "Importo", "bad")]).ok
    assert str(RowError(3, "Importo", "not an amount")) == "not an amount"


AMOUNTS = st.tuples(st.integers(0, 10**8), st.integers(0, 10**8), st.integers(0, 10**8))


@given(invoices=st.lists(st.lists(AMOUNTS, min_size=1, max_size=5), max_size=6))
def test_the_share_of_the_plan_is_the_sum_of_every_line(invoices):
    patient = planned("Giulia")
    plan = [
        PlannedInvoice(f"F-{n}", n, patient, BORN, BORN, [line(*amounts) for amounts in lines])
        for n, lines in enumerate(invoices)
    ]
    result = ImportResult(len(invoices), "EUR", plan, [patient], [])
    expected = sum(c - i - a for lines in invoices for c, i, a in lines)
    assert result.patient_share_minor == expected
    assert result.lines == sum(len(lines) for lines in invoices)
