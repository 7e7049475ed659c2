"""Call tasks: the staff's queue of patients to phone, what each call came to, and promises to
pay that were not kept."""

import re
from dataclasses import dataclass
from datetime import date

from flask import render_template
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy import func
from sqlalchemy.orm import selectinload

from portal.clock import practice_today, utcnow
from portal.extensions import db
from portal.i18n import rendering_in
from portal.models import AuditEvent, CallTask, CollectionState, Invoice, LedgerEntry, Practice
from portal.models.audit import ActorKind
from portal.models.call_task import CallOutcome, CallStatus
from portal.models.invoice import InvoiceStatus
from portal.models.staff import StaffUser
from portal.services.billing import ledger
from portal.services.collections import holds
from portal.services.collections.holds import HoldRefused
from portal.services.core import audit
from portal.services.core.audit import Actor
from portal.services.core.refusals import RefusalCode, Refused
from portal.services.plans import plans

OUTCOMES = frozenset(CallOutcome)
NOTE_MAX = 500


class CallRefused(Refused, ValueError):
    code = RefusalCode.CALL


@dataclass(frozen=True)
class QueueItem:
    task: CallTask
    balance_minor: int
    days_past_due: int
    #: the patient's language, in which the script is written
    language: str
    script: Markup

    @property
    def patient(self):
        return self.task.patient

    @property
    def invoice(self) -> Invoice:
        return self.task.invoice

    @property
    def phone_uri(self) -> str | None:
        phone = self.task.patient.phone
        return "tel:" + re.sub(r"[^0-9+]", "", phone) if phone else None


def language_of(invoice: Invoice) -> str:
    return invoice.patient.locale or invoice.practice.default_locale


def queue(practice: Practice, today: date, caller_name: str | None = None) -> list[QueueItem]:
    """Open call tasks due by `today` on open invoices that are not on hold, oldest first and
    one per invoice, each with the balance, days past due and a script in the patient's
    language."""
    held = db.select(CollectionState.invoice_id).where(CollectionState.hold.is_not(None))
    query = (
        db.select(CallTask)
        .join(Invoice, Invoice.id == CallTask.invoice_id)
        .where(
            CallTask.practice_id == practice.id,
            CallTask.status == CallStatus.OPEN,
            CallTask.due_on <= today,
            Invoice.status == InvoiceStatus.OPEN,
            CallTask.invoice_id.not_in(held),
        )
        .options(selectinload(CallTask.invoice), selectinload(CallTask.patient))
        .order_by(CallTask.due_on, CallTask.id)
    )
    items, seen = [], set()
    for task in db.session.scalars(query):
        if task.invoice_id in seen:
            continue
        seen.add(task.invoice_id)
        balance = ledger.balance(task.invoice_id)
        language = language_of(task.invoice)
        items.append(
            QueueItem(
                task=task,
                balance_minor=balance,
                days_past_due=max(0, (today - task.invoice.due_on).days),
                language=language,
                script=script(task.invoice, balance, today, caller_name),
            )
        )
    return items


def script(invoice: Invoice, balance_minor: int, today: date, caller_name: str | None) -> Markup:
    """What to say on the phone, in the patient's language; no care details."""
    offers_plan = bool(plans.allowed_counts(plans.policy_for(invoice.practice_id), balance_minor))
    with rendering_in(language_of(invoice)):
        html = render_template(
            "staff/calls_script.html",
            invoice=invoice,
            patient=invoice.patient,
            practice=invoice.practice,
            balance_minor=balance_minor,
            caller_name=caller_name,
            offers_plan=offers_plan,
        )
    return Markup(html)  # noqa: S704 (an autoescaped template's output)


def record_outcome(
    task: CallTask,
    outcome: str,
    staff: StaffUser,
    note: str | None,
    promise_on: date | None = None,
    promise_amount_minor: int | None = None,
    *,
    ip_address: str | None = None,
    today: date | None = None,
) -> CallTask:
    """Close an open call task with its outcome and an audit event "call.<outcome>".

    A promise needs a date from today on and at most the balance (no amount: the whole
    balance); a dispute puts the invoice in dispute; a wrong number is recorded with the
    number dialled. The invoice's other open tasks, due by the practice's today, are closed
    with it (no outcome of their own), since one call answers them all. The caller commits."""
    if task.status != CallStatus.OPEN:
        raise CallRefused(_l("This call has already been recorded."))
    if staff.practice_id != task.practice_id:
        raise ValueError("the call task belongs to another practice")
    if outcome not in OUTCOMES:
        raise CallRefused(_l("Choose what came of the call."))
    text = (note or "").strip() or None
    if text and len(text) > NOTE_MAX:
        raise CallRefused(_l("The note is too long (500 characters at most)."))
    invoice = task.invoice
    actor = Actor(ActorKind.STAFF, str(staff.id), ip_address)
    data: dict = {"task_id": task.id, "note": text}
    today = today or practice_today(invoice.practice)
    if outcome == CallOutcome.PROMISE:
        balance = ledger.balance(invoice.id)
        _check_promise(promise_on, promise_amount_minor, balance, today)
        data.update(
            promise_on=promise_on.isoformat(),
            promise_amount_minor=promise_amount_minor,
            balance_minor=balance,
        )
    elif promise_on is not None or promise_amount_minor is not None:
        raise CallRefused(_l("A date and an amount only go with a promise to pay."))
    if outcome == CallOutcome.DISPUTE:
        if not text:
            raise CallRefused(_l("Write a note saying what the patient disputes."))
        try:
            holds.set_hold(invoice, "dispute", text[: holds.NOTE_MAX], actor, task_id=task.id)
        except HoldRefused as exc:
            raise CallRefused(str(exc)) from exc
    if outcome == CallOutcome.WRONG_NUMBER:
        data["phone"] = task.patient.phone
    task.status, task.outcome, task.note = "done", outcome, text
    task.promise_on, task.promise_amount_minor = promise_on, promise_amount_minor
    task.staff_id, task.completed_at = staff.id, utcnow()
    superseded = _close_others(task, today)
    if superseded:
        data["superseded"] = superseded
    audit.record(
        f"call.{outcome}",
        practice_id=task.practice_id,
        invoice_id=invoice.id,
        actor=actor,
        **data,
    )
    return task


