"""Fixtures for the JSON API: a practice with an API key and a client that sends the key."""

from dataclasses import dataclass

import pytest
from flask import Flask
from flask.testing import FlaskClient

from portal.extensions import db
from portal.services.practice import api_keys
from tests import factories


@dataclass
class Api:
    """A client of one practice's API key; `practice_id` and `key_id` for checks."""

    app: Flask
    client: FlaskClient
    key: str
    key_id: int
    practice_id: int

    def headers(self, **extra) -> dict:
        return {"Authorization": f"Bearer {self.key}", **extra}

    def get(self, path: str, headers: dict | None = None, **kwargs):
        return self.client.get(f"/api/v1{path}", headers=self.headers(**(headers or {})), **kwargs)

    def post(self, path: str, json=None, headers: dict | None = None, **kwargs):
        headers = self.headers(**(headers or {}))
        return self.client.post(f"/api/v1{path}", json=json, headers=headers, **kwargs)


def make_api(app: Flask, **practice) -> Api:
    with app.app_context():
        record = factories.practice(**practice)
        key_record, key = api_keys.create(record, "PMS")
        db.session.commit()
        return Api(app, app.test_client(), key, key_record.id, record.id)


@pytest.fixture
def api(web_app) -> Api:
    """Practice A (Italian, EUR) and its key."""
    return make_api(web_app)


@pytest.fixture
def other_api(web_app) -> Api:
    """Practice B (US, USD) on the same app, with its own key."""
    return make_api(web_app, name="Smile Dental", **factories.USA)


def snapshot(app: Flask) -> dict[str, int]:
    """Row counts of every table but api_key, whose last use changes on every call."""
    with app.app_context():
        return {
            table.name: db.session.scalar(db.select(db.func.count()).select_from(table))
            for table in db.metadata.sorted_tables
            if table.name != "api_key"
        }


PATIENT = {
    "first_name": "Giulia",
    "last_name": "Bianchi",
    "date_of_birth": "1984-03-09",
    "email": "giulia@example.org",
    "phone": "+39 333 123 4567",
    "locale": "it",
    "email_consent": True,
    "sms_consent": False,
}


def invoice_body(patient_id: int, **overrides) -> dict:
    body = {
        "patient_id": patient_id,
        "number": "2026-0042",
        "issued_on": "2026-11-01",
        "due_on": "2026-12-01",
        "lines": [
            {
                "service_date": "2026-10-25",
                "description": "Composite filling",
                "procedure_code": "D2391",
                "charged_minor": 12000,
            },
            {"service_date": "2026-10-25", "description": "Bitewing X-rays", "charged_minor": 3450},
        ],
    }
    body.update(overrides)
    return body


def new_patient(api: Api, **overrides) -> int:
    response = api.post("/patients", {**PATIENT, **overrides})
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


def new_invoice(api: Api, patient_id: int | None = None, **overrides) -> dict:
    patient_id = patient_id or new_patient(api)
    response = api.post("/invoices", invoice_body(patient_id, **overrides))
    assert response.status_code == 201, response.get_json()
    return response.get_json()
