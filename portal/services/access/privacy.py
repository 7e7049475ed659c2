"""The privacy notice of each practice (GDPR art. 13): who the controller is, why and on
what legal basis data are processed (health data under art. 9(2)(h)), who receives them,
how long they are kept, the patient's rights and whom to contact.

The notice is public at `/privacy/<practice slug>` (it names no patient) and linked from
every patient page, every email and the agreement.
"""

from dataclasses import dataclass

from flask import current_app

from portal.extensions import db
from portal.models import Practice

#: years receipts and accounting records are kept (Italy: art. 2220 c.c., ten years)
RETENTION_YEARS = {"IT": 10}
DEFAULT_RETENTION_YEARS = 7


@dataclass(frozen=True)
class Notice:
    practice: Practice
    contact: str | None
    retention_years: int
    #: the supervisory authority named for complaints (None: the patient's own)
    authority: str | None


def notice_url(practice: Practice) -> str:
    """The absolute address of the practice's notice (for messages and documents)."""
    base = current_app.config["PORTAL_BASE_URL"].rstrip("/")
    return f"{base}/privacy/{practice.slug}"


def notice_for(slug: str) -> Notice | None:
    """The notice of the practice with `slug`, or None when there is no such practice."""
    practice = db.session.scalar(db.select(Practice).filter_by(slug=slug))
    if practice is None:
        return None
    authority = (
        "Garante per la protezione dei dati personali, www.garanteprivacy.it"
        if practice.country == "IT"
        else None
    )
    return Notice(
        practice,
        practice.privacy_contact or practice.email or practice.phone,
        RETENTION_YEARS.get(practice.country, DEFAULT_RETENTION_YEARS),
        authority,
    )
