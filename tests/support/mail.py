"""A real SMTP server (aiosmtpd) that keeps what it receives for the test to read."""

from email import message_from_bytes, policy
from email.message import EmailMessage

from aiosmtpd.controller import Controller


class Collector:
    def __init__(self):
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 Message accepted for delivery"


class SMTPServer:
    def __init__(self, port: int):
        self.collector = Collector()
        self.controller = Controller(self.collector, hostname="127.0.0.1", port=port)
        self.url = f"smtp://127.0.0.1:{port}"

    @property
    def messages(self) -> list[EmailMessage]:
        return self.collector.messages

    def __enter__(self):
        self.controller.start()
        return self

    def __exit__(self, *exc):
        self.controller.stop()
