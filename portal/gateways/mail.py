"""Email delivery: SMTP when `SMTP_URL` is set, the in-app outbox where `OUTBOX_ENABLED`
(demo, tests), and otherwise nothing: a mailer that refuses, so no message is reported as
sent when it reached no one."""

import logging
import re
import smtplib
import ssl
import threading
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import parseaddr
from typing import Protocol
from urllib.parse import unquote, urlsplit

from portal.gateways.sms import Keep

log = logging.getLogger(__name__)
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")


class Mailer(Protocol):
    #: False when messages cannot reach anyone (staff are shown that email is not set up)
    configured: bool

    def send(self, message: EmailMessage) -> None: ...

    def send_later(self, message: EmailMessage) -> None: ...


def header_text(text: str) -> str:
    """`text` on one line: line breaks and other controls become single spaces."""
    return " ".join(_CONTROL.sub(" ", text).split())


def address(display_name: str | None, addr_spec: str) -> Address:
    """One mailbox whose display name is encoded as a whole, so commas, quotes, angle
    brackets or line breaks in it can neither split it nor break the header."""
    return Address(display_name=header_text(display_name or ""), addr_spec=addr_spec.strip())


def sender(display_name: str | None, mail_from: str) -> Address:
    """The From mailbox: `mail_from`'s address under `display_name` (or its own name)."""
    own_name, addr_spec = parseaddr(mail_from)
    return address(display_name or own_name, addr_spec)


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

    def send_later(self, message: EmailMessage) -> None:
        """Send in the background, so the request's answer does not wait for the server."""

        def run():
            try:
                self.send(message)
            except (OSError, smtplib.SMTPException):
                log.warning("a background email could not be sent")

        threading.Thread(target=run, name="saldo-mail", daemon=True).start()


class OutboxMailer:
    """Hands each message to `keep` (the app's outbox, read on the `/dev/outbox` page)
    instead of sending it."""

    configured = True

    def __init__(self, keep: Keep):
        self.keep = keep

    def send(self, message: EmailMessage) -> None:
        self.keep(str(message["To"]), str(message["Subject"]), message.as_string())

    def send_later(self, message: EmailMessage) -> None:
        self.send(message)


class UnconfiguredMailer:
    """Production without `SMTP_URL`: every send fails, so the work stays pending."""

    configured = False

    def send(self, message: EmailMessage) -> None:
        raise MailNotConfigured("email is not configured (SMTP_URL is not set)")


def mailer_from_config(config, keep: Keep | None = None) -> Mailer:
    """SMTP where `SMTP_URL` is set; else the outbox (`keep`) where it is enabled; else a
    mailer that refuses every message."""
    url = config.get("SMTP_URL")
    if url:
        return SMTPMailer(url)
    enabled = keep is not None and config.get("OUTBOX_ENABLED")
    return OutboxMailer(keep) if enabled else UnconfiguredMailer()
