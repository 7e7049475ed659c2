"""messaging.deliver: every message re-checks consent, waits for quiet hours when the patient
did not just ask for it, carries a fresh link that lives as long as a plan, and ends a text
with the opt-out and the privacy notice. Real SMTP (aiosmtpd) and Twilio's HTTP stand-in."""

from datetime import date, datetime, time, timedelta

import pytest

from portal.extensions import db
from portal.gateways.mail import SMTPMailer
from portal.gateways.sms import TwilioSender
from portal.models import AuditEvent, PaymentLink
from portal.services import messaging
from portal.services.access import links
from portal.services.core.audit import Actor
from portal.services.messaging import delivery as messaging_delivery
from portal.services.messaging import linking
from portal.services.messaging.delivery import Message
from portal.services.plans import plans
from tests import factories
from tests.services.plans.test_plans import policy
from tests.support.twilio import FakeTwilio

PATIENT = Actor("patient", "link:test", "198.51.100.7")
ROME_NIGHT = datetime(2026, 12, 1, 22, 30)  # 23:30 in Rome (naive UTC)
ROME_MORNING = datetime(2026, 12, 2, 7, 0)  # 08:00 in Rome


@pytest.fixture
def mail(app, smtp):
    app.extensions["saldo.mailer"] = SMTPMailer(smtp.url)
    return smtp


@pytest.fixture
def twilio(app):
    with FakeTwilio() as fake:
        app.extensions["saldo.sms"] = TwilioSender("AC_test", "secret", "+15005550006", fake.url)
        yield fake


def a_plan(**patient):
    invoice, token = factories.invoice_with_link(amounts=(120000, 34500), **patient)
    policy(invoice.practice)
    plan = plans.choose(invoice, 6, date(2026, 12, 15), "it", PATIENT)
    plan.status = "active"
    db.session.commit()
    return invoice, token, plan


def plan_message(name, plan, installment):
    refs = {"plan_id": plan.id, "installment_id": installment.id}
    return Message(name, plan.invoice, "email", refs)


