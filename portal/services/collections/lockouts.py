"""When the practice's links were locked by wrong dates of birth, read back from the recorded
checks by the verify page's own rule (`verification.lock_moments`), for the alerts sweep."""

from collections import defaultdict
from datetime import datetime

from portal.extensions import db
from portal.models import Invoice, PaymentLink, VerificationAttempt
from portal.models.invoice import InvoiceStatus
from portal.services.access import verification


def link_locks(
    practice_id: int, since: datetime, until: datetime, policy: verification.Policy
) -> dict[tuple[int, int], list[datetime]]:
    """Per (invoice, link) of the practice's open invoices with a failed check between
    `since` and `until`, the moments the link was locked before `until`: the rule runs over
    every failed check of the link, however old, so a lock counts the failures before it."""
    attempt = VerificationAttempt
    failed = attempt.succeeded.is_(False)
    recent = db.select(attempt.link_id).where(
        failed, attempt.created_at >= since, attempt.created_at < until
    )
    rows = db.session.execute(
        db.select(PaymentLink.invoice_id, attempt.link_id, attempt.created_at)
        .join(PaymentLink, PaymentLink.id == attempt.link_id)
        .join(Invoice, Invoice.id == PaymentLink.invoice_id)
        .where(
            Invoice.practice_id == practice_id,
            Invoice.status == InvoiceStatus.OPEN,
            failed,
            attempt.link_id.in_(recent),
            attempt.created_at < until,
        )
        .order_by(attempt.link_id, attempt.created_at, attempt.id)
    ).all()
    times: dict[tuple[int, int], list[datetime]] = defaultdict(list)
    for invoice_id, link_id, created_at in rows:
        times[(invoice_id, link_id)].append(created_at)
    return {key: verification.lock_moments(moments, policy) for key, moments in times.items()}
