"""Opting out over HTTP: STOP/START texts through Twilio's webhook (signed), and the email
unsubscribe page; opting out of one channel leaves the others."""

import base64
import hashlib
import hmac
import re
from datetime import time, timedelta
from urllib.parse import urlencode

import pytest
from flask_babel import force_locale, gettext

from portal.extensions import db
from portal.models import AuditEvent, CallTask, ConsentRecord, OutboxMessage, Patient, ReminderLog
from portal.services.collections import cadence, consent
from portal.webhooks.sms_views import twilio_signature
from tests import factories
from tests.web.patient_client import csrf_token

PHONE = "+393331234567"
TOKEN = "twilio-auth-token"
URL = "http://localhost/webhooks/sms"
STOPPED = (
    "You will no longer receive text messages from this number. Reply START to receive them again."
)
STARTED = "You will receive text messages from this number again. Reply STOP to stop them."
MESSAGE = re.compile(r"<Response><Message>(.*)</Message></Response>", re.S)


def make_patient(app, practice_name="Studio Dentistico Rossi", **kwargs) -> int:
    """A patient (Giulia, consenting to email and texts) of a new practice; returns the id."""
    with app.app_context():
        values = dict(phone=PHONE, sms_consent=True, locale="en", postal_address="Via Roma 1")
        values.update(kwargs)
        record = factories.patient(factories.practice(name=practice_name), **values)
        db.session.commit()
        return record.id


def patient(patient_id) -> Patient:
    return db.session.get(Patient, patient_id)


def text(client, body, sender=PHONE, signature=None, **extra):
    form = {"From": sender, "To": "+15005550006", "Body": body, "MessageSid": "SM1", **extra}
    headers = {"X-Twilio-Signature": signature} if signature is not None else {}
    return client.post(
        "/webhooks/sms",
        data=urlencode(form),
        content_type="application/x-www-form-urlencoded",
        headers=headers,
    )


def sign(form: dict, url: str = URL, token: str = TOKEN) -> str:
    """Twilio's signature, computed here independently of the code under test."""
    data = url + "".join(k + form[k] for k in sorted(form))
    return base64.b64encode(hmac.new(token.encode(), data.encode(), hashlib.sha1).digest()).decode()


# --- the signature ---------------------------------------------------------------------------


def test_signature_matches_twilios_published_examples():
    url = "https://mycompany.com/myapp.php?foo=1&bar=2"
    params = {
        "CallSid": "CA1234567890ABCDE",
        "Caller": "+14158675309",
        "Digits": "1234",
        "From": "+14158675309",
        "To": "+18005551212",
    }
    assert twilio_signature("12345", url, params.items()) == "RSOYDt4T1cUTdK1PDd93/VVr8B8="
    repeated = [
        ("Sid", "CA123"),
        ("SidAccount", "AC123"),
        ("Digits", "5678"),
        ("Digits", "1234"),
        ("Digits", "1234"),
    ]
    assert twilio_signature("12345", url, repeated) == "IK+Dwps556ElfBT0I3Rgjkr1wJU="


def test_signed_stop_is_accepted(web_app, client):
    web_app.config["TWILIO_AUTH_TOKEN"] = TOKEN
    patient_id = make_patient(web_app)
    form = {"From": PHONE, "To": "+15005550006", "Body": "STOP", "MessageSid": "SM1"}
    response = text(client, "STOP", signature=sign(form))
    assert response.status_code == 200
    with web_app.app_context():
        assert patient(patient_id).sms_consent is False


@pytest.mark.parametrize("signature", [None, "", "bm90IGEgc2lnbmF0dXJl", "wrong"])
def test_missing_or_bad_signature_is_refused(web_app, client, signature):
    web_app.config["TWILIO_AUTH_TOKEN"] = TOKEN
    patient_id = make_patient(web_app)
    response = text(client, "STOP", signature=signature)
    assert response.status_code == 403
    with web_app.app_context():
        assert patient(patient_id).sms_consent is True
        assert db.session.scalars(db.select(ConsentRecord)).all() == []


