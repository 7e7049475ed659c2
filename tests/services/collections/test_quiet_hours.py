"""The patient's messaging window, 08:00 to 21:00 in their own zone, across the DST changes
of Europe/Rome and America/New_York (naive UTC in, naive UTC out; no database)."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portal import clock
from portal.models import Patient, Practice
from portal.services.collections import quiet_hours


def patient(zone=None, practice_zone="Europe/Rome") -> Patient:
    return Patient(id=7, timezone=zone, practice=Practice(timezone=practice_zone))


ROME, NEW_YORK = patient("Europe/Rome"), patient("America/New_York")


@pytest.mark.parametrize(
    ("who", "now", "opens"),
    [
        # Rome in winter (UTC+1): the window is 07:00-20:00 UTC
        (ROME, datetime(2026, 1, 15, 6, 59), datetime(2026, 1, 15, 7, 0)),
        (ROME, datetime(2026, 1, 15, 7, 0), None),
        (ROME, datetime(2026, 1, 15, 19, 59, 59), None),
        (ROME, datetime(2026, 1, 15, 20, 0), datetime(2026, 1, 16, 7, 0)),
        (ROME, datetime(2026, 1, 15, 23, 30), datetime(2026, 1, 16, 7, 0)),  # 00:30 local
        # Rome in summer (UTC+2): 06:00-19:00 UTC
        (ROME, datetime(2026, 7, 15, 5, 59), datetime(2026, 7, 15, 6, 0)),
        (ROME, datetime(2026, 7, 15, 19, 0), datetime(2026, 7, 16, 6, 0)),
        # the night the clocks go forward (29 March 2026): 21:30 CET opens at 08:00 CEST
        (ROME, datetime(2026, 3, 28, 20, 30), datetime(2026, 3, 29, 6, 0)),
        # the night they go back (25 October 2026): 21:30 CEST opens at 08:00 CET
        (ROME, datetime(2026, 10, 24, 19, 30), datetime(2026, 10, 25, 7, 0)),
        # New York (EST UTC-5 / EDT UTC-4), the evening before the spring change (8 March)
        (NEW_YORK, datetime(2026, 3, 8, 1, 59), None),  # 20:59 EST
        (NEW_YORK, datetime(2026, 3, 8, 2, 0), datetime(2026, 3, 8, 12, 0)),  # 08:00 EDT
        # and before the autumn change (1 November): 23:00 EDT opens at 08:00 EST
        (NEW_YORK, datetime(2026, 11, 1, 3, 0), datetime(2026, 11, 1, 13, 0)),
        # the last evening of the year and month ends
        (NEW_YORK, datetime(2027, 1, 1, 2, 0), datetime(2027, 1, 1, 13, 0)),  # 21:00 on 31 Dec
        (ROME, datetime(2026, 2, 28, 22, 0), datetime(2026, 3, 1, 7, 0)),
        # 23:30 UTC on 31 December is 00:30 on 1 January in Rome: it opens that morning
        (ROME, datetime(2026, 12, 31, 23, 30), datetime(2027, 1, 1, 7, 0)),
        # 03:00 UTC on 1 January is 22:00 on 31 December in New York: it opens on the 1st
        (NEW_YORK, datetime(2027, 1, 1, 3, 0), datetime(2027, 1, 1, 13, 0)),
    ],
)
def test_the_window_opens_at_eight_in_the_patient_zone(who, now, opens):
    assert quiet_hours.opens_at(who, now) == opens


def test_the_patient_zone_comes_before_the_practice_zone():
    traveller = patient("America/New_York", practice_zone="Europe/Rome")
    assert clock.patient_zone(traveller) == ZoneInfo("America/New_York")
    at_home = patient(None, practice_zone="Europe/Rome")
    assert clock.patient_zone(at_home) == ZoneInfo("Europe/Rome")
    # 14:00 UTC is 15:00 in Rome (open) and 09:00 in New York (open); 03:00 UTC is not
    assert quiet_hours.opens_at(traveller, datetime(2026, 1, 15, 3, 0)) == datetime(
        2026, 1, 15, 13, 0
    )
    assert quiet_hours.opens_at(at_home, datetime(2026, 1, 15, 3, 0)) == datetime(2026, 1, 15, 7, 0)


@pytest.mark.parametrize("bad", ["Mars/Olympus_Mons", "../etc/passwd"])
def test_an_unknown_zone_falls_back_to_the_practice_then_utc(bad, monkeypatch):
    warned = []
    monkeypatch.setattr(clock.log, "warning", lambda *args: warned.append(args))
    assert clock.patient_zone(patient(bad, practice_zone="Europe/Rome")) == ZoneInfo("Europe/Rome")
    assert warned == [("unknown time zone %r for patient %s", bad, 7)]
    assert clock.patient_zone(patient(bad, practice_zone=bad)) == ZoneInfo("UTC")
    assert clock.patient_zone(patient(None, practice_zone="")) == ZoneInfo("UTC")
    assert quiet_hours.opens_at(patient(None, ""), datetime(2026, 1, 15, 21, 0)) == datetime(
        2026, 1, 16, 8, 0
    )


ZONES = st.sampled_from(["Europe/Rome", "America/New_York", "Pacific/Auckland", "UTC"])
INSTANTS = st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2028, 12, 31))


@given(zone=ZONES, now=INSTANTS)
def test_the_next_opening_is_eight_local_within_a_day(zone, now):
    who = patient(zone)
    local = now.replace(tzinfo=UTC).astimezone(ZoneInfo(zone))
    opens = quiet_hours.opens_at(who, now)
    if quiet_hours.SEND_FROM <= local.time() < quiet_hours.SEND_UNTIL:
        assert opens is None
        return
    assert now < opens <= now + timedelta(hours=12)
    opened = opens.replace(tzinfo=UTC).astimezone(ZoneInfo(zone))
    assert (opened.hour, opened.minute, opened.second) == (8, 0, 0)
    # asking again at the opening finds the window open: the answer is stable
    assert quiet_hours.opens_at(who, opens) is None
