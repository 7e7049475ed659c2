"""PUT /api/v1/patients/<id>/preferences, and the document preferences on POST /patients:
every change a consent record with source "api"; refusals translated, changing nothing."""

import pytest

from portal.extensions import db
from portal.models import ConsentRecord
from tests.api.conftest import PATIENT, snapshot


def _put(api, patient_id, body, **headers):
    return api.client.put(
        f"/api/v1/patients/{patient_id}/preferences", json=body, headers=api.headers(**headers)
    )


def _records(api, patient_id):
    with api.app.app_context():
        query = db.select(ConsentRecord).filter_by(patient_id=patient_id).order_by(ConsentRecord.id)
        return [(r.channel, r.granted, r.source, r.recorded_by) for r in db.session.scalars(query)]


def test_create_with_attachments_then_change_preferences(api):
    created = api.post("/patients", {**PATIENT, "email_attachments": True}).get_json()
    assert (created["email_attachments"], created["paper_records"]) == (True, False)
    key = f"system:apikey:{api.key_id}"
    assert _records(api, created["id"]) == [
        ("email", True, "api", key),
        ("attachments", True, "api", key),
    ]

    changed = _put(
        api, created["id"], {"paper_records": True, "sms_consent": True, "email_consent": None}
    )
    assert changed.status_code == 200
    body = changed.get_json()
    assert {
        k: body[k] for k in ("email_consent", "sms_consent", "email_attachments", "paper_records")
    } == {
        "email_consent": True,
        "sms_consent": True,
        "email_attachments": False,
        "paper_records": True,
    }
    assert _records(api, created["id"])[2:] == [
        ("sms", True, "api", key),
        ("attachments", False, "api", key),
        ("esign", False, "api", key),
    ]
    assert api.get(f"/patients/{created['id']}").get_json() == body
    assert _put(api, created["id"], {}).get_json() == body  # nothing asked, nothing changed
    assert len(_records(api, created["id"])) == 5


@pytest.mark.parametrize(
    "body,language,field,message",
    [
        ({"paper_records": "yes"}, "en", "paper_records", "paper_records must be true or false."),
        (
            {"email_attachments": True, "paper_records": True},
            "en",
            "email_attachments",
            "A patient who receives records on paper cannot also receive them as email "
            "attachments.",
        ),
        (
            {"email_attachments": True, "paper_records": True, "sms_consent": True},
            "it-IT,it;q=0.9",
            "email_attachments",
            "Chi riceve i documenti su carta non può riceverli anche come allegati email.",
        ),
    ],
)
def test_refused_changes_change_nothing(api, body, language, field, message):
    patient_id = api.post("/patients", PATIENT).get_json()["id"]
    before = snapshot(api.app)
    response = _put(api, patient_id, body, **{"Accept-Language": language})
    assert response.status_code == 422
    assert response.get_json()["error"] == {
        "code": "validation_error",
        "message": message,
        "field": field,
    }
    assert snapshot(api.app) == before


def test_attachments_without_email_are_refused_at_creation(api):
    before = snapshot(api.app)
    response = api.post(
        "/patients",
        {**PATIENT, "email": None, "email_attachments": True},
        headers={"Accept-Language": "it"},
    )
    assert response.status_code == 422
    assert response.get_json()["error"]["message"] == (
        "Gli allegati richiedono un indirizzo email: aggiunga prima l'email del paziente."
    )
    assert snapshot(api.app) == before


def test_another_practices_patient_is_404(api, other_api):
    patient_id = api.post("/patients", PATIENT).get_json()["id"]
    response = _put(other_api, patient_id, {"paper_records": True})
    assert response.status_code == 404
    assert _records(api, patient_id) == [("email", True, "api", f"system:apikey:{api.key_id}")]
