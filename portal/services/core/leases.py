"""Database leases: periodic work runs once per period however many consumers run.

`hold(name, period)` inserts the lease row for that period (unique per name and period) or,
if its holder died without finishing and the lease has expired, takes it over by
compare-and-set. Whoever gets it runs the work and marks it finished; everyone else skips.
"""

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from portal.clock import utcnow
from portal.extensions import db
from portal.models import JobLease


def acquire(name: str, period: str, ttl: timedelta) -> str | None:
    """Take the lease of `name` for `period`; returns the holder token, or None if another
    process holds it or has finished the period's work."""
    holder = secrets.token_hex(16)
    now = utcnow()
    # start from a clean transaction, so the insert below is the only thing at stake
    db.session.commit()
    db.session.add(JobLease(name=name, period=period, holder=holder, expires_at=now + ttl))
    try:
        # the lease is taken only once it is committed (a unique row per name and period)
        db.session.commit()
        return holder
    except IntegrityError:
        db.session.rollback()
    taken = db.session.execute(
        update(JobLease)
        .where(
            JobLease.name == name,
            JobLease.period == period,
            JobLease.finished_at.is_(None),
            JobLease.expires_at < now,
        )
        .values(holder=holder, expires_at=now + ttl)
        .execution_options(synchronize_session=False)
    )
    # the takeover of an expired lease is durable before its work starts
    db.session.commit()
    return holder if taken.rowcount == 1 else None


def finish(name: str, period: str, holder: str) -> None:
    """Mark the period's work done, if `holder` still holds the lease."""
    db.session.execute(
        update(JobLease)
        .where(JobLease.name == name, JobLease.period == period, JobLease.holder == holder)
        .values(finished_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    # the period is marked done for every other process at once
    db.session.commit()


@contextmanager
def hold(name: str, period: str, ttl: timedelta) -> Iterator[bool]:
    """`with hold(...) as mine:` run the work only if `mine`; finished when the block ends
    without an error (an error leaves the lease to expire, so another process retries)."""
    holder = acquire(name, period, ttl)
    yield holder is not None
    if holder is not None:
        finish(name, period, holder)
