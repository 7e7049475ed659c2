"""Background jobs with Huey: SQLite storage by default, Redis when REDIS_URL is set.

Run a worker with `huey_consumer portal.tasks.huey`; it runs `run_due` every hour for the
current date and the pending work (emails, sealing) every minute, in an app context.
"""

import os
from datetime import date
from pathlib import Path

from huey import RedisHuey, SqliteHuey, crontab

from config.settings import INSTANCE


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


@huey.periodic_task(crontab(minute="5"))
def run_due_hourly():
    from portal.services import jobs

    with _app_context():
        return dict(jobs.run_due(date.today()).__dict__)


@huey.periodic_task(crontab(minute="*"))
def run_pending_work():
    """Emails and sealing queued by payments; leased per row, so any number of consumers
    may run this at once."""
    from portal.services import outbox

    with _app_context():
        return outbox.run_pending()
