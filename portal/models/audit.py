"""The audit log: every state change, with who, what, when and from where."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from portal.clock import utcnow
from portal.extensions import db

ACTOR_KINDS = ("staff", "patient", "system", "stripe")


class AuditEvent(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    practice_id: Mapped[int] = mapped_column(ForeignKey("practice.id"), index=True)
    invoice_id: Mapped[int | None] = mapped_column(ForeignKey("invoice.id"), index=True)
    #: e.g. "invoice.created", "link.opened", "payment.succeeded"
    action: Mapped[str] = mapped_column(String(64))
    #: one of ACTOR_KINDS
    actor_kind: Mapped[str] = mapped_column(String(16))
    #: staff user id, link id, job name or Stripe event id
    actor_ref: Mapped[str | None] = mapped_column(String(255))
    ip_address: Mapped[str | None] = mapped_column(String(45))
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