def text_of(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def token_in(text: str) -> str:
    return next(w for w in text.split() if "/p/" in w).rsplit("/p/", 1)[1]


def actions(invoice) -> list[str]:
    query = db.select(AuditEvent.action).filter_by(invoice_id=invoice.id).order_by(AuditEvent.id)
    return list(db.session.scalars(query))


def test_an_installment_notice_waits_for_the_morning_with_a_link_that_lasts_the_plan(app, mail):
    app.config["LINK_QUIET_HOURS"] = True
    invoice, earlier, plan = a_plan()
    installment = plan.installments[1]
    delivery = messaging.deliver(
        plan_message("installment_upcoming", plan, installment), now=ROME_NIGHT
    )
    db.session.commit()
    assert (delivery.status, delivery.next_attempt_at, mail.messages) == (
        "queued",
        ROME_MORNING,
        [],
    )
    assert "plan.email.held" in actions(invoice)
    assert messaging.retry_due(ROME_MORNING - timedelta(minutes=1)) == 0
    assert messaging.retry_due(ROME_MORNING) == 1
    [message] = mail.messages
    text = text_of(message)
    assert "Non deve fare nulla. Per cambiare il metodo di pagamento o pagare in anticipo" in text
    assert "link you received" not in text and "link che ha ricevuto" not in text
    token = token_in(text)
    assert links.resolve(token, now=ROME_MORNING).ok
    # the link lives until the last installment plus the grace period, not 45 days
    last_due = max(i.due_on for i in plan.installments)
    link = db.session.scalar(db.select(PaymentLink).filter_by(token_hash=links.hash_token(token)))
    assert link.expires_at == datetime.combine(last_due + timedelta(days=30), time())
    assert last_due == date(2027, 6, 15)
    # the link the patient had before is replaced: its token no longer opens the bill
    assert links.resolve(earlier, now=ROME_MORNING).state == "revoked"
    db.session.refresh(delivery)
    assert (delivery.status, delivery.attempts, delivery.recipient) == (
        "sent",
        1,
        "giulia@example.org",
    )
    assert "[link]" in delivery.body and token not in delivery.body


def test_a_link_without_a_running_plan_lives_the_configured_days(app):
    invoice, _ = factories.invoice_with_link()
    assert linking.lifetime(invoice, ROME_NIGHT) == timedelta(days=45)
    app.config["LINK_LIFETIME_DAYS"] = 10
    assert linking.lifetime(invoice, ROME_NIGHT) == timedelta(days=10)


@pytest.mark.parametrize(
    ("patient", "reason"),
    [
        (dict(email_consent=False), "no_consent"),
        (dict(email=None), "no_email"),
        (dict(paper_records=True), "paper_records"),
    ],
)
def test_plan_emails_check_consent_and_paper_records_each_time(app, mail, patient, reason):
    invoice, token, plan = a_plan(**patient)
    delivery = messaging.deliver(plan_message("installment_failed", plan, plan.installments[1]))
    db.session.commit()
    assert (delivery.status, delivery.last_error, delivery.next_attempt_at) == (
        "skipped",
        reason,
        None,
    )
    assert mail.messages == []
    assert "plan.email.skipped" in actions(invoice)
    assert links.resolve(token).ok  # no message, no new link: the old one still works


def test_consent_withdrawn_while_a_message_waits_stops_it(app, mail):
    app.config["LINK_QUIET_HOURS"] = True
    invoice, _token, plan = a_plan()
    delivery = messaging.deliver(
        plan_message("installment_upcoming", plan, plan.installments[1]), now=ROME_NIGHT
    )
    invoice.patient.email_consent = False
    db.session.commit()
    assert messaging.retry_due(ROME_MORNING) == 0
    db.session.refresh(delivery)
    assert (delivery.status, delivery.last_error) == ("skipped", "no_consent")
    assert mail.messages == []


def test_a_link_the_patient_asked_for_goes_at_night(app, twilio):
    app.config["LINK_QUIET_HOURS"] = True
    invoice, _ = factories.invoice_with_link(phone="+393331234567", sms_consent=True, locale="en")
    delivery = messaging.deliver(Message("link_request", invoice, "sms"), now=ROME_NIGHT)
    db.session.commit()
    assert delivery.status == "sent"
    [sms] = twilio.messages
    base = app.config["PORTAL_BASE_URL"].rstrip("/")
    token = sms["Body"].split("/p/", 1)[1].split(" ", 1)[0]
    assert sms["Body"] == (
        f"Studio Dentistico Rossi: your bill is ready. Pay securely: {base}/p/{token}"
        f" Reply STOP to opt out. Privacy: {base}/privacy/{invoice.practice.slug}"
    )


def test_a_reminder_text_in_italian_ends_with_the_opt_out_and_the_privacy_notice(app, twilio):
    invoice, _ = factories.invoice_with_link(phone="+393331234567", sms_consent=True)
    refs = {"tone": "friendly", "position": 2}
    delivery = messaging.deliver(Message("reminder", invoice, "sms", refs))
    db.session.commit()
    [sms] = twilio.messages
    base = app.config["PORTAL_BASE_URL"].rstrip("/")
    assert sms["Body"].endswith(
        f" Risponda STOP (o ARRESTO) per non ricevere più SMS. Privacy: {base}/privacy/"
        f"{invoice.practice.slug}"
    )
    assert delivery.status == "sent"
    event = db.session.scalars(
        db.select(AuditEvent).filter_by(invoice_id=invoice.id, action="reminder.sent")
    ).one()
    assert (event.data["channel"], event.data["position"], event.data["tone"]) == (
        "sms",
        2,
        "friendly",
    )


def test_a_letter_needs_a_postal_address_and_is_never_held(app):
    app.config["LINK_QUIET_HOURS"] = True
    invoice, _ = factories.invoice_with_link()
    refs = {"tone": "final", "position": 10}
    skipped = messaging.deliver(Message("reminder", invoice, "letter", refs), now=ROME_NIGHT)
    assert (skipped.status, skipped.last_error) == ("skipped", "no_address")
    invoice.patient.postal_address = "Via Roma 1\n00100 Roma"
    sent = messaging.deliver(Message("reminder", invoice, "letter", refs), now=ROME_NIGHT)
    db.session.commit()
    assert (sent.status, sent.recipient, sent.sent_at) == (
        "sent",
        "Via Roma 1\n00100 Roma",
        ROME_NIGHT,
    )


def test_the_practice_is_told_without_a_patient_link(app, mail):
    app.config["LINK_QUIET_HOURS"] = True
    _invoice, token, plan = a_plan()
    before = db.session.scalar(db.select(db.func.count(PaymentLink.id)))
    delivery = messaging.deliver(
        plan_message("practice_plan_past_due", plan, plan.installments[1]), now=ROME_NIGHT
    )
    db.session.commit()
    [message] = mail.messages
    assert message["To"] == "info@studio.example" and delivery.status == "sent"
    assert "/p/" not in text_of(message)
    assert db.session.scalar(db.select(db.func.count(PaymentLink.id))) == before
    assert links.resolve(token).ok


def test_a_due_retry_is_claimed_by_one_worker(app, twilio):
    invoice, _ = factories.invoice_with_link(phone="+393331234567", sms_consent=True)
    twilio.fail_with = 503
    delivery = messaging.send_link(invoice, "sms", Actor("staff", "1", "127.0.0.1"))
    db.session.commit()
    seen, later = delivery.next_attempt_at, delivery.next_attempt_at + timedelta(minutes=1)
    assert messaging_delivery._claim(delivery.id, seen, later) is True
    assert messaging_delivery._claim(delivery.id, seen, later) is False  # another worker
