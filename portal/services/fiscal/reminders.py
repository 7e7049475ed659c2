"""A monthly email to the owners of each practice where Saldo issues the health invoices:
the previous month's Sistema TS file is ready to download and send (the deadline is the end
of the month after the documents' month). Once per practice and month, under a unique row."""

import logging
from collections.abc import Collection
from datetime import date

from sqlalchemy.exc import IntegrityError

from portal.extensions import db
from portal.models import FiscalProfile, StaffUser, StsReminder
from portal.models.fiscal import Issuer
from portal.models.staff import Role
from portal.services.core import audit
from portal.services.core.audit import SYSTEM
from portal.services.fiscal import sts
from portal.services.messaging import staff as staff_messages

log = logging.getLogger(__name__)


def previous_month(today: date) -> str:
    year, month = (today.year, today.month - 1) if today.month > 1 else (today.year - 1, 12)
    return f"{year:04d}-{month:02d}"


def _claim(practice_id: int, month: str) -> bool:
    db.session.add(StsReminder(practice_id=practice_id, month=month))
    try:
        # the month's reminder is claimed (unique row) before any email goes out
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        return False
    return True


def send_due(today: date, practice_ids: Collection[int] | None = None) -> int:
    """Remind the owners about last month's export where documents were issued in it (only
    in `practice_ids`, when given); returns how many practices were reminded."""
    month = previous_month(today)
    reminded = 0
    query = db.select(FiscalProfile).filter_by(issuer=Issuer.SALDO)
    if practice_ids is not None:
        query = query.where(FiscalProfile.practice_id.in_(practice_ids))
    for profile in db.session.scalars(query).all():
        practice = profile.practice
        if practice.country != "IT" or not sts.documents_in(practice, month):
            continue
        if not _claim(practice.id, month):
            continue
        owners = db.session.scalars(
            db.select(StaffUser).filter_by(practice_id=practice.id, role=Role.OWNER, active=True)
        ).all()
        for owner in owners:
            staff_messages.deliver_to_staff(
                staff_messages.StaffMessage(staff_messages.STS_REMINDER, owner, {"month": month})
            )
        audit.record("fiscal.sts_reminder", practice_id=practice.id, actor=SYSTEM, month=month)
        # per practice, after its emails went out
        db.session.commit()
        reminded += 1
    return reminded
