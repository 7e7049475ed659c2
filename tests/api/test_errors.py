"""Bad requests are JSON errors, never HTML and never a 500."""

import pytest

from tests.api.conftest import PATIENT, new_invoice, snapshot


@pytest.mark.parametrize(
    ("data", "status", "code"),
    [
        ("{not json", 400, "malformed_json"),
        ("", 400, "malformed_json"),
        ("[" * 100_000 + "]" * 100_000, 400, "malformed_json"),
        (b"\xff\xfe{}", 400, "malformed_json"),
        ("[1, 2]", 422, "validation_error"),
        ('"text"', 422, "validation_error"),
        ("null", 422, "validation_error"),
        ('{"a": "' + "x" * 300_000 + '"}', 413, "payload_too_large"),
    ],
)
def test_bodies_that_are_not_a_json_object(api, data, status, code):
    before = snapshot(api.app)
    response = api.client.post(
        "/api/v1/patients", data=data, headers=api.headers(), content_type="application/json"
    )
    assert response.status_code == status
    assert response.get_json()["error"]["code"] == code
    assert snapshot(api.app) == before


def test_unknown_paths_and_methods_are_json(api):
    missing = api.get("/nothing-here")
    assert missing.status_code == 404
    assert missing.get_json()["error"]["code"] == "not_found"
    wrong = api.client.delete("/api/v1/invoices", headers=api.headers())
    assert wrong.status_code == 405
    assert wrong.get_json()["error"]["code"] == "method_not_allowed"
    assert set(wrong.headers["Allow"].split(", ")) >= {"GET", "POST"}
    assert api.get("/invoices/-1").status_code == 404
    posted = api.post("/nothing-here", {"a": 1})  # no CSRF error: no view, so JSON 404
    assert posted.status_code == 404
    assert posted.get_json()["error"]["code"] == "not_found"


def test_empty_body_is_fine_where_none_is_needed(api):
    invoice = new_invoice(api, draft=True)
    response = api.client.post(
        f"/api/v1/invoices/{invoice['id']}/issue", data="", headers=api.headers()
    )
    assert response.status_code == 200
    assert (response.get_json()["id"], response.get_json()["status"]) == (invoice["id"], "open")


def test_strings_the_database_cannot_store_are_refused(api):
    for value in ("\ud800", "a\x00b"):
        response = api.post("/patients", {**PATIENT, "first_name": value})
        assert response.status_code == 422
        assert response.get_json()["error"]["field"] == "first_name"
