"""The practice's GDPR art. 13 notice, linked from every patient page and message; the
ESIGN withdrawal of consent to electronic records."""

import html

import pytest

from portal.clock import utcnow
from portal.extensions import db
from portal.models import AuditEvent, ConsentRecord, Patient
from portal.services import messaging
from tests import factories
from tests.web.patient_client import csrf_token, open_and_verify


def _practice(web_app, **values):
    with web_app.app_context():
        practice = factories.practice(
            slug="studio-rossi", address="Via Roma 1, 00186 Roma", **values
        )
        db.session.commit()
        return practice.slug


@pytest.mark.parametrize("locale", ["en", "it"])
def test_the_notice_names_controller_purposes_basis_retention_rights_and_contact(
    web_app, client, locale
):
    _practice(web_app, privacy_contact="privacy@studio.example")
    client.get(f"/lang/{locale}")
    page = html.unescape(client.get("/privacy/studio-rossi").get_data(as_text=True))
    expected = {
        "en": [
            "The data controller is Studio Dentistico Rossi, Via Roma 1, 00186 Roma.",
            "privacy@studio.example",
            "art. 9(2)(h)",
            "kept for 10 years after the last payment",
            "articles 15 to 22",
            "Garante per la protezione dei dati personali",
        ],
        "it": [
            "Il titolare del trattamento è Studio Dentistico Rossi, Via Roma 1, 00186 Roma.",
            "privacy@studio.example",
            "art. 9, par. 2, lett. h",
            "conservati per 10 anni dall’ultimo pagamento",
            "articoli da 15 a 22",
            "Garante per la protezione dei dati personali",
        ],
    }[locale]
    for text in expected:
        assert text in page, text


def test_unknown_practice_has_no_notice(client):
    assert client.get("/privacy/nobody").status_code == 404


def test_every_patient_page_and_the_link_email_link_the_notice(web_app, client):
    with web_app.app_context():
        invoice, token = factories.invoice_with_link(locale="en")
        slug = invoice.practice.slug
    verify_page = client.get(f"/p/{token}", follow_redirects=True).get_data(as_text=True)
    assert f'href="/privacy/{slug}"' in verify_page
    open_and_verify(client, token)
    assert f'href="/privacy/{slug}"' in client.get("/pay").get_data(as_text=True)
    with web_app.app_context():
        invoice = db.session.merge(invoice)
        rendered = messaging.render_link_message(invoice, "email", "http://x/p/t", utcnow())
        base = web_app.config["PORTAL_BASE_URL"].rstrip("/")
        assert f"Privacy notice: {base}/privacy/{slug}" in rendered.text
        assert f'href="{base}/privacy/{slug}"' in rendered.html
        text = messaging.render_link_message(invoice, "sms", "http://x/p/t", utcnow()).text
        assert text.endswith(f"Reply STOP to opt out. Privacy: {base}/privacy/{slug}")


def test_withdrawing_consent_to_electronic_records_switches_to_paper(web_app, client):
    with web_app.app_context():
        invoice, token = factories.invoice_with_link(locale="it")
        patient_id = invoice.patient_id
    open_and_verify(client, token)
    page = html.unescape(client.get("/pay/paper-records").get_data(as_text=True))
    assert "Revoco il mio consenso ai documenti elettronici" in page
    client.post("/pay/paper-records", data={"csrf_token": csrf_token(client, "/pay")})
    done = html.unescape(client.get("/pay/paper-records").get_data(as_text=True))
    assert "Lei ha revocato il consenso ai documenti elettronici." in done
    refused = client.post(
        "/pay/attachments", data={"csrf_token": csrf_token(client, "/pay"), "wanted": "1"}
    )
    assert refused.status_code == 422
    assert (
        "Chi riceve i documenti su carta non può riceverli anche come allegati email."
        in html.unescape(refused.get_data(as_text=True))
    )
    with web_app.app_context():
        patient = db.session.get(Patient, patient_id)
        assert (patient.email_attachments, patient.paper_records) == (False, True)
        record = db.session.scalars(db.select(ConsentRecord).filter_by(patient_id=patient_id)).one()
        assert (record.channel, record.granted, record.source) == ("esign", False, "patient_page")
        assert record.text_shown.startswith("Lei ha accettato di ricevere in formato elettronico")
        event = db.session.scalar(db.select(AuditEvent).filter_by(action="consent.withdrawn"))
        assert (event.data["source"], event.data["channel"]) == ("patient_page", "esign")
        assert event.actor_kind == "patient"