def _close_others(task: CallTask, today: date) -> list[int]:
    others = db.select(CallTask).where(
        CallTask.invoice_id == task.invoice_id,
        CallTask.id != task.id,
        CallTask.status == CallStatus.OPEN,
        CallTask.due_on <= max(today, task.due_on),
    )
    closed = []
    for other in db.session.scalars(others.order_by(CallTask.id)):
        other.status, other.staff_id, other.completed_at = "done", task.staff_id, task.completed_at
        closed.append(other.id)
    return closed


def _check_promise(on: date | None, amount: int | None, balance: int, today: date) -> None:
    if on is None:
        raise CallRefused(_l("Enter the date the patient promised to pay by."))
    if on < today:
        raise CallRefused(_l("The promised date cannot be in the past."))
    if balance <= 0:
        raise CallRefused(_l("Nothing is owed on this invoice."))
    if amount is not None:
        if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
            raise CallRefused(_l("Enter an amount greater than zero."))
        if amount > balance:
            raise CallRefused(_l("The amount is more than the balance."))


@dataclass(frozen=True)
class BrokenPromise:
    task: CallTask
    #: the balance when the promise was made, what was promised, and the balance now
    at_promise_minor: int
    promised_minor: int
    balance_minor: int


def broken_promises(today: date, *, practice_id: int | None = None) -> list[BrokenPromise]:
    """Each open invoice's latest promise to pay whose date is before `today` while the
    balance is still above what it was when promised less the amount promised (the whole
    balance if no amount was given). A newer promise replaces an older one. Oldest first."""
    query = (
        db.select(CallTask)
        .join(Invoice, Invoice.id == CallTask.invoice_id)
        .where(CallTask.outcome == CallOutcome.PROMISE, Invoice.status == InvoiceStatus.OPEN)
        .order_by(CallTask.id)
    )
    if practice_id is not None:
        query = query.where(CallTask.practice_id == practice_id)
    latest = {task.invoice_id: task for task in db.session.scalars(query)}
    tasks = sorted(
        (task for task in latest.values() if task.promise_on and task.promise_on < today),
        key=lambda task: (task.promise_on, task.id),
    )
    if not tasks:
        return []
    events = _events(("call.promise",), {t.invoice_id for t in tasks})
    result = []
    for task in tasks:
        promised = events.get(("call.promise", task.id))
        at_promise = promised.data["balance_minor"] if promised else _balance_at(task)
        amount = task.promise_amount_minor or at_promise
        balance = ledger.balance(task.invoice_id)
        if balance > at_promise - amount:
            result.append(BrokenPromise(task, at_promise, amount, balance))
    return result


def missed_promises(
    today: date, *, practice_id: int | None = None, only_new: bool = False
) -> list[CallTask]:
    """The broken promises (`broken_promises`) as call tasks. Adds one "promise.missed"
    audit event per promise, the first time it is found (the caller commits). With
    `only_new`, just those found this time."""
    broken = broken_promises(today, practice_id=practice_id)
    if not broken:
        return []
    seen = _events(("promise.missed",), {b.task.invoice_id for b in broken})
    result = []
    for promise in broken:
        task = promise.task
        known = ("promise.missed", task.id) in seen
        if not known:
            audit.record(
                "promise.missed",
                practice_id=task.practice_id,
                invoice_id=task.invoice_id,
                actor=audit.SYSTEM,
                task_id=task.id,
                promise_on=task.promise_on.isoformat(),
                expected_balance_minor=promise.at_promise_minor - promise.promised_minor,
                balance_minor=promise.balance_minor,
            )
        if not (known and only_new):
            result.append(task)
    return result


def _events(actions: tuple[str, ...], invoice_ids: set[int]) -> dict[tuple[str, int], AuditEvent]:
    """Audit events of `actions` on the invoices, keyed by (action, task id)."""
    query = db.select(AuditEvent).where(
        AuditEvent.action.in_(actions), AuditEvent.invoice_id.in_(invoice_ids)
    )
    return {
        (event.action, event.data.get("task_id")): event
        for event in db.session.scalars(query.order_by(AuditEvent.id))
    }


def _balance_at(task: CallTask) -> int:
    """The invoice's balance when the promise was recorded, from the ledger's timestamps."""
    total = db.session.scalar(
        db.select(func.coalesce(func.sum(LedgerEntry.amount_minor), 0)).where(
            LedgerEntry.invoice_id == task.invoice_id,
            LedgerEntry.created_at <= (task.completed_at or task.created_at),
        )
    )
    return int(total)
