"""The audit log: every state change, with who, what, when and from where."""

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from portal.clock import utcnow
from portal.extensions import db


class ActorKind(StrEnum):
    """Who caused a change (`actor_ref` says which one)."""

    #: a staff user; ref: the user's id
    STAFF = "staff"
    #: a patient; ref: the link ("link:<id>"), the SMS reply or the unsubscribe link used
    PATIENT = "patient"
    #: Saldo itself; ref: the job, the CLI command or the API key ("apikey:<id>")
    SYSTEM = "system"
    #: a Stripe event; ref: its id
    STRIPE = "stripe"


#: the kinds as plain strings, for the check constraint's SQL
ACTOR_KINDS = tuple(m.value for m in ActorKind)


class AuditEvent(db.Model):
    __table_args__ = (CheckConstraint(f"actor_kind IN {ACTOR_KINDS}", name="actor_kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    practice_id: Mapped[int] = mapped_column(ForeignKey("practice.id"), index=True)
    invoice_id: Mapped[int | None] = mapped_column(ForeignKey("invoice.id"), index=True)
    #: e.g. "invoice.created", "link.opened", "payment.succeeded"
    action: Mapped[str] = mapped_column(String(64))
    #: an `ActorKind`
    actor_kind: Mapped[str] = mapped_column(String(16))
    #: staff user id, link id, job name or Stripe event id
    actor_ref: Mapped[str | None] = mapped_column(String(255))
    ip_address: Mapped[str | None] = mapped_column(String(45))
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
