"""A patient's consent (or its withdrawal): to a contact channel, to attachments, to electronic
records."""

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from portal.clock import utcnow
from portal.extensions import db


class ConsentRecord(db.Model):
    """A change of a patient's consent (to a contact channel, to attachments, to electronic
    records), with the text shown."""

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"), index=True)
    #: "email", "sms" (may contact), "attachments" (documents as email attachments),
    #: "esign" (electronic records; withdrawn = records on paper)
    channel: Mapped[str] = mapped_column(String(16))
    granted: Mapped[bool]
    #: "sms_stop", "sms_start", "email_unsubscribe", "staff", "api", "csv", "patient_page"
    source: Mapped[str] = mapped_column(String(32))
    text_shown: Mapped[str] = mapped_column(Text)
    #: who made the change: "staff:12", "system:apikey:3", "patient:link:5"
    recorded_by: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
