"""Email delivery: SMTP when `SMTP_URL` is set, the in-app outbox where `OUTBOX_ENABLED`
(demo, tests), and otherwise nothing: a mailer that refuses, so no message is reported as
sent when it reached no one."""

import smtplib
import ssl
from email.message import EmailMessage
from typing import Protocol
from urllib.parse import unquote, urlsplit


class Mailer(Protocol):
    #: False when messages cannot reach anyone (staff are shown that email is not set up)
    configured: bool

    def send(self, message: EmailMessage) -> None: ...


class MailNotConfigured(OSError):
    """No SMTP server is configured: the message was not sent."""


class SMTPMailer:
    """Sends through an SMTP server given as smtp://, smtp+starttls:// or smtps:// URL."""

    configured = True

    def __init__(self, url: str, timeout: float = 10.0):
        parts = urlsplit(url)
        self.scheme = parts.scheme
        self.host = parts.hostname or "localhost"
        self.port = parts.port or (465 if self.scheme == "smtps" else 25)
        self.username = unquote(parts.username) if parts.username else None
        self.password = unquote(parts.password) if parts.password else None
        self.timeout = timeout

    def send(self, message: EmailMessage) -> None:
        if self.scheme == "smtps":
            context = ssl.create_default_context()
            server = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=context)
        else:
            server = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        with server:
            if self.scheme == "smtp+starttls":
                server.starttls(context=ssl.create_default_context())
            if self.username:
                server.login(self.username, self.password or "")
            server.send_message(message)


class OutboxMailer:
    """Keeps each message in the database for the `/dev/outbox` page."""

    configured = True

    def send(self, message: EmailMessage) -> None:
        from portal.extensions import db
        from portal.models import OutboxMessage

        db.session.add(
            OutboxMessage(
                channel="email",
                recipient=str(message["To"]),
                subject=str(message["Subject"]),
                raw=message.as_string(),
            )
        )
        db.session.flush()


class UnconfiguredMailer:
    """Production without `SMTP_URL`: every send fails, so the work stays pending."""

    configured = False

    def send(self, message: EmailMessage) -> None:
        raise MailNotConfigured("email is not configured (SMTP_URL is not set)")


def mailer_from_config(config) -> Mailer:
    url = config.get("SMTP_URL")
    if url:
        return SMTPMailer(url)
    return OutboxMailer() if config.get("OUTBOX_ENABLED") else UnconfiguredMailer()
