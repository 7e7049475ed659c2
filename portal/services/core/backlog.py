"""What the periodic work has left behind: pending work waiting or failing, and payments
stuck in flight (still not settled once the reconciliation could have read them)."""

from dataclasses import dataclass

from sqlalchemy import case, func

from portal.extensions import db
from portal.models import Invoice, Payment, PendingWork
from portal.models.payment import IN_FLIGHT
from portal.models.pending_work import WorkStatus
from portal.services.payments import reconcile


@dataclass(frozen=True)
class Backlog:
    #: pending work not tried yet
    queued: int
    #: pending work that failed at least once and will be tried again
    failing: int
    #: pending work given up after its last attempt (staff may retry it)
    given_up: int
    #: payments in flight longer than the reconciliation waits
    stuck_payments: int

    @property
    def clear(self) -> bool:
        return not (self.failing or self.given_up or self.stuck_payments)


def of(practice_id: int | None = None) -> Backlog:
    """The backlog of one practice, or of the whole installation when `practice_id` is None."""
    tried = func.sum(case((PendingWork.attempts > 0, 1), else_=0))
    work = db.select(PendingWork.status, func.count(PendingWork.id), tried).where(
        PendingWork.status != WorkStatus.DONE
    )
    if practice_id is not None:
        work = work.where(PendingWork.practice_id == practice_id)
    counts = {
        status: (n, failed or 0)
        for status, n, failed in db.session.execute(work.group_by(PendingWork.status))
    }
    stuck = db.select(func.count(Payment.id)).where(
        Payment.status.in_(IN_FLIGHT), Payment.created_at <= reconcile.stale_before()
    )
    if practice_id is not None:
        stuck = stuck.join(Invoice).where(Invoice.practice_id == practice_id)
    pending = counts.get("pending", (0, 0))
    return Backlog(
        queued=pending[0] - pending[1],
        failing=pending[1],
        given_up=counts.get("failed", (0, 0))[0],
        stuck_payments=db.session.scalar(stuck) or 0,
    )


def stuck_payments(practice_id: int) -> list[Payment]:
    """The practice's payments stuck in flight, oldest first."""
    query = (
        db.select(Payment)
        .join(Invoice)
        .where(
            Invoice.practice_id == practice_id,
            Payment.status.in_(IN_FLIGHT),
            Payment.created_at <= reconcile.stale_before(),
        )
        .order_by(Payment.created_at, Payment.id)
    )
    return list(db.session.scalars(query))
