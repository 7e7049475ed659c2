"""Patients: create one, read one, change their consents and document preferences."""

from flask import g

from portal.api import bp
from portal.api.access import practice, scoped
from portal.api.errors import ApiError
from portal.api.idempotency import mutation
from portal.api.parsing import Fields, json_body
from portal.api.serializers import patient as patient_json
from portal.models import Patient
from portal.models.consent_record import ConsentSource
from portal.services.billing import patients
from portal.services.billing.patients import LANGUAGES, InvalidPatient, PatientInput
from portal.services.collections import preferences
from portal.services.collections.preferences import InvalidPreference
from portal.units import commit_or_error


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
    documents = _optional_booleans(fields, DOCUMENTS)
    try:
        record = patients.create_patient(owner, data, g.actor)
        preferences.update(record, ConsentSource.API, g.actor, **documents)
    except (InvalidPatient, InvalidPreference) as exc:
        raise _error(exc) from exc
    return patient_json(record), 201


@bp.get("/patients/<int:patient_id>")
def get_patient(patient_id: int):
    return patient_json(scoped(Patient, patient_id, "patient"))


PREFERENCES = ("email_consent", "sms_consent", "email_attachments", "paper_records")
DOCUMENTS = ("email_attachments", "paper_records")


def _optional_booleans(fields: Fields, names: tuple[str, ...]) -> dict[str, bool | None]:
    """Each named field as true or false, or None when it is left out or null."""
    return {n: None if fields.data.get(n) is None else fields.boolean(n, False) for n in names}


def _error(exc: Exception) -> ApiError:
    field = "email_attachments" if isinstance(exc, InvalidPreference) else None
    return ApiError(422, "validation_error", exc.args[0], field)


@bp.put("/patients/<int:patient_id>/preferences")
def put_preferences(patient_id: int):
    """Change any of the patient's consents and document preferences; a field left out (or
    null) stays as it is. Each change gets a consent record with source "api"."""
    patient = scoped(Patient, patient_id, "patient")
    given = _optional_booleans(Fields(json_body()), PREFERENCES)
    commit_or_error(
        lambda: preferences.update(patient, ConsentSource.API, g.actor, **given),
        field="email_attachments",
        refusal=InvalidPreference,
    )
    return patient_json(patient)
