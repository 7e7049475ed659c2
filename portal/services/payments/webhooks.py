"""Handling Stripe events once each, whatever order and however often they arrive.

An event is applied only to the payment that holds the Stripe object it names (the
PaymentIntent id, or the PaymentIntent of the charge, refund or dispute); metadata is never
proof. Events Saldo has no use for, and events for objects it does not hold, are
acknowledged and ignored. A body that is not a Stripe event raises `MalformedEvent`.
"""

from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from portal.extensions import db
from portal.gateways.stripe_gateway import IntentResult
from portal.models import Practice, StripeEvent
from portal.models.audit import ActorKind
from portal.services.core.audit import Actor
from portal.services.core.refusals import RefusalCode, Refused
from portal.services.payments import disputes, payments, refunds, stripe_accounts

INTENT_EVENTS = {
    "payment_intent.succeeded",
    "payment_intent.processing",
    "payment_intent.payment_failed",
    "payment_intent.canceled",
    "payment_intent.requires_action",
}
REFUND_EVENTS = {"refund.created", "refund.updated", "refund.failed", "charge.refund.updated"}
DISPUTE_EVENTS = {
    "charge.dispute.created",
    "charge.dispute.updated",
    "charge.dispute.closed",
    "charge.dispute.funds_withdrawn",
    "charge.dispute.funds_reinstated",
}


class MalformedEvent(Refused, ValueError):
    """The body is JSON but not a Stripe event Saldo can read (the endpoint answers 400)."""

    code = RefusalCode.STRIPE_EVENT


def _object_of(event: Any) -> tuple[str, str, dict[str, Any]]:
    if not isinstance(event, dict):
        raise MalformedEvent(_l("A Stripe event is a JSON object."))
    event_id, event_type, data = event.get("id"), event.get("type"), event.get("data")
    if not isinstance(event_id, str) or not event_id or not isinstance(event_type, str):
        raise MalformedEvent(_l("A Stripe event has a string id and type."))
    if not isinstance(data, dict) or not isinstance(data.get("object"), dict):
        raise MalformedEvent(_l("A Stripe event has a data.object."))
    obj = data["object"]
    if not isinstance(obj.get("id"), str):
        raise MalformedEvent(_l("The data.object of a Stripe event has an id."))
    return event_id, event_type, obj


def handle(event: Any, practice: Practice | None = None) -> str:
    """Apply a verified event: "handled", "duplicate" or "ignored".

    `practice` is the practice whose own webhook endpoint received the event (None: the
    installation's endpoint); the event changes only payments held in that account.

    The event id is inserted in the same transaction as the change it causes, so a replay
    finds it and does nothing, and a failure leaves no trace for Stripe's retry to trip on.
    """
    event_id, event_type, obj = _object_of(event)
    db.session.add(StripeEvent(id=event_id, type=event_type))
    try:
        db.session.flush()  # a replay stops here, on the event id's primary key
    except IntegrityError:
        db.session.rollback()
        return "duplicate"
    actor = Actor(ActorKind.STRIPE, event_id)
    try:
        with stripe_accounts.receiving(practice):
            announce = _apply(event_type, obj, actor)
        # the event id and its change commit together: a replay finds it
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        return "duplicate"
    except (KeyError, TypeError, ValueError) as exc:
        db.session.rollback()
        raise MalformedEvent(str(exc)) from exc
    if announce is None:
        return "ignored"
    announce()
    return "handled"


def _apply(event_type: str, obj: dict[str, Any], actor: Actor):
    """Make the change in the open transaction; returns what to announce after the commit,
    or None if the event concerns nothing Saldo holds."""
    if event_type in INTENT_EVENTS:
        intent = IntentResult.from_stripe(obj)
        payment = payments.find_by_intent(intent)
        if payment is None:
            return None
        payments.apply_intent(payment, intent, actor)
        return lambda: None
    if event_type in REFUND_EVENTS:
        return refunds.from_stripe(obj, actor)
    if event_type == "charge.refunded":
        return refunds.from_charge(obj, actor)
    if event_type in DISPUTE_EVENTS:
        return disputes.from_stripe(event_type, obj, actor)
    return None
