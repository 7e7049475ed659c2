"""A patient's codice fiscale, for Italian health invoices: set it, read it."""

from flask import g

from portal.api import bp
from portal.api.access import scoped
from portal.api.parsing import Fields, json_body
from portal.models import Patient
from portal.models.fiscal import TaxIdSource
from portal.services.fiscal import tax_ids
from portal.services.fiscal.profile import FiscalRefused
from portal.units import commit_or_error


@bp.put("/patients/<int:patient_id>/codice-fiscale")
def put_codice_fiscale(patient_id: int):
    patient = scoped(Patient, patient_id, "patient")
    value = Fields(json_body()).text("codice_fiscale", 20)
    codice = commit_or_error(
        lambda: tax_ids.set_codice_fiscale(patient, value, TaxIdSource.API, g.actor),
        field="codice_fiscale",
        refusal=FiscalRefused,
    )
    return {"patient_id": patient.id, "codice_fiscale": codice}


@bp.get("/patients/<int:patient_id>/codice-fiscale")
def get_codice_fiscale(patient_id: int):
    patient = scoped(Patient, patient_id, "patient")
    return {"patient_id": patient.id, "codice_fiscale": tax_ids.codice_fiscale_of(patient)}
