"""Every message sent (links, reminders, receipts, plan notices, letters) and what became of it."""

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from portal.clock import utcnow
from portal.extensions import db


class DeliveryStatus(StrEnum):
    """queued: not sent yet (or waiting for its retry); sent; failed: retried by the one rule
    until it gives up; skipped: not to be sent (opted out, no address...)."""

    QUEUED = "queued"
    SENT = "sent"
    FAILED = "failed"
    SKIPPED = "skipped"


class Channel(StrEnum):
    """How a message reaches a patient (or the practice)."""

    EMAIL = "email"
    SMS = "sms"
    LETTER = "letter"


class DeliveryPurpose(StrEnum):
    """What a message is (`services.messaging.purposes.PURPOSES` says how each is sent)."""

    LINK = "link"
    LINK_REQUEST = "link_request"
    REMINDER = "reminder"
    RECEIPT = "receipt"
    PLAN_ACTIVE = "plan_active"
    INSTALLMENT_UPCOMING = "installment_upcoming"
    INSTALLMENT_FAILED = "installment_failed"
    INSTALLMENT_AUTHENTICATE = "installment_authenticate"
    PLAN_PAST_DUE = "plan_past_due"
    PRACTICE_PLAN_PAST_DUE = "practice_plan_past_due"
    QUESTION_ANSWERED = "question_answered"


#: the channels and statuses as plain strings, for the check constraints' SQL
CHANNELS = tuple(m.value for m in Channel)
DELIVERY_STATUSES = tuple(m.value for m in DeliveryStatus)


class Delivery(db.Model):
    __table_args__ = (
        CheckConstraint(f"channel IN {CHANNELS}", name="channel"),
        CheckConstraint(f"status IN {DELIVERY_STATUSES}", name="status"),
        Index("ix_delivery_retry", "status", "next_attempt_at"),
        Index("ix_delivery_purpose_sent", "purpose", "sent_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    practice_id: Mapped[int] = mapped_column(ForeignKey("practice.id"), index=True)
    invoice_id: Mapped[int | None] = mapped_column(ForeignKey("invoice.id"), index=True)
    #: what was sent: a `DeliveryPurpose`
    purpose: Mapped[str] = mapped_column(String(32))
    #: a `Channel`
    channel: Mapped[str] = mapped_column(String(8))
    recipient: Mapped[str] = mapped_column(String(254))
    locale: Mapped[str] = mapped_column(String(5))
    subject: Mapped[str | None] = mapped_column(String(300))
    #: the text as sent, with the link token replaced by "[link]"
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(8), default=DeliveryStatus.QUEUED.value)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
    next_attempt_at: Mapped[datetime | None]
    #: what the message is about (template, payment, plan, installment, tone...), enough to
    #: render it again for a retry
    payload: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class IdempotentResponse(db.Model):
    """The answer given to an API POST with an Idempotency-Key, replayed for the same key."""

    __tablename__ = "idempotent_response"

    id: Mapped[int] = mapped_column(primary_key=True)
    api_key_id: Mapped[int] = mapped_column(ForeignKey("api_key.id"))
    key: Mapped[str] = mapped_column(String(255))
    #: SHA-256 of method, path and body: the same key with another request is refused
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int]
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (db.UniqueConstraint("api_key_id", "key"),)
