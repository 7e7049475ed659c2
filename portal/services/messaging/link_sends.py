"""Sending a patient their private link: by staff (email or text) and by the patient, who
asks for a new one from an expired link's page."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l

from portal.clock import day_of, patient_zone, utcnow
from portal.extensions import db
from portal.models import Delivery, Invoice
from portal.models.delivery import Channel, DeliveryPurpose, DeliveryStatus
from portal.models.invoice import InvoiceStatus
from portal.services.access import links
from portal.services.collections import consent
from portal.services.core import audit
from portal.services.core.audit import Actor
from portal.services.core.refusals import RefusalCode, Refused
from portal.services.messaging import render
from portal.services.messaging.delivery import Message, deliver

#: the channels staff can send a link by
CHANNELS = (Channel.EMAIL, Channel.SMS)


class CannotSend(Refused, ValueError):
    """The link cannot be sent by that channel; the message, translated, says why."""

    code = RefusalCode.SEND


@dataclass(frozen=True)
class Rendered:
    subject: str | None
    text: str
    html: str | None


def render_link_message(invoice: Invoice, channel: str, url: str, expires_at: datetime) -> Rendered:
    """The link message for `channel` in the patient's language (the staff preview)."""
    patient, practice = invoice.patient, invoice.practice
    expires_on = day_of(expires_at, patient_zone(patient))
    context = dict(
        patient=patient, practice=practice, invoice=invoice, url=url, expires_on=expires_on
    )
    locale = patient.locale or practice.default_locale
    if channel == Channel.SMS:
        return Rendered(None, render.render_sms("link", locale, **context), None)
    return Rendered(*render.render_email("link", locale, **context))


def check_sendable(invoice: Invoice, channel: str) -> str:
    """The recipient for `channel`, or CannotSend with the reason staff should read."""
    patient = invoice.patient
    if channel not in CHANNELS:
        raise CannotSend(_l("Choose email or text message."))
    if invoice.status != InvoiceStatus.OPEN:
        raise CannotSend(_l("Only issued, unpaid invoices can be sent."))
    recipient = patient.email if channel == Channel.EMAIL else patient.phone
    if not recipient:
        if channel == Channel.EMAIL:
            raise CannotSend(_l("The patient has no email address."))
        raise CannotSend(_l("The patient has no mobile number."))
    if not consent.has_consent(patient, channel):
        raise CannotSend(_l("The patient has not agreed to be contacted this way."))
    return recipient


def send_link(
    invoice: Invoice, channel: str, actor: Actor, now: datetime | None = None
) -> Delivery:
    """Send a fresh link by `channel` (staff, the API, an alert's action); a failure is
    recorded and retried later, and outside the patient's window it waits for the window."""
    check_sendable(invoice, channel)
    return deliver(Message(DeliveryPurpose.LINK, invoice, channel), actor=actor, now=now)


def request_link(token: str, channel: str, actor: Actor, now: datetime | None = None) -> bool:
    """A patient on an expired or replaced link's page asks for a new link by `channel`,
    sent to the address on file. Whatever the outcome the patient is told the same thing;
    returns whether a message was sent (for the tests and the log). At most
    `LINK_REQUESTS_PER_DAY` per invoice in 24 hours; only for an invoice still open or paid
    (a paid one shows its receipts). The caller commits the request's record (the refused one
    included: it counts against the limit) with the delivery."""
    now = now or utcnow()
    lookup = links.resolve(token, now=now)
    if lookup.link is None or channel not in CHANNELS:
        return False
    invoice = lookup.link.invoice
    if invoice.status not in (InvoiceStatus.OPEN, InvoiceStatus.PAID):
        return False
    asked = db.session.scalar(
        db.select(db.func.count(Delivery.id)).where(
            Delivery.invoice_id == invoice.id,
            Delivery.purpose == DeliveryPurpose.LINK_REQUEST,
            Delivery.created_at > now - timedelta(days=1),
        )
    )
    if asked >= current_app.config["LINK_REQUESTS_PER_DAY"]:
        audit.record(
            "link.request_refused",
            practice_id=invoice.practice_id,
            invoice_id=invoice.id,
            actor=actor,
            channel=channel,
            reason="too_many",
        )
        return False
    delivery = deliver(
        Message(DeliveryPurpose.LINK_REQUEST, invoice, channel), actor=actor, now=now
    )
    delivery.created_at = now
    return delivery.status == DeliveryStatus.SENT
