"""Patient records: what is accepted and how it is kept, the consent records a new or
changed consent gets, and the staff search."""

from datetime import date

import pytest

from portal.extensions import db
from portal.models import AuditEvent, ConsentRecord
from portal.services.billing import patients
from portal.services.billing.patients import InvalidPatient, PatientInput
from portal.services.core.audit import SYSTEM, Actor
from tests import factories

STAFF = Actor("staff", "staff:1")


def entry(**changes) -> PatientInput:
    values = dict(
        first_name=" Lucia ",
        last_name="Verdi ",
        date_of_birth=date(1979, 11, 23),
        email=" Lucia.Verdi@Example.ORG ",
        phone="+39 333 123 4567",
        locale="it",
        email_consent=True,
        sms_consent=True,
    )
    return PatientInput(**{**values, **changes})


def consents(patient):
    query = db.select(ConsentRecord).filter_by(patient_id=patient.id).order_by(ConsentRecord.id)
    return [(r.channel, r.granted, r.source) for r in db.session.scalars(query)]


def test_a_new_patient_is_kept_tidy_with_each_consent_recorded(app):
    practice = factories.practice()
    patient = patients.create_patient(practice, entry(), STAFF)
    db.session.commit()
    assert (patient.first_name, patient.last_name, patient.email, patient.phone) == (
        "Lucia",
        "Verdi",
        "Lucia.Verdi@example.org",
        "+393331234567",
    )
    assert (patient.email_consent, patient.sms_consent) == (True, True)
    assert consents(patient) == [("email", True, "staff"), ("sms", True, "staff")]
    created = db.session.scalars(db.select(AuditEvent).filter_by(action="patient.created")).one()
    assert created.data == {"patient_id": patient.id}


def test_a_consent_through_an_api_key_is_recorded_as_from_the_api(app):
    practice = factories.practice()
    patient = patients.create_patient(
        practice, entry(sms_consent=False), Actor("staff", "apikey:3")
    )
    assert consents(patient) == [("email", True, "api")]
    assert patient.sms_consent is False


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"first_name": "  "}, "Enter the patient's first and last name."),
        ({"date_of_birth": date(1899, 12, 31)}, "Enter a real date of birth."),
        ({"date_of_birth": date(2999, 1, 1)}, "Enter a real date of birth."),
        ({"locale": "fr"}, "Choose English or Italian."),
        ({"email": "lucia@"}, "Enter a valid email address."),
        ({"phone": "333 123 4567"}, "Enter the phone number with its country code, e.g. +39 …"),
        ({"phone": "+39 12"}, "Enter the phone number with its country code, e.g. +39 …"),
    ],
)
def test_a_patient_the_rules_refuse_is_not_created(app, changes, message):
    practice = factories.practice()
    with pytest.raises(InvalidPatient) as refused:
        patients.create_patient(practice, entry(**changes), SYSTEM)
    assert str(refused.value) == message
    assert patients.search(practice.id) == []


def test_an_update_names_the_fields_changed_and_records_the_consent_change(app):
    practice = factories.practice()
    patient = patients.create_patient(practice, entry(), STAFF)
    db.session.commit()
    patients.update_patient(patient, entry(phone="", sms_consent=False, locale="en"), STAFF)
    db.session.commit()
    assert (patient.phone, patient.locale, patient.sms_consent) == (None, "en", False)
    assert consents(patient)[-1] == ("sms", False, "staff")
    updated = db.session.scalars(db.select(AuditEvent).filter_by(action="patient.updated")).one()
    assert updated.data == {
        "patient_id": patient.id,
        "fields": ["locale", "phone", "sms_consent"],
        "consent": {"sms_consent": False},
    }


def test_the_search_matches_every_word_in_a_name_email_or_phone(app):
    practice = factories.practice()
    factories.patient(practice, first_name="Giulia", last_name="Bianchi")
    factories.patient(practice, first_name="Marco", last_name="Bianchi", email="marco@ex.org")
    factories.patient(practice, first_name="Anna", last_name="Rossi", phone="+390655501")
    factories.patient(factories.practice(), first_name="Giulia", last_name="Bianchi")
    db.session.commit()
    names = lambda text: [p.full_name for p in patients.search(practice.id, text)]  # noqa: E731
    assert names("") == ["Giulia Bianchi", "Marco Bianchi", "Anna Rossi"]
    assert names("bianchi") == ["Giulia Bianchi", "Marco Bianchi"]
    assert names("BIANCHI giu") == ["Giulia Bianchi"]
    assert names("marco@ex") == ["Marco Bianchi"]
    assert names("0655") == ["Anna Rossi"]
    assert names("nobody") == []
    assert [p.last_name for p in patients.search(practice.id, limit=1)] == ["Bianchi"]
