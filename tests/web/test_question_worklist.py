"""Patients' questions on the staff worklist: oldest first with invoice, patient and text, a
count in the navigation, answered with or without a reply (which the patient reads after the
date of birth), for billing staff and owners only; answering the last open question of a bill
lets its reminders go on at once, otherwise they wait until the pause ends."""

import html
import re
from datetime import date, time, timedelta

from portal.clock import practice_today
from portal.extensions import db
from portal.gateways.mail import SMTPMailer
from portal.models import AuditEvent, BillQuestion, CollectionState, Practice
from portal.services.access import links
from portal.services.collections import cadence
from portal.services.core.audit import SYSTEM
from tests import factories
from tests.web.patient_client import open_and_verify
from tests.web.staff_client import csrf, make_staff, sign_in
from tests.web.test_bill_questions import ask

FIRST = "Why is the cleaning more expensive than last year?"
SECOND = "Can I pay the crown in two parts?"
NAV = re.compile(
    r'<a href="/staff/questions" id="nav-questions">([^<]*)(?:<span class="count">(\d+)</span>)?</a>'
)


def patient_asks(
    web_app, text, first_name="Emma", number="2026-0001", practice_id=None, days_late=None
):
    with web_app.app_context():
        practice = db.session.get(Practice, practice_id) if practice_id else None
        practice = practice or factories.practice()
        patient = factories.patient(practice, first_name=first_name, locale="en")
        issued = date(2026, 11, 1)
        if days_late is not None:  # due 30 days after issue
            issued = practice_today(practice) - timedelta(days=30 + days_late)
        invoice = factories.invoice(patient, number=number, today=issued)
        _, token = links.issue(invoice, SYSTEM)
        db.session.commit()
        ids = invoice.id, practice.id
    client = web_app.test_client()
    open_and_verify(client, token)
    assert ask(client, text).status_code == 200
    return client, ids


def staff(web_app, practice_id, role):
    with web_app.app_context():
        email = make_staff(db.session.get(Practice, practice_id), role).email
    client = web_app.test_client()
    sign_in(client, email)
    return client


def test_the_worklist_lists_open_questions_oldest_first(web_app):
    _, (first_invoice, practice_id) = patient_asks(web_app, FIRST)
    _, (second_invoice, _) = patient_asks(
        web_app, SECOND, "Marco", "2026-0002", practice_id=practice_id
    )
    patient_asks(web_app, "Elsewhere?", "Luca", "2026-0003")  # another practice's
    billing = staff(web_app, practice_id, "billing")
    page = html.unescape(billing.get("/staff/questions").get_data(as_text=True))
    assert NAV.search(page).groups() == ("Questions ", "2")
    titles = re.findall(r'<h2 id="question-\d+-title">([^<]+)</h2>', page)
    assert titles == ["Emma Bianchi", "Marco Bianchi"]
    assert page.index(FIRST) < page.index(SECOND) and "Elsewhere?" not in page
    assert f'href="/staff/invoices/{first_invoice}">2026-0001</a>' in page
    assert f'href="/staff/invoices/{second_invoice}">2026-0002</a>' in page
    assert page.count(">Mark answered</button>") == 2


