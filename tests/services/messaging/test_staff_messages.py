"""Messages to staff go the one way: rendered in the staff member's language, sent through the
mail gateway, recorded as a `Delivery` and retried by the one rule."""

from datetime import date, datetime, timedelta

from portal.extensions import db
from portal.gateways.mail import SMTPMailer
from portal.models import Delivery
from portal.services import messaging
from portal.services.core.audit import SYSTEM
from portal.services.fiscal import documents, reminders
from portal.services.messaging import staff
from portal.services.messaging.purposes import RETRY_AFTER
from tests import factories
from tests import fiscal_factories as ff
from tests.support import servers
from tests.web.staff_client import make_staff

NOW = datetime(2027, 2, 1, 9, 0)


def staff_deliveries() -> list[tuple]:
    rows = db.session.scalars(
        db.select(Delivery).where(Delivery.invoice_id.is_(None)).order_by(Delivery.id)
    )
    return [(d.purpose, d.recipient, d.locale, d.status, d.attempts) for d in rows]


def test_the_sistema_ts_reminder_is_delivered_and_recorded(app, smtp):
    app.extensions["saldo.mailer"] = SMTPMailer(smtp.url)
    practice = ff.italian_practice()
    owner = make_staff(practice, "owner", locale="it")
    payment = ff.paid(factories.invoice(ff.patient_with_cf(practice), (5000,)), 5000)
    documents.issue_invoice(payment, SYSTEM, today=date(2027, 1, 20))
    db.session.commit()

    assert reminders.send_due(date(2027, 2, 1)) == 1

    [message] = [m for m in smtp.messages if m["To"] == owner.email]
    assert message["Subject"] == "Sistema TS: i dati di 2027-01 sono pronti per l’invio"
    assert staff_deliveries() == [("sts_reminder", owner.email, "it", "sent", 1)]
    [delivery] = db.session.scalars(db.select(Delivery).filter_by(purpose="sts_reminder"))
    assert delivery.subject == message["Subject"]
    assert "/staff/fiscal?month=2027-01" in delivery.body
    assert delivery.payload == {"staff_id": owner.id, "month": "2027-01"}


def test_a_failed_staff_email_is_retried_by_the_one_rule(app, smtp):
    practice = ff.italian_practice()
    owner = make_staff(practice, "owner", locale="en")
    # nothing listens on this port: the first attempt fails
    app.extensions["saldo.mailer"] = SMTPMailer(f"smtp://127.0.0.1:{servers.free_port()}")
    message = staff.StaffMessage(staff.STS_REMINDER, owner, {"month": "2027-01"})
    delivery = staff.deliver_to_staff(message, now=NOW)
    db.session.commit()
    assert (delivery.status, delivery.attempts) == ("failed", 1)
    assert delivery.next_attempt_at == NOW + RETRY_AFTER[0]
    assert smtp.messages == []

    app.extensions["saldo.mailer"] = SMTPMailer(smtp.url)
    assert messaging.retry_due(NOW + RETRY_AFTER[0] - timedelta(seconds=1)) == 0
    assert messaging.retry_due(NOW + RETRY_AFTER[0]) == 1

    [sent] = smtp.messages
    assert sent["To"] == owner.email
    assert sent["Subject"] == "Sistema TS: the data for 2027-01 are ready to send"
    assert staff_deliveries() == [("sts_reminder", owner.email, "en", "sent", 2)]
    assert messaging.retry_due(NOW + timedelta(days=1)) == 0  # sent: never again


def test_a_password_reset_is_sent_and_recorded_without_its_link(app, smtp):
    app.extensions["saldo.mailer"] = SMTPMailer(smtp.url)
    sent = []
    app.extensions["saldo.mailer"].send_later = sent.append  # after the answer, in the view
    user = make_staff(factories.practice(), "billing", locale="it")
    url = "https://saldo.example/staff/reset/secret-token"

    staff.send_password_reset(user, user.email, url, "it")
    staff.send_password_reset(None, "nobody@example.org", url, "en")
    db.session.commit()

    assert [m["To"] for m in sent] == [user.email]
    assert url in sent[0].get_body(("plain",)).get_content()
    assert staff_deliveries() == [("password_reset", user.email, "it", "sent", 1)]
    [delivery] = db.session.scalars(db.select(Delivery).filter_by(purpose="password_reset"))
    assert "secret-token" not in delivery.body and "[link]" in delivery.body
