"""The views' unit of work: a change is committed, or rolled back with its refusal shown."""

import pytest
from flask import get_flashed_messages

from portal.api.errors import ApiError
from portal.extensions import db
from portal.models import Patient
from portal.services.billing.patients import InvalidPatient
from portal.services.core.refusals import Refused
from portal.units import commit_or_error, commit_or_flash, commit_or_refuse
from tests import factories


def rename(patient_id: int, name: str, refuse: Exception | None = None):
    def change():
        patient = db.session.get(Patient, patient_id)
        patient.first_name = name
        db.session.flush()
        if refuse is not None:
            raise refuse
        return patient.id

    return change


def first_name(patient_id: int) -> str:
    db.session.expire_all()
    return db.session.get(Patient, patient_id).first_name


@pytest.fixture
def patient_id(app):
    patient = factories.patient(factories.practice())
    db.session.commit()
    return patient.id


def test_a_change_is_committed_and_its_value_returned(app, patient_id):
    outcome = commit_or_refuse(rename(patient_id, "Anna"))
    db.session.rollback()  # nothing left to roll back: it was committed
    assert (outcome.ok, outcome.value, outcome.message) == (True, patient_id, "")
    assert first_name(patient_id) == "Anna"


def test_a_refusal_rolls_the_change_back(app, patient_id):
    outcome = commit_or_refuse(rename(patient_id, "Anna", InvalidPatient("No.")))
    assert not outcome and outcome.message == "No."
    assert isinstance(outcome.refusal, InvalidPatient)
    assert first_name(patient_id) == "Giulia"


def test_only_the_named_refusal_is_caught(app, patient_id):
    with pytest.raises(Refused):
        commit_or_refuse(rename(patient_id, "Anna", Refused("other")), InvalidPatient)
    db.session.rollback()
    assert first_name(patient_id) == "Giulia"


def test_a_staff_page_flashes_the_refusal(app, patient_id):
    with app.test_request_context("/"):
        assert not commit_or_flash(rename(patient_id, "Anna", InvalidPatient("No.")))
        assert get_flashed_messages(with_categories=True) == [("error", "No.")]
    assert first_name(patient_id) == "Giulia"


def test_the_api_answers_with_its_error(app, patient_id):
    with pytest.raises(ApiError) as raised:
        commit_or_error(rename(patient_id, "Anna", InvalidPatient("No.")), field="first_name")
    error = raised.value
    assert (error.status, error.code, str(error.message), error.field) == (
        422,
        "validation_error",
        "No.",
        "first_name",
    )
    assert first_name(patient_id) == "Giulia"
    assert commit_or_error(rename(patient_id, "Anna")) == patient_id
    assert first_name(patient_id) == "Anna"
