"""The patient is told when the practice answers their question: one message after the answer
is committed, by the channel they use and agreed to, in their language, with a link that opens
the question page after the date of birth; never the reply itself in the message. Real SMTP
(aiosmtpd), Twilio's HTTP stand-in, SQLite and PostgreSQL."""

import html
from datetime import timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest

from portal import clock
from portal.clock import utcnow
from portal.extensions import db
from portal.gateways.mail import SMTPMailer
from portal.gateways.sms import TwilioSender
from portal.models import AuditEvent, BillQuestion, Delivery, Invoice, Patient, PendingWork
from portal.services import messaging
from portal.services.access import links
from portal.services.collections import consent
from portal.services.core import outbox
from portal.services.core.audit import SYSTEM
from tests import factories
from tests.support.servers import free_port
from tests.support.twilio import FakeTwilio
from tests.web.patient_client import csrf_token, open_and_verify
from tests.web.staff_client import csrf, make_staff, sign_in
from tests.web.test_bill_questions import ask

REPLY = "The crown was billed at the 2026 fee; the difference is the new ceramic."
STAFF_PAGE = "/staff/questions"
PRIVACY = "Privacy: {base}/privacy/{slug}"


@pytest.fixture
def twilio(web_app):
    with FakeTwilio() as fake:
        web_app.extensions["saldo.sms"] = TwilioSender(
            "AC_test", "secret", "+15005550006", fake.url
        )
        yield fake


def asked(web_app, **patient):
    """A patient who opened their link, gave their date of birth and asked a question;
    returns (question id, invoice id)."""
    with web_app.app_context():
        invoice, token = factories.invoice_with_link(**patient)
        invoice_id = invoice.id
        practice = invoice.practice
        staff_email = make_staff(practice, "billing").email
    client = web_app.test_client()
    open_and_verify(client, token)
    assert ask(client, "Why does the crown cost more?").status_code == 200
    with web_app.app_context():
        question_id = db.session.scalars(db.select(BillQuestion.id)).one()
    return question_id, invoice_id, staff_email


def answer(web_app, staff_email, question_id, reply=REPLY, times=1):
    """Staff answer from the worklist (`times` submissions of the same form, as a double
    click sends); returns the worklist page shown after the last one."""
    staff = web_app.test_client()
    sign_in(staff, staff_email)
    token = csrf(staff, STAFF_PAGE)
    for _ in range(times):
        done = staff.post(
            f"/staff/questions/{question_id}/answer", data={"csrf_token": token, "reply": reply}
        )
        assert done.status_code == 302 and done.location.endswith(STAFF_PAGE)
    return html.unescape(staff.get(STAFF_PAGE).get_data(as_text=True)), staff


def told(staff, question_id) -> str:
    """What the worklist says about telling the patient of the answer."""
    page = html.unescape(staff.get(STAFF_PAGE).get_data(as_text=True))
    row = page.split(f'<tr id="answered-{question_id}">', 1)[1].split("</tr>", 1)[0]
    return row.split('<td class="told">', 1)[1].split("</td>", 1)[0]


def run_worker(web_app, now=None) -> int:
    with web_app.app_context():
        return outbox.run_pending(now=now or utcnow())


