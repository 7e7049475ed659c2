"""Links and sending: a fresh link revokes the earlier ones; email and SMS land in the outbox."""

from datetime import datetime, timedelta

import pytest

from portal.extensions import db
from portal.models import Delivery, OutboxMessage, PaymentLink
from portal.services.access import links
from tests.api.conftest import new_invoice, new_patient, snapshot


def test_new_link_revokes_the_earlier_one(api):
    invoice = new_invoice(api)
    first = api.post(f"/invoices/{invoice['id']}/links")
    assert first.status_code == 201
    body = first.get_json()
    assert body["url"].startswith(f"{api.app.config['PORTAL_BASE_URL']}/p/")
    created = datetime.fromisoformat(body["created_at"].removesuffix("Z"))
    expires = datetime.fromisoformat(body["expires_at"].removesuffix("Z"))
    assert expires - created == timedelta(days=45)
    second = api.post(f"/invoices/{invoice['id']}/links").get_json()
    with api.app.app_context():
        assert links.resolve(body["url"].rsplit("/", 1)[1]).state == "revoked"
        assert links.resolve(second["url"].rsplit("/", 1)[1]).state == "ok"
        assert db.session.scalar(db.select(db.func.count()).select_from(PaymentLink)) == 2


def test_send_by_email_writes_to_the_outbox(api):
    invoice = new_invoice(api, patient_id=new_patient(api, locale="en"))
    response = api.post(f"/invoices/{invoice['id']}/send", {"channel": "email"})
    assert response.status_code == 202
    body = response.get_json()
    assert body == {
        "id": body["id"],
        "channel": "email",
        "recipient": "giulia@example.org",
        "status": "sent",
        "attempts": 1,
        "last_error": None,
        "sent_at": body["sent_at"],
        "next_attempt_at": None,
    }
    with api.app.app_context():
        message = db.session.scalars(db.select(OutboxMessage)).one()
        assert (message.channel, message.recipient) == ("email", "giulia@example.org")
        assert message.subject == "Your bill from Studio Dentistico Rossi"
        assert db.session.get(Delivery, body["id"]).status == "sent"
        live = db.select(PaymentLink).filter_by(revoked_at=None)
        assert len(db.session.scalars(live).all()) == 1


def test_send_sms_with_consent(api):
    patient_id = new_patient(api, sms_consent=True)
    invoice = new_invoice(api, patient_id=patient_id)
    response = api.post(f"/invoices/{invoice['id']}/send", {"channel": "sms"})
    assert response.status_code == 202
    assert response.get_json()["recipient"] == "+393331234567"
    with api.app.app_context():
        message = db.session.scalars(db.select(OutboxMessage)).one()
        assert message.channel == "sms" and "/p/" in message.raw


@pytest.mark.parametrize(
    ("patient", "channel", "language", "message"),
    [
        ({}, "sms", "en", "The patient has not agreed to be contacted this way."),
        ({}, "sms", "it", "Il paziente non ha dato il consenso a essere contattato in questo modo."),
        ({"email": None}, "email", "en", "The patient has no email address."),
        ({"phone": None, "sms_consent": True}, "sms", "it", "Il paziente non ha un numero di cellulare."),
    ],
)  # fmt: skip
def test_cannot_send_explains_why_and_sends_nothing(api, patient, channel, language, message):
    invoice = new_invoice(api, patient_id=new_patient(api, **patient))
    before = snapshot(api.app)
    response = api.post(
        f"/invoices/{invoice['id']}/send", {"channel": channel}, {"Accept-Language": language}
    )
    assert response.status_code == 422
    assert response.get_json()["error"] == {
        "code": "cannot_send",
        "message": message,
        "field": "channel",
    }
    assert snapshot(api.app) == before


def test_bad_channel_and_wrong_state(api):
    invoice = new_invoice(api)
    fax = api.post(f"/invoices/{invoice['id']}/send", {"channel": "fax"})
    assert fax.status_code == 422
    assert fax.get_json()["error"]["field"] == "channel"
    assert api.post(f"/invoices/{invoice['id']}/send", {}).status_code == 422
    draft = new_invoice(api, number="D-1", draft=True)
    before = snapshot(api.app)
    for path, body in (("links", None), ("send", {"channel": "email"})):
        response = api.post(f"/invoices/{draft['id']}/{path}", body)
        assert response.status_code == 409
        assert response.get_json()["error"] == {
            "code": "invalid_state",
            "message": "Only issued, unpaid invoices can be sent.",
        }
    assert snapshot(api.app) == before
