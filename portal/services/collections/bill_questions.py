"""A patient's question about a bill: it reaches the practice's timeline for the invoice and
its worklist of open questions, and pauses the reminder cadence for the practice's
`question_pause_days` (0: no pause). Reminders resume when the pause ends or, sooner, when
staff answer the last open question of the bill."""

from datetime import date, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import update
from sqlalchemy.orm import joinedload

from portal.clock import utcnow
from portal.extensions import db
from portal.models import BillQuestion, CollectionState, Invoice
from portal.models.bill_question import QuestionStatus
from portal.models.invoice import InvoiceStatus
from portal.services.core import audit
from portal.services.core.audit import Actor
from portal.services.core.refusals import RefusalCode, Refused
from portal.services.messaging import answers

TEXT_MAX = 1000
#: longest pause an owner can set
PAUSE_MAX_DAYS = 60


class QuestionRefused(Refused, ValueError):
    """A question or a pause the rules refuse; the message says why."""

    code = RefusalCode.QUESTION


def ask(invoice: Invoice, text: str, actor: Actor, today: date) -> date | None:
    """Record the patient's question on the practice's worklist and the invoice's timeline
    (audit "bill.question", with the text) and pause its reminders from `today` (the
    practice's day); returns the day the reminders resume, None when the practice does not
    pause them. The caller commits."""
    question = (text or "").strip()
    if not question:
        raise QuestionRefused(_l("Write your question."))
    if len(question) > TEXT_MAX:
        raise QuestionRefused(_l("Your question is too long (1,000 characters at most)."))
    days = invoice.practice.question_pause_days
    until = (
        today + timedelta(days=days) if days > 0 and invoice.status == InvoiceStatus.OPEN else None
    )
    if until is not None:
        state = db.session.get(CollectionState, invoice.id)
        if state is None:
            state = CollectionState(invoice_id=invoice.id)
            db.session.add(state)
        state.paused_until = max(until, state.paused_until or until)
    db.session.add(
        BillQuestion(
            practice_id=invoice.practice_id,
            invoice_id=invoice.id,
            text=question,
            paused_until=until,
        )
    )
    audit.record(
        "bill.question",
        practice_id=invoice.practice_id,
        invoice_id=invoice.id,
        actor=actor,
        text=question,
        paused_until=until.isoformat() if until else None,
    )
    return until


def set_pause_days(practice, days: int, actor: Actor) -> None:
    """The owner's setting: how many days a question pauses the reminders. Caller commits."""
    if not 0 <= days <= PAUSE_MAX_DAYS:
        raise QuestionRefused(_l("Choose between 0 and 60 days."))
    practice.question_pause_days = days
    audit.record("settings.question_pause", practice_id=practice.id, actor=actor, days=days)


def open_questions(practice_id: int) -> list[BillQuestion]:
    """The practice's questions not answered yet, oldest first, with invoice and patient."""
    query = (
        db.select(BillQuestion)
        .where(BillQuestion.practice_id == practice_id, BillQuestion.status == QuestionStatus.OPEN)
        .order_by(BillQuestion.asked_at, BillQuestion.id)
        .options(joinedload(BillQuestion.invoice).joinedload(Invoice.patient))
    )
    return list(db.session.scalars(query))


def open_count(practice_id: int) -> int:
    """How many of the practice's questions wait for an answer."""
    query = db.select(db.func.count()).where(
        BillQuestion.practice_id == practice_id, BillQuestion.status == QuestionStatus.OPEN
    )
    return db.session.scalar(query) or 0


def answered_questions(invoice: Invoice) -> list[BillQuestion]:
    """The bill's answered questions, newest first (the patient reads the replies)."""
    query = (
        db.select(BillQuestion)
        .where(
            BillQuestion.invoice_id == invoice.id,
            BillQuestion.status == QuestionStatus.ANSWERED,
        )
        .order_by(BillQuestion.answered_at.desc(), BillQuestion.id.desc())
    )
    return list(db.session.scalars(query))


def answer(question: BillQuestion, reply: str, actor: Actor, staff_id: int | None) -> str:
    """Mark `question` answered, with staff's `reply` for the patient if there is one (audit
    "bill.question_answered" on the invoice's timeline), once however often it is submitted
    (a conditional update: a second submission, even at the same moment, is refused). Once
    no question of the bill is open, its reminders resume: the pause it set ends now rather
    than on its last day. A reply on an open invoice is announced to the patient after the
    commit (`messaging.answers`); returns the channel it goes by or why it does not go.
    The caller commits."""
    text = (reply or "").strip()
    if len(text) > TEXT_MAX:
        raise QuestionRefused(_l("The reply is too long (1,000 characters at most)."))
    claimed = db.session.execute(
        update(BillQuestion)
        .where(BillQuestion.id == question.id, BillQuestion.status == QuestionStatus.OPEN)
        .values(
            status=QuestionStatus.ANSWERED,
            reply=text or None,
            answered_at=utcnow(),
            answered_by_id=staff_id,
        )
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:
        raise QuestionRefused(_l("This question has already been answered."))
    db.session.refresh(question)
    still_open = db.session.scalars(
        db.select(BillQuestion.paused_until).where(
            BillQuestion.invoice_id == question.invoice_id,
            BillQuestion.status == QuestionStatus.OPEN,
        )
    ).all()
    state = db.session.get(CollectionState, question.invoice_id)
    resumed = False
    if state is not None and state.paused_until is not None:
        pauses = [day for day in still_open if day is not None]
        if not still_open or not pauses:
            state.paused_until, resumed = None, True
        else:
            state.paused_until = max(pauses)
    audit.record(
        "bill.question_answered",
        practice_id=question.practice_id,
        invoice_id=question.invoice_id,
        actor=actor,
        question_id=question.id,
        replied=bool(text),
        reminders_resumed=resumed,
    )
    return answers.queue(question, actor)
