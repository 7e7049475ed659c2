"""The one place that reads the wall clock, so services can be handed a fixed `now`, and the
one place that turns a moment into a zone's calendar day and time of day.

Every stored timestamp is naive UTC. A practice's day is the calendar day in its time zone
(`practice_today`); a patient's is the day in the patient's own zone, else the practice's
(`patient_today`). At 23:30 UTC on 31 December a practice in Europe/Rome is already on
1 January, one in America/New_York still on 31 December. Nothing outside this module builds a
`ZoneInfo`, converts between zones or takes `.date()` of a UTC moment to decide a day
(`tests/test_one_clock.py`)."""

import logging
import time as _time
from datetime import UTC, date, datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

log = logging.getLogger(__name__)

#: the zone furthest ahead of UTC (UTC+14, the Line Islands): no one's day is later than its
FURTHEST_AHEAD = ZoneInfo("Etc/GMT-14")


class _Zoned(Protocol):
    timezone: str


class _ZonedPatient(Protocol):
    id: int | None
    timezone: str | None
    practice: _Zoned


def utcnow() -> datetime:
    """Naive UTC now; every stored timestamp is naive UTC."""
    return datetime.now(UTC).replace(tzinfo=None)


def timestamp() -> float:
    """Seconds since the Unix epoch, for moments kept in a signed cookie or session, and the
    rate-limit counters' sweeps."""
    return _time.time()


# --- zones ------------------------------------------------------------------------------------


def _known(name: str | None) -> ZoneInfo | None:
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def zone(name: str | None) -> ZoneInfo:
    """The time zone called `name`; UTC when it is empty or unknown."""
    return _known(name) or ZoneInfo("UTC")


def practice_zone(practice: _Zoned) -> ZoneInfo:
    """The practice's time zone (UTC when its setting is unknown)."""
    return zone(practice.timezone)


def patient_zone(patient: _ZonedPatient) -> ZoneInfo:
    """The patient's time zone, else the practice's, else UTC (an unknown name is logged)."""
    for name in (patient.timezone, patient.practice.timezone):
        found = _known(name)
        if found is not None:
            return found
        if name:
            log.warning("unknown time zone %r for patient %s", name, patient.id)
    return ZoneInfo("UTC")


# --- a moment in a zone -----------------------------------------------------------------------


def local(moment: datetime, in_zone: ZoneInfo) -> datetime:
    """The naive UTC `moment` as an aware datetime in `in_zone`."""
    return moment.replace(tzinfo=UTC).astimezone(in_zone)


def day_of(moment: datetime, in_zone: ZoneInfo) -> date:
    """The calendar day in `in_zone` of the naive UTC `moment`."""
    return local(moment, in_zone).date()


def time_of(moment: datetime, in_zone: ZoneInfo) -> time:
    """The (naive) time of day in `in_zone` of the naive UTC `moment`."""
    return local(moment, in_zone).time()


def utc_day(moment: datetime) -> date:
    """The UTC calendar day of the naive UTC `moment`: for rows kept per UTC day (the day
    totals), never a practice's day."""
    return moment.date()


def latest_day(moment: datetime) -> date:
    """The latest calendar day anywhere at the naive UTC `moment` (in UTC+14): no practice
    or patient is on a later one."""
    return day_of(moment, FURTHEST_AHEAD)


def at(day: date, clock_time: time, in_zone: ZoneInfo) -> datetime:
    """The naive UTC moment of `clock_time` on `day` in `in_zone`."""
    return datetime.combine(day, clock_time, tzinfo=in_zone).astimezone(UTC).replace(tzinfo=None)


def start_of(day: date, in_zone: ZoneInfo) -> datetime:
    """The naive UTC moment `day` begins in `in_zone`."""
    return at(day, time(), in_zone)


# --- today ------------------------------------------------------------------------------------


def today_in(name: str | None, now: datetime | None = None) -> date:
    """The calendar day at `now` (naive UTC, default: the wall clock) in the zone called
    `name` (UTC when it is empty or unknown)."""
    return day_of(now or utcnow(), zone(name))


def practice_today(practice: _Zoned, now: datetime | None = None) -> date:
    """The practice's calendar day at `now` (naive UTC, default: the wall clock)."""
    return day_of(now or utcnow(), practice_zone(practice))


def patient_today(patient: _ZonedPatient, now: datetime | None = None) -> date:
    """The patient's calendar day at `now` (naive UTC, default: the wall clock), in the
    patient's zone, else the practice's."""
    return day_of(now or utcnow(), patient_zone(patient))


# --- the hourly run ---------------------------------------------------------------------------


def hour_key(moment: datetime) -> str:
    """The name of the hour the naive UTC `moment` falls in, "YYYY-MM-DDTHH" of its UTC
    start: the hourly run's key. One run serves every practice, each on its own day
    (`practice_today`), so the key names the instant, not a practice's day: a local day and
    hour would repeat on the night the clocks go back (and skip that hour's work)."""
    return moment.strftime("%Y-%m-%dT%H")


def hour_named(key: str) -> datetime:
    """The naive UTC moment an `hour_key` names (the start of that hour)."""
    return datetime.strptime(key, "%Y-%m-%dT%H")


def last_hour(hour: int, now: datetime | None = None) -> datetime:
    """The latest start of UTC hour `hour` (0-23) not after `now` (naive UTC, default: the
    wall clock): today's when it has begun, else yesterday's, never a future one."""
    now = now or utcnow()
    start = now.replace(hour=hour, minute=0, second=0, microsecond=0)
    return start if start <= now else start - timedelta(days=1)
