"""`deliver`: the one way a message leaves Saldo, and `retry_due`, its one retry rule.

Every email, text and letter is a `Delivery` row. `deliver` checks, at this moment, that the
message may go (address on file, consent for the channel, not an electronic record for a
patient on paper), waits for the patient's quiet hours where the purpose says so
(`purposes`), renders it in the recipient's language with a fresh link when it carries one,
sends it through the gateway and records what happened. When it was sent, the invoice's older
links are revoked as replaced; when it failed, its own new link is revoked and the message is
tried again on `RETRY_AFTER`, with every check made again.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from flask import current_app
from sqlalchemy import update

from portal import gateways
from portal.clock import day_of, patient_zone, utcnow
from portal.extensions import db
from portal.gateways.sms import SmsError
from portal.models import Delivery, Installment, Invoice, Payment, Plan
from portal.models.audit import ActorKind
from portal.models.cadence_step import CadenceTone
from portal.models.delivery import Channel, DeliveryPurpose, DeliveryStatus
from portal.models.invoice import InvoiceStatus
from portal.services.access import links
from portal.services.billing import ledger
from portal.services.collections import consent, quiet_hours
from portal.services.core import audit
from portal.services.core.audit import SYSTEM, Actor
from portal.services.messaging import linking, render, staff
from portal.services.messaging.purposes import (
    NOT_CONFIGURED_WAIT,
    PURPOSES,
    Purpose,
    retry_at,
)

#: how long a retry claims a message, so two workers never try the same one at once
CLAIM = timedelta(minutes=5)
RETRIER = Actor(ActorKind.SYSTEM, "retry")


@dataclass(frozen=True)
class Message:
    """What to send: a purpose (`purposes.PURPOSES`), the invoice it is about, the channel,
    and the references its templates need (payment_id, plan_id, installment_id, next_on,
    tone, position), kept on the delivery so a retry renders it again."""

    purpose: str
    invoice: Invoice
    channel: str = Channel.EMAIL
    refs: dict = field(default_factory=dict)


def deliver(
    message: Message,
    *,
    actor: Actor = SYSTEM,
    now: datetime | None = None,
    in_window: bool | None = None,
) -> Delivery:
    """Send `message` now, or hold it for the patient's window, or record why it cannot go;
    returns its `Delivery` (status sent, queued, failed or skipped). A failure to send is
    recorded and retried later, never raised. `in_window=True` says the caller has just
    checked the patient's window at its own clock (the reminder cadence). Part of the
    caller's transaction."""
    delivery = prepare(message)
    go(delivery, message.invoice, actor, now or utcnow(), in_window)
    return delivery


def prepare(message: Message) -> Delivery:
    """The `Delivery` row of `message`, not tried yet (for callers that must reference it
    before sending, like the cadence's log); `go` sends it."""
    invoice, purpose = message.invoice, PURPOSES[message.purpose]
    delivery = Delivery(
        practice_id=invoice.practice_id,
        invoice_id=invoice.id,
        purpose=purpose.name,
        channel=message.channel,
        recipient="",
        locale=_locale(purpose, invoice, message.refs),
        body="",
        payload=dict(message.refs),
        status=DeliveryStatus.QUEUED,
    )
    db.session.add(delivery)
    db.session.flush()
    return delivery


def go(
    delivery: Delivery,
    invoice: Invoice,
    actor: Actor,
    now: datetime,
    in_window: bool | None = None,
) -> None:
    """Check, hold or send `delivery` (a first attempt or a retry)."""
    purpose = PURPOSES[delivery.purpose]
    recipient, reason = recipient_of(purpose, invoice, delivery.channel)
    if reason:
        delivery.status, delivery.next_attempt_at, delivery.last_error = (
            DeliveryStatus.SKIPPED,
            None,
            reason,
        )
        _audit(delivery, invoice, actor, f"{purpose.audit_prefix}.skipped", reason=reason)
        return
    delivery.recipient = recipient
    if not in_window and _held(delivery, purpose, invoice, actor, now):
        return
    _attempt(delivery, purpose, invoice, actor, now)


def recipient_of(purpose: Purpose, invoice: Invoice, channel: str) -> tuple[str, str | None]:
    """(address, None), or ("", why the message cannot go to anyone now)."""
    patient, practice = invoice.patient, invoice.practice
    if purpose.to_practice:
        return (practice.email, None) if practice.email else ("", "no_address")
    if purpose.open_only and invoice.status != InvoiceStatus.OPEN:
        return "", "invoice_closed"
    if channel == Channel.LETTER:
        address = (patient.postal_address or "").strip()
        return (address, None) if address else ("", "no_address")
    address = patient.email if channel == Channel.EMAIL else patient.phone
    if not address:
        return "", "no_email" if channel == Channel.EMAIL else "no_phone"
    if not consent.has_consent(patient, channel):
        return "", "no_consent"
    if purpose.record and patient.paper_records:
        return "", "paper_records"
    return address, None


