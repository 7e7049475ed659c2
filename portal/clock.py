"""The one place that reads the wall clock, so services can be handed a fixed `now`, and the
one place that turns a moment into a practice's calendar day."""

import time as _time
from datetime import UTC, date, datetime, time
from typing import Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


class _Zoned(Protocol):
    timezone: str


def utcnow() -> datetime:
    """Naive UTC now; every stored timestamp is naive UTC."""
    return datetime.now(UTC).replace(tzinfo=None)


def timestamp() -> float:
    """Seconds since the Unix epoch, for moments kept in a signed cookie or session."""
    return _time.time()


def zone(name: str | None) -> ZoneInfo:
    """The time zone called `name`; UTC when it is empty or unknown."""
    try:
        return ZoneInfo(name) if name else ZoneInfo("UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def practice_zone(practice: _Zoned) -> ZoneInfo:
    """The practice's time zone (UTC when its setting is unknown)."""
    return zone(practice.timezone)


def day_of(moment: datetime, in_zone: ZoneInfo) -> date:
    """The calendar day in `in_zone` of the naive UTC `moment`."""
    return moment.replace(tzinfo=UTC).astimezone(in_zone).date()


def practice_today(practice: _Zoned, now: datetime | None = None) -> date:
    """The practice's calendar day at `now` (naive UTC, default: the wall clock)."""
    return day_of(now or utcnow(), practice_zone(practice))


def start_of(day: date, in_zone: ZoneInfo) -> datetime:
    """The naive UTC moment `day` begins in `in_zone`."""
    return datetime.combine(day, time(), tzinfo=in_zone).astimezone(UTC).replace(tzinfo=None)
