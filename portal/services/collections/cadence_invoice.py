"""One invoice's cadence within one run: whether it stops, which step is due, and carrying
the step out (a call task, a letter, or an email or text through `cadence_messages`)."""

import logging
from datetime import date, datetime, timedelta

from sqlalchemy import func

from portal.clock import day_of, patient_zone, utcnow
from portal.extensions import db
from portal.models import CollectionState, Invoice, ReminderLog
from portal.models.cadence_step import CadenceChannel
from portal.models.call_task import CallStatus
from portal.models.collection_state import StopReason
from portal.models.delivery import Channel
from portal.models.invoice import InvoiceStatus
from portal.models.ledger import LedgerKind
from portal.models.reminder_log import ReminderStatus
from portal.services.billing import ledger
from portal.services.collections.cadence_batch import Facts, Logged
from portal.services.collections.cadence_messages import Messages, delivery_of
from portal.services.collections.cadence_steps import (
    DELIVERY_REF,
    FINAL_STOPS,
    MESSAGE_CHANNELS,
    Clock,
    Report,
    Step,
)

log = logging.getLogger(__name__)


def _parts(step: Step) -> tuple[str, ...]:
    """The channels a step is carried out on, in order: a call comes with its SMS nudge."""
    return (
        (CadenceChannel.CALL, CadenceChannel.SMS)
        if step.channel == CadenceChannel.CALL
        else (step.channel,)
    )


