"""When a patient may be messaged: 08:00 to 21:00 in the patient's own time zone (the
patient's, else the practice's: `clock.patient_zone`), the window the reminder cadence keeps
as well (TCPA and state quiet-hours rules for texts; the same courtesy for emails)."""

from datetime import datetime, time, timedelta

from portal import clock
from portal.models import Patient

SEND_FROM, SEND_UNTIL = time(8, 0), time(21, 0)


def opens_at(patient: Patient, now: datetime | None = None) -> datetime | None:
    """None when `now` (naive UTC) is inside the patient's window; otherwise the naive UTC
    instant the window next opens."""
    now = now or clock.utcnow()
    zone = clock.patient_zone(patient)
    day, at = clock.day_of(now, zone), clock.time_of(now, zone)
    if SEND_FROM <= at < SEND_UNTIL:
        return None
    return clock.at(day if at < SEND_FROM else day + timedelta(days=1), SEND_FROM, zone)
