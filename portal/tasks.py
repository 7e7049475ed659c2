"""Background jobs with Huey: SQLite storage by default, Redis when REDIS_URL is set.

Run a worker with `huey_consumer portal.tasks.huey`; every consumer schedules `run_due` at
five past each hour, and a database lease per hour lets exactly one of them run it, so any
number of consumers (on any number of machines) is safe. Extra consumers may also be started
with `--no-periodic` (`-n`) so that only some of them schedule it at all. Every minute each
consumer also performs the pending work (emails, sealing): rows are leased one by one, so
consumers running it at once never do the same work twice.
"""

import os
from datetime import date, datetime
from pathlib import Path

from huey import RedisHuey, SqliteHuey, crontab

from portal.settings import INSTANCE


def _make_huey():
    redis_url = os.environ.get("REDIS_URL")
    if redis_url:
        return RedisHuey("saldo", url=redis_url)
    Path(INSTANCE).mkdir(exist_ok=True)
    return SqliteHuey("saldo", filename=str(INSTANCE / "huey.sqlite3"))


huey = _make_huey()
_app = None


def _app_context():
    global _app
    if _app is None:
        from portal import create_app

        _app = create_app()
    return _app.app_context()


def run_hourly(today: date | None = None, now: datetime | None = None) -> dict | None:
    """The hourly work for `today` (default: the real date), if this process gets the lease
    of the hour of `now` (default: the real clock); returns the job report, or None when
    another consumer has the hour."""
    from portal.services.core import jobs

    with _app_context():
        report = jobs.run_hourly(today or date.today(), now)
        return dict(report.__dict__) if report is not None else None


@huey.periodic_task(crontab(minute="5"))
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
