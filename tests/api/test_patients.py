"""POST /api/v1/patients and GET /api/v1/patients/<id>."""

import pytest

from portal.extensions import db
from portal.models import AuditEvent, Patient
from tests.api.conftest import PATIENT, snapshot


def test_create_patient(api):
    response = api.post("/patients", PATIENT)
    assert response.status_code == 201
    body = response.get_json()
    assert body == {
        "id": body["id"],
        "first_name": "Giulia",
        "last_name": "Bianchi",
        "date_of_birth": "1984-03-09",
        "email": "giulia@example.org",
        "phone": "+393331234567",
        "locale": "it",
        "email_consent": True,
        "sms_consent": False,
        "email_attachments": False,
        "paper_records": False,
        "created_at": body["created_at"],
    }
    assert body["created_at"].endswith("Z")
    with api.app.app_context():
        patient = db.session.get(Patient, body["id"])
        assert patient.practice_id == api.practice_id
        event = db.session.scalars(db.select(AuditEvent).filter_by(action="patient.created")).one()
        assert (event.actor_kind, event.actor_ref) == ("system", f"apikey:{api.key_id}")
        assert event.ip_address == "127.0.0.1"


def test_defaults_and_get(api, other_api):
    minimal = {"first_name": " Mario ", "last_name": "Rossi", "date_of_birth": "1950-12-31"}
    created = api.post("/patients", {**minimal, "unknown_field": [1, 2]}).get_json()
    assert (created["first_name"], created["email"], created["phone"]) == ("Mario", None, None)
    assert (created["email_consent"], created["sms_consent"]) == (True, False)
    assert created["locale"] == "it"  # the Italian practice's language
    assert other_api.post("/patients", minimal).get_json()["locale"] == "en"

    fetched = api.get(f"/patients/{created['id']}")
    assert fetched.status_code == 200
    assert fetched.get_json() == created


BAD = [
    ({"first_name": None}, "first_name", "first_name is required."),
    ({"first_name": 42}, "first_name", "first_name must be a string."),
    ({"last_name": "   "}, "last_name", "last_name cannot be empty."),
    ({"last_name": "x" * 101}, "last_name", "last_name must be at most 100 characters long."),
    ({"last_name": "Ros\x00si"}, "last_name", "last_name contains characters that are not allowed."),
    ({"date_of_birth": "09/03/1984"}, "date_of_birth", "date_of_birth must be a date written YYYY-MM-DD."),
    ({"date_of_birth": "1984-02-30"}, "date_of_birth", "date_of_birth must be a date written YYYY-MM-DD."),
    ({"date_of_birth": 19840309}, "date_of_birth", "date_of_birth must be a date written YYYY-MM-DD."),
    ({"locale": "fr"}, "locale", 'locale must be one of "en", "it".'),
    ({"sms_consent": "yes"}, "sms_consent", "sms_consent must be true or false."),
    ({"email": ["a@b.c"]}, "email", "email must be a string."),
    ({"email": "not-an-email"}, None, "Enter a valid email address."),
    ({"phone": "333 123"}, None, "Enter the phone number with its country code, e.g. +39 …"),
    ({"date_of_birth": "2999-01-01"}, None, "Enter a real date of birth."),
]  # fmt: skip


@pytest.mark.parametrize(("change", "field", "message"), BAD)
def test_bad_patient_is_refused_and_changes_nothing(api, change, field, message):
    before = snapshot(api.app)
    response = api.post("/patients", {**PATIENT, **change})
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "validation_error"
    assert error["message"] == message
    assert error.get("field") == field
    assert snapshot(api.app) == before


def test_service_messages_follow_accept_language(api):
    response = api.post(
        "/patients", {**PATIENT, "email": "nope"}, headers={"Accept-Language": "it-IT,it;q=0.9"}
    )
    assert response.status_code == 422
    assert response.get_json()["error"]["message"] == "Inserisca un indirizzo email valido."


def test_unknown_patient_is_404(api):
    for path in ("/patients/999999", "/patients/99999999999999999999999"):
        response = api.get(path)
        assert response.status_code == 404
        assert response.get_json()["error"]["code"] == "not_found"
