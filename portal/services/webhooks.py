"""Handling Stripe events once each, whatever order and however often they arrive."""

from typing import Any

from sqlalchemy.exc import IntegrityError

from portal.extensions import db
from portal.gateways.stripe_gateway import IntentResult
from portal.models import Practice, StripeEvent
from portal.services import payments, stripe_accounts
from portal.services.audit import Actor

INTENT_EVENTS = {
    "payment_intent.succeeded",
    "payment_intent.processing",
    "payment_intent.payment_failed",
    "payment_intent.canceled",
    "payment_intent.requires_action",
}


def handle(event: dict[str, Any], practice: Practice | None = None) -> str:
    """Apply a verified event: "handled", "duplicate" or "ignored".

    `practice` is the practice whose own webhook endpoint received the event (None: the
    installation's endpoint); the event changes only payments held in that account.

    The event id is inserted in the same transaction as the change it causes, so a replay
    finds it and does nothing, and a failure leaves no trace for Stripe's retry to trip on.
    """
    event_id, event_type = event.get("id"), event.get("type")
    if not isinstance(event_id, str) or not isinstance(event_type, str):
        raise ValueError("not a Stripe event")
    if db.session.get(StripeEvent, event_id) is not None:
        return "duplicate"
    db.session.add(StripeEvent(id=event_id, type=event_type))
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        return "duplicate"
    result = "ignored"
    if event_type in INTENT_EVENTS:
        intent = IntentResult.from_stripe(event["data"]["object"])
        payment = payments.find_by_intent(intent)
        if payment is not None and not stripe_accounts.endpoint_accepts(
            practice, payment.invoice.practice
        ):
            payment = None
        if payment is not None:
            payments.apply_intent(payment, intent, Actor("stripe", event_id))
            result = "handled"
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        return "duplicate"
    return result
