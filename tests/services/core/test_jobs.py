"""The periodic work: each practice on its own calendar day, once per hour across workers."""

from datetime import date, datetime, time

from portal.services.core import jobs
from portal.services.core.jobs import Report
from tests import factories

NOTHING = Report(charged=0, paid=0, failed=0, reminded=0, messages_retried=0, read_back=0)


def zones():
    rome = factories.practice(timezone="Europe/Rome")
    new_york = factories.practice(**factories.USA)
    auckland = factories.practice(timezone="Pacific/Auckland")
    return rome.id, new_york.id, auckland.id


def test_on_new_year_s_eve_each_practice_is_on_its_own_day(app):
    rome, new_york, auckland = zones()
    # 23:30 UTC: 00:30 in Rome, 18:30 in New York, 12:30 in Auckland the next day
    assert jobs.calendar(None, datetime(2026, 12, 31, 23, 30)) == {
        date(2026, 12, 31): [new_york],
        date(2027, 1, 1): [rome, auckland],
    }
    # 10:59 UTC: Auckland is at 23:59 on 1 January (UTC+13 in summer)
    assert jobs.calendar(None, datetime(2027, 1, 1, 10, 59)) == {
        date(2027, 1, 1): [rome, new_york, auckland]
    }
    assert list(jobs.calendar(None, datetime(2027, 1, 1, 11, 0))) == [
        date(2027, 1, 1),
        date(2027, 1, 2),
    ]


def test_the_days_around_the_clock_changes(app):
    rome, new_york, _ = zones()
    # 22:30 UTC on 28 March 2026 is 23:30 CET; an hour later Rome is on the 29th (CEST)
    assert rome in jobs.calendar(None, datetime(2026, 3, 28, 22, 30))[date(2026, 3, 28)]
    assert rome in jobs.calendar(None, datetime(2026, 3, 28, 23, 0))[date(2026, 3, 29)]
    # New York after the November change is UTC-5: 04:59 UTC on the 2nd is 23:59 on the 1st
    found = jobs.calendar(None, datetime(2026, 11, 2, 4, 59))
    assert new_york in found[date(2026, 11, 1)]
    assert new_york in jobs.calendar(None, datetime(2026, 11, 2, 5, 0))[date(2026, 11, 2)]


def test_a_run_as_of_a_day_puts_every_practice_on_it(app):
    zones()
    assert jobs.calendar(date(2027, 2, 28), datetime(2027, 3, 1, 12, 0)) == {
        date(2027, 2, 28): None
    }


def test_with_nothing_due_a_run_does_nothing(app):
    zones()
    assert jobs.run_due(date(2027, 1, 4), time(10, 0), now=datetime(2027, 1, 4, 9, 0)) == NOTHING


def test_the_hourly_run_happens_once_per_hour(app):
    zones()
    first = datetime(2027, 1, 4, 9, 5)
    assert jobs.run_hourly(now=first) == NOTHING
    assert jobs.run_hourly(now=datetime(2027, 1, 4, 9, 59)) is None
    assert jobs.run_hourly(now=datetime(2027, 1, 4, 10, 0)) == NOTHING