def test_signature_over_other_parameters_is_refused(web_app, client):
    web_app.config["TWILIO_AUTH_TOKEN"] = TOKEN
    patient_id = make_patient(web_app)
    signed = {"From": PHONE, "To": "+15005550006", "Body": "hello", "MessageSid": "SM1"}
    assert text(client, "STOP", signature=sign(signed)).status_code == 403
    other_key = {"From": PHONE, "To": "+15005550006", "Body": "STOP", "MessageSid": "SM1"}
    assert text(client, "STOP", signature=sign(other_key, token="other")).status_code == 403
    with web_app.app_context():
        assert patient(patient_id).sms_consent is True
        assert db.session.scalars(db.select(ConsentRecord)).all() == []


def test_public_url_is_accepted_behind_a_proxy(web_app, client):
    web_app.config.update(TWILIO_AUTH_TOKEN=TOKEN, PORTAL_BASE_URL="https://pay.example.org")
    patient_id = make_patient(web_app)
    form = {"From": PHONE, "To": "+15005550006", "Body": "STOP", "MessageSid": "SM1"}
    signature = sign(form, url="https://pay.example.org/webhooks/sms")
    assert text(client, "STOP", signature=signature).status_code == 200
    with web_app.app_context():
        assert patient(patient_id).sms_consent is False


def test_no_token_configured_needs_no_signature(web_app, client):
    assert not web_app.config.get("TWILIO_AUTH_TOKEN")
    patient_id = make_patient(web_app)
    assert text(client, "STOP").status_code == 200
    with web_app.app_context():
        assert patient(patient_id).sms_consent is False


# --- STOP and START --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        "STOP",
        " stop ",
        "Stop\n",
        "STOPALL",
        "unsubscribe",
        "Cancel",
        "END",
        "quit",
        "ARRESTO",
        "arresto ",
    ],
)
def test_stop_words_withdraw_sms_consent(web_app, client, body):
    patient_id = make_patient(web_app)
    response = text(client, body)
    assert response.status_code == 200
    assert response.mimetype == "application/xml"
    reply = MESSAGE.search(response.get_data(as_text=True)).group(1)
    expected = STOPPED
    assert reply == expected
    with web_app.app_context():
        record = db.session.scalar(db.select(ConsentRecord))
        assert (record.patient_id, record.channel, record.granted) == (patient_id, "sms", False)
        assert (record.source, record.text_shown) == ("sms_stop", expected)
        found = patient(patient_id)
        assert found.sms_consent is False and found.email_consent is True
        event = db.session.scalar(db.select(AuditEvent).filter_by(action="consent.withdrawn"))
        assert event.data["channel"] == "sms" and event.data["patient_id"] == patient_id


@pytest.mark.parametrize(
    "body", ["hello", "", "YES", "When is my appointment?", "Can I cancel my appointment?"]
)
def test_other_texts_change_nothing(web_app, client, body):
    patient_id = make_patient(web_app)
    response = text(client, body)
    assert response.status_code == 200
    assert "<Message>" not in response.get_data(as_text=True)
    with web_app.app_context():
        assert patient(patient_id).sms_consent is True


def test_unknown_number_gets_no_reply(web_app, client):
    make_patient(web_app)
    response = text(client, "STOP", sender="+15550000000")
    assert response.get_data(as_text=True).endswith("<Response></Response>")


def test_stop_applies_to_every_patient_with_that_number_in_their_language(web_app, client):
    first = make_patient(web_app, locale="it")
    second = make_patient(web_app, locale="en", first_name="Marco", practice_name="Clinica Verdi")
    response = text(client, "Arresto")
    reply = MESSAGE.search(response.get_data(as_text=True)).group(1)
    with web_app.app_context():
        with force_locale("it"):
            expected = gettext(STOPPED)
        assert reply == expected
        assert patient(first).sms_consent is False
        assert patient(second).sms_consent is False
        records = db.session.scalars(db.select(ConsentRecord).order_by(ConsentRecord.id)).all()
        assert [(r.patient_id, r.source, r.text_shown) for r in records] == [
            (first, "sms_stop", expected),
            (second, "sms_stop", expected),
        ]


