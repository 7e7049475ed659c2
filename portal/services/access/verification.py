"""Checking that the person holding a link is the patient.

Wrong answers are counted on the link itself: after `max_failures` the link is locked, for
every address and for the right answer too, until staff unlock it or send a new link. The
address is recorded with each attempt as evidence but never counted: one address (a waiting
room's Wi-Fi, a family, a carrier's shared address) cannot lock anyone else's link. Address
limits in the web layer only slow requests down.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from portal.clock import utcnow
from portal.extensions import db
from portal.models import PaymentLink, VerificationAttempt
from portal.models.audit import ActorKind
from portal.services.core import audit, counters
from portal.services.core.audit import Actor


@dataclass(frozen=True)
class Policy:
    max_failures: int = 5
    #: kept for configuration compatibility; a locked link stays locked until unlocked
    window: timedelta = timedelta(minutes=15)


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
    actor = Actor(ActorKind.PATIENT, f"link:{link.id}", ip_address)
    if link.locked_at is not None:
        audit.record(
            "link.verification_locked",
            practice_id=invoice.practice_id,
            invoice_id=invoice.id,
            actor=actor,
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
        actor=actor,
        method="date_of_birth",
    )
    if succeeded:
        link.verified_at = now
        return "ok"
    if counters.increment(link, "failed_checks") < policy.max_failures:
        return "wrong"
    link.locked_at = now
    audit.record(
        "link.locked",
        practice_id=invoice.practice_id,
        invoice_id=invoice.id,
        actor=actor,
        link_id=link.id,
    )
    return "locked"
