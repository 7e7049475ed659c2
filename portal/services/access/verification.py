"""Checking that the person holding a link is the patient.

Wrong answers are counted on the link itself: after `max_failures` the link is locked, for
every address and for the right answer too, until staff unlock it or send a new link. The
address is recorded with each attempt as evidence but never counted: one address (a waiting
room's Wi-Fi, a family, a carrier's shared address) cannot lock anyone else's link. Address
limits in the web layer only slow requests down.

The rule is written once: `Policy.locks` says whether a link's failures so far lock it, and
`lock_moments` derives from the recorded attempts when a link was locked (the alerts sweep
reads lockouts that way); `configured_policy` is the installation's limit for both.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask import current_app

from portal.clock import utcnow
from portal.extensions import db
from portal.models import PaymentLink, VerificationAttempt
from portal.models.audit import ActorKind
from portal.services.core import audit, counters
from portal.services.core.audit import Actor


@dataclass(frozen=True)
class Policy:
    max_failures: int = 5
    #: kept for configuration compatibility; a locked link stays locked until unlocked, and
    #: failures count however far apart they are (a window would let a slow guesser through)
    window: timedelta = timedelta(minutes=15)

    def locks(self, failures: int) -> bool:
        """Whether `failures` wrong answers since the link was issued or unlocked lock it."""
        return failures >= self.max_failures


def configured_policy() -> Policy:
    """The installation's rule (`VERIFY_MAX_FAILURES`, `VERIFY_WINDOW`)."""
    config = current_app.config
    return Policy(
        int(config.get("VERIFY_MAX_FAILURES", 5)), config.get("VERIFY_WINDOW", Policy.window)
    )


def lock_moments(failures: Iterable[datetime], policy: Policy) -> list[datetime]:
    """When a link whose failed attempts happened at `failures` (in order) was locked, by
    the rule `check_date_of_birth` applies: at the failure that `policy.locks`. A locked link
    records no attempt until staff unlock it, which starts the count again, so the next
    failure after a lock counts from one."""
    moments, count = [], 0
    for moment in failures:
        count += 1
        if policy.locks(count):
            moments.append(moment)
            count = 0
    return moments


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
    if not policy.locks(counters.increment(link, "failed_checks")):
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
