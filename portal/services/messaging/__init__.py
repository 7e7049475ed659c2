"""Messaging decides how a message reaches a patient (or the practice): one `deliver()` for
every email, text and letter.

- `delivery`: `deliver(Message)` checks the address, consent and paper preference at this
  moment, holds the message for the patient's quiet hours where its purpose says so, renders
  it in the recipient's language with a fresh link, sends it through the gateway and records a
  `Delivery`; `retry_due` retries by the one rule (`purposes.RETRY_AFTER`).
- `purposes`: what each message is (templates, link, quiet hours, records, recipient).
- `render`: templates in the recipient's locale, the SMS opt-out and privacy line, the email.
- `linking`: the fresh link of each message and how long it lives (a plan's until it ends).
- `link_sends`: staff sending a link; a patient asking for a new one from an expired link.
- `receipts`, `plans`: the outbox work that follows a payment or a plan's events.
- `answers`: telling the patient that the practice answered their question (after the
  commit, by the channel they use, with a link to the question page).
- `staff`: the same for messages to staff (password reset, Sistema TS reminders):
  `deliver_to_staff(StaffMessage)` renders in the staff member's language, sends, records a
  `Delivery` and is retried by `retry_due`.
"""

from portal import gateways
from portal.services.messaging.delivery import Message, deliver, retry_due
from portal.services.messaging.link_sends import (
    CHANNELS,
    CannotSend,
    check_sendable,
    render_link_message,
    request_link,
    send_link,
)
from portal.services.messaging.linking import new_link
from portal.services.messaging.purposes import PURPOSES, RETRY_AFTER
from portal.services.messaging.render import build_message, plain_html, render_email


def email_configured() -> bool:
    """False where messages would not reach anyone: production without `SMTP_URL`."""
    return gateways.mailer().configured


__all__ = [
    "CHANNELS",
    "PURPOSES",
    "RETRY_AFTER",
    "CannotSend",
    "Message",
    "build_message",
    "check_sendable",
    "deliver",
    "email_configured",
    "new_link",
    "plain_html",
    "render_email",
    "render_link_message",
    "request_link",
    "retry_due",
    "send_link",
]
