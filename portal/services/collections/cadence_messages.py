"""The emails, texts and letters of an invoice's cadence: each goes through
`messaging.deliver` (consent re-checked, a fresh link, the one retry rule), and its
`ReminderLog` row follows what became of it."""

import logging

from sqlalchemy.exc import IntegrityError

from portal.extensions import db
from portal.models import Delivery, ReminderLog
from portal.models.delivery import Channel, DeliveryPurpose, DeliveryStatus
from portal.models.reminder_log import ReminderStatus
from portal.services.collections.cadence_steps import CADENCE, DELIVERY_REF, Step
from portal.services.core import audit
from portal.services.messaging import delivery as messaging

log = logging.getLogger(__name__)


class Messages:
    """The email, text and letter steps of `cadence_invoice.InvoiceCadence` (mixed into it)."""

    def message(self, step: Step, channel: str, recipient: str) -> None:
        self.facts.settle()
        db.session.commit()  # a lost race below must not roll back earlier work
        delivery = messaging.prepare(self.reminder(step, channel))
        try:
            row = self.new_log(step, channel, ReminderStatus.SENT, f"{DELIVERY_REF}{delivery.id}")
            db.session.flush()  # before sending: a step another run logged is not sent twice
        except IntegrityError:
            # another run logged this step first
            db.session.rollback()
            return
        self.attempt(row, delivery)

    def reminder(self, step: Step, channel: str) -> messaging.Message:
        refs = {"tone": step.tone, "position": step.position}
        return messaging.Message(DeliveryPurpose.REMINDER, self.invoice, channel, refs)

    def letter_delivery(self, step: Step) -> Delivery:
        """The letter's delivery: handed to the day's print batch."""
        return messaging.deliver(self.reminder(step, "letter"), actor=CADENCE, now=self.now)

    def retry(self, step: Step, row: ReminderLog, superseded: bool) -> None:
        delivery = delivery_of(row)
        if delivery is None or delivery.next_attempt_at is None:
            return
        if superseded:
            delivery.next_attempt_at = None  # a later step speaks for it now
            return
        if delivery.next_attempt_at > self.now:
            return
        recipient = self.patient.email if row.channel == Channel.EMAIL else self.patient.phone
        if not recipient or not self.consents(row.channel):
            delivery.next_attempt_at = None
            row.status = ReminderStatus.SKIPPED
            row.reason = "no_consent" if recipient else "no_recipient"
            self.report.skipped += 1
            return
        if self.must_wait(row.channel):
            return
        self.report.retried += 1
        self.attempt(row, delivery)

    @property
    def locale(self) -> str:
        return self.patient.locale or self.invoice.practice.default_locale

    def attempt(self, row: ReminderLog, delivery: Delivery) -> None:
        """Send (or resend) the reminder through `messaging`, which re-checks consent and
        renders it with a fresh link; the window was checked by this run's clock."""
        messaging.go(delivery, self.invoice, CADENCE, self.now, in_window=True)
        if delivery.status == DeliveryStatus.SENT:
            row.status, row.sent_on = ReminderStatus.SENT, self.moment.day
            if delivery.channel == Channel.SMS:
                self.report.texts += 1
            else:
                self.report.emails += 1
        elif delivery.status == DeliveryStatus.SKIPPED:
            row.status = ReminderStatus.SKIPPED
            self.report.skipped += 1
        else:
            row.status = ReminderStatus.FAILED
            self.report.failed += 1
        db.session.flush()

    def audit(self, action: str, **data) -> None:
        audit.record(
            action,
            practice_id=self.invoice.practice_id,
            invoice_id=self.invoice.id,
            actor=CADENCE,
            **data,
        )


def delivery_of(row: ReminderLog) -> Delivery | None:
    reason = row.reason or ""
    if not reason.startswith(DELIVERY_REF) or not reason[len(DELIVERY_REF) :].isdigit():
        return None
    return db.session.get(Delivery, int(reason[len(DELIVERY_REF) :]))
