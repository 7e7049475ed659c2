"""The emails and texts of an invoice's cadence: sent through a `Delivery` with a fresh
link, retried when they failed, audited."""

import logging

from flask import render_template
from sqlalchemy.exc import IntegrityError

from portal import gateways
from portal.extensions import db
from portal.gateways.sms import SmsError
from portal.i18n import rendering_in
from portal.models import Delivery, ReminderLog
from portal.services import notifications, sending
from portal.services.access import links
from portal.services.billing import ledger
from portal.services.collections import consent
from portal.services.collections.cadence_steps import CADENCE, DELIVERY_REF, Step
from portal.services.core import audit

log = logging.getLogger(__name__)


class Messages:
    """The email and text steps of `cadence_invoice.InvoiceCadence` (mixed into it)."""

    # -- emails and texts -------------------------------------------------------------------------

    def message(self, step: Step, channel: str, recipient: str) -> None:
        db.session.commit()  # a lost race below must not roll back earlier work
        delivery = Delivery(
            practice_id=self.invoice.practice_id,
            invoice_id=self.invoice.id,
            purpose="reminder",
            channel=channel,
            recipient=recipient,
            locale=self.locale,
            body="",
        )
        db.session.add(delivery)
        try:
            db.session.flush()
            row = self.new_log(step, channel, "sent", f"{DELIVERY_REF}{delivery.id}")
            db.session.flush()  # before sending: a step another run logged is not sent twice
        except IntegrityError:
            # another run logged this step first
            db.session.rollback()
            return
        self.attempt(step, row, delivery)

    def retry(self, step: Step, row: ReminderLog, superseded: bool) -> None:
        delivery = delivery_of(row)
        if delivery is None or delivery.next_attempt_at is None:
            return
        if superseded:
            delivery.next_attempt_at = None  # a later step speaks for it now
            return
        if delivery.next_attempt_at > self.now:
            return
        recipient = self.patient.email if row.channel == "email" else self.patient.phone
        if not recipient or not self.consents(row.channel):
            delivery.next_attempt_at = None
            row.status, row.reason = "skipped", "no_consent" if recipient else "no_recipient"
            self.report.skipped += 1
            return
        delivery.recipient = recipient  # the address may have been corrected meanwhile
        if self.must_wait(row.channel):
            return
        self.report.retried += 1
        self.attempt(step, row, delivery)

    @property
    def locale(self) -> str:
        return self.patient.locale or self.invoice.practice.default_locale

    def attempt(self, step: Step, row: ReminderLog, delivery: Delivery) -> None:
        invoice, patient, practice = self.invoice, self.patient, self.invoice.practice
        link, url = sending.new_link(invoice, CADENCE, self.now)
        unsubscribe = consent.unsubscribe_url(patient, "email")
        context = dict(
            patient=patient,
            practice=practice,
            invoice=invoice,
            amount_minor=ledger.balance(invoice.id),
            currency=invoice.currency,
            due_on=invoice.due_on,
            url=url,
            expires_on=link.expires_at.date(),
            unsubscribe_url=unsubscribe,
            tone=step.tone,
        )
        if delivery.channel == "sms":
            with rendering_in(delivery.locale):
                subject, text = None, render_template("messages/reminder/sms.txt", **context)
            text, html = text.strip(), None
        else:
            subject, text, html = notifications.render_email(
                f"reminder_{step.tone}", delivery.locale, **context
            )
        delivery.subject = subject
        delivery.body = text.replace(url, "[link]").replace(unsubscribe, "[unsubscribe link]")
        delivery.attempts += 1
        try:
            if delivery.channel == "sms":
                gateways.sms().send(delivery.recipient, text)
            else:
                message = notifications.build_message(
                    practice, delivery.recipient, subject, text, html
                )
                message["List-Unsubscribe"] = f"<{unsubscribe}>"
                # unfolded headers: a folded URL would be mangled into encoded words
                message.policy = message.policy.clone(max_line_length=998)
                gateways.mailer().send(message)
        except (OSError, SmsError) as exc:
            delivery.status, delivery.last_error = "failed", str(exc)[:500]
            retry = delivery.attempts <= len(sending.RETRY_AFTER)
            delivery.next_attempt_at = (
                self.now + sending.RETRY_AFTER[delivery.attempts - 1] if retry else None
            )
            links.revoke(link, CADENCE, now=self.now)
            row.status = "failed"
            self.report.failed += 1
            self.audit(
                "reminder.send_failed",
                channel=delivery.channel,
                position=step.position,
                delivery_id=delivery.id,
                attempt=delivery.attempts,
                error=delivery.last_error,
            )
        else:
            delivery.status, delivery.sent_at, delivery.next_attempt_at = "sent", self.now, None
            delivery.last_error = None
            row.status, row.sent_on = "sent", self.moment.day
            if delivery.channel == "sms":
                self.report.texts += 1
            else:
                self.report.emails += 1
            self.audit(
                "reminder.sent",
                channel=delivery.channel,
                position=step.position,
                tone=step.tone,
                delivery_id=delivery.id,
                attempt=delivery.attempts,
            )
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
