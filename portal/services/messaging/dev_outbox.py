"""The development outbox: what the mail and SMS gateways were given to send when no SMTP
server or SMS provider is configured, kept on the channel it was meant for, for the
`/dev/outbox` page."""

from portal.extensions import db
from portal.models import OutboxMessage
from portal.models.delivery import Channel


def _keep(channel: Channel, recipient: str, subject: str | None, raw: str) -> int:
    message = OutboxMessage(channel=channel, recipient=recipient, subject=subject, raw=raw)
    db.session.add(message)
    db.session.flush()
    return message.id


def keep_email(recipient: str, subject: str | None, raw: str) -> int:
    """Keep an email (`raw`: the whole RFC 5322 message) in the outbox; its id."""
    return _keep(Channel.EMAIL, recipient, subject, raw)


def keep_text(recipient: str, subject: str | None, raw: str) -> int:
    """Keep a text message in the outbox; its id."""
    return _keep(Channel.SMS, recipient, subject, raw)
