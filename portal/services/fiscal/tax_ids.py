"""Patients' codici fiscali: given by staff, a CSV file, the API or the patient after the
identity check; always validated, never half-imported."""

import csv
import io

from flask_babel import lazy_gettext as _l

from portal.extensions import db
from portal.models import Patient, PatientTaxId, Practice
from portal.models.fiscal import TaxIdSource
from portal.services.core import audit
from portal.services.core.audit import Actor
from portal.services.fiscal.profile import FiscalRefused, check_codice_fiscale

MAX_ROWS = 5000


def codice_fiscale_of(patient: Patient) -> str | None:
    """The patient's codice fiscale, if one was given."""
    record = db.session.scalar(db.select(PatientTaxId).filter_by(patient_id=patient.id))
    return record.codice_fiscale if record else None


def set_codice_fiscale(patient: Patient, value: str, source: str, actor: Actor) -> str:
    """Validate and store the patient's codice fiscale (the caller commits)."""
    codice = check_codice_fiscale(value)
    record = db.session.scalar(db.select(PatientTaxId).filter_by(patient_id=patient.id))
    if record is None:
        record = PatientTaxId(patient_id=patient.id, codice_fiscale=codice, source=source)
        db.session.add(record)
    else:
        record.codice_fiscale, record.source = codice, source
    audit.record(
        "patient.codice_fiscale_set",
        practice_id=patient.practice_id,
        actor=actor,
        patient_id=patient.id,
        source=source,
    )
    db.session.flush()
    return codice


def import_csv(practice: Practice, data: bytes, actor: Actor) -> int:
    """Set codici fiscali from a CSV with the columns `patient_id,codice_fiscale`; all rows or
    none. Returns how many were set."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise FiscalRefused(_l("The file is not UTF-8 text.")) from exc
    rows = list(csv.DictReader(io.StringIO(text)))
    if not rows or not {"patient_id", "codice_fiscale"} <= set(rows[0]):
        raise FiscalRefused(_l("The file needs the columns patient_id and codice_fiscale."))
    if len(rows) > MAX_ROWS:
        raise FiscalRefused(_l("The file has more than %(n)s rows.", n=MAX_ROWS))
    checked = []
    for number, row in enumerate(rows, start=2):
        raw_id = (row.get("patient_id") or "").strip()
        patient = db.session.get(Patient, int(raw_id)) if raw_id.isdigit() else None
        if patient is None or patient.practice_id != practice.id:
            raise FiscalRefused(_l("Row %(row)s: no such patient.", row=number))
        try:
            checked.append((patient, check_codice_fiscale(row.get("codice_fiscale") or "")))
        except FiscalRefused as exc:
            raise FiscalRefused(_l("Row %(row)s: %(error)s", row=number, error=exc)) from exc
    for patient, codice in checked:
        set_codice_fiscale(patient, codice, TaxIdSource.CSV, actor)
    return len(checked)
