"""What staff do about an alert: resend the link, create a call task, pause reminders, offer a
plan or a settlement, dismiss. Each writes an audit event "alert.<what>" and notes itself on
the alert; the caller (the alerts view) commits."""

from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l

from portal.clock import utcnow
from portal.extensions import db
from portal.models import Alert, CallTask, CollectionState, Delivery, Invoice, Patient
from portal.models.call_task import CallStatus
from portal.models.delivery import Channel
from portal.models.invoice import InvoiceStatus
from portal.services import messaging
from portal.services.billing import ledger
from portal.services.collections import holds
from portal.services.collections.alerts import KIND_LABELS, close
from portal.services.collections.holds import HoldRefused
from portal.services.core import audit
from portal.services.core.audit import Actor
from portal.services.core.refusals import RefusalCode, Refused
from portal.services.messaging import CannotSend
from portal.services.plans import plans


class AlertRefused(Refused, ValueError):
    code = RefusalCode.ALERT


# -- what staff do about an alert ---------------------------------------------------------------


def _check_open(alert: Alert) -> Invoice:
    if alert.resolved_at is not None:
        raise AlertRefused(_l("This alert is already resolved."))
    if alert.invoice.status != InvoiceStatus.OPEN:
        raise AlertRefused(_l("This invoice is no longer open."))
    return alert.invoice


def _noted(alert: Alert, action: str, actor: Actor, **data: Any) -> None:
    """Note a staff action on the alert and in the audit log."""
    at = utcnow().isoformat(timespec="seconds")
    alert.data = {**alert.data, "last_action": {"action": action, "at": at, "by": actor.ref}}
    audit.record(
        f"alert.{action}",
        practice_id=alert.practice_id,
        invoice_id=alert.invoice_id,
        actor=actor,
        alert_id=alert.id,
        kind=alert.kind,
        **data,
    )


def contact_channel(patient: Patient) -> str | None:
    """Email if the patient agreed to it and has an address, else text, else None."""
    if patient.email and patient.email_consent:
        return Channel.EMAIL
    if patient.phone and patient.sms_consent:
        return Channel.SMS
    return None


def _send(invoice: Invoice, actor: Actor) -> Delivery:
    channel = contact_channel(invoice.patient)
    if channel is None:
        raise AlertRefused(
            _l("The patient has not agreed to be contacted by email or text message.")
        )
    try:
        return messaging.send_link(invoice, channel, actor)
    except CannotSend as exc:
        db.session.rollback()
        raise AlertRefused(exc.args[0]) from exc


def resend_link(alert: Alert, actor: Actor) -> Delivery:
    """Send the patient a fresh link, by email if they agreed to it, else by text."""
    invoice = _check_open(alert)
    delivery = _send(invoice, actor)
    _noted(alert, "link_resent", actor, channel=delivery.channel, delivery_id=delivery.id)
    return delivery


def create_call_task(alert: Alert, actor: Actor, today: date) -> CallTask:
    """A call task for today, outside the cadence (position 0), unless one is open already."""
    invoice = _check_open(alert)
    waiting = db.select(CallTask.id).where(
        CallTask.invoice_id == invoice.id, CallTask.status == CallStatus.OPEN
    )
    if db.session.scalar(waiting.limit(1)) is not None:
        raise AlertRefused(_l("This invoice already has an open call task."))
    task = CallTask(
        practice_id=invoice.practice_id,
        invoice_id=invoice.id,
        patient_id=invoice.patient_id,
        due_on=today,
        position=0,
        status=CallStatus.OPEN,
        note=str(KIND_LABELS[alert.kind])[:500],
    )
    db.session.add(task)
    db.session.flush()
    _noted(alert, "call_task_created", actor, call_task_id=task.id)
    return task


def put_on_hold(alert: Alert, actor: Actor) -> CollectionState:
    """Pause the invoice's reminders (hold, note "alert"); a hold or dispute is left as it is."""
    invoice = _check_open(alert)
    state = db.session.get(CollectionState, invoice.id)
    if state is not None and state.hold:
        raise AlertRefused(_l("Reminders for this invoice are already paused."))
    try:
        state = holds.set_hold(invoice, "hold", "alert", actor, alert_id=alert.id)
    except HoldRefused as exc:
        db.session.rollback()
        raise AlertRefused(exc.args[0]) from exc
    _noted(alert, "held", actor)
    return state


def offer_plan(alert: Alert, actor: Actor, today: date) -> Delivery:
    """Send a fresh link so the patient can choose a plan, if the policy offers one."""
    invoice = _check_open(alert)
    if plans.active_plan(invoice) is not None:
        raise AlertRefused(_l("This invoice already has a payment plan."))
    offered = plans.allowed_counts(
        plans.policy_for(invoice.practice_id), ledger.balance(invoice.id)
    )
    if not offered:
        raise AlertRefused(_l("The practice's plan policy offers no plan for this balance."))
    delivery = _send(invoice, actor)
    _noted(
        alert,
        "plan_offered",
        actor,
        channel=delivery.channel,
        delivery_id=delivery.id,
        counts=offered,
    )
    return delivery


def offer_settlement(alert: Alert, actor: Actor) -> None:
    """Note that staff went to make a settlement offer (made on the invoice page)."""
    _check_open(alert)
    _noted(alert, "settlement_opened", actor)


def dismiss(alert: Alert, actor: Actor) -> None:
    """Resolve the alert by hand; it is not raised again for the same subject."""
    if alert.resolved_at is not None:
        raise AlertRefused(_l("This alert is already resolved."))
    close(alert, utcnow(), "dismissed", actor)
