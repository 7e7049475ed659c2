"""The practice clock: a naive UTC moment's day and time in a practice's or patient's zone, at
the boundaries (New Year's Eve, the nights the clocks change), and the hourly run's key."""

from datetime import date, datetime, time, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portal import clock
from portal.models import Patient, Practice

ROME, NEW_YORK = Practice(timezone="Europe/Rome"), Practice(timezone="America/New_York")
ZONES = ["Europe/Rome", "America/New_York", "Pacific/Auckland", "Asia/Kolkata", "UTC"]
INSTANTS = st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2028, 12, 31))


@pytest.mark.parametrize(
    ("practice", "now", "today"),
    [
        # 23:30 UTC on 31 December is 00:30 on 1 January in Rome, 18:30 on 31 Dec in New York
        (ROME, datetime(2026, 12, 31, 23, 30), date(2027, 1, 1)),
        (NEW_YORK, datetime(2026, 12, 31, 23, 30), date(2026, 12, 31)),
        (ROME, datetime(2026, 12, 31, 22, 59, 59), date(2026, 12, 31)),
        # 03:00 UTC is still the previous day in New York (22:00 EST)
        (NEW_YORK, datetime(2027, 1, 1, 3, 0), date(2026, 12, 31)),
        (NEW_YORK, datetime(2027, 1, 1, 5, 0), date(2027, 1, 1)),
        # Rome's spring change (29 March 2026, 02:00 CET -> 03:00 CEST): midnight is 23:00 UTC
        (ROME, datetime(2026, 3, 28, 22, 59), date(2026, 3, 28)),
        (ROME, datetime(2026, 3, 28, 23, 0), date(2026, 3, 29)),
        # the next midnight is in summer time: 22:00 UTC
        (ROME, datetime(2026, 3, 29, 21, 59), date(2026, 3, 29)),
        (ROME, datetime(2026, 3, 29, 22, 0), date(2026, 3, 30)),
        # New York's autumn change (1 November 2026): midnight EDT is 04:00 UTC, then EST 05:00
        (NEW_YORK, datetime(2026, 11, 1, 3, 59), date(2026, 10, 31)),
        (NEW_YORK, datetime(2026, 11, 1, 4, 0), date(2026, 11, 1)),
        (NEW_YORK, datetime(2026, 11, 2, 4, 59), date(2026, 11, 1)),
        (NEW_YORK, datetime(2026, 11, 2, 5, 0), date(2026, 11, 2)),
    ],
)
def test_the_practice_s_day(practice, now, today):
    assert clock.practice_today(practice, now) == today


def test_the_wall_clock_is_read_when_no_moment_is_given(monkeypatch):
    monkeypatch.setattr(clock, "utcnow", lambda: datetime(2026, 12, 31, 23, 30))
    assert clock.practice_today(ROME) == date(2027, 1, 1)
    assert clock.practice_today(NEW_YORK) == date(2026, 12, 31)
    assert clock.today_in("Europe/Rome") == date(2027, 1, 1)
    assert clock.today_in("Mars/Olympus_Mons") == date(2026, 12, 31)  # unknown: UTC


def test_a_patient_s_day_is_in_their_zone_else_the_practice_s():
    now = datetime(2026, 12, 31, 23, 30)
    traveller = Patient(id=1, timezone="America/New_York", practice=ROME)
    at_home = Patient(id=2, timezone=None, practice=ROME)
    lost = Patient(id=3, timezone="Nowhere/Atlantis", practice=NEW_YORK)
    assert clock.patient_today(traveller, now) == date(2026, 12, 31)
    assert clock.patient_today(at_home, now) == date(2027, 1, 1)
    assert clock.patient_today(lost, now) == date(2026, 12, 31)
    assert str(clock.patient_zone(lost)) == "America/New_York"


def test_local_times_and_moments_across_the_changes():
    rome = clock.practice_zone(ROME)
    assert clock.time_of(datetime(2026, 3, 29, 0, 59), rome) == time(1, 59)  # CET
    assert clock.time_of(datetime(2026, 3, 29, 1, 0), rome) == time(3, 0)  # CEST
    assert clock.at(date(2026, 3, 29), time(8), rome) == datetime(2026, 3, 29, 6, 0)
    assert clock.at(date(2026, 3, 28), time(8), rome) == datetime(2026, 3, 28, 7, 0)
    # the spring day is 23 hours long, the autumn one 25
    spring = clock.start_of(date(2026, 3, 30), rome) - clock.start_of(date(2026, 3, 29), rome)
    autumn = clock.start_of(date(2026, 10, 26), rome) - clock.start_of(date(2026, 10, 25), rome)
    assert (spring, autumn) == (timedelta(hours=23), timedelta(hours=25))
    # an aware moment in the zone, for writing it with its zone's name
    local = clock.local(datetime(2026, 7, 1, 10, 0), rome)
    assert (local.hour, local.strftime("%Z")) == (12, "CEST")


@given(zone=st.sampled_from(ZONES), now=INSTANTS)
def test_now_is_inside_the_practice_s_day(zone, now):
    practice = Practice(timezone=zone)
    today, in_zone = clock.practice_today(practice, now), clock.zone(zone)
    assert clock.start_of(today, in_zone) <= now < clock.start_of(today + timedelta(1), in_zone)
    # no one is on a later day than the latest one, which is at most a day past UTC's
    assert today <= clock.latest_day(now) <= clock.utc_day(now) + timedelta(days=1)


def test_the_latest_day_anywhere():
    assert clock.latest_day(datetime(2026, 11, 27, 9, 59)) == date(2026, 11, 27)
    assert clock.latest_day(datetime(2026, 11, 27, 10, 0)) == date(2026, 11, 28)


def test_the_hourly_key_names_the_utc_hour():
    # 23:30 UTC on 31 December: Rome is on 1 January, the hour is still 31 December's 23:00
    assert clock.hour_key(datetime(2026, 12, 31, 23, 30)) == "2026-12-31T23"
    assert clock.hour_named("2026-12-31T23") == datetime(2026, 12, 31, 23, 0)
    # the night New York's clocks go back, 01:30 comes twice; the two hours are two keys
    first, second = datetime(2026, 11, 1, 5, 30), datetime(2026, 11, 1, 6, 30)
    new_york = clock.practice_zone(NEW_YORK)
    assert clock.time_of(first, new_york) == clock.time_of(second, new_york) == time(1, 30)
    assert (clock.hour_key(first), clock.hour_key(second)) == ("2026-11-01T05", "2026-11-01T06")


def test_the_last_hour_is_never_in_the_future():
    now = datetime(2026, 12, 1, 9, 30)
    assert clock.last_hour(9, now) == datetime(2026, 12, 1, 9, 0)
    assert clock.last_hour(0, now) == datetime(2026, 12, 1, 0, 0)
    assert clock.last_hour(10, now) == datetime(2026, 11, 30, 10, 0)
    assert clock.last_hour(23, datetime(2027, 1, 1, 0, 5)) == datetime(2026, 12, 31, 23, 0)


@given(hour=st.integers(0, 23), now=INSTANTS)
def test_the_last_hour_is_the_latest_one_begun(hour, now):
    start = clock.last_hour(hour, now)
    assert start.hour == hour and (start.minute, start.second, start.microsecond) == (0, 0, 0)
    assert now - timedelta(days=1) < start <= now
    assert clock.hour_named(clock.hour_key(start)) == start
