"""A date of birth is checked against the practice's day, not the UTC one: at 00:30 on
1 January in Rome (23:30 UTC on 31 December) a baby born that day can be registered."""

from datetime import date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portal import clock
from portal.models import Practice
from portal.services.billing import patients
from portal.services.billing.patients import InvalidPatient, PatientInput
from portal.services.core.audit import Actor
from tests import factories

STAFF = Actor("staff", "7", "127.0.0.1")
NEW_YEAR = date(2027, 1, 1)


def born(on: date) -> PatientInput:
    return PatientInput(first_name="Nina", last_name="Conti", date_of_birth=on)


def test_born_today_in_rome_while_it_is_still_yesterday_in_utc(app, monkeypatch):
    rome = factories.practice(timezone="Europe/Rome")
    new_york = factories.practice(**factories.USA)
    monkeypatch.setattr(clock, "utcnow", lambda: datetime(2026, 12, 31, 23, 30))
    assert patients.create_patient(rome, born(NEW_YEAR), STAFF).date_of_birth == NEW_YEAR
    # in New York it is still 18:30 on 31 December: 1 January is in the future
    with pytest.raises(InvalidPatient) as refused:
        patients.create_patient(new_york, born(NEW_YEAR), STAFF)
    assert str(refused.value.args[0]) == "Enter a real date of birth."
    baby = patients.create_patient(new_york, born(date(2026, 12, 31)), STAFF)
    # the change of a record is judged on the practice's day too
    with pytest.raises(InvalidPatient):
        patients.update_patient(baby, born(NEW_YEAR), STAFF)
    monkeypatch.setattr(clock, "utcnow", lambda: datetime(2027, 1, 1, 5, 0))  # 00:00 in NY
    patients.update_patient(baby, born(NEW_YEAR), STAFF)
    assert baby.date_of_birth == NEW_YEAR


ZONES = st.sampled_from(["Europe/Rome", "America/New_York", "Pacific/Auckland", "UTC"])
INSTANTS = st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2028, 12, 31))


@given(zone=ZONES, now=INSTANTS)
def test_the_practice_s_today_is_the_last_day_of_birth_accepted(zone, now):
    practice = Practice(timezone=zone)
    today = clock.practice_today(practice, now)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(clock, "utcnow", lambda: now)
        assert patients._clean(born(today), practice)["date_of_birth"] == today
        with pytest.raises(InvalidPatient):
            patients._clean(born(today + timedelta(days=1)), practice)
