"""Patients: create one, read one."""

from flask import g

from portal.api import bp
from portal.api.access import practice, scoped
from portal.api.errors import ApiError
from portal.api.idempotency import mutation
from portal.api.parsing import Fields, json_body
from portal.api.serializers import patient as patient_json
from portal.models import Patient
from portal.services.billing import patients
from portal.services.billing.patients import LANGUAGES, InvalidPatient, PatientInput


@bp.post("/patients")
@mutation()
def create_patient():
    fields = Fields(json_body())
    owner = practice()
    default_locale = owner.default_locale if owner.default_locale in LANGUAGES else "en"
    data = PatientInput(
        first_name=fields.text("first_name", 100),
        last_name=fields.text("last_name", 100),
        date_of_birth=fields.day("date_of_birth"),
        email=fields.text("email", 254, required=False),
        phone=fields.text("phone", 32, required=False),
        locale=fields.choice("locale", LANGUAGES, default_locale),
        email_consent=fields.boolean("email_consent", True),
        sms_consent=fields.boolean("sms_consent", False),
    )
    try:
        record = patients.create_patient(owner, data, g.actor)
    except InvalidPatient as exc:
        raise ApiError(422, "validation_error", exc.args[0]) from exc
    return patient_json(record), 201


@bp.get("/patients/<int:patient_id>")
def get_patient(patient_id: int):
    return patient_json(scoped(Patient, patient_id, "patient"))
