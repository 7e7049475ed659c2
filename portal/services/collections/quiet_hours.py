"""When a patient may be messaged: 08:00 to 21:00 in the patient's own time zone (the
patient's, else the practice's), the window the reminder cadence keeps as well (TCPA and
state quiet-hours rules for texts; the same courtesy for emails)."""

import logging
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from portal.clock import utcnow
from portal.models import Patient

log = logging.getLogger(__name__)

SEND_FROM, SEND_UNTIL = time(8, 0), time(21, 0)


def zone_of(patient: Patient) -> ZoneInfo:
    """The patient's time zone, else the practice's, else UTC (an unknown name is logged)."""
    for name in (patient.timezone, patient.practice.timezone):
        if not name:
            continue
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            log.warning("unknown time zone %r for patient %s", name, patient.id)
    return ZoneInfo("UTC")


def opens_at(patient: Patient, now: datetime | None = None) -> datetime | None:
    """None when `now` (naive UTC) is inside the patient's window; otherwise the naive UTC
    instant the window next opens."""
    now = now or utcnow()
    zone = zone_of(patient)
    local = now.replace(tzinfo=UTC).astimezone(zone)
    if SEND_FROM <= local.time() < SEND_UNTIL:
        return None
    day = local.date() if local.time() < SEND_FROM else local.date() + timedelta(days=1)
    opening = datetime.combine(day, SEND_FROM, tzinfo=zone)
    return opening.astimezone(UTC).replace(tzinfo=None)
