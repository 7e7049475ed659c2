"""What each kind of message is: its templates, whether it carries a fresh link, whether it
waits for quiet hours, whom it goes to; and the one retry rule every message follows.

Quiet hours (08:00-21:00 in the patient's zone, `quiet_hours`) hold every email and text the
patient did not just ask for: links sent by staff, reminders, installment notices, past-due
notices. Messages that answer something the patient has just done (the receipt of a payment,
the confirmation of a plan they signed, a new link they asked for) go at once, whatever the
hour, as does anything sent to the practice. Letters are never held: staff print them in the
day's batch. Texts carry the opt-out line and the practice's privacy notice.
"""

from dataclasses import dataclass
from datetime import timedelta

from portal.models.delivery import DeliveryPurpose

#: the one retry rule: after the n-th failed attempt the next comes this much later; after
#: the last the message is left failed (staff see it on the invoice)
RETRY_AFTER = (timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2), timedelta(hours=8))
#: a mailer that is not configured (production without SMTP_URL) costs no attempt: the message
#: waits, and goes out once email is configured
NOT_CONFIGURED_WAIT = timedelta(hours=1)


@dataclass(frozen=True)
class Purpose:
    name: str
    #: `templates/email/<email>/` (a reminder's is chosen by its tone), None: no email
    email: str | None
    #: `templates/sms/<sms>.txt`, None: no text
    sms: str | None = None
    #: carries a fresh link to the bill (which revokes the older ones)
    link: bool = True
    #: answers what the patient has just done: never held for quiet hours
    patient_asked: bool = False
    #: an electronic record (receipt, plan documents): not emailed to patients on paper
    record: bool = False
    #: goes to the practice's own address, not to the patient
    to_practice: bool = False
    #: audit action when sent; "" uses "<name>.sent"
    sent_action: str = ""
    #: the patient page its link opens after the date of birth (`patient.session.LANDINGS`);
    #: "" opens the bill
    lands_on: str = ""
    #: only about an open invoice: once it is paid or void the message is not sent
    open_only: bool = False

    @property
    def audit_prefix(self) -> str:
        """ "link", "reminder", "receipt", "plan.email": `<prefix>.send_failed`, `.held`..."""
        if self.sent_action.startswith("plan.email."):
            return "plan.email"
        return self.sent_action.split(".", 1)[0] if self.sent_action else self.name


def _plan(name: DeliveryPurpose, **kw) -> Purpose:
    return Purpose(name, name, record=True, sent_action=f"plan.email.{name}", **kw)


PURPOSES: dict[str, Purpose] = {
    p.name: p
    for p in (
        Purpose(DeliveryPurpose.LINK, "link", "link", sent_action="link.sent"),
        Purpose(
            DeliveryPurpose.LINK_REQUEST,
            "link",
            "link",
            patient_asked=True,
            sent_action="link.sent",
        ),
        Purpose(DeliveryPurpose.REMINDER, None, "reminder", sent_action="reminder.sent"),
        Purpose(
            DeliveryPurpose.RECEIPT,
            "receipt",
            patient_asked=True,
            record=True,
            sent_action="receipt.emailed",
        ),
        _plan(DeliveryPurpose.PLAN_ACTIVE, patient_asked=True),
        _plan(DeliveryPurpose.INSTALLMENT_UPCOMING),
        _plan(DeliveryPurpose.INSTALLMENT_FAILED),
        _plan(DeliveryPurpose.INSTALLMENT_AUTHENTICATE),
        _plan(DeliveryPurpose.PLAN_PAST_DUE),
        _plan(DeliveryPurpose.PRACTICE_PLAN_PAST_DUE, link=False, to_practice=True),
        Purpose(
            DeliveryPurpose.QUESTION_ANSWERED,
            "question_answered",
            "question_answered",
            sent_action="question_answer.sent",
            lands_on="question",
            open_only=True,
        ),
    )
}


def retry_at(attempts: int, now) -> object | None:
    """When the message is tried again after its `attempts`-th failure; None: given up."""
    if attempts <= len(RETRY_AFTER):
        return now + RETRY_AFTER[attempts - 1]
    return None
