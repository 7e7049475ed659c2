"""A delinquency alert on an invoice, raised by the sweep or by money moving."""

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.models.invoice import Invoice

ALERT_KINDS = (
    "late_installment",
    "failed_charge",
    "short_payment",
    "skipped_cycle",
    "link_not_opened",
    "verification_locked",
    "missed_promise",
    "card_expiring",
    "stripe_dispute",
    "credit_held",
)


class Alert(db.Model):
    __table_args__ = (
        CheckConstraint(f"kind IN {ALERT_KINDS}", name="kind"),
        UniqueConstraint("invoice_id", "kind", "raised_on"),
        #: the open alerts of a practice: the queue and its count (migration 0024)
        Index(
            "ix_alert_open",
            "practice_id",
            "kind",
            "raised_on",
            "id",
            postgresql_where=text("resolved_at IS NULL"),
            sqlite_where=text("resolved_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    practice_id: Mapped[int] = mapped_column(ForeignKey("practice.id"), index=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoice.id"), index=True)
    kind: Mapped[str] = mapped_column(String(24))
    raised_on: Mapped[date]
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    resolved_at: Mapped[datetime | None]

    invoice: Mapped[Invoice] = relationship()
