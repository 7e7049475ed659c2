"""Telling the patient that the practice answered: by the channel the bill's conversation
uses while they agree to it, only for a reply on an open invoice, and what became of each
notice for the worklist."""

from datetime import date, datetime

from portal.extensions import db
from portal.models import AuditEvent, BillQuestion, Delivery, PendingWork
from portal.models.delivery import DeliveryPurpose, DeliveryStatus
from portal.services.billing import money
from portal.services.collections import bill_questions
from portal.services.core.audit import SYSTEM
from portal.services.messaging import answers
from portal.services.messaging.answers import NoticeState
from tests import factories

SINCE = datetime(2026, 1, 1)


def an_invoice(**patient):
    practice = factories.practice()
    values = {"phone": "+393331234567", "sms_consent": True, **patient}
    return factories.invoice(factories.patient(practice, **values))


def sent(invoice, channel, purpose=DeliveryPurpose.REMINDER, at=datetime(2026, 11, 5, 9)):
    db.session.add(
        Delivery(
            practice_id=invoice.practice_id,
            invoice_id=invoice.id,
            purpose=purpose,
            channel=channel,
            recipient="x",
            locale="it",
            body="b",
            status=DeliveryStatus.SENT,
            sent_at=at,
        )
    )
    db.session.flush()


def answered(invoice, reply="It is the crown."):
    bill_questions.ask(invoice, "Why?", SYSTEM, date(2026, 11, 10))
    db.session.commit()
    [question] = bill_questions.open_questions(invoice.practice_id)
    notice = bill_questions.answer(question, reply, SYSTEM, None)
    db.session.commit()
    return question, notice


def test_email_first_unless_the_bill_s_conversation_went_by_text(app):
    invoice = an_invoice()
    assert answers.channel_for(invoice) == "email"
    sent(invoice, "sms")
    assert answers.channel_for(invoice) == "sms"
    sent(invoice, "email", purpose=DeliveryPurpose.RECEIPT, at=datetime(2026, 11, 6, 9))
    assert answers.channel_for(invoice) == "email"
    # a letter is not a conversation the patient answers on
    sent(invoice, "letter", at=datetime(2026, 11, 7, 9))
    assert answers.channel_for(invoice) == "email"


def test_a_channel_needs_its_consent_and_an_address(app):
    invoice = an_invoice()
    sent(invoice, "sms")
    invoice.patient.sms_consent = False
    assert answers.channel_for(invoice) == "email"
    invoice.patient.email = None
    assert answers.channel_for(invoice) is None
    invoice.patient.sms_consent = True
    assert answers.channel_for(invoice) == "sms"


def test_a_reply_on_an_open_invoice_is_queued_once_by_its_channel(app):
    invoice = an_invoice()
    question, notice = answered(invoice)
    assert notice == "email"
    [work] = db.session.scalars(db.select(PendingWork).filter_by(kind=answers.KIND)).all()
    assert (work.dedupe_key, work.payload) == (
        f"question:{question.id}:answered",
        {"question_id": question.id},
    )
    assert (work.practice_id, work.invoice_id) == (invoice.practice_id, invoice.id)
    [state] = answers.answered_since(invoice.practice_id, SINCE)
    assert (state.question.id, state.state) == (question.id, NoticeState.PENDING)


def test_no_notice_without_a_reply_or_on_a_closed_invoice(app):
    quiet = an_invoice()
    _, notice = answered(quiet, reply="")
    assert notice == NoticeState.NO_REPLY
    paid = an_invoice()
    money.record_desk_payment(paid, 15450, "cash", SYSTEM)
    _, closed = answered(paid)
    assert closed == NoticeState.INVOICE_CLOSED
    assert db.session.scalars(db.select(PendingWork).filter_by(kind=answers.KIND)).all() == []
    actions = set(db.session.scalars(db.select(AuditEvent.action)))
    assert {"question_answer.no_reply", "question_answer.invoice_closed"} <= actions
    assert [a.state for a in answers.answered_since(quiet.practice_id, SINCE)] == ["no_reply"]
    assert [a.state for a in answers.answered_since(paid.practice_id, SINCE)] == ["invoice_closed"]


def test_a_patient_who_agrees_to_nothing_is_not_told(app):
    invoice = an_invoice(email=None, sms_consent=False)
    _, notice = answered(invoice)
    assert notice == NoticeState.NO_CONSENT


def test_the_worklist_reads_the_notice_s_delivery(app):
    invoice = an_invoice()
    question, _ = answered(invoice)
    sent(invoice, "sms", purpose=answers.PURPOSE, at=datetime(2026, 11, 10, 10))
    notice = db.session.scalars(db.select(Delivery).filter_by(purpose=answers.PURPOSE)).one()
    notice.payload = {"question_id": question.id}
    db.session.commit()
    [state] = answers.answered_since(invoice.practice_id, SINCE)
    assert (state.state, state.channel, state.at) == ("sent", "sms", datetime(2026, 11, 10, 10))
    assert answers.answered_since(invoice.practice_id, datetime(2099, 1, 1)) == []
    assert db.session.get(BillQuestion, question.id).reply == "It is the crown."