def text_of(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content().replace("\r\n", "\n")


def url_in(text: str) -> str:
    return next(w for w in text.split() if "/p/" in w)


def actions(web_app, invoice_id) -> list[str]:
    with web_app.app_context():
        query = db.select(AuditEvent.action).filter_by(invoice_id=invoice_id)
        return [a for a in db.session.scalars(query.order_by(AuditEvent.id)) if "answer" in a]


def deliveries(web_app, invoice_id) -> list[tuple]:
    with web_app.app_context():
        query = db.select(Delivery).filter_by(invoice_id=invoice_id, purpose="question_answered")
        return [
            (d.channel, d.status, d.locale, d.last_error, d.attempts)
            for d in db.session.scalars(query.order_by(Delivery.id))
        ]


def opens_the_answer(web_app, url: str) -> str:
    """Follow the message's link in a fresh browser: the date of birth, then the question
    page; returns that page."""
    parts = urlsplit(url)
    reader = web_app.test_client()
    opened = reader.get(f"{parts.path}?{parts.query}")
    assert opened.status_code == 302 and opened.location == "/pay/verify"
    verified = reader.post(
        "/pay/verify",
        data={"csrf_token": csrf_token(reader), "day": 9, "month": 3, "year": 1984},
    )
    assert verified.status_code == 302 and verified.location == "/pay/question"
    return html.unescape(reader.get("/pay/question").get_data(as_text=True))


def test_an_english_patient_gets_an_email_whose_link_opens_the_answer(web_app, smtp):
    web_app.extensions["saldo.mailer"] = SMTPMailer(smtp.url)
    question_id, invoice_id, staff_email = asked(web_app, locale="en")
    page, staff = answer(web_app, staff_email, question_id)
    assert (
        "The question is marked answered. The patient gets an email with a link to read the "
        "reply." in page
    )
    assert smtp.messages == []  # nothing is sent inside the staff request
    assert told(staff, question_id) == "Not yet: being sent"
    assert run_worker(web_app) == 1
    [message] = smtp.messages
    assert message["Subject"] == "Studio Dentistico Rossi has answered your question"
    assert message["To"] == "giulia@example.org"
    text = text_of(message)
    url = url_in(text)
    with web_app.app_context():
        base = web_app.config["PORTAL_BASE_URL"].rstrip("/")
        slug = db.session.get(Invoice, invoice_id).practice.slug
        link = links.resolve(url.split("/p/")[1].split("?")[0]).link
        # the day the link works until, at the patient's (in Rome, after 23:00 UTC, the next)
        expires = clock.day_of(link.expires_at, clock.patient_zone(link.invoice.patient))
    assert url.startswith(f"{base}/p/") and url.endswith("?to=question")
    assert text.startswith(
        "Dear Giulia Bianchi,\n\nStudio Dentistico Rossi has answered your question about your"
        f" bill. You can read the answer with this private link:\n\n{url}\n\nFor your security,"
        " you will be asked for your date of birth. The link works until "
        f"{expires:%B} {expires.day}, {expires.year}.\n"
    )
    assert f"Privacy notice: {base}/privacy/{slug}" in text
    assert REPLY not in text and "crown" not in text  # the reply waits behind the birth date
    assert deliveries(web_app, invoice_id) == [("email", "sent", "en", None, 1)]
    assert actions(web_app, invoice_id) == ["bill.question_answered", "question_answer.sent"]
    mine = opens_the_answer(web_app, url)
    assert "Answers from Studio Dentistico Rossi" in mine and f"<p>{REPLY}</p>" in mine
    timeline = html.unescape(staff.get(f"/staff/invoices/{invoice_id}").get_data(as_text=True))
    assert "Patient told the question is answered (email)" in timeline
    with web_app.app_context():
        sent_at = db.session.scalars(db.select(Delivery.sent_at)).one()
        zone = ZoneInfo(db.session.get(Invoice, invoice_id).practice.timezone)
    local = sent_at.replace(tzinfo=ZoneInfo("UTC")).astimezone(zone)
    hour, half = local.hour % 12 or 12, "AM" if local.hour < 12 else "PM"
    assert told(staff, question_id) == (
        f"Yes, by email, {local.month}/{local.day}/{local:%y}, "
        f"{hour}:{local:%M}\u202f{half} {local:%Z}"
    )


def test_an_italian_patient_is_written_to_in_italian_with_lei(web_app, smtp):
    web_app.extensions["saldo.mailer"] = SMTPMailer(smtp.url)
    question_id, invoice_id, staff_email = asked(web_app, locale="it")
    answer(web_app, staff_email, question_id)
    run_worker(web_app)
    [message] = smtp.messages
    assert message["Subject"] == "Studio Dentistico Rossi ha risposto alla Sua domanda"
    text = text_of(message)
    url = url_in(text)
    assert text.startswith(
        "Gentile Giulia Bianchi,\n\nStudio Dentistico Rossi ha risposto alla Sua domanda sulla"
        " fattura. Può leggere la risposta tramite questo link riservato:\n\n"
        f"{url}\n\nPer la Sua sicurezza, Le verrà chiesta la data di nascita."
    )
    assert deliveries(web_app, invoice_id) == [("email", "sent", "it", None, 1)]
    assert f"<p>{REPLY}</p>" in opens_the_answer(web_app, url)


def test_a_patient_reached_by_text_gets_a_text_without_the_reply(web_app, smtp, twilio):
    web_app.extensions["saldo.mailer"] = SMTPMailer(smtp.url)
    question_id, invoice_id, staff_email = asked(
        web_app, locale="en", phone="+393331234567", sms_consent=True
    )
    with web_app.app_context():  # the practice sent the bill by text: that is their channel
        messaging.send_link(db.session.get(Invoice, invoice_id), "sms", SYSTEM)
        db.session.commit()
        slug = db.session.get(Invoice, invoice_id).practice.slug
    page, _ = answer(web_app, staff_email, question_id)
    assert "The patient gets a text message with a link to read the reply." in page
    run_worker(web_app)
    link_sms, notice = twilio.messages
    assert smtp.messages == []
    url = notice["Body"].split(": ", 1)[1].split(" ", 1)[0]
    base = web_app.config["PORTAL_BASE_URL"].rstrip("/")
    assert notice["To"] == "+393331234567"
    assert notice["Body"] == (
        "Studio Dentistico Rossi has answered your question about your bill. Read it securely: "
        f"{url} Reply STOP to opt out. {PRIVACY.format(base=base, slug=slug)}"
    )
    assert deliveries(web_app, invoice_id) == [("sms", "sent", "en", None, 1)]
    assert f"<p>{REPLY}</p>" in opens_the_answer(web_app, url)
    # the new link replaced the one sent with the bill
    with web_app.app_context():
        earlier = url_in(link_sms["Body"]).rsplit("/p/", 1)[1]
        assert links.resolve(earlier).state == "revoked"


def test_a_patient_who_replied_stop_gets_nothing_and_staff_see_why(web_app, twilio):
    question_id, invoice_id, staff_email = asked(
        web_app, locale="en", email=None, phone="+393331234567", sms_consent=True
    )
    with web_app.app_context():
        patient = db.session.get(Invoice, invoice_id).patient
        consent.record(patient, "sms", False, "sms_stop", "STOP")
        db.session.commit()
    page, staff = answer(web_app, staff_email, question_id)
    assert (
        "The patient has not agreed to email or text messages: they are not sent a message." in page
    )
    run_worker(web_app)
    assert twilio.messages == []
    assert deliveries(web_app, invoice_id) == [("sms", "skipped", "en", "no_consent", 0)]
    assert actions(web_app, invoice_id) == ["bill.question_answered", "question_answer.skipped"]
    timeline = html.unescape(staff.get(f"/staff/invoices/{invoice_id}").get_data(as_text=True))
    assert "Patient not told of the answer (reason under Messages) (text message)" in timeline
    assert "not sent (no_consent)" in timeline
    assert told(staff, question_id) == "No: the patient has not agreed to email or text messages"


def test_consent_withdrawn_before_the_send_is_honoured(web_app, twilio):
    question_id, invoice_id, staff_email = asked(
        web_app, locale="it", email=None, phone="+393331234567", sms_consent=True
    )
    page, _ = answer(web_app, staff_email, question_id)
    assert "The patient gets a text message with a link to read the reply." in page
    with web_app.app_context():  # STOP arrives before the worker runs
        patient = db.session.scalars(db.select(Patient)).one()
        consent.record(patient, "sms", False, "sms_stop", "ARRESTO")
        db.session.commit()
    run_worker(web_app)
    assert twilio.messages == []
    assert deliveries(web_app, invoice_id) == [("sms", "skipped", "it", "no_consent", 0)]


def failed_error() -> str:
    return "[Errno 111] Connection refused"


def test_an_smtp_failure_is_retried_on_the_usual_schedule(web_app, smtp):
    web_app.extensions["saldo.mailer"] = SMTPMailer(f"smtp://127.0.0.1:{free_port()}")
    question_id, invoice_id, staff_email = asked(web_app, locale="en")
    answer(web_app, staff_email, question_id)
    before = utcnow()
    run_worker(web_app, before)
    after = utcnow()
    assert deliveries(web_app, invoice_id) == [("email", "failed", "en", failed_error(), 1)]
    assert actions(web_app, invoice_id)[-1] == "question_answer.send_failed"
    with web_app.app_context():
        retry = db.session.scalars(db.select(Delivery.next_attempt_at)).one()
    # the first retry of the one rule: 5 minutes after the failed attempt
    assert before + messaging.RETRY_AFTER[0] <= retry <= after + messaging.RETRY_AFTER[0]
    web_app.extensions["saldo.mailer"] = SMTPMailer(smtp.url)
    with web_app.app_context():
        assert messaging.retry_due(retry - timedelta(seconds=1)) == 0
        assert messaging.retry_due(retry) == 1
    [message] = smtp.messages
    assert message["Subject"] == "Studio Dentistico Rossi has answered your question"
    assert deliveries(web_app, invoice_id) == [("email", "sent", "en", None, 2)]
    assert f"<p>{REPLY}</p>" in opens_the_answer(web_app, url_in(text_of(message)))


def test_an_answer_submitted_twice_sends_one_message(web_app, smtp):
    web_app.extensions["saldo.mailer"] = SMTPMailer(smtp.url)
    question_id, invoice_id, staff_email = asked(web_app, locale="en")
    page, _ = answer(web_app, staff_email, question_id, times=2)
    assert "This question has already been answered." in page
    run_worker(web_app)
    run_worker(web_app)  # a second worker run finds nothing more to do
    assert len(smtp.messages) == 1
    with web_app.app_context():
        work = db.session.scalars(db.select(PendingWork).filter_by(kind="question_answered"))
        assert [(w.dedupe_key, w.status) for w in work] == [
            (f"question:{question_id}:answered", "done")
        ]
    assert deliveries(web_app, invoice_id) == [("email", "sent", "en", None, 1)]
    assert actions(web_app, invoice_id) == ["bill.question_answered", "question_answer.sent"]


def test_closing_a_question_without_a_reply_tells_no_one(web_app, smtp):
    web_app.extensions["saldo.mailer"] = SMTPMailer(smtp.url)
    question_id, invoice_id, staff_email = asked(web_app, locale="en")
    page, staff = answer(web_app, staff_email, question_id, reply="  ")
    assert "Without a reply, the patient is not sent a message." in page
    assert run_worker(web_app) == 0 and smtp.messages == []
    assert deliveries(web_app, invoice_id) == []
    assert actions(web_app, invoice_id) == ["bill.question_answered", "question_answer.no_reply"]
    timeline = html.unescape(staff.get(f"/staff/invoices/{invoice_id}").get_data(as_text=True))
    assert "Patient not told: answered without a reply" in timeline
    assert told(staff, question_id) == "No: answered without a reply"


def test_no_message_about_a_closed_invoice(web_app, smtp):
    web_app.extensions["saldo.mailer"] = SMTPMailer(smtp.url)
    question_id, invoice_id, staff_email = asked(web_app, locale="en")
    with web_app.app_context():
        db.session.get(Invoice, invoice_id).status = "void"
        db.session.commit()
    page, staff = answer(web_app, staff_email, question_id)
    assert "The invoice is closed: the patient is not sent a message." in page
    assert run_worker(web_app) == 0 and smtp.messages == []
    assert told(staff, question_id) == "No: the invoice is closed"
    assert actions(web_app, invoice_id) == [
        "bill.question_answered",
        "question_answer.invoice_closed",
    ]


def test_an_invoice_paid_before_the_send_gets_no_notice(web_app, smtp):
    web_app.extensions["saldo.mailer"] = SMTPMailer(smtp.url)
    question_id, invoice_id, staff_email = asked(web_app, locale="en")
    _, staff = answer(web_app, staff_email, question_id)
    with web_app.app_context():
        db.session.get(Invoice, invoice_id).status = "paid"
        db.session.commit()
    run_worker(web_app)
    assert smtp.messages == []
    assert told(staff, question_id) == "No: the invoice is closed"
    assert deliveries(web_app, invoice_id) == [("email", "skipped", "en", "invoice_closed", 0)]


def test_a_link_names_only_known_pages(web_app):
    with web_app.app_context():
        _, token = factories.invoice_with_link(locale="en")
    for to, lands in (("https://example.net/", "/pay"), ("question", "/pay/question")):
        reader = web_app.test_client()
        assert reader.get(f"/p/{token}?to={to}").location == "/pay/verify"
        verified = reader.post(
            "/pay/verify",
            data={"csrf_token": csrf_token(reader), "day": 9, "month": 3, "year": 1984},
        )
        assert verified.location == lands
