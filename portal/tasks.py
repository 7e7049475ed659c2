"""Background jobs with Huey: SQLite storage by default, Redis when REDIS_URL is set.

Run a worker with `huey_consumer portal.tasks.huey`. Every consumer schedules the hourly run
(`RUN_DUE_SCHEDULE`, a crontab "minute hour day month weekday", default "5 * * * *": five
past each hour; "off" leaves the schedule to system cron running `flask jobs run-due`), and a
database lease per hour lets exactly one of them do it, so any number of consumers (on any
number of machines) is safe. Extra consumers may also be started with `--no-periodic` (`-n`).
`flask jobs run-due --as-of DAY --on-workers` hands one run for a given day to whichever
consumer is free (a catch-up after an outage, or a test that must know the day), and may wait
for its report. Every minute each consumer also performs the pending work (emails, sealing):
rows are leased one by one, so consumers running it at once never do the same work twice.
"""

import os
from datetime import date, datetime, time
from pathlib import Path

from huey import RedisHuey, SqliteHuey, crontab

from portal.settings import INSTANCE

DEFAULT_SCHEDULE = "5 * * * *"


def _make_huey():
    redis_url = os.environ.get("REDIS_URL")
    if redis_url:
        return RedisHuey("saldo", url=redis_url)
    Path(INSTANCE).mkdir(exist_ok=True)
    return SqliteHuey("saldo", filename=str(INSTANCE / "huey.sqlite3"))


def schedule(text: str | None):
    """The hourly run's crontab from RUN_DUE_SCHEDULE; None for "off". ValueError if it is
    not five crontab fields."""
    text = (text or DEFAULT_SCHEDULE).strip()
    if text.lower() == "off":
        return None
    fields = text.split()
    if len(fields) != 5:
        raise ValueError(f"RUN_DUE_SCHEDULE needs five crontab fields or 'off', not {text!r}")
    minute, hour, day, month, day_of_week = fields
    return crontab(minute, hour, day, month, day_of_week)


huey = _make_huey()
_app = None
_schedule = schedule(os.environ.get("RUN_DUE_SCHEDULE"))


def _app_context():
    global _app
    if _app is None:
        from portal import create_app

        _app = create_app()
    return _app.app_context()


def run_hourly(today: date | None = None, now: datetime | None = None) -> dict | None:
    """The hourly work, if this process gets the lease of the hour of `now` (naive UTC,
    default: the real clock): each practice on its own calendar day at `now`, or every
    practice on `today` when given; returns the job report, or None when another consumer
    has the hour."""
    from portal.services.core import jobs

    with _app_context():
        report = jobs.run_hourly(today, now)
        return dict(report.__dict__) if report is not None else None


@huey.task()
def run_due_on(day: str | None, hour: str | None = None, at: str = "12:00") -> dict:
    """One run for `day` (YYYY-MM-DD; None: each practice's own day) on whichever consumer
    takes it; returns its report. With `hour` (YYYY-MM-DDTHH, UTC) it is that hour's
    periodic work, done once however many times it is queued (`{"skipped": hour}` for the
    copies that found it taken; Huey stores no result for None, so a waiting caller would
    never hear of them); without, it runs like `flask jobs run-due --as-of day --at at`
    (the database claims keep it exactly once)."""
    from portal.services.core import jobs

    today = date.fromisoformat(day) if day else None
    if hour is not None:
        from portal.clock import hour_named

        report = run_hourly(today, hour_named(hour))
        return report if report is not None else {"skipped": hour}
    with _app_context():
        return dict(jobs.run_due(today, time.fromisoformat(at)).__dict__)


if _schedule is not None:

    @huey.periodic_task(_schedule)
    def run_due_hourly():
        return run_hourly()


@huey.periodic_task(crontab(minute="*"))
def run_pending_work():
    """Emails and sealing queued by payments, then the messages whose retry (or quiet hours)
    is over; each row is leased or claimed, so any number of consumers may run this at once."""
    from portal.services import messaging
    from portal.services.core import outbox

    with _app_context():
        done = outbox.run_pending()
        messaging.retry_due()
        return done
