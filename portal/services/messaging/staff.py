"""Messages to the practice's staff: the password-reset email and the monthly Sistema TS
reminder to the owners. The staff flavour of `deliver()`: rendered in the staff member's
language, built by `render.build_message`, sent through the mail gateway and recorded as a
`Delivery` (no invoice), a failure retried by the one rule (`purposes.RETRY_AFTER`) from
`retry_due`.

A password reset is sent after the answer (`send_later`), so a known address and an unknown
one take the same time; its delivery is recorded as handed to the mailer and is not retried
(the link would come late, and the person can ask again).
"""

from dataclasses import dataclass, field
from datetime import datetime

from flask import current_app, render_template

from portal import gateways
from portal.clock import utcnow
from portal.extensions import db
from portal.i18n import rendering_in
from portal.models import Delivery, Practice, StaffUser
from portal.models.delivery import Channel, DeliveryStatus
from portal.services.messaging import render
from portal.services.messaging.purposes import NOT_CONFIGURED_WAIT, retry_at

PASSWORD_RESET, STS_REMINDER = "password_reset", "sts_reminder"
#: the purposes of staff messages (a `Delivery.purpose`)
PURPOSES = (PASSWORD_RESET, STS_REMINDER)


@dataclass(frozen=True)
class StaffMessage:
    """What to send to a staff member: a purpose of `PURPOSES` and its references (kept on
    the delivery, so a retry renders it again; never a secret such as a reset link)."""

    purpose: str
    staff: StaffUser
    refs: dict = field(default_factory=dict)


def render_password_reset(user: StaffUser, locale: str, url: str) -> tuple[str, str, str]:
    """(subject, text, html) of the password-reset email."""
    return render.render_email(PASSWORD_RESET, locale, user=user, url=url)


def _render_sts(practice: Practice, locale: str, month: str) -> tuple[str, str, str]:
    base_url = current_app.config["PORTAL_BASE_URL"].rstrip("/")
    context = dict(practice=practice, month=month, url=f"{base_url}/staff/fiscal?month={month}")
    with rendering_in(locale):
        subject = render_template("fiscal/email/sts_reminder_subject.txt", **context).strip()
        text = render_template("fiscal/email/sts_reminder_body.txt", **context)
    return subject, text, render.plain_html(text, locale)


def _record(message: StaffMessage, subject: str, text: str) -> Delivery:
    staff = message.staff
    delivery = Delivery(
        practice_id=staff.practice_id,
        invoice_id=None,
        purpose=message.purpose,
        channel=Channel.EMAIL,
        recipient=staff.email,
        locale=staff.locale,
        subject=subject,
        body=text,
        payload={"staff_id": staff.id, **message.refs},
        status=DeliveryStatus.QUEUED,
    )
    db.session.add(delivery)
    db.session.flush()
    return delivery


def send_password_reset(user: StaffUser | None, email: str, url: str, locale: str) -> None:
    """Render and build the reset email for `email`; send it after the answer and record its
    delivery only when the address is a staff member's (`user`), so a known and an unknown
    address do the same work before the answer. The caller commits."""
    subject, text, html = render_password_reset(
        user or StaffUser(name="", email=email), locale, url
    )
    built = render.build_message(user.practice if user else None, email, subject, text, html)
    if user is None:
        return
    delivery = _record(StaffMessage(PASSWORD_RESET, user), subject, text.replace(url, "[link]"))
    mailer = gateways.mailer()
    if not mailer.configured:
        delivery.status, delivery.last_error = DeliveryStatus.FAILED, "email is not configured"
        return
    mailer.send_later(built)
    delivery.attempts = 1
    delivery.status, delivery.sent_at = DeliveryStatus.SENT, utcnow()


def deliver_to_staff(message: StaffMessage, *, now: datetime | None = None) -> Delivery:
    """Send `message` now and record its `Delivery` (sent, queued while email is not
    configured, or failed and retried later); a failure is never raised. Part of the
    caller's transaction."""
    delivery = _record(message, None, "")
    go(delivery, now or utcnow())
    return delivery


def go(delivery: Delivery, now: datetime) -> None:
    """One attempt at a staff delivery (the first or a retry by `retry_due`)."""
    staff = db.session.get(StaffUser, (delivery.payload or {}).get("staff_id"))
    if delivery.purpose != STS_REMINDER or staff is None or not staff.active:
        delivery.status, delivery.next_attempt_at = DeliveryStatus.SKIPPED, None
        delivery.last_error = "no_recipient"
        return
    if not gateways.mailer().configured:
        delivery.status, delivery.next_attempt_at = DeliveryStatus.QUEUED, now + NOT_CONFIGURED_WAIT
        delivery.last_error = "email is not configured"
        return
    practice = db.session.get(Practice, delivery.practice_id)
    subject, text, html = _render_sts(practice, staff.locale, delivery.payload["month"])
    delivery.recipient, delivery.locale = staff.email, staff.locale
    delivery.attempts += 1
    try:
        gateways.mailer().send(render.build_message(practice, staff.email, subject, text, html))
    except OSError as exc:
        delivery.status, delivery.last_error = DeliveryStatus.FAILED, str(exc)[:500]
        delivery.next_attempt_at = retry_at(delivery.attempts, now)
        return
    delivery.subject, delivery.body = subject, text
    delivery.status, delivery.sent_at = DeliveryStatus.SENT, now
    delivery.next_attempt_at, delivery.last_error = None, None
