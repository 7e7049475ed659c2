"""What the staff layout shows on every page besides its links: how many patients' questions
wait for an answer, and whether email is missing so that nothing reaches patients."""

from dataclasses import dataclass

from portal.services import messaging
from portal.services.collections import bill_questions


@dataclass(frozen=True)
class StaffNav:
    #: the practice's questions still waiting for an answer
    open_questions: int
    #: no email can leave (production without `SMTP_URL`)
    email_missing: bool


def build(practice_id: int) -> StaffNav:
    """The layout's figures for a signed-in member of the practice (one statement)."""
    return StaffNav(
        open_questions=bill_questions.open_count(practice_id),
        email_missing=not messaging.email_configured(),
    )
