"""Idempotency-Key: a repeat returns the stored answer and changes nothing."""

import pytest

from portal.api import idempotency
from portal.extensions import db
from portal.models import IdempotentResponse, Invoice, Patient, PaymentLink
from tests.api.conftest import PATIENT, invoice_body, new_invoice, new_patient, snapshot


def _count(api, model):
    with api.app.app_context():
        return db.session.scalar(db.select(db.func.count()).select_from(model))


def test_same_post_twice_makes_one_invoice(api):
    body = invoice_body(new_patient(api))
    key = {"Idempotency-Key": "pms-7f3a"}
    first = api.post("/invoices", body, key)
    second = api.post("/invoices", {**body}, key)
    assert first.status_code == second.status_code == 201
    assert first.get_data() == second.get_data()
    assert second.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert _count(api, Invoice) == 1


def test_same_key_with_another_request_is_422(api):
    patient_id = new_patient(api)
    key = {"Idempotency-Key": "pms-1"}
    assert api.post("/invoices", invoice_body(patient_id), key).status_code == 201
    before = snapshot(api.app)
    for path, body in (
        ("/invoices", invoice_body(patient_id, number="2026-0043")),
        ("/patients", PATIENT),
    ):
        response = api.post(path, body, key)
        assert response.status_code == 422
        assert response.get_json()["error"]["code"] == "idempotency_key_reused"
        assert response.get_json()["error"]["field"] == "Idempotency-Key"
    assert snapshot(api.app) == before


def test_keys_belong_to_one_api_key(api, other_api):
    key = {"Idempotency-Key": "shared"}
    assert api.post("/patients", PATIENT, key).status_code == 201
    assert other_api.post("/patients", PATIENT, key).status_code == 201
    assert _count(api, Patient) == 2


def test_failures_are_not_stored(api):
    key = {"Idempotency-Key": "retry-me"}
    bad = api.post("/patients", {**PATIENT, "date_of_birth": "soon"}, key)
    assert bad.status_code == 422
    assert _count(api, IdempotentResponse) == 0
    assert api.post("/patients", PATIENT, key).status_code == 201


def test_replayed_link_does_not_reveal_or_create(api):
    invoice = new_invoice(api)
    key = {"Idempotency-Key": "link-1"}
    first = api.post(f"/invoices/{invoice['id']}/links", None, key).get_json()
    again = api.post(f"/invoices/{invoice['id']}/links", None, key)
    assert again.status_code == 201
    assert again.get_json() == {**first, "url": None}
    assert _count(api, PaymentLink) == 1
    with api.app.app_context():
        stored = db.session.scalars(db.select(IdempotentResponse)).one()
        assert first["url"].rsplit("/", 1)[1] not in stored.body


@pytest.mark.parametrize("value", ["", "   ", "x" * 256])
def test_bad_key_is_422(api, value):
    response = api.post("/patients", PATIENT, {"Idempotency-Key": value})
    assert response.status_code == 422
    assert response.get_json()["error"]["field"] == "Idempotency-Key"
    assert _count(api, Patient) == 0


def test_a_racing_duplicate_is_answered_from_the_winner(api, monkeypatch):
    """Both requests pass the look-up before either commits: the unique index decides."""
    key = {"Idempotency-Key": "race"}
    first = api.post("/patients", PATIENT, key)
    real = idempotency._stored
    calls = []

    def not_yet_committed(k):
        calls.append(k)
        return None if len(calls) == 1 else real(k)

    monkeypatch.setattr(idempotency, "_stored", not_yet_committed)
    second = api.post("/patients", PATIENT, key)
    assert len(calls) == 2  # the look-up, then the replay after the IntegrityError
    assert second.status_code == 201
    assert second.get_data() == first.get_data()
    assert _count(api, Patient) == 1
