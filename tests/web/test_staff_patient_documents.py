"""Staff set a patient's email attachments and paper records on the patient page; each change
is a consent record with source "staff"; refusals are explained in the staff member's language."""

import html
import re

import pytest

from portal.extensions import db
from portal.models import ConsentRecord, Patient
from tests import factories
from tests.web.staff_client import csrf, make_staff, sign_in


def _desk(web_app, locale="en", **patient_values):
    with web_app.app_context():
        practice = factories.practice()
        user = make_staff(practice, "billing", locale=locale)
        patient = factories.patient(practice, **patient_values)
        db.session.commit()
        email, patient_id, staff_id = user.email, patient.id, user.id
    client = web_app.test_client()
    sign_in(client, email)
    return client, patient_id, staff_id


def _save(client, patient_id, **checked):
    page = f"/staff/patients/{patient_id}"
    data = {"csrf_token": csrf(client, page), **{k: "y" for k, v in checked.items() if v}}
    return client.post(f"{page}/documents", data=data)


def _records(web_app, patient_id):
    with web_app.app_context():
        query = db.select(ConsentRecord).filter_by(patient_id=patient_id).order_by(ConsentRecord.id)
        return [(r.channel, r.granted, r.source, r.recorded_by) for r in db.session.scalars(query)]


def test_staff_set_attachments_then_paper(web_app):
    client, patient_id, staff_id = _desk(web_app)
    page = html.unescape(client.get(f"/staff/patients/{patient_id}").get_data(as_text=True))
    assert "Link only, documents downloaded after verification" in page
    assert "Send receipts and agreements as email attachments" in page

    saved = _save(client, patient_id, email_attachments=True)
    assert saved.status_code == 302
    assert saved.headers["Location"] == f"/staff/patients/{patient_id}"
    page = html.unescape(client.get(f"/staff/patients/{patient_id}").get_data(as_text=True))
    assert "Document preferences saved." in page
    assert "Receipts and agreements attached" in page

    assert _save(client, patient_id, paper_records=True).status_code == 302
    with web_app.app_context():
        patient = db.session.get(Patient, patient_id)
        assert (patient.email_attachments, patient.paper_records) == (False, True)
    staff = f"staff:{staff_id}"
    assert _records(web_app, patient_id) == [
        ("attachments", True, "staff", staff),
        ("attachments", False, "staff", staff),
        ("esign", False, "staff", staff),
    ]
    assert _save(client, patient_id, paper_records=True).status_code == 302  # unchanged
    assert len(_records(web_app, patient_id)) == 3
    page = html.unescape(client.get(f"/staff/patients/{patient_id}").get_data(as_text=True))
    history = page[page.index("Consent history") :]
    rows = re.findall(
        r"<tr><td>[^<]*</td><td>([^<]*)</td><td>([^<]*)</td><td>([^<]*)</td>", history
    )
    assert rows == [
        ("Electronic records", "withdrawn", "practice staff"),
        ("Email attachments", "withdrawn", "practice staff"),
        ("Email attachments", "given", "practice staff"),
    ]


@pytest.mark.parametrize(
    "locale,message",
    [
        (
            "en",
            "A patient who receives records on paper cannot also receive them as email attachments.",
        ),
        ("it", "Chi riceve i documenti su carta non può riceverli anche come allegati email."),
    ],
)
def test_a_contradiction_is_refused_in_the_staff_language(web_app, locale, message):
    client, patient_id, _ = _desk(web_app, locale=locale)
    refused = _save(client, patient_id, email_attachments=True, paper_records=True)
    assert refused.status_code == 422
    assert message in html.unescape(refused.get_data(as_text=True))
    assert _records(web_app, patient_id) == []


def test_attachments_need_an_email(web_app):
    client, patient_id, _ = _desk(web_app, email=None)
    refused = _save(client, patient_id, email_attachments=True)
    assert refused.status_code == 422
    assert "Attachments need an email address: add the patient&#39;s email first." in (
        refused.get_data(as_text=True)
    )
    with web_app.app_context():
        assert db.session.get(Patient, patient_id).email_attachments is False


def test_viewers_see_but_cannot_change(web_app):
    with web_app.app_context():
        practice = factories.practice()
        viewer = make_staff(practice, "viewer").email
        patient_id = factories.patient(practice).id
        db.session.commit()
    client = web_app.test_client()
    sign_in(client, viewer)
    page = client.get(f"/staff/patients/{patient_id}").get_data(as_text=True)
    assert "Link only, documents downloaded after verification" in page
    assert "/documents" not in page
    token = csrf(client, f"/staff/patients/{patient_id}")
    answer = client.post(
        f"/staff/patients/{patient_id}/documents",
        data={"csrf_token": token, "email_attachments": "y"},
    )
    assert answer.status_code == 403
    assert _records(web_app, patient_id) == []
