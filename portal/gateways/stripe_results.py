"""What the Stripe gateway answers: its errors and the results of its calls, free of the SDK."""

from dataclasses import dataclass, field
from typing import Any

#: how long stripe-python waits for one answer (its default), and at most between retries
CALL_TIMEOUT_SECONDS, RETRY_DELAY_SECONDS = 80, 2


def longest_call_seconds(retries: int) -> int:
    """How long one call, every retry included, can last (its create may reach Stripe until)."""
    return CALL_TIMEOUT_SECONDS * (retries + 1) + RETRY_DELAY_SECONDS * retries


class GatewayError(Exception):
    """Stripe refused or could not be reached; `code` is Stripe's error code if any."""

    def __init__(self, message: str, code: str | None = None):
        super().__init__(message)
        self.code = code


class PaymentDeclined(GatewayError):
    """The bank or Stripe declined the payment method; `decline_code` and `advice_code` are
    the bank's reason and the card network's advice (e.g. "do_not_try_again") when given."""

    def __init__(
        self,
        message: str,
        code: str | None = None,
        decline_code: str | None = None,
        advice_code: str | None = None,
    ):
        super().__init__(message, code)
        self.decline_code = decline_code
        self.advice_code = advice_code


class GatewayUnavailable(GatewayError):
    """Stripe could not be reached or failed: whether it acted on the request is unknown."""


class GatewayBusy(GatewayUnavailable):
    """Stripe refused the request unprocessed (rate limited): nothing was charged."""


class MissingResource(GatewayError):
    """Stripe does not know the object (e.g. a customer made in another account)."""


class KeyRefused(GatewayError):
    """Stripe does not accept the secret key (mistyped, revoked or of another mode)."""


class BadSignature(GatewayError):
    """A webhook whose signature does not match the configured secret."""


class BadPayload(GatewayError):
    """A signed webhook body that is not JSON."""


@dataclass(frozen=True)
class SetupResult:
    id: str
    status: str
    customer_id: str | None
    payment_method_id: str | None
    metadata: dict[str, str] = field(default_factory=dict)
    #: why the last attempt to save failed (Stripe's decline or error code), if it did
    error_code: str | None = None

    @property
    def problem(self) -> str | None:
        """Why nothing was saved, as Stripe's code. A SetupIntent canceled without an error
        was canceled at its 3-D Secure check (localstripe's "Fail authentication"; Saldo
        cancels no SetupIntent itself)."""
        if self.error_code:
            return self.error_code
        return "setup_intent_authentication_failure" if self.status == "canceled" else None


@dataclass(frozen=True)
class MethodSummary:
    """What a saved payment method is, as the patient knows it."""

    type: str
    #: the card network as Stripe names it ("visa", "mastercard", "amex"...)
    brand: str | None = None
    last4: str | None = None
    #: the IBAN's country for SEPA Direct Debit
    country: str | None = None


@dataclass(frozen=True)
class IntentResult:
    id: str
    status: str
    amount: int
    currency: str
    client_secret: str | None
    payment_method_id: str | None
    failure_code: str | None
    metadata: dict[str, str] = field(default_factory=dict)
    #: the card network's advice on the last failure, e.g. "do_not_try_again"
    advice_code: str | None = None
    created: int = 0

    @classmethod
    def from_stripe(cls, obj: Any) -> "IntentResult":
        error = obj.get("last_payment_error") or {}
        return cls(
            id=obj["id"],
            status=obj["status"],
            amount=int(obj["amount"]),
            currency=str(obj["currency"]).upper(),
            client_secret=obj.get("client_secret"),
            payment_method_id=_id_of(obj.get("payment_method")),
            failure_code=error.get("decline_code") or error.get("code"),
            metadata=dict(obj.get("metadata") or {}),
            advice_code=error.get("advice_code"),
            created=int(obj.get("created") or 0),
        )


@dataclass(frozen=True)
class RefundResult:
    id: str
    status: str
    amount: int
    currency: str
    payment_intent_id: str | None
    charge_id: str | None
    metadata: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_stripe(cls, obj: Any) -> "RefundResult":
        return cls(
            id=obj["id"],
            status=str(obj["status"]),
            amount=int(obj["amount"]),
            currency=str(obj["currency"]).upper(),
            payment_intent_id=_id_of(obj.get("payment_intent")),
            charge_id=_id_of(obj.get("charge")),
            metadata=dict(obj.get("metadata") or {}),
        )


def _id_of(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return value["id"]
