"""Email attachments and paper records: each change is a consent record with its source; a
preference that cannot hold is refused, changing nothing."""

from datetime import date

import pytest

from portal.extensions import db
from portal.i18n import rendering_in
from portal.models import ConsentRecord, PlanPolicy
from portal.services.collections import preferences
from portal.services.collections.preferences import InvalidPreference
from portal.services.core.audit import Actor
from portal.services.plans import agreements, plans
from tests import factories

STAFF = Actor("staff", "7", "127.0.0.1")
API = Actor("system", "apikey:3", "203.0.113.9")
PATIENT = Actor("patient", "link:9", "198.51.100.7")
START = date(2026, 11, 3)


def _records(patient):
    query = db.select(ConsentRecord).filter_by(patient_id=patient.id).order_by(ConsentRecord.id)
    return [(r.channel, r.granted, r.source, r.recorded_by) for r in db.session.scalars(query)]


def test_each_change_is_recorded_with_its_source(app):
    patient = factories.patient(factories.practice())
    assert preferences.update(patient, "staff", STAFF, email_attachments=True) == [
        "email_attachments"
    ]
    assert preferences.update(patient, "api", API, email_attachments=True) == []  # unchanged
    assert preferences.update(patient, "api", API, paper_records=True, sms_consent=True) == [
        "sms_consent",
        "paper_records",
    ]
    # paper stops the attachments first, in its own record
    assert _records(patient) == [
        ("attachments", True, "staff", "staff:7"),
        ("sms", True, "api", "system:apikey:3"),
        ("attachments", False, "api", "system:apikey:3"),
        ("esign", False, "api", "system:apikey:3"),
    ]
    assert (patient.email_attachments, patient.paper_records, patient.sms_consent) == (
        False,
        True,
        True,
    )
    texts = [r.text_shown for r in db.session.scalars(db.select(ConsentRecord))]
    assert texts[0] == (
        "Consent to receipts and agreements as email attachments granted, "
        "recorded by practice staff."
    )
    assert texts[3] == (
        "Consent to electronic records (withdrawn: records on paper) withdrawn, "
        "recorded through the API."
    )
    assert preferences.update(patient, "staff", STAFF, paper_records=False) == ["paper_records"]
    assert _records(patient)[-1] == ("esign", True, "staff", "staff:7")
    assert patient.paper_records is False


@pytest.mark.parametrize(
    "patient_values,change,message",
    [
        (
            dict(email=None),
            dict(email_attachments=True),
            "Attachments need an email address: add the patient's email first.",
        ),
        (
            dict(paper_records=True),
            dict(email_attachments=True),
            "A patient who receives records on paper cannot also receive them as email "
            "attachments.",
        ),
        (
            dict(),
            dict(email_attachments=True, paper_records=True, sms_consent=True),
            "A patient who receives records on paper cannot also receive them as email "
            "attachments.",
        ),
    ],
)
def test_refused_preferences_change_nothing(app, patient_values, change, message):
    patient = factories.patient(factories.practice(), **patient_values)
    before = (patient.email_attachments, patient.paper_records, patient.sms_consent)
    with pytest.raises(InvalidPreference) as refused:
        preferences.update(patient, "staff", STAFF, **change)
    assert str(refused.value) == message
    assert (patient.email_attachments, patient.paper_records, patient.sms_consent) == before
    assert _records(patient) == []


def test_refusals_are_translated(app):
    patient = factories.patient(factories.practice(), email=None)
    with pytest.raises(InvalidPreference) as refused:
        preferences.set_email_attachments(patient, True, "staff", STAFF)
    with rendering_in("it"):
        assert str(refused.value) == (
            "Gli allegati richiedono un indirizzo email: aggiunga prima l'email del paziente."
        )


def test_withdrawal_is_noted_on_consented_plans(app):
    practice = factories.practice()
    db.session.add(PlanPolicy(practice_id=practice.id, allowed_counts="3", min_down_percent=10))
    invoice = factories.invoice(factories.patient(practice), amounts=(60000,), today=START)
    consented = plans.choose(invoice, 3, START, "it", STAFF)
    agreements.consent(consented, STAFF)
    assert preferences.set_paper_records(invoice.patient, True, "staff", STAFF) is True
    assert consented.evidence["withdrawn_source"] == "staff"
    assert "consent_withdrawn_at" in consented.evidence
    assert preferences.set_paper_records(invoice.patient, True, "staff", STAFF) is False


def test_consent_on_a_plan_is_recorded_with_the_text_shown_and_ends_paper(app):
    practice = factories.practice()
    db.session.add(PlanPolicy(practice_id=practice.id, allowed_counts="3", min_down_percent=10))
    patient = factories.patient(practice, paper_records=True)
    invoice = factories.invoice(patient, amounts=(60000,), today=START)
    plan = plans.choose(invoice, 3, START, "it", STAFF)
    preferences.consent_on_plan(plan, PATIENT)
    assert _records(patient) == [("esign", True, "patient_page", "patient:link:9")]
    record = db.session.scalars(db.select(ConsentRecord)).one()
    assert record.text_shown.encode() == plan.consent_html == agreements.consent_html(plan).encode()
    assert patient.paper_records is False and "consented_at" in plan.evidence
