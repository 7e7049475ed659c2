"""Consent: a record for every change whoever makes it, opt-out replies in every usual form,
and quiet hours and consent checked again before every link message, retries included."""

from datetime import date, datetime, timedelta

import pytest

from portal.extensions import db
from portal.gateways.sms import TwilioSender
from portal.models import ConsentRecord, Delivery
from portal.services import messaging
from portal.services.billing import patients
from portal.services.billing.patients import PatientInput
from portal.services.collections import consent
from portal.services.core.audit import Actor
from tests import factories
from tests.support.twilio import FakeTwilio

STAFF = Actor("staff", "7", "127.0.0.1")
API = Actor("system", "apikey:3", "203.0.113.9")


@pytest.mark.parametrize(
    "body",
    [
        "STOP",
        "stop",
        "Stop!",
        "STOP.",
        " Stop ",
        "STOP please",
        "Please stop",
        "Stop texting me",
        "STOPALL",
        "STOP ALL",
        "UNSUBSCRIBE",
        "Cancel",
        "END",
        "quit",
        "REVOKE",
        "OPT OUT",
        "opt-out",
        "ARRESTO",
        "Arrèsto!",
        "Basta",
        "basta!",
        "Per favore basta",
        "CANCELLA",
        "Disiscrivimi",
    ],
)
def test_opt_out_replies_in_any_form(body):
    assert consent.keyword(body) == "stop"


@pytest.mark.parametrize(
    "body,expected",
    [
        ("START", "start"),
        ("Start please", "start"),
        ("inizia", "start"),
        ("Thanks", None),
        ("When is my appointment?", None),
        ("Can I cancel my appointment?", None),
        ("I paid yesterday", None),
        ("basta che mi confermi la data", None),
        ("", None),
        (None, None),
    ],
)
def test_other_replies(body, expected):
    assert consent.keyword(body) == expected


def _input(**values):
    data = dict(first_name="Anna", last_name="Verdi", date_of_birth=date(1980, 5, 1))
    data.update(values)
    return PatientInput(**data)


def _records(patient_id):
    query = db.select(ConsentRecord).filter_by(patient_id=patient_id).order_by(ConsentRecord.id)
    return [(r.channel, r.granted, r.source, r.recorded_by) for r in db.session.scalars(query)]


def test_staff_api_and_csv_changes_leave_consent_records(app):
    practice = factories.practice()
    by_staff = patients.create_patient(practice, _input(phone="+393330000001"), STAFF)
    assert _records(by_staff.id) == [("email", True, "staff", "staff:7")]
    patients.update_patient(
        by_staff, _input(phone="+393330000001", email_consent=False, sms_consent=True), STAFF
    )
    assert _records(by_staff.id)[1:] == [
        ("email", False, "staff", "staff:7"),
        ("sms", True, "staff", "staff:7"),
    ]
    assert (by_staff.email_consent, by_staff.sms_consent) == (False, True)
    record = db.session.scalars(db.select(ConsentRecord).order_by(ConsentRecord.id.desc())).first()
    assert (
        record.text_shown
        == "Consent to contact by text message granted, recorded by practice staff."
    )
    by_api = patients.create_patient(practice, _input(sms_consent=True, phone="+393330000002"), API)
    assert _records(by_api.id) == [
        ("email", True, "api", "system:apikey:3"),
        ("sms", True, "api", "system:apikey:3"),
    ]
    by_csv = patients.create_patient(practice, _input(consent_source="csv"), STAFF)
    assert _records(by_csv.id) == [("email", True, "csv", "staff:7")]
    patients.update_patient(by_csv, _input(), STAFF)  # nothing changed: no record
    assert len(_records(by_csv.id)) == 1


@pytest.fixture
def twilio(app):
    with FakeTwilio() as fake:
        app.extensions["saldo.sms"] = TwilioSender("AC_test", "secret", "+15005550006", fake.url)
        yield fake


def _invoice(**patient):
    values = dict(phone="+393331234567", sms_consent=True, locale="en")
    values.update(patient)
    invoice, _ = factories.invoice_with_link(**values)
    return invoice


ROME_NIGHT = datetime(2026, 12, 1, 22, 30)  # 23:30 in Rome (naive UTC)
ROME_MORNING = datetime(2026, 12, 2, 7, 0)  # 08:00 in Rome


def test_a_link_text_waits_for_the_patients_morning(app, twilio):
    app.config["LINK_QUIET_HOURS"] = True
    invoice = _invoice()
    delivery = messaging.send_link(invoice, "sms", STAFF, now=ROME_NIGHT)
    db.session.commit()
    assert (delivery.status, delivery.next_attempt_at, twilio.messages) == (
        "queued",
        ROME_MORNING,
        [],
    )
    assert messaging.retry_due(now=ROME_MORNING - timedelta(minutes=1)) == 0
    assert messaging.retry_due(now=ROME_MORNING) == 1
    db.session.refresh(delivery)
    assert delivery.status == "sent" and len(twilio.messages) == 1
    base = app.config["PORTAL_BASE_URL"].rstrip("/")
    assert twilio.messages[0]["Body"].endswith(
        f" Reply STOP to opt out. Privacy: {base}/privacy/{invoice.practice.slug}"
    )


def test_a_waiting_text_is_not_sent_after_stop(app, twilio):
    app.config["LINK_QUIET_HOURS"] = True
    invoice = _invoice()
    delivery = messaging.send_link(invoice, "sms", STAFF, now=ROME_NIGHT)
    consent.handle_text("+393331234567", "Stop!", Actor("patient", "sms"))
    db.session.commit()
    assert messaging.retry_due(now=ROME_MORNING) == 0
    db.session.refresh(delivery)
    assert (delivery.status, delivery.next_attempt_at, twilio.messages) == ("skipped", None, [])
    assert delivery.last_error == "no_consent"


def test_a_failed_text_retried_at_night_waits_too(app, twilio):
    app.config["LINK_QUIET_HOURS"] = True
    invoice = _invoice()
    twilio.fail_with = 503
    day = datetime(2026, 12, 1, 19, 50)  # 20:50 in Rome
    delivery = messaging.send_link(invoice, "sms", STAFF, now=day)
    db.session.commit()
    assert delivery.status == "failed"
    twilio.fail_with = None
    assert messaging.retry_due(now=day + timedelta(minutes=10)) == 0  # 21:00: too late
    db.session.refresh(delivery)
    assert (delivery.status, delivery.next_attempt_at) == ("queued", ROME_MORNING)
    assert messaging.retry_due(now=ROME_MORNING) == 1
    assert db.session.get(Delivery, delivery.id).status == "sent"