@pytest.mark.parametrize("body", ["START", "inizia", " Start "])
def test_start_grants_sms_consent_again(web_app, client, body):
    patient_id = make_patient(web_app)
    text(client, "STOP")
    response = text(client, body)
    reply = MESSAGE.search(response.get_data(as_text=True)).group(1)
    assert reply == STARTED
    with web_app.app_context():
        assert patient(patient_id).sms_consent is True
        records = db.session.scalars(db.select(ConsentRecord).order_by(ConsentRecord.id)).all()
        assert [(r.granted, r.source) for r in records] == [
            (False, "sms_stop"),
            (True, "sms_start"),
        ]


def test_reply_is_well_formed_xml_and_names_no_practice(web_app, client):
    from xml.etree import ElementTree

    make_patient(web_app, practice_name="Rossi & Figli <Dental>")
    body = text(client, "STOP").get_data(as_text=True)
    assert ElementTree.fromstring(body).find("Message").text == STOPPED  # noqa: S314 (our own answer)
    assert "Rossi" not in body


# --- the cadence after STOP: texts stop, nothing else ----------------------------------------


def test_stop_stops_the_texts_and_nothing_else(web_app, client):
    with web_app.app_context():
        practice = factories.practice()
        record = factories.patient(
            practice, phone=PHONE, sms_consent=True, locale="en", postal_address="Via Roma 1"
        )
        invoice = factories.invoice(record)
        invoice_id, due_on = invoice.id, invoice.due_on
        for offset in range(-3, 8):
            cadence.run(due_on + timedelta(days=offset), time(10))
    assert text(client, "STOP").status_code == 200
    with web_app.app_context():
        for offset in range(8, 64):
            cadence.run(due_on + timedelta(days=offset), time(10))
        sent = db.session.scalars(db.select(OutboxMessage).order_by(OutboxMessage.id)).all()
        assert [m.channel for m in sent] == ["email", "sms", "email", "email", "email"]
        tasks = db.session.scalars(db.select(CallTask).order_by(CallTask.id)).all()
        assert [(t.position, t.due_on) for t in tasks] == [
            (2, due_on + timedelta(days=7)),
            (3, due_on + timedelta(days=14)),
            (4, due_on + timedelta(days=21)),
        ]
        logs = db.session.scalars(
            db.select(ReminderLog).filter_by(invoice_id=invoice_id).order_by(ReminderLog.id)
        ).all()
        reason = lambda r: "delivery" if (r or "").startswith("delivery:") else r  # noqa: E731
        assert [
            (r.position, r.channel, r.status, reason(r.reason)) for r in logs if r.position > 2
        ] == [
            (3, "call", "task", None),
            (3, "sms", "skipped", "no_consent"),
            (4, "call", "task", None),
            (4, "sms", "skipped", "no_consent"),
            (5, "email", "sent", "delivery"),
            (6, "email", "sent", "delivery"),
            (7, "email", "sent", "delivery"),
            (8, "letter", "letter", "delivery"),
            (9, "letter", "letter", "delivery"),
            (10, "letter", "letter", "delivery"),
        ]


# --- the email unsubscribe page --------------------------------------------------------------


def unsubscribe_path(app, patient_id, channel="email") -> str:
    with app.app_context():
        return f"/unsubscribe/{consent.unsubscribe_token(patient(patient_id), channel)}"