def _locale(purpose: Purpose, invoice: Invoice, refs: dict) -> str:
    if purpose.to_practice:
        return invoice.practice.default_locale
    plan = db.session.get(Plan, refs["plan_id"]) if refs.get("plan_id") else None
    if plan is not None:
        return plan.language
    return invoice.patient.locale or invoice.practice.default_locale


def _held(
    delivery: Delivery, purpose: Purpose, invoice: Invoice, actor: Actor, now: datetime
) -> bool:
    """Hold the message until the patient's window opens; True when it must wait."""
    if purpose.patient_asked or purpose.to_practice or delivery.channel == Channel.LETTER:
        return False
    if not current_app.config.get("LINK_QUIET_HOURS", True):
        return False
    opens = quiet_hours.opens_at(invoice.patient, now)
    if opens is None:
        return False
    delivery.status, delivery.next_attempt_at = DeliveryStatus.QUEUED, opens
    _audit(
        delivery,
        invoice,
        actor,
        f"{purpose.audit_prefix}.held",
        until=opens.isoformat(timespec="minutes"),
    )
    return True


def _attempt(
    delivery: Delivery, purpose: Purpose, invoice: Invoice, actor: Actor, now: datetime
) -> None:
    if delivery.channel == Channel.LETTER:  # handed to the day's print batch
        delivery.attempts += 1
        delivery.status, delivery.sent_at, delivery.next_attempt_at = DeliveryStatus.SENT, now, None
        _audit(delivery, invoice, actor, purpose.sent_action or f"{purpose.name}.sent")
        return
    if delivery.channel == Channel.EMAIL and not gateways.mailer().configured:
        delivery.status, delivery.next_attempt_at = DeliveryStatus.QUEUED, now + NOT_CONFIGURED_WAIT
        delivery.last_error = "email is not configured"
        db.session.flush()
        return
    context = _context(delivery, invoice)
    link = None
    if purpose.link:
        link, context["url"] = linking.fresh_link(invoice, actor, now, purpose.lands_on)
        context["expires_on"] = day_of(link.expires_at, patient_zone(invoice.patient))
    delivery.attempts += 1
    try:
        subject, text = _send(delivery, purpose, context)
    except (OSError, SmsError) as exc:
        delivery.status, delivery.last_error = DeliveryStatus.FAILED, str(exc)[:500]
        delivery.next_attempt_at = retry_at(delivery.attempts, now)
        if link is not None:
            links.revoke(link, SYSTEM, now=now)
        action = f"{purpose.audit_prefix}.send_failed"
        if purpose.name == "receipt":
            action = "receipt.email_failed"
        _audit(delivery, invoice, actor, action, error=delivery.last_error)
        return
    delivery.subject = subject
    delivery.body = _redacted(text, context)
    delivery.status, delivery.sent_at, delivery.next_attempt_at = DeliveryStatus.SENT, now, None
    delivery.last_error = None
    if link is not None:
        linking.replace_older(invoice, link, actor, now)
    _audit(delivery, invoice, actor, purpose.sent_action or f"{purpose.name}.sent")


def _context(delivery: Delivery, invoice: Invoice) -> dict:
    """What the templates of `delivery` need, loaded from its references."""
    refs = delivery.payload or {}
    context: dict = dict(
        invoice=invoice,
        patient=invoice.patient,
        practice=invoice.practice,
        amount_minor=ledger.balance(invoice.id),
        currency=invoice.currency,
        due_on=invoice.due_on,
        tone=refs.get("tone", CadenceTone.FRIENDLY),
        base_url=linking.base_url(),
        installment=None,
    )
    for key, model in (("payment", Payment), ("plan", Plan), ("installment", Installment)):
        if refs.get(f"{key}_id"):
            context[key] = db.session.get(model, refs[f"{key}_id"])
    if refs.get("next_on"):
        context["next_on"] = date.fromisoformat(refs["next_on"])
    if delivery.purpose == DeliveryPurpose.REMINDER and delivery.channel == Channel.EMAIL:
        context["unsubscribe_url"] = consent.unsubscribe_url(invoice.patient, Channel.EMAIL)
    return context