def test_answering_resumes_the_reminders_and_the_patient_reads_the_reply(web_app, smtp):
    web_app.extensions["saldo.mailer"] = SMTPMailer(smtp.url)
    # four weeks past due: the cadence's email of that day is due during the pause
    patient, (invoice_id, practice_id) = patient_asks(web_app, FIRST, days_late=28)
    billing = staff(web_app, practice_id, "billing")
    with web_app.app_context():
        question = db.session.scalars(db.select(BillQuestion)).one()
        question_id = question.id
        reminder_day = practice_today(db.session.get(Practice, practice_id))
        assert question.paused_until > reminder_day
        assert db.session.get(CollectionState, invoice_id).paused_until == question.paused_until
        assert cadence.run(reminder_day, time(10, 0)).messages == 0
        assert db.session.get(CollectionState, invoice_id).stopped_reason == "question"
    token = csrf(billing, "/staff/questions")
    reply = "The fee list changed in January; the cleaning now includes polishing."
    answered = billing.post(
        f"/staff/questions/{question_id}/answer", data={"csrf_token": token, "reply": reply}
    )
    assert answered.status_code == 302 and answered.location.endswith("/staff/questions")
    page = html.unescape(billing.get("/staff/questions").get_data(as_text=True))
    assert "No question is waiting for an answer." in page
    assert NAV.search(page).groups() == ("Questions", None)
    with web_app.app_context():
        question = db.session.get(BillQuestion, question_id)
        assert (question.status, question.reply) == ("answered", reply)
        assert db.session.get(CollectionState, invoice_id).paused_until is None
        event = db.session.scalars(
            db.select(AuditEvent).filter_by(action="bill.question_answered")
        ).one()
        assert event.data == {
            "question_id": question.id,
            "replied": True,
            "reminders_resumed": True,
        }
        # the reminders go on the same day, from the latest step due
        report = cadence.run(reminder_day, time(10, 0))
        assert report.emails == 1 and len(smtp.messages) == 1
    mine = html.unescape(patient.get("/pay/question").get_data(as_text=True))
    assert "Answers from Studio Dentistico Rossi" in mine
    assert f"<blockquote>{FIRST}</blockquote>" in mine and f"<p>{reply}</p>" in mine


def test_reminders_wait_while_another_question_of_the_bill_is_open(web_app):
    patient, (invoice_id, practice_id) = patient_asks(web_app, FIRST)
    assert ask(patient, SECOND).status_code == 200
    billing = staff(web_app, practice_id, "owner")
    with web_app.app_context():
        first, second = db.session.scalars(db.select(BillQuestion).order_by(BillQuestion.id))
        first_id, pause = first.id, second.paused_until
    token = csrf(billing, "/staff/questions")
    billing.post(f"/staff/questions/{first_id}/answer", data={"csrf_token": token, "reply": ""})
    with web_app.app_context():
        assert db.session.get(BillQuestion, first_id).reply is None
        assert db.session.get(CollectionState, invoice_id).paused_until == pause
    again = billing.post(f"/staff/questions/{first_id}/answer", data={"csrf_token": token})
    assert again.status_code == 302  # answered already: said so, nothing changes
    page = html.unescape(billing.get("/staff/questions").get_data(as_text=True))
    assert "This question has already been answered." in page
    assert NAV.search(page).groups() == ("Questions ", "1")


def test_viewers_read_the_list_and_other_practices_cannot_answer(web_app):
    _, (_, practice_id) = patient_asks(web_app, FIRST)
    with web_app.app_context():
        question_id = db.session.scalars(db.select(BillQuestion.id)).one()
    viewer = staff(web_app, practice_id, "viewer")
    page = html.unescape(viewer.get("/staff/questions").get_data(as_text=True))
    assert FIRST in page and "Mark answered" not in page
    token = csrf(viewer, "/staff/questions")
    refused = viewer.post(f"/staff/questions/{question_id}/answer", data={"csrf_token": token})
    assert refused.status_code == 403
    with web_app.app_context():
        other = factories.practice()
        db.session.commit()
        other_id = other.id
    stranger = staff(web_app, other_id, "owner")
    token = csrf(stranger, "/staff/questions")
    assert FIRST not in stranger.get("/staff/questions").get_data(as_text=True)
    answer = stranger.post(f"/staff/questions/{question_id}/answer", data={"csrf_token": token})
    assert answer.status_code == 404
    assert web_app.test_client().get("/staff/questions").status_code == 302  # sign in first
    with web_app.app_context():
        assert db.session.get(BillQuestion, question_id).status == "open"


def test_the_worklist_speaks_italian(web_app):
    _, (_, practice_id) = patient_asks(web_app, FIRST)
    with web_app.app_context():
        email = make_staff(db.session.get(Practice, practice_id), "billing", locale="it").email
    client = web_app.test_client()
    sign_in(client, email)
    page = html.unescape(client.get("/staff/questions").get_data(as_text=True))
    assert "<h1>Domande dei pazienti</h1>" in page
    assert ">Segni come evasa</button>" in page
    assert NAV.search(page).groups() == ("Domande ", "1")