def test_unsubscribe_page_asks_first_then_withdraws_email_consent(web_app, client):
    patient_id = make_patient(web_app)
    path = unsubscribe_path(web_app, patient_id)
    page = client.get(path)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "<h1>Stop emails from Studio Dentistico Rossi</h1>" in html
    assert '<button type="submit" class="primary">Stop emails</button>' in html
    assert "Giulia" not in html and "Treatment" not in html
    with web_app.app_context():
        assert patient(patient_id).email_consent is True  # opening changes nothing

    response = client.post(path, data={"csrf_token": csrf_token(client, path)})
    assert response.status_code == 303 and response.headers["Location"].endswith(path)
    with web_app.app_context():
        found = patient(patient_id)
        assert found.email_consent is False and found.sms_consent is True
        record = db.session.scalar(db.select(ConsentRecord))
        assert (record.channel, record.granted, record.source) == (
            "email",
            False,
            "email_unsubscribe",
        )
        assert record.text_shown.startswith("Stop emails from Studio Dentistico Rossi\n\n")
        assert "If you confirm, Studio Dentistico Rossi will stop sending you emails" in (
            record.text_shown
        )
        event = db.session.scalar(db.select(AuditEvent).filter_by(action="consent.withdrawn"))
        assert event.actor_kind == "patient" and event.data["source"] == "email_unsubscribe"

    done = client.get(path).get_data(as_text=True)
    assert "You will no longer receive emails from Studio Dentistico Rossi" in done
    assert "<button" not in done
    client.post(path, data={"csrf_token": csrf_token(client, path)})
    with web_app.app_context():
        assert len(db.session.scalars(db.select(ConsentRecord)).all()) == 1


def test_unsubscribe_needs_the_csrf_token(web_app, client):
    patient_id = make_patient(web_app)
    path = unsubscribe_path(web_app, patient_id)
    assert client.post(path).status_code == 400
    with web_app.app_context():
        assert patient(patient_id).email_consent is True


@pytest.mark.parametrize("mangle", ["tamper", "other_key", "garbage"])
def test_forged_unsubscribe_links_are_not_found(web_app, client, mangle):
    patient_id = make_patient(web_app)
    path = unsubscribe_path(web_app, patient_id)
    if mangle == "tamper":
        path = path[:-2] + ("AA" if not path.endswith("AA") else "BB")
    elif mangle == "other_key":
        from itsdangerous import URLSafeSerializer

        forged = URLSafeSerializer("another-secret", salt="saldo.unsubscribe").dumps(
            [patient_id, "email"]
        )
        path = f"/unsubscribe/{forged}"
    else:
        path = "/unsubscribe/not-a-token"
    assert client.get(path).status_code == 404
    assert client.post(path, data={"csrf_token": csrf_token(client, path)}).status_code == 404
    with web_app.app_context():
        assert patient(patient_id).email_consent is True


def test_unsubscribe_page_speaks_the_patients_language(web_app, client):
    patient_id = make_patient(web_app, locale="it")
    html = client.get(unsubscribe_path(web_app, patient_id)).get_data(as_text=True)
    assert '<html lang="it">' in html
    with web_app.app_context(), force_locale("it"):
        title = gettext("Stop emails from %(practice)s", practice="Studio Dentistico Rossi")
    assert f"<h1>{title}</h1>" in html


def test_unsubscribed_patient_still_gets_texts_calls_and_letters(web_app, client):
    with web_app.app_context():
        record = factories.patient(
            factories.practice(),
            phone=PHONE,
            sms_consent=True,
            locale="en",
            postal_address="Via Roma 1",
        )
        invoice = factories.invoice(record)
        patient_id, due_on = record.id, invoice.due_on
    path = unsubscribe_path(web_app, patient_id)
    client.post(path, data={"csrf_token": csrf_token(client, path)})
    with web_app.app_context():
        for offset in range(-3, 64):
            cadence.run(due_on + timedelta(days=offset), time(10))
        sent = db.session.scalars(db.select(OutboxMessage).order_by(OutboxMessage.id)).all()
        assert [m.channel for m in sent] == ["sms", "sms", "sms"]
        assert db.session.scalar(db.select(db.func.count(CallTask.id))) == 3
        statuses = db.session.scalars(
            db.select(ReminderLog.status).filter_by(channel="letter")
        ).all()
        assert statuses == ["letter", "letter", "letter"]
        skipped = db.session.scalars(db.select(ReminderLog.reason).filter_by(channel="email")).all()
        assert skipped == ["no_consent"] * 4
