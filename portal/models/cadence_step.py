"""A step of a practice's reminder cadence."""

from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import db


class CadenceChannel(StrEnum):
    """What a cadence step does: a call task for staff, or a message on one `Channel`."""

    CALL = "call"
    SMS = "sms"
    EMAIL = "email"
    LETTER = "letter"


class CadenceTone(StrEnum):
    """How firmly a step's message is worded, mildest first; picks the message template."""

    COURTESY = "courtesy"
    FRIENDLY = "friendly"
    FIRM = "firm"
    FIRMER = "firmer"
    FINAL = "final"


#: the step channels and tones as plain strings, for the check constraints' SQL
CADENCE_CHANNELS = tuple(m.value for m in CadenceChannel)
CADENCE_TONES = tuple(m.value for m in CadenceTone)


class CadenceStep(db.Model):
    """One step of a practice's reminder cadence; none stored = the default 3-3-3 cadence."""

    __table_args__ = (
        UniqueConstraint("practice_id", "position"),
        CheckConstraint(f"channel IN {CADENCE_CHANNELS}", name="channel"),
        CheckConstraint(f"tone IN {CADENCE_TONES}", name="tone"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    practice_id: Mapped[int] = mapped_column(ForeignKey("practice.id"), index=True)
    position: Mapped[int]
    #: a `CadenceChannel`
    channel: Mapped[str] = mapped_column(String(8))
    #: days after the due date (negative: before it, for the courtesy reminder)
    day_offset: Mapped[int]
    #: a `CadenceTone`
    tone: Mapped[str] = mapped_column(String(16))
