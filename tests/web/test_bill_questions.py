"""After verification: a question about the bill reaches the practice's timeline and pauses the
reminders for the practice's number of days; every open bill of the patient on one page."""

import html
from datetime import time, timedelta

from portal.clock import practice_today
from portal.extensions import db
from portal.gateways.mail import SMTPMailer
from portal.models import AuditEvent, CollectionState, Invoice, Practice
from portal.services.access import links
from portal.services.collections import cadence
from tests import factories
from tests.web.patient_client import csrf_token, open_and_verify
from tests.web.staff_client import csrf, make_staff, sign_in

QUESTION = "Perché la pulizia del 24 ottobre costa più dell'anno scorso?"


def verified(web_app, client, **patient):
    with web_app.app_context():
        invoice, token = factories.invoice_with_link(**patient)
        ids = invoice.id, invoice.practice_id, invoice.patient_id
    open_and_verify(client, token)
    return ids


def ask(client, text):
    return client.post(
        "/pay/question", data={"csrf_token": csrf_token(client, "/pay"), "question": text}
    )


def test_a_question_reaches_the_timeline_and_pauses_the_reminders(web_app, client, smtp):
    web_app.extensions["saldo.mailer"] = SMTPMailer(smtp.url)
    invoice_id, practice_id, _ = verified(web_app, client)
    bill = client.get("/pay").get_data(as_text=True)
    assert 'href="/pay/question">Una domanda su questa fattura?</a>' in bill
    assert "Una domanda su questa fattura" in client.get("/pay/question").get_data(as_text=True)
    answer = ask(client, QUESTION)
    assert answer.status_code == 200
    page = html.unescape(answer.get_data(as_text=True))
    assert "La Sua domanda è stata inviata" in page
    with web_app.app_context():
        practice = db.session.get(Practice, practice_id)
        until = practice_today(practice) + timedelta(days=14)
        assert f"Non riceverà promemoria per questa fattura fino al {until.day}" in page
        state = db.session.get(CollectionState, invoice_id)
        assert state.paused_until == until
        [event] = db.session.scalars(
            db.select(AuditEvent).filter_by(invoice_id=invoice_id, action="bill.question")
        ).all()
        assert event.data == {"text": QUESTION, "paused_until": until.isoformat()}
        assert event.actor_kind == "patient"
        staff_email = make_staff(practice, "billing").email

        # while paused: nothing goes out, and the run says why
        report = cadence.run(until - timedelta(days=1), time(10, 0))
        assert report.messages == 0
        assert db.session.get(CollectionState, invoice_id).stopped_reason == "question"
        # once the pause is over the cadence goes on from the latest step due
        invoice = db.session.get(Invoice, invoice_id)
        report = cadence.run(max(until, invoice.due_on + timedelta(days=28)), time(10, 0))
        assert report.emails == 1 and len(smtp.messages) == 1
        state = db.session.get(CollectionState, invoice_id)
        assert (state.stopped_reason, state.paused_until) == (None, None)

    staff = web_app.test_client()
    sign_in(staff, staff_email)
    timeline = html.unescape(staff.get(f"/staff/invoices/{invoice_id}").get_data(as_text=True))
    assert "Question from the patient" in timeline
    assert f'<blockquote class="question">{QUESTION}</blockquote>' in timeline


def test_an_empty_or_long_question_is_refused_and_changes_nothing(web_app, client):
    invoice_id, _, _ = verified(web_app, client, locale="en")
    empty = ask(client, "   ")
    assert empty.status_code == 422
    assert "Write your question." in empty.get_data(as_text=True)
    long = ask(client, "x" * 1001)
    assert long.status_code == 422
    assert "Your question is too long (1,000 characters at most)." in long.get_data(as_text=True)
    with web_app.app_context():
        assert db.session.get(CollectionState, invoice_id) is None
        events = db.session.scalars(db.select(AuditEvent).filter_by(action="bill.question"))
        assert events.all() == []


def test_the_owner_sets_the_pause_and_zero_means_no_pause(web_app, client):
    invoice_id, practice_id, _ = verified(web_app, client, locale="en")
    with web_app.app_context():
        email = make_staff(db.session.get(Practice, practice_id), "owner").email
    owner = web_app.test_client()
    sign_in(owner, email)
    assert 'id="question-pause"' in owner.get("/staff/settings/cadence").get_data(as_text=True)
    token = csrf(owner, "/staff/settings/cadence")
    refused = owner.post(
        "/staff/settings/cadence/question-pause", data={"csrf_token": token, "pause-days": "61"}
    )
    assert refused.status_code == 302
    with web_app.app_context():
        assert db.session.get(Practice, practice_id).question_pause_days == 14
    owner.post(
        "/staff/settings/cadence/question-pause", data={"csrf_token": token, "pause-days": "0"}
    )
    with web_app.app_context():
        assert db.session.get(Practice, practice_id).question_pause_days == 0
    answer = ask(client, "Can I pay next month?")
    assert answer.status_code == 200
    assert "You will not receive reminders" not in answer.get_data(as_text=True)
    with web_app.app_context():
        assert db.session.get(CollectionState, invoice_id) is None
        event = db.session.scalars(db.select(AuditEvent).filter_by(action="bill.question")).one()
        assert event.data == {"text": "Can I pay next month?", "paused_until": None}


def test_every_open_bill_of_the_patient_at_the_practice_with_a_way_to_pay(web_app, client):
    with web_app.app_context():
        first, token = factories.invoice_with_link(locale="en")
        patient = first.patient
        second = factories.invoice(patient, amounts=(5000,), number="2026-0002")
        paid = factories.invoice(patient, amounts=(700,), number="2026-0003")
        paid.status = "paid"
        stranger = factories.invoice(
            factories.patient(first.practice, first_name="Marco"), number="2026-0004"
        )
        db.session.commit()
        second_id, stranger_id = second.id, stranger.id
    open_and_verify(client, token)
    page = html.unescape(client.get("/pay/bills").get_data(as_text=True))
    assert "Invoice 2026-0001" in page and "Invoice 2026-0002" in page
    assert "2026-0003" not in page and "2026-0004" not in page
    assert "Pay €154.50" in page and "Pay €50.00" in page
    form_token = csrf_token(client, "/pay/bills")
    assert (
        client.post(f"/pay/bills/{stranger_id}", data={"csrf_token": form_token}).status_code == 404
    )
    moved = client.post(f"/pay/bills/{second_id}", data={"csrf_token": form_token})
    assert moved.status_code == 302 and moved.headers["Location"].endswith("/pay")
    bill = html.unescape(client.get("/pay").get_data(as_text=True))
    assert "Invoice 2026-0002" in bill  # no second date of birth asked
    with web_app.app_context():
        assert links.resolve(token).ok  # the first bill's link still works
        opened = db.session.scalars(
            db.select(AuditEvent).filter_by(invoice_id=second_id, action="link.opened")
        ).all()
        assert [e.actor_kind for e in opened] == ["patient"]
