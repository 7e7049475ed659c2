"""A practice's reminder cadence (its `CadenceStep` rows, or the 3-3-3 default) and the
vocabulary of a run: the send window, what stops a cadence for good, what a run reports."""

import logging
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from datetime import date, time
from zoneinfo import ZoneInfo

from portal.extensions import db
from portal.models import CadenceStep
from portal.models.audit import ActorKind
from portal.models.cadence_step import CadenceChannel, CadenceTone
from portal.models.collection_state import StopReason
from portal.models.delivery import Channel
from portal.models.plan import PlanStatus
from portal.services.collections.quiet_hours import SEND_FROM, SEND_UNTIL
from portal.services.core.audit import Actor

log = logging.getLogger(__name__)

CADENCE = Actor(ActorKind.SYSTEM, "cadence")
TONES = tuple(CadenceTone)
#: what counts toward "one message a day": a call task does not, its SMS nudge does
MESSAGE_CHANNELS = tuple(Channel)
#: the cadence ends for good for these; a hold or dispute ends when staff clear it
FINAL_STOPS = (StopReason.PAID, StopReason.PLAN, StopReason.VOID, StopReason.WRITTEN_OFF)
PLAN_STOPS = (PlanStatus.ACTIVE, PlanStatus.PAST_DUE, PlanStatus.COMPLETED)
#: a ReminderLog's `reason` names the delivery of an email or text as "delivery:<id>"
DELIVERY_REF = "delivery:"


@dataclass(frozen=True)
class Step:
    position: int
    #: a `CadenceChannel`
    channel: str
    #: days after the due date (negative: before it)
    day_offset: int
    #: a `CadenceTone`: picks the message's wording
    tone: str


#: The 3-3-3 cadence: a courtesy email before the due date; weeks 1-3 a call each week (with
#: an SMS nudge where the patient agreed to texts); weeks 4-6 an email each week, firmer each
#: time; weeks 7-9 a letter each week, the last stating the legal obligation to pay.
DEFAULT_CADENCE: tuple[Step, ...] = (
    Step(1, CadenceChannel.EMAIL, -3, CadenceTone.COURTESY),
    Step(2, CadenceChannel.CALL, 7, CadenceTone.FRIENDLY),
    Step(3, CadenceChannel.CALL, 14, CadenceTone.FRIENDLY),
    Step(4, CadenceChannel.CALL, 21, CadenceTone.FRIENDLY),
    Step(5, CadenceChannel.EMAIL, 28, CadenceTone.FRIENDLY),
    Step(6, CadenceChannel.EMAIL, 35, CadenceTone.FIRM),
    Step(7, CadenceChannel.EMAIL, 42, CadenceTone.FIRMER),
    Step(8, CadenceChannel.LETTER, 49, CadenceTone.FIRM),
    Step(9, CadenceChannel.LETTER, 56, CadenceTone.FIRMER),
    Step(10, CadenceChannel.LETTER, 63, CadenceTone.FINAL),
)


@dataclass
class Report:
    """What one run did."""

    #: invoices looked at (open ones in the cadence's reach, and running cadences)
    invoices: int = 0
    emails: int = 0
    texts: int = 0
    letters: int = 0
    call_tasks: int = 0
    #: steps (or parts of steps) logged as skipped: opted out, no address, superseded, ...
    skipped: int = 0
    #: messages that could not be delivered this time (retried later)
    failed: int = 0
    #: earlier failed messages tried again
    retried: int = 0
    #: messages due but held back: quiet hours, or the patient already had one today
    waiting: int = 0
    #: cadences stopped in this run (paid, plan, hold, dispute, void, written off)
    stopped: int = 0
    #: invoices whose processing raised an unexpected error (logged; the run went on)
    errors: int = 0
    #: (invoice id, position, channel, status) of everything done, in order
    done: list[tuple[int, int, str, str]] = field(default_factory=list)

    @property
    def messages(self) -> int:
        return self.emails + self.texts + self.letters

    def add(self, other: "Report") -> None:
        """Count `other`'s run in this one (runs for several calendar days at once)."""
        for name in (f.name for f in fields(self) if f.name != "done"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.done.extend(other.done)


@dataclass(frozen=True)
class Moment:
    """The run as a patient sees it: their local date and time."""

    day: date
    at: time

    @property
    def in_window(self) -> bool:
        return SEND_FROM <= self.at < SEND_UNTIL


Clock = Callable[[ZoneInfo], Moment]


# --- the cadence of a practice ----------------------------------------------------------------


def steps_for(practice_id: int) -> tuple[Step, ...]:
    """The practice's cadence, ordered by day then position; the default when it has none."""
    rows = db.session.scalars(db.select(CadenceStep).filter_by(practice_id=practice_id)).all()
    if not rows:
        return DEFAULT_CADENCE
    return _ordered(Step(r.position, r.channel, r.day_offset, _tone(r.tone)) for r in rows)


def step_at(practice_id: int, position: int) -> Step | None:
    """The step at `position` of the practice's cadence (e.g. the tone of a letter)."""
    return next((s for s in steps_for(practice_id) if s.position == position), None)


def _ordered(steps) -> tuple[Step, ...]:
    return tuple(sorted(steps, key=lambda s: (s.day_offset, s.position)))


def _tone(tone: str) -> str:
    return tone if tone in TONES else CadenceTone.FRIENDLY


def all_cadences() -> dict[int, tuple[Step, ...]]:
    grouped: dict[int, list[Step]] = {}
    for r in db.session.scalars(db.select(CadenceStep)):
        grouped.setdefault(r.practice_id, []).append(
            Step(r.position, r.channel, r.day_offset, _tone(r.tone))
        )
    return {practice_id: _ordered(steps) for practice_id, steps in grouped.items()}
