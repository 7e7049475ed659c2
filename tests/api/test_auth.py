"""API keys: 401 without a live key; a key sees only its own practice (others' ids are 404)."""

import pytest

from portal.extensions import db
from portal.models import ApiKey
from portal.services.practice import api_keys
from tests.api.conftest import PATIENT, invoice_body, new_invoice, snapshot

ENDPOINTS = [
    ("GET", "/patients/{patient}", None),
    ("GET", "/invoices/{invoice}", None),
    ("GET", "/invoices/{invoice}/payments", None),
    ("POST", "/invoices/{draft}/issue", None),
    ("POST", "/invoices/{invoice}/links", None),
    ("POST", "/invoices/{invoice}/send", {"channel": "email"}),
    ("POST", "/invoices", "invoice"),
]
EVERY = [
    *ENDPOINTS,
    ("POST", "/patients", PATIENT),
    ("GET", "/invoices", None),
]


def _call(api, method, path, body, ids, headers):
    url = "/api/v1" + path.format(**ids)
    if body == "invoice":
        body = invoice_body(ids["patient"], number="B-1")
    return api.client.open(url, method=method, json=body, headers=headers)


def _ids(api):
    invoice = new_invoice(api, number="A-1")
    draft = new_invoice(api, invoice["patient_id"], number="A-2", draft=True)
    return {"patient": invoice["patient_id"], "invoice": invoice["id"], "draft": draft["id"]}


@pytest.mark.parametrize(
    "authorization",
    [None, "", "Bearer", "Bearer ", "Basic dXNlcjpwYXNz", "Bearer sk_saldo_not-a-key", "Token x"],
)
def test_no_valid_key_is_401(api, authorization):
    ids = _ids(api)
    before = snapshot(api.app)
    headers = {} if authorization is None else {"Authorization": authorization}
    for method, path, body in EVERY:
        response = _call(api, method, path, body, ids, headers)
        assert response.status_code == 401, (method, path)
        assert response.get_json()["error"]["code"] == "unauthorized"
        assert "Authorization: Bearer" in response.get_json()["error"]["message"]
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert snapshot(api.app) == before


def test_revoked_key_is_401_and_use_is_noted(api):
    assert api.get("/invoices").status_code == 200
    with api.app.app_context():
        record = db.session.get(ApiKey, api.key_id)
        assert record.last_used_at is not None
        api_keys.revoke(record)
        db.session.commit()
    response = api.get("/invoices")
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "unauthorized"


def test_openapi_document_needs_no_key(api):
    response = api.client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response.get_json()["openapi"].startswith("3.")


def test_another_practice_sees_404_everywhere(api, other_api):
    ids = _ids(api)
    before = snapshot(api.app)
    for method, path, body in ENDPOINTS:
        response = _call(other_api, method, path, body, ids, other_api.headers())
        assert response.status_code == 404, (method, path, response.get_json())
        assert response.get_json()["error"]["code"] == "not_found"
        missing = {name: 999999 for name in ids}
        again = _call(other_api, method, path, body, missing, other_api.headers())
        assert again.status_code == 404
        assert again.get_json()["error"]["message"] == response.get_json()["error"]["message"]
    assert snapshot(api.app) == before
    listed = other_api.get(f"/invoices?patient_id={ids['patient']}").get_json()
    assert (listed["data"], listed["total"]) == ([], 0)
    assert other_api.get("/invoices").get_json()["total"] == 0