class InvoiceCadence(Messages):
    """One invoice's cadence within one run."""

    def __init__(
        self,
        invoice: Invoice,
        steps,
        clock: Clock,
        now: datetime,
        report: Report,
        facts: Facts,
    ):
        self.invoice, self.steps, self.now, self.report = invoice, steps, now, report
        self.facts = facts
        self.patient = invoice.patient
        self.zone = patient_zone(self.patient)
        self.moment = clock(self.zone)
        if facts.states is None:
            self.state = db.session.get(CollectionState, invoice.id)
        else:
            self.state = facts.states.get(invoice.id)
        #: once a message waits, the later ones of this invoice wait too (order is kept)
        self.held = False
        #: (position, channel) of the steps logged for this invoice
        self.logged: dict[tuple[int, str], ReminderLog] = {}

    # -- stopping -----------------------------------------------------------------------------

    def stop_reason(self) -> str | None:
        invoice = self.invoice
        if invoice.status == InvoiceStatus.VOID:
            return StopReason.VOID
        if invoice.status == InvoiceStatus.PAID or self.balance() <= 0:
            written_off = ledger.total_of(invoice.id, LedgerKind.WRITE_OFF)
            return StopReason.WRITTEN_OFF if written_off else StopReason.PAID
        if invoice.status != InvoiceStatus.OPEN:  # a draft never starts a cadence
            return StopReason.VOID
        if self.plan_running():
            return StopReason.PLAN
        if self.state is not None and self.state.hold:
            return self.state.hold[:16]
        if self.state is not None and self.paused():
            return StopReason.QUESTION
        return None

    def paused(self) -> bool:
        """A question from the patient pauses the reminders until `paused_until`."""
        until = self.state.paused_until
        return until is not None and self.moment.day < until

    def balance(self) -> int:
        return self.facts.balances.get(self.invoice.id, 0)

    def plan_running(self) -> bool:
        return self.invoice.id in self.facts.with_plan

    def ensure_state(self) -> CollectionState:
        if self.state is None:
            self.state = CollectionState(invoice_id=self.invoice.id)
            self.facts.new_states.append(self.state)  # written by `settle`
            self.facts.started.add(self.invoice.id)
        return self.state

    def record_stop(self, reason: str) -> None:
        state = self.ensure_state()
        if state.stopped_reason == reason:
            return
        state.stopped_reason = reason
        # a final stop ends it; until a hold, dispute or question is over, every run looks
        state.next_action_on = None if reason in FINAL_STOPS else self.moment.day
        self.report.stopped += 1
        self.audit("reminder.stopped", reason=reason)

    # -- the steps ------------------------------------------------------------------------------

    def process(self) -> None:
        if self.state is not None and not self.invoice.cadence_started:
            self.facts.started.add(self.invoice.id)  # a hold set before the cadence began
        reason = self.stop_reason()
        if reason:
            self.record_stop(reason)
            return
        if self.state is not None and self.state.stopped_reason:
            # a hold or dispute was cleared: the cadence goes on from the latest step due
            self.audit("reminder.resumed", after=self.state.stopped_reason)
            self.state.stopped_reason = None
        if self.state is not None and self.state.paused_until is not None:
            self.state.paused_until = None  # the pause is over
        due = [s for s in self.steps if self.day_of(s) <= self.moment.day]
        if not due:
            self.schedule_next()
            return
        latest = max(s.day_offset for s in due)
        logs = self.logged
        if self.facts.logs is None:
            rows = db.session.scalars(db.select(ReminderLog).filter_by(invoice_id=self.invoice.id))
        else:
            rows = self.facts.logs.get(self.invoice.id, ())
        logs.update(((row.position, row.channel), row) for row in rows)
        for step in due:
            for channel in _parts(step):
                row = logs.get((step.position, channel))
                if row is not None:
                    if row.status == ReminderStatus.FAILED:
                        self.retry(step, row, superseded=step.day_offset < latest)
                    continue
                if step.day_offset < latest:
                    self.skip(step, channel, "superseded")
                elif step.day_offset < 0 and self.moment.day >= self.invoice.due_on:
                    self.skip(step, channel, "too_late")
                else:
                    self.carry_out(step, channel)
        self.schedule_next()

    def schedule_next(self) -> None:
        """Set the day the cadence next has something to do here: the earliest step not yet
        logged (today's if one is waiting), or a failed message's retry; None when none is
        left. A row whose day does not change is not written."""
        if self.state is None:
            return  # nothing started yet: the invoice is picked up as a new one
        days = [
            self.day_of(step)
            for step in self.steps
            if any((step.position, channel) not in self.logged for channel in _parts(step))
        ]
        for row in self.logged.values():
            if row.status == ReminderStatus.FAILED:
                delivery = delivery_of(row)
                if delivery is not None and delivery.next_attempt_at is not None:
                    days.append(day_of(delivery.next_attempt_at, self.zone))
        upcoming = min(days, default=None)
        if upcoming is not None and self.held:
            upcoming = min(upcoming, self.moment.day)
        if self.state.next_action_on != upcoming:
            self.state.next_action_on = upcoming

    def day_of(self, step: Step) -> date:
        return self.invoice.due_on + timedelta(days=step.day_offset)

    def carry_out(self, step: Step, channel: str) -> None:
        patient = self.patient
        if channel == CadenceChannel.CALL:
            if not patient.phone:
                self.skip(step, channel, "no_phone")
                return
            self.call_task(step)
            return
        if channel == Channel.LETTER:
            if not (patient.postal_address or "").strip():
                self.skip(step, channel, "no_address")
                return
            if self.must_wait(channel):
                return
            self.letter(step)
            return
        recipient = patient.email if channel == Channel.EMAIL else patient.phone
        if not recipient:
            self.skip(step, channel, "no_email" if channel == Channel.EMAIL else "no_phone")
            return
        if not self.consents(channel):
            self.skip(step, channel, "no_consent")
            return
        if self.must_wait(channel):
            return
        self.message(step, channel, recipient)

    def consents(self, channel: str) -> bool:
        return bool(
            self.patient.email_consent if channel == Channel.EMAIL else self.patient.sms_consent
        )

    def must_wait(self, channel: str) -> bool:
        """True (and counted as waiting) when the message cannot go out in this run."""
        quiet = channel != Channel.LETTER and not self.moment.in_window
        if self.held or quiet or self.messaged_today():
            self.held = True
            self.report.waiting += 1
            return True
        return False

    def messaged_today(self) -> bool:
        """Whether the patient already had a reminder message (any invoice) today."""
        query = (
            db.select(func.count(ReminderLog.id))
            .join(Invoice, Invoice.id == ReminderLog.invoice_id)
            .where(
                Invoice.patient_id == self.patient.id,
                ReminderLog.sent_on == self.moment.day,
                ReminderLog.channel.in_(MESSAGE_CHANNELS),
                ReminderLog.status.in_((ReminderStatus.SENT, ReminderStatus.LETTER)),
            )
        )
        return bool(db.session.scalar(query))

    def new_log(self, step: Step, channel: str, status: str, reason: str | None = None):
        values = dict(
            practice_id=self.invoice.practice_id,
            invoice_id=self.invoice.id,
            position=step.position,
            channel=channel,
            sent_on=self.moment.day,
            status=status,
            reason=reason,
        )
        if status == ReminderStatus.SENT:
            row = ReminderLog(**values)
            db.session.add(row)  # a message on its way: its row follows what becomes of it
        else:
            row = Logged(status, reason)
            self.facts.new_logs.append({**values, "created_at": utcnow()})
        state = self.ensure_state()
        if (state.last_position or 0) < step.position:
            state.last_position = step.position
        self.logged[(step.position, channel)] = row  # written with the batch's commit
        self.report.done.append((self.invoice.id, step.position, channel, status))
        return row

    def skip(self, step: Step, channel: str, reason: str) -> None:
        self.new_log(step, channel, ReminderStatus.SKIPPED, reason)
        self.report.skipped += 1

    def call_task(self, step: Step) -> None:
        self.facts.calls.append(
            dict(
                practice_id=self.invoice.practice_id,
                invoice_id=self.invoice.id,
                patient_id=self.patient.id,
                due_on=self.moment.day,
                position=step.position,
                status=CallStatus.OPEN,
                created_at=utcnow(),
            )
        )
        self.new_log(step, CadenceChannel.CALL, ReminderStatus.TASK)
        self.report.call_tasks += 1

    def letter(self, step: Step) -> None:
        delivery = self.letter_delivery(step)
        self.new_log(step, "letter", ReminderStatus.LETTER, f"{DELIVERY_REF}{delivery.id}")
        self.report.letters += 1
