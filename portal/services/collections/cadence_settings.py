"""Editing a practice's reminder cadence: ordered steps replacing the default 3-3-3."""

from flask_babel import lazy_gettext as _l

from portal.extensions import db
from portal.models import CadenceStep
from portal.models.cadence_step import CADENCE_CHANNELS
from portal.services.collections.cadence_steps import TONES, Step, steps_for
from portal.services.core import audit
from portal.services.core.audit import Actor
from portal.services.core.refusals import RefusalCode, Refused

MAX_STEPS = 20


class CadenceRefused(Refused, ValueError):
    code = RefusalCode.CADENCE


def save(practice_id: int, steps: list[Step], actor: Actor) -> None:
    """Replace the practice's cadence by `steps` (validated; nothing changes on error)."""
    if not 1 <= len(steps) <= MAX_STEPS:
        raise CadenceRefused(_l("A cadence has from 1 to 20 steps."))
    for step in steps:
        if step.channel not in CADENCE_CHANNELS or step.tone not in TONES:
            raise CadenceRefused(_l("Choose a channel and a tone for every step."))
        if not -30 <= step.day_offset <= 365:
            raise CadenceRefused(_l("Days are from -30 (before the due date) to 365."))
    days = [(s.day_offset, s.channel) for s in steps]
    if len(set(days)) != len(days):
        raise CadenceRefused(_l("Two steps have the same day and channel."))
    db.session.execute(db.delete(CadenceStep).where(CadenceStep.practice_id == practice_id))
    ordered = sorted(steps, key=lambda s: (s.day_offset, s.channel))
    for position, step in enumerate(ordered, start=1):
        db.session.add(
            CadenceStep(
                practice_id=practice_id,
                position=position,
                channel=step.channel,
                day_offset=step.day_offset,
                tone=step.tone,
            )
        )
    audit.record("cadence.updated", practice_id=practice_id, actor=actor, steps=len(steps))


def reset(practice_id: int, actor: Actor) -> None:
    """Back to the default 3-3-3 cadence."""
    db.session.execute(db.delete(CadenceStep).where(CadenceStep.practice_id == practice_id))
    audit.record("cadence.reset", practice_id=practice_id, actor=actor)


def current(practice_id: int) -> tuple[Step, ...]:
    return steps_for(practice_id)
