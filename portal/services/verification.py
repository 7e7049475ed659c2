"""Checking that the person holding a link is the patient, with throttling.

At most `max_failures` wrong answers per link and per IP address within `window`; past that
every answer, right or wrong, is refused until the window has moved on.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, or_

from portal.clock import utcnow
from portal.extensions import db
from portal.models import PaymentLink, VerificationAttempt
from portal.services import audit
from portal.services.audit import Actor


@dataclass(frozen=True)
class Policy:
    max_failures: int = 5
    window: timedelta = timedelta(minutes=15)


def locked_out(link: PaymentLink, ip_address: str, policy: Policy, now: datetime) -> bool:
    """True when the link or the address has used up its wrong answers in the window."""
    since = now - policy.window
    failures = db.session.execute(
        db.select(
            func.count().filter(VerificationAttempt.link_id == link.id),
            func.count().filter(VerificationAttempt.ip_address == ip_address),
        ).where(
            VerificationAttempt.succeeded.is_(False),
            VerificationAttempt.created_at > since,
            or_(
                VerificationAttempt.link_id == link.id, VerificationAttempt.ip_address == ip_address
            ),
        )
    ).one()
    return max(failures) >= policy.max_failures


def check_date_of_birth(
    link: PaymentLink,
    answer: date,
    *,
    ip_address: str,
    policy: Policy = Policy(),
    now: datetime | None = None,
) -> str:
    """Compare `answer` with the patient's date of birth: "ok", "wrong" or "locked"."""
    now = now or utcnow()
    invoice = link.invoice
    if locked_out(link, ip_address, policy, now):
        audit.record(
            "link.verification_locked",
            practice_id=invoice.practice_id,
            invoice_id=invoice.id,
            actor=Actor("patient", f"link:{link.id}", ip_address),
        )
        return "locked"
    succeeded = answer == invoice.patient.date_of_birth
    db.session.add(
        VerificationAttempt(
            link_id=link.id, ip_address=ip_address, succeeded=succeeded, created_at=now
        )
    )
    audit.record(
        "link.verified" if succeeded else "link.verification_failed",
        practice_id=invoice.practice_id,
        invoice_id=invoice.id,
        actor=Actor("patient", f"link:{link.id}", ip_address),
        method="date_of_birth",
    )
    if succeeded:
        link.verified_at = now
        return "ok"
    if locked_out(link, ip_address, policy, now):
        return "locked"
    return "wrong"
