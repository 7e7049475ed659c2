"""The hourly run's lease is keyed on the UTC hour, the same for every practice zone; each
practice inside the run is on its own day."""

from datetime import date, datetime

from portal.extensions import db
from portal.jobs_cli import period_of
from portal.models import JobLease
from portal.services.core import jobs
from portal.services.core.jobs import Report
from tests import factories

NOTHING = Report(charged=0, paid=0, failed=0, reminded=0, messages_retried=0, read_back=0)


def periods() -> list[str]:
    return list(db.session.scalars(db.select(JobLease.period).order_by(JobLease.id)))


def test_new_year_s_eve_is_one_hour_for_rome_and_new_york(app):
    factories.practice(timezone="Europe/Rome")
    factories.practice(**factories.USA)
    db.session.commit()
    # 23:30 UTC: Rome is on 1 January, New York on 31 December; one run, one key
    assert jobs.run_hourly(now=datetime(2026, 12, 31, 23, 30)) == NOTHING
    assert jobs.run_hourly(now=datetime(2026, 12, 31, 23, 55)) is None
    assert jobs.run_hourly(now=datetime(2027, 1, 1, 0, 5)) == NOTHING
    assert periods() == ["2026-12-31T23", "2027-01-01T00"]


def test_the_repeated_hour_of_the_autumn_change_runs_twice(app):
    factories.practice(**factories.USA)
    db.session.commit()
    # 05:30 and 06:30 UTC on 1 November 2026 are both 01:30 in New York (EDT, then EST)
    assert jobs.run_hourly(now=datetime(2026, 11, 1, 5, 30)) == NOTHING
    assert jobs.run_hourly(now=datetime(2026, 11, 1, 6, 30)) == NOTHING
    assert periods() == ["2026-11-01T05", "2026-11-01T06"]


def test_the_hour_asked_for_on_the_command_line():
    now = datetime(2026, 12, 1, 9, 30)
    assert period_of(None, 9, now) == "2026-12-01T09"
    assert period_of(None, 0, now) == "2026-12-01T00"
    # an hour that has not begun today is yesterday's: never a run of the future
    assert period_of(None, 10, now) == "2026-11-30T10"
    assert period_of(date(2027, 1, 31), 5, now) == "2027-01-31T05"
    assert period_of(date(2027, 1, 31), None, now) is None
