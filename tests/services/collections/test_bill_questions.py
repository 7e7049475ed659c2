"""A patient's question about a bill pauses its reminders for the practice's pause days and
reaches the worklist; answering the last open question resumes them."""

from datetime import date, datetime

import pytest

from portal.extensions import db
from portal.models import AuditEvent, BillQuestion, CollectionState
from portal.models.bill_question import QuestionStatus
from portal.services.billing import money
from portal.services.collections import bill_questions
from portal.services.collections.bill_questions import QuestionRefused
from portal.services.core.audit import SYSTEM
from tests import factories

TODAY = date(2026, 11, 10)


def an_invoice(pause_days: int = 14, number: str = "Q-1"):
    practice = factories.practice(question_pause_days=pause_days)
    return factories.invoice(factories.patient(practice), number=number)


def paused_until(invoice) -> date | None:
    state = db.session.get(CollectionState, invoice.id)
    return state.paused_until if state else None


def test_a_question_pauses_the_reminders_for_the_practice_s_days(app):
    invoice = an_invoice(pause_days=14)
    assert bill_questions.ask(invoice, "  Why this amount?  ", SYSTEM, TODAY) == date(2026, 11, 24)
    db.session.commit()
    [question] = db.session.scalars(db.select(BillQuestion)).all()
    assert (question.text, question.status, question.paused_until) == (
        "Why this amount?",
        QuestionStatus.OPEN,
        date(2026, 11, 24),
    )
    assert paused_until(invoice) == date(2026, 11, 24)
    event = db.session.scalars(db.select(AuditEvent).filter_by(action="bill.question")).one()
    assert (event.invoice_id, event.data) == (
        invoice.id,
        {"text": "Why this amount?", "paused_until": "2026-11-24"},
    )


def test_a_later_question_never_shortens_a_longer_pause(app):
    invoice = an_invoice(pause_days=10)
    state = CollectionState(invoice_id=invoice.id, paused_until=date(2026, 12, 31))
    db.session.add(state)
    assert bill_questions.ask(invoice, "And this line?", SYSTEM, TODAY) == date(2026, 11, 20)
    assert paused_until(invoice) == date(2026, 12, 31)


def test_no_pause_when_the_practice_sets_none_or_the_invoice_is_paid(app):
    unpaused = an_invoice(pause_days=0)
    assert bill_questions.ask(unpaused, "A question", SYSTEM, TODAY) is None
    assert paused_until(unpaused) is None
    paid = an_invoice(pause_days=14, number="Q-2")
    money.record_desk_payment(paid, 15450, "cash", SYSTEM)
    assert bill_questions.ask(paid, "Was it received?", SYSTEM, TODAY) is None
    assert paused_until(paid) is None
    db.session.commit()
    assert bill_questions.open_count(paid.practice_id) == 1


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("   ", "Write your question."),
        ("x" * 1001, "Your question is too long (1,000 characters at most)."),
    ],
)
def test_an_empty_or_long_question_is_refused_and_records_nothing(app, text, message):
    invoice = an_invoice()
    with pytest.raises(QuestionRefused) as refused:
        bill_questions.ask(invoice, text, SYSTEM, TODAY)
    assert str(refused.value) == message
    assert db.session.scalars(db.select(BillQuestion)).all() == []
    assert paused_until(invoice) is None


def test_the_owner_sets_the_pause_between_0_and_60_days(app):
    practice = factories.practice()
    bill_questions.set_pause_days(practice, 60, SYSTEM)
    assert practice.question_pause_days == 60
    for days in (-1, 61):
        with pytest.raises(QuestionRefused) as refused:
            bill_questions.set_pause_days(practice, days, SYSTEM)
        assert str(refused.value) == "Choose between 0 and 60 days."
    assert practice.question_pause_days == 60
    event = db.session.scalars(db.select(AuditEvent).filter_by(action="settings.question_pause"))
    assert [e.data for e in event] == [{"days": 60}]


def test_the_worklist_lists_open_questions_of_the_practice_oldest_first(app):
    invoice = an_invoice()
    other = an_invoice(number="Q-9")  # another practice
    for text, asked in (("second", 11), ("first", 9), ("third", 12)):
        db.session.add(
            BillQuestion(
                practice_id=invoice.practice_id,
                invoice_id=invoice.id,
                text=text,
                asked_at=datetime(2026, 11, asked, 9, 0),
            )
        )
    db.session.add(BillQuestion(practice_id=other.practice_id, invoice_id=other.id, text="x"))
    db.session.commit()
    open_ = bill_questions.open_questions(invoice.practice_id)
    assert [q.text for q in open_] == ["first", "second", "third"]
    assert open_[0].invoice.patient.last_name == "Bianchi"
    assert bill_questions.open_count(invoice.practice_id) == 3
    assert bill_questions.open_count(other.practice_id) == 1


def test_answering_the_last_open_question_resumes_the_reminders(app):
    invoice = an_invoice(pause_days=14)
    bill_questions.ask(invoice, "First?", SYSTEM, TODAY)
    bill_questions.ask(invoice, "Second?", SYSTEM, date(2026, 11, 12))
    db.session.commit()
    first, second = bill_questions.open_questions(invoice.practice_id)
    assert paused_until(invoice) == date(2026, 11, 26)

    bill_questions.answer(second, "", SYSTEM, None)
    db.session.commit()
    # the first question is still open: its own pause holds the reminders
    assert paused_until(invoice) == date(2026, 11, 24)
    assert (second.status, second.reply) == (QuestionStatus.ANSWERED, None)

    bill_questions.answer(first, " It is the crown. ", SYSTEM, None)
    db.session.commit()
    assert paused_until(invoice) is None
    assert first.reply == "It is the crown."
    assert bill_questions.open_count(invoice.practice_id) == 0
    assert [q.id for q in bill_questions.answered_questions(invoice)] == [first.id, second.id]
    answered = db.session.scalars(
        db.select(AuditEvent).filter_by(action="bill.question_answered").order_by(AuditEvent.id)
    )
    assert [(e.data["replied"], e.data["reminders_resumed"]) for e in answered] == [
        (False, False),
        (True, True),
    ]


def test_a_question_is_answered_once(app):
    invoice = an_invoice()
    bill_questions.ask(invoice, "Why?", SYSTEM, TODAY)
    db.session.commit()
    [question] = bill_questions.open_questions(invoice.practice_id)
    bill_questions.answer(question, "Because.", SYSTEM, None)
    db.session.commit()
    with pytest.raises(QuestionRefused) as refused:
        bill_questions.answer(question, "Again.", SYSTEM, None)
    assert str(refused.value) == "This question has already been answered."
    db.session.rollback()
    assert db.session.get(BillQuestion, question.id).reply == "Because."


def test_a_reply_over_1000_characters_is_refused(app):
    invoice = an_invoice()
    bill_questions.ask(invoice, "Why?", SYSTEM, TODAY)
    db.session.commit()
    [question] = bill_questions.open_questions(invoice.practice_id)
    with pytest.raises(QuestionRefused) as refused:
        bill_questions.answer(question, "y" * 1001, SYSTEM, None)
    assert str(refused.value) == "The reply is too long (1,000 characters at most)."
    assert db.session.get(BillQuestion, question.id).status == QuestionStatus.OPEN
