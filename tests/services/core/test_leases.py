"""Database leases: one holder per job and period; a dead holder's lease is taken over."""

from datetime import timedelta

import pytest

from portal.clock import utcnow
from portal.extensions import db
from portal.models import JobLease
from portal.services.core import leases

HOUR = timedelta(minutes=55)


def test_one_holder_per_period_and_takeover_after_expiry(app):
    first = leases.acquire("run-due", "2026-12-01T09", HOUR)
    assert first is not None
    assert leases.acquire("run-due", "2026-12-01T09", HOUR) is None
    # another hour, another lease
    assert leases.acquire("run-due", "2026-12-01T10", HOUR) is not None
    # the holder died: once its lease has expired another process takes the hour over
    lease = db.session.scalars(db.select(JobLease).filter_by(period="2026-12-01T09")).one()
    lease.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    second = leases.acquire("run-due", "2026-12-01T09", HOUR)
    assert second not in (None, first)
    # the dead holder's late finish changes nothing; the new holder's marks the hour done
    leases.finish("run-due", "2026-12-01T09", first)
    db.session.expire_all()
    assert lease.finished_at is None and lease.holder == second
    leases.finish("run-due", "2026-12-01T09", second)
    lease.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert leases.acquire("run-due", "2026-12-01T09", HOUR) is None


def test_work_that_fails_leaves_the_lease_to_expire(app):
    with pytest.raises(RuntimeError), leases.hold("run-due", "2026-12-01T11", HOUR) as mine:
        assert mine
        raise RuntimeError("worker crashed")
    lease = db.session.scalars(db.select(JobLease)).one()
    assert lease.finished_at is None
    with leases.hold("run-due", "2026-12-01T11", HOUR) as mine:
        assert not mine
