"""A patient's question about a bill: it reaches the practice's timeline for the invoice and
pauses the reminder cadence for the practice's `question_pause_days` (0: no pause)."""

from datetime import date, timedelta

from flask_babel import lazy_gettext as _l

from portal.extensions import db
from portal.models import CollectionState, Invoice
from portal.models.invoice import InvoiceStatus
from portal.services.core import audit
from portal.services.core.audit import Actor
from portal.services.core.refusals import RefusalCode, Refused

TEXT_MAX = 1000
#: longest pause an owner can set
PAUSE_MAX_DAYS = 60


class QuestionRefused(Refused, ValueError):
    """A question or a pause the rules refuse; the message says why."""

    code = RefusalCode.QUESTION


def ask(invoice: Invoice, text: str, actor: Actor, today: date) -> date | None:
    """Record the patient's question on the invoice's timeline (audit "bill.question", with
    the text) and pause its reminders from `today` (the practice's day); returns the day the
    reminders resume, None when the practice does not pause them. The caller commits."""
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
