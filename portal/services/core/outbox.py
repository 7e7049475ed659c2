"""Pending work: what must follow a committed change, done later by a worker with retries.

`enqueue` adds a row to the caller's transaction (it commits with the change or not at all);
`run_pending` is the worker, called by the Huey task every minute, by `flask jobs run-due` and
by `flask outbox run`. A worker leases each row before performing it, so several workers never
do the same work at once; a worker that dies mid-way loses its lease and the row is taken
again. Failures are retried with exponential backoff; after `MAX_ATTEMPTS` the row is
"failed" and staff see it (and can retry it) on the pending work page.
"""

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import or_, update

from portal.clock import utcnow
from portal.extensions import db
from portal.models import PendingWork
from portal.models.pending_work import WorkStatus
from portal.services.core import audit
from portal.services.core.audit import Actor
from portal.services.core.inserts import insert_once

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 12
FIRST_RETRY = timedelta(minutes=1)
LONGEST_WAIT = timedelta(hours=6)
LEASE = timedelta(minutes=5)

#: the payment confirmation email with its receipt (performed by messaging)
RECEIPT = "receipt_email"

_handlers: dict[str, Callable[[PendingWork], None]] = {}


def register(kind: str, handler: Callable[[PendingWork], None]) -> None:
    """Name the function that performs work of `kind`; it raises to ask for a retry."""
    _handlers[kind] = handler


def enqueue(
    kind: str, dedupe_key: str, *, practice_id: int, invoice_id: int | None = None, **payload
) -> bool:
    """Record work in the current transaction (the caller commits); the same `dedupe_key`
    twice is recorded once, by one `INSERT … ON CONFLICT DO NOTHING`. True if this call
    recorded it."""
    return insert_once(
        PendingWork,
        ["dedupe_key"],
        kind=kind,
        dedupe_key=dedupe_key,
        practice_id=practice_id,
        invoice_id=invoice_id,
        payload=payload,
        next_attempt_at=utcnow(),
    )


def queue_receipt(payment) -> None:
    """Record that a booked payment's receipt is to be emailed (the caller commits)."""
    enqueue(
        RECEIPT,
        f"receipt:payment:{payment.id}",
        practice_id=payment.invoice.practice_id,
        invoice_id=payment.invoice_id,
        payment_id=payment.id,
    )


def backoff(attempts: int) -> timedelta:
    """The wait after the `attempts`-th failure: 1, 2, 4 … minutes, at most 6 hours."""
    return min(FIRST_RETRY * 2 ** max(attempts - 1, 0), LONGEST_WAIT)


def _lease(work_id: int, now: datetime) -> bool:
    result = db.session.execute(
        update(PendingWork)
        .where(
            PendingWork.id == work_id,
            PendingWork.status == WorkStatus.PENDING,
            PendingWork.next_attempt_at <= now,
            or_(PendingWork.leased_until.is_(None), PendingWork.leased_until < now),
        )
        .values(leased_until=now + LEASE)
        .execution_options(synchronize_session=False)
    )
    # the lease is durable before the work (an email, a seal) is done
    db.session.commit()
    return result.rowcount == 1


def run_pending(now: datetime | None = None, limit: int = 200) -> int:
    """Perform the work that is due, oldest first; returns how many rows were done."""
    now = now or utcnow()
    due = (
        db.select(PendingWork.id)
        .where(PendingWork.status == WorkStatus.PENDING, PendingWork.next_attempt_at <= now)
        .order_by(PendingWork.next_attempt_at, PendingWork.id)
        .limit(limit)
    )
    done = 0
    for work_id in db.session.scalars(due).all():
        if _lease(work_id, now):
            done += _perform(work_id, now)
    return done


def _perform(work_id: int, now: datetime) -> int:
    work = db.session.get(PendingWork, work_id)
    db.session.refresh(work)
    handler = _handlers.get(work.kind)
    try:
        if handler is None:
            raise LookupError(f"no handler for {work.kind}")
        handler(work)
        db.session.flush()
    except Exception as exc:
        db.session.rollback()
        log.warning("pending work %s (%s) failed: %s", work_id, work.kind, exc)
        _failed(db.session.get(PendingWork, work_id), now, exc)
        return 0
    work.status, work.done_at, work.leased_until, work.last_error = "done", utcnow(), None, None
    # the work is recorded done right after it was performed, so it is not done twice
    db.session.commit()
    return 1


def _failed(work: PendingWork, now: datetime, exc: Exception) -> None:
    work.attempts += 1
    work.last_error = (str(exc) or type(exc).__name__)[:500]
    work.leased_until = None
    if work.attempts >= MAX_ATTEMPTS:
        work.status = WorkStatus.FAILED
    else:
        work.next_attempt_at = now + backoff(work.attempts)
    # the failure and its next attempt are kept whatever the caller does next
    db.session.commit()


def unfinished(practice_id: int) -> list[PendingWork]:
    """The practice's work not done yet: given up first, then the oldest."""
    query = (
        db.select(PendingWork)
        .where(PendingWork.practice_id == practice_id, PendingWork.status != WorkStatus.DONE)
        .order_by(PendingWork.status.desc(), PendingWork.created_at, PendingWork.id)
    )
    return list(db.session.scalars(query))


def retry(work: PendingWork, actor: Actor) -> None:
    """Staff asked to try again now: a given-up row starts its attempts afresh (the caller
    commits)."""
    if work.status == WorkStatus.DONE:
        return
    work.status, work.attempts, work.next_attempt_at = "pending", 0, utcnow()
    audit.record(
        "work.retried",
        practice_id=work.practice_id,
        invoice_id=work.invoice_id,
        actor=actor,
        work_id=work.id,
        kind=work.kind,
    )
