"""Staff holds and disputes on an invoice: either one stops the reminder cadence until lifted."""

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from portal.extensions import db
from portal.models import CallTask, CollectionState, Invoice, ReminderLog
from portal.models.invoice import InvoiceStatus
from portal.services.core import audit
from portal.services.core.audit import Actor
from portal.services.core.refusals import RefusalCode, Refused

#: "hold": staff paused the reminders; "dispute": the patient contests the bill
KINDS = ("hold", "dispute")
NOTE_MAX = 300


class HoldRefused(Refused, ValueError):
    code = RefusalCode.HOLD


def state_of(invoice: Invoice) -> CollectionState | None:
    return db.session.get(CollectionState, invoice.id)


def _note(note: str | None) -> str:
    text = (note or "").strip()
    if not text:
        raise HoldRefused(_l("Write a note saying why."))
    if len(text) > NOTE_MAX:
        raise HoldRefused(_l("The note is too long (300 characters at most)."))
    return text


def set_hold(invoice: Invoice, kind: str, note: str, actor: Actor, **data) -> CollectionState:
    """Put an open invoice on hold or in dispute (or switch between the two), with a note.
    The reminder cadence stops while it lasts (it records why itself, in `stopped_reason`);
    `data` goes on the audit event. The caller commits."""
    if kind not in KINDS:
        raise HoldRefused(_l("Choose hold or dispute."))
    text = _note(note)
    if invoice.status != InvoiceStatus.OPEN:
        raise HoldRefused(_l("Only an open invoice can be put on hold or disputed."))
    state = state_of(invoice)
    if state is None:
        state = CollectionState(invoice_id=invoice.id)
        db.session.add(state)
    previous = state.hold
    state.hold, state.hold_note = kind, text
    audit.record(
        "hold.set",
        practice_id=invoice.practice_id,
        invoice_id=invoice.id,
        actor=actor,
        kind=kind,
        previous=previous,
        note=text,
        **data,
    )
    return state


def release(invoice: Invoice, note: str, actor: Actor) -> CollectionState:
    """Lift the invoice's hold or dispute, with a note; the cadence resumes on its next run.
    The caller commits."""
    text = _note(note)
    state = state_of(invoice)
    if state is None or state.hold is None:
        raise HoldRefused(_l("This invoice is not on hold."))
    kind = state.hold
    state.hold, state.hold_note = None, None
    audit.record(
        "hold.released",
        practice_id=invoice.practice_id,
        invoice_id=invoice.id,
        actor=actor,
        kind=kind,
        note=text,
    )
    return state


@dataclass(frozen=True)
class Overview:
    """What the staff invoice page shows about collections."""

    state: CollectionState | None
    reminders: list[ReminderLog]
    calls: list[CallTask]

    @property
    def hold(self) -> str | None:
        return self.state.hold if self.state else None


def overview(invoice: Invoice) -> Overview:
    """The invoice's hold state, reminders carried out and call tasks, oldest first."""
    reminders = db.select(ReminderLog).filter_by(invoice_id=invoice.id)
    calls = db.select(CallTask).filter_by(invoice_id=invoice.id)
    return Overview(
        state=state_of(invoice),
        reminders=list(db.session.scalars(reminders.order_by(ReminderLog.sent_on, ReminderLog.id))),
        calls=list(db.session.scalars(calls.order_by(CallTask.due_on, CallTask.id))),
    )