def _send(delivery: Delivery, purpose: Purpose, context: dict) -> tuple[str | None, str]:
    """Render and hand the message to its gateway; returns (subject, text) as sent."""
    if delivery.channel == Channel.SMS:
        text = render.render_sms(purpose.sms, delivery.locale, **context)
        gateways.sms().send(delivery.recipient, text)
        return None, text
    attachment = _attachment(delivery, context)
    name = purpose.email or f"reminder_{context['tone']}"
    subject, text, html = render.render_email(name, delivery.locale, **context)
    message = render.build_message(context["practice"], delivery.recipient, subject, text, html)
    if "unsubscribe_url" in context:
        message["List-Unsubscribe"] = f"<{context['unsubscribe_url']}>"
        # unfolded headers: a folded URL would be mangled into encoded words
        message.policy = message.policy.clone(max_line_length=998)
    if attachment is not None:
        filename, data = attachment
        message.add_attachment(data, maintype="application", subtype="pdf", filename=filename)
    gateways.mailer().send(message)
    return subject, text


def _attachment(delivery: Delivery, context: dict) -> tuple[str, bytes] | None:
    """The receipt or the sealed agreement, attached only for patients who asked for it
    (by default an email carries the link, not health details)."""
    from portal.services.billing import receipts
    from portal.services.plans import agreements

    attached = context["patient"].email_attachments
    context["attached"] = attached
    if delivery.purpose == DeliveryPurpose.RECEIPT and attached:
        payment = context["payment"]
        return receipts.filename(payment, delivery.locale), receipts.render_pdf(
            payment, delivery.locale
        )
    if delivery.purpose == DeliveryPurpose.PLAN_ACTIVE:
        plan = context["plan"]
        pdf = agreements.finalize(plan)  # sealed once; the stored PDF afterwards
        return (agreements.filename(plan), pdf) if attached else None
    return None


def _redacted(text: str, context: dict) -> str:
    """The text as recorded: no link token, no unsubscribe token."""
    if context.get("url"):
        text = text.replace(context["url"], "[link]")
    if context.get("unsubscribe_url"):
        text = text.replace(context["unsubscribe_url"], "[unsubscribe link]")
    return text


def _audit(delivery: Delivery, invoice: Invoice, actor: Actor, action: str, **data) -> None:
    db.session.flush()
    refs = {k: v for k, v in (delivery.payload or {}).items() if k in ("position", "tone")}
    audit.record(
        action,
        practice_id=invoice.practice_id,
        invoice_id=invoice.id,
        actor=actor,
        channel=delivery.channel,
        delivery_id=delivery.id,
        attempt=delivery.attempts,
        **refs,
        **data,
    )


def retry_due(now: datetime | None = None) -> int:
    """Try again every held or failed message whose time has come (reminders excepted: the
    cadence retries those with its steps, by the same rule); returns how many were tried.
    Each is claimed first, so any number of workers try it once. Commits."""
    now = now or utcnow()
    due = (
        db.select(Delivery.id, Delivery.next_attempt_at)
        .where(
            Delivery.status.in_((DeliveryStatus.FAILED, DeliveryStatus.QUEUED)),
            Delivery.purpose != DeliveryPurpose.REMINDER,
            Delivery.next_attempt_at.is_not(None),
            Delivery.next_attempt_at <= now,
        )
        .order_by(Delivery.next_attempt_at, Delivery.id)
    )
    tried = 0
    for delivery_id, seen in db.session.execute(due).all():
        if not _claim(delivery_id, seen, now):
            continue
        delivery = db.session.get(Delivery, delivery_id)
        if delivery.purpose in staff.PURPOSES:
            staff.go(delivery, now)
            tried += delivery.status in (DeliveryStatus.SENT, DeliveryStatus.FAILED)
            db.session.commit()  # as below: the message was sent (or failed)
            continue
        invoice = db.session.get(Invoice, delivery.invoice_id)
        if invoice is None or (
            delivery.purpose == DeliveryPurpose.LINK and invoice.status != InvoiceStatus.OPEN
        ):
            delivery.next_attempt_at = None
        else:
            go(delivery, invoice, RETRIER, now)
            tried += delivery.status in (DeliveryStatus.SENT, DeliveryStatus.FAILED)
        # per delivery: the message was sent (or failed) and must be recorded as such
        db.session.commit()
    return tried


def _claim(delivery_id: int, seen: datetime, now: datetime) -> bool:
    result = db.session.execute(
        update(Delivery)
        .where(Delivery.id == delivery_id, Delivery.next_attempt_at == seen)
        .values(next_attempt_at=now + CLAIM)
        .execution_options(synchronize_session=False)
    )
    # the claim is durable before the message is sent, so another worker skips it
    db.session.commit()
    return result.rowcount == 1
