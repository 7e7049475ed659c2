"""Sending a patient their private link by email or text, in the patient's language.

Each send issues a fresh link and revokes the earlier ones, so a forwarded old message stops
working. Tokens are never stored: a failed message is retried with a new link. Outside the
patient's quiet-hours window a message waits (queued) until the window opens; consent and
the window are checked again before every attempt, retries included.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app, render_template
from flask_babel import lazy_gettext as _l

from portal import gateways
from portal.clock import utcnow
from portal.extensions import db
from portal.gateways import qr
from portal.gateways.sms import SmsError
from portal.i18n import rendering_in
from portal.models import Delivery, Invoice, PaymentLink
from portal.services.access import links
from portal.services.collections import quiet_hours
from portal.services.core import audit
from portal.services.core.audit import SYSTEM, Actor
from portal.services.notifications import build_message

CHANNELS = ("email", "sms")
RETRY_AFTER = (timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2), timedelta(hours=8))


class CannotSend(ValueError):
    pass


@dataclass(frozen=True)
class Rendered:
    subject: str | None
    text: str
    html: str | None


def render_link_message(invoice: Invoice, channel: str, url: str, expires_at: datetime) -> Rendered:
    """The link message for `channel` in the patient's language."""
    patient, practice = invoice.patient, invoice.practice
    context = dict(
        patient=patient, practice=practice, invoice=invoice, url=url, expires_on=expires_at.date()
    )
    with rendering_in(patient.locale or practice.default_locale):
        if channel == "sms":
            return Rendered(None, render_template("messages/link/sms.txt", **context).strip(), None)
        return Rendered(
            render_template("messages/link/subject.txt", **context).strip(),
            render_template("messages/link/email.txt", **context),
            render_template("messages/link/email.html", **context),
        )


def check_sendable(invoice: Invoice, channel: str) -> str:
    """The recipient for `channel`, or CannotSend with the reason staff should read."""
    patient = invoice.patient
    if channel not in CHANNELS:
        raise CannotSend(_l("Choose email or text message."))
    if invoice.status != "open":
        raise CannotSend(_l("Only issued, unpaid invoices can be sent."))
    recipient = patient.email if channel == "email" else patient.phone
    if not recipient:
        if channel == "email":
            raise CannotSend(_l("The patient has no email address."))
        raise CannotSend(_l("The patient has no mobile number."))
    if not (patient.email_consent if channel == "email" else patient.sms_consent):
        raise CannotSend(_l("The patient has not agreed to be contacted this way."))
    return recipient


def new_link(
    invoice: Invoice, actor: Actor, now: datetime | None = None
) -> tuple[PaymentLink, str]:
    """Revoke the invoice's live links and issue a new one; returns (link, full URL)."""
    now = now or utcnow()
    live = db.select(PaymentLink).where(
        PaymentLink.invoice_id == invoice.id,
        PaymentLink.revoked_at.is_(None),
        PaymentLink.expires_at > now,
    )
    for old in db.session.scalars(live):
        links.revoke(old, actor, now=now)
    lifetime = timedelta(days=current_app.config["LINK_LIFETIME_DAYS"])
    link, token = links.issue(invoice, actor, lifetime=lifetime, now=now)
    return link, f"{current_app.config['PORTAL_BASE_URL'].rstrip('/')}/p/{token}"


def send_link(
    invoice: Invoice, channel: str, actor: Actor, now: datetime | None = None
) -> Delivery:
    """Send a fresh link by `channel`; a delivery failure is recorded and retried later,
    and outside the patient's window it waits until the window opens."""
    recipient = check_sendable(invoice, channel)
    delivery = Delivery(
        practice_id=invoice.practice_id,
        invoice_id=invoice.id,
        purpose="link",
        channel=channel,
        recipient=recipient,
        locale=invoice.patient.locale or invoice.practice.default_locale,
        body="",
    )
    db.session.add(delivery)
    if not _held(delivery, invoice, actor, now or utcnow()):
        _attempt(delivery, invoice, actor, now)
    return delivery


def _held(delivery: Delivery, invoice: Invoice, actor: Actor, now: datetime) -> bool:
    """Queue the delivery until the patient's window opens; True when it must wait."""
    opens = None
    if current_app.config.get("LINK_QUIET_HOURS", True):
        opens = quiet_hours.opens_at(invoice.patient, now)
    if opens is None:
        return False
    delivery.status, delivery.next_attempt_at = "queued", opens
    db.session.flush()
    audit.record(
        "link.held",
        practice_id=invoice.practice_id,
        invoice_id=invoice.id,
        actor=actor,
        channel=delivery.channel,
        delivery_id=delivery.id,
        until=opens.isoformat(timespec="minutes"),
    )
    return True


def _attempt(
    delivery: Delivery, invoice: Invoice, actor: Actor, now: datetime | None = None
) -> None:
    now = now or utcnow()
    link, url = new_link(invoice, actor, now)
    rendered = render_link_message(invoice, delivery.channel, url, link.expires_at)
    delivery.subject = rendered.subject
    delivery.body = rendered.text.replace(url, "[link]")
    delivery.attempts += 1
    try:
        if delivery.channel == "sms":
            gateways.sms().send(delivery.recipient, rendered.text)
        else:
            message = build_message(
                invoice.practice, delivery.recipient, rendered.subject, rendered.text, rendered.html
            )
            gateways.mailer().send(message)
    except (OSError, SmsError) as exc:
        delivery.status = "failed"
        delivery.last_error = str(exc)[:500]
        retry = delivery.attempts <= len(RETRY_AFTER)
        delivery.next_attempt_at = now + RETRY_AFTER[delivery.attempts - 1] if retry else None
        links.revoke(link, SYSTEM, now=now)
    else:
        delivery.status, delivery.sent_at, delivery.next_attempt_at = "sent", now, None
        delivery.last_error = None
    db.session.flush()
    audit.record(
        "link.sent" if delivery.status == "sent" else "link.send_failed",
        practice_id=invoice.practice_id,
        invoice_id=invoice.id,
        actor=actor,
        channel=delivery.channel,
        delivery_id=delivery.id,
        attempt=delivery.attempts,
        error=delivery.last_error,
    )


def retry_due(now: datetime | None = None) -> int:
    """Retry failed link messages whose time has come; returns how many were tried."""
    now = now or utcnow()
    due = db.select(Delivery).where(
        Delivery.status.in_(("failed", "queued")),
        Delivery.purpose == "link",
        Delivery.next_attempt_at.is_not(None),
        Delivery.next_attempt_at <= now,
    )
    tried = 0
    for delivery in db.session.scalars(due).all():
        invoice = db.session.get(Invoice, delivery.invoice_id)
        if invoice is None or invoice.status != "open":
            delivery.next_attempt_at = None
            continue
        try:
            delivery.recipient = check_sendable(invoice, delivery.channel)
        except CannotSend as exc:  # opted out (or lost the address) since: never sent
            delivery.status, delivery.next_attempt_at = "failed", None
            delivery.last_error = str(exc)[:500]
            continue
        if _held(delivery, invoice, Actor("system", "retry"), now):
            continue
        _attempt(delivery, invoice, Actor("system", "retry"), now)
        tried += 1
    db.session.commit()
    return tried


def qr_svg(url: str) -> str:
    """An SVG QR code of `url`, for the patient to scan at the desk."""
    return qr.svg(url)
