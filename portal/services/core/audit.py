"""Recording state changes in the audit log."""

from dataclasses import dataclass
from typing import Any

from portal.extensions import db
from portal.models import AuditEvent
from portal.models.audit import ActorKind


@dataclass(frozen=True)
class Actor:
    """Who caused a change: a staff user, a patient's link, the system or a Stripe event."""

    kind: ActorKind
    ref: str | None = None
    ip_address: str | None = None


SYSTEM = Actor(ActorKind.SYSTEM)


def record(
    action: str,
    *,
    practice_id: int,
    actor: Actor,
    invoice_id: int | None = None,
    **data: Any,
) -> AuditEvent:
    """Add an audit event to the current transaction (the caller commits)."""
    event = AuditEvent(
        practice_id=practice_id,
        invoice_id=invoice_id,
        action=action,
        actor_kind=actor.kind,
        actor_ref=actor.ref,
        ip_address=actor.ip_address,
        data=data,
    )
    db.session.add(event)
    return event


def timeline(invoice_id: int) -> list[AuditEvent]:
    """An invoice's audit events, oldest first."""
    query = db.select(AuditEvent).filter_by(invoice_id=invoice_id).order_by(AuditEvent.id)
    return list(db.session.scalars(query))
