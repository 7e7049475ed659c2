"""A patient's codice fiscale, for Italian health invoices: set it, read it."""

from flask import g

from portal.api import bp
from portal.api.access import scoped
from portal.api.errors import ApiError
from portal.api.parsing import Fields, json_body
from portal.extensions import db
from portal.models import Patient
from portal.services.fiscal import tax_ids
from portal.services.fiscal.profile import FiscalRefused


@bp.put("/patients/<int:patient_id>/codice-fiscale")
def put_codice_fiscale(patient_id: int):
    patient = scoped(Patient, patient_id, "patient")
    value = Fields(json_body()).text("codice_fiscale", 20)
    try:
        codice = tax_ids.set_codice_fiscale(patient, value, "api", g.actor)
    except FiscalRefused as exc:
        raise ApiError(422, "validation_error", str(exc), "codice_fiscale") from exc
    db.session.commit()
    return {"patient_id": patient.id, "codice_fiscale": codice}


@bp.get("/patients/<int:patient_id>/codice-fiscale")
def get_codice_fiscale(patient_id: int):
    patient = scoped(Patient, patient_id, "patient")
    return {"patient_id": patient.id, "codice_fiscale": tax_ids.codice_fiscale_of(patient)}
