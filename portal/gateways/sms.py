"""Text messages: Twilio's REST API when `TWILIO_*` is configured, otherwise the outbox."""

import base64
import json
from collections.abc import Callable
from typing import Protocol
from urllib.error import HTTPError, URLError
from urllib.parse import urlencode
from urllib.request import Request, urlopen


def plain_text(body: str) -> str:
    """No-break and thin spaces (as in "154,50 €") become plain spaces, keeping texts in
    the GSM-7 alphabet so they are not split into short Unicode parts."""
    return body.replace("\u00a0", " ").replace("\u202f", " ")


#: keeps a message that was not sent: (recipient, subject, raw text) -> its id
Keep = Callable[[str, str | None, str], int]


class SmsError(OSError):
    """The provider refused the message or could not be reached."""


class SmsSender(Protocol):
    def send(self, to: str, body: str) -> str:
        """Send `body` to the E.164 number `to`; returns the provider's message id."""


class TwilioSender:
    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        from_number: str,
        api_base: str = "https://api.twilio.com",
        timeout: float = 10.0,
    ):
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.from_number = from_number
        self.api_base = api_base.rstrip("/")
        self.timeout = timeout

    def send(self, to: str, body: str) -> str:
        url = f"{self.api_base}/2010-04-01/Accounts/{self.account_sid}/Messages.json"
        data = urlencode({"To": to, "From": self.from_number, "Body": plain_text(body)}).encode()
        credentials = base64.b64encode(f"{self.account_sid}:{self.auth_token}".encode()).decode()
        request = Request(url, data=data, method="POST")  # noqa: S310 (configured https URL)
        request.add_header("Authorization", f"Basic {credentials}")
        try:
            with urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                return json.loads(response.read())["sid"]
        except HTTPError as exc:
            detail = exc.read().decode("utf-8", "replace")[:200]
            raise SmsError(f"Twilio answered {exc.code}: {detail}") from exc
        except (URLError, TimeoutError, ValueError, KeyError) as exc:
            raise SmsError(f"Twilio unreachable: {exc}") from exc


class OutboxSender:
    """Hands each text to `keep` (the app's outbox, read on the `/dev/outbox` page) instead
    of sending it."""

    def __init__(self, keep: Keep):
        self.keep = keep

    def send(self, to: str, body: str) -> str:
        return f"outbox-{self.keep(to, None, plain_text(body))}"


def sender_from_config(config, keep: Keep) -> SmsSender:
    """Twilio where `TWILIO_*` is configured, else the outbox (`keep`)."""
    if config.get("TWILIO_ACCOUNT_SID") and config.get("TWILIO_AUTH_TOKEN"):
        return TwilioSender(
            config["TWILIO_ACCOUNT_SID"],
            config["TWILIO_AUTH_TOKEN"],
            config["TWILIO_FROM_NUMBER"] or "",
            config.get("TWILIO_API_BASE") or "https://api.twilio.com",
        )
    return OutboxSender(keep)
