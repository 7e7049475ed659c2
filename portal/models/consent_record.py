"""A patient's consent (or its withdrawal): to a contact channel, to attachments, to electronic
records."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from portal.clock import utcnow
from portal.extensions import db


class ConsentChannel(StrEnum):
    """What a patient consents to."""

    #: may be contacted by email
    EMAIL = "email"
    #: may be contacted by text message
    SMS = "sms"
    #: documents as email attachments
    ATTACHMENTS = "attachments"
    #: electronic records (withdrawn: records on paper)
    ESIGN = "esign"


class ConsentSource(StrEnum):
    """Where a consent change was made."""

    SMS_STOP = "sms_stop"
    SMS_START = "sms_start"
    EMAIL_UNSUBSCRIBE = "email_unsubscribe"
    STAFF = "staff"
    API = "api"
    CSV = "csv"
    PATIENT_PAGE = "patient_page"


#: the channels as plain strings, for the check constraint's SQL
CONSENT_CHANNELS = tuple(m.value for m in ConsentChannel)


class ConsentRecord(db.Model):
    """A change of a patient's consent (to a contact channel, to attachments, to electronic
    records), with the text shown."""

    __table_args__ = (CheckConstraint(f"channel IN {CONSENT_CHANNELS}", name="channel"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"), index=True)
    #: a `ConsentChannel`
    channel: Mapped[str] = mapped_column(String(16))
    granted: Mapped[bool]
    #: a `ConsentSource`
    source: Mapped[str] = mapped_column(String(32))
    text_shown: Mapped[str] = mapped_column(Text)
    #: who made the change: "staff:12", "system:apikey:3", "patient:link:5"
    recorded_by: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
