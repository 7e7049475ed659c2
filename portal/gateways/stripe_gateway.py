"""Every call Saldo makes to Stripe (or to localstripe, which speaks the same API).

Only parameters that both accept are sent: explicit `payment_method_types`, no automatic
payment methods. A PaymentIntent's `description` and `statement_descriptor_suffix`, which
localstripe refuses, are sent only to Stripe itself (no API base, or api.stripe.com), and so
is the `link` payment method type (Link), which localstripe does not know.
"""

import json
import time
from functools import cached_property
from typing import Any
from urllib.error import HTTPError, URLError
from urllib.parse import urlencode, urlsplit
from urllib.request import Request, urlopen

from portal.gateways.lazy import LazyModule
from portal.gateways.stripe_results import (  # noqa: F401 (the gateway's public answers)
    CALL_TIMEOUT_SECONDS,
    RETRY_DELAY_SECONDS,
    BadPayload,
    BadSignature,
    GatewayBusy,
    GatewayError,
    GatewayUnavailable,
    IntentResult,
    KeyRefused,
    MethodSummary,
    MissingResource,
    PaymentDeclined,
    RefundResult,
    SetupResult,
    _id_of,
    longest_call_seconds,
)

#: imported at the first call to Stripe or the first webhook (about 0.4 s)
stripe_sdk = LazyModule("stripe")


class StripeGateway:
    def __init__(
        self,
        secret_key: str,
        api_base: str | None = None,
        webhook_secret: str | None = None,
        max_network_retries: int = 2,
    ):
        self._secret_key, self._retries = secret_key or "sk_unset", max_network_retries
        self._webhook_secret = webhook_secret
        self._api_base = api_base

    @cached_property
    def _client(self):
        """The SDK's client, made (and the SDK imported) at the first call to Stripe."""
        addresses = {"api": self._api_base} if self._api_base else None
        return stripe_sdk.StripeClient(
            self._secret_key, base_addresses=addresses, max_network_retries=self._retries
        )

    @property
    def is_stripe(self) -> bool:
        """True when talking to Stripe itself rather than localstripe or another stand-in."""
        return not self._api_base or urlsplit(self._api_base).hostname == "api.stripe.com"

    def check_secret_key(self) -> None:
        """Raise KeyRefused if Stripe refuses the key, GatewayUnavailable if it cannot be
        asked. A restricted key without access to the balance is accepted."""
        try:
            self._client.v1.balance.retrieve()
        except stripe_sdk.PermissionError:
            return
        except stripe_sdk.AuthenticationError as exc:
            raise KeyRefused(str(exc)) from exc
        except stripe_sdk.StripeError as exc:
            raise GatewayUnavailable(str(exc)) from exc

    def create_customer(self, name: str, email: str | None, metadata: dict[str, str]) -> str:
        params: dict[str, Any] = {"name": name, "metadata": metadata}
        if email:
            params["email"] = email
        return self._call(self._client.v1.customers.create, params)["id"]

    def customer_exists(self, customer_id: str) -> bool:
        """False if this account has no such customer (or it was deleted)."""
        try:
            return not self._call(self._client.v1.customers.retrieve, customer_id).get("deleted")
        except MissingResource:
            return False

    def create_setup_intent(
        self, customer_id: str, method: str | list[str], metadata: dict[str, str]
    ):
        """A SetupIntent for saving `method` ("card", "sepa_debit" or "link", or a list of
        those the patient may choose from in the Payment Element) for off-session use. The
        types are always explicit: the practice accepts these and no others (Apple Pay and
        Google Pay save cards; Link saves a `link` method, charged later like a card)."""
        types = [method] if isinstance(method, str) else list(method)
        if not self.is_stripe:
            types = [t for t in types if t != "link"] or ["card"]
        params = {
            "customer": customer_id,
            "usage": "off_session",
            "payment_method_types": types,
            "metadata": metadata,
        }
        intent = self._call(self._client.v1.setup_intents.create, params)
        return intent["id"], intent["client_secret"]

    def retrieve_setup_intent(self, setup_intent_id: str) -> SetupResult:
        obj = self._call(self._client.v1.setup_intents.retrieve, setup_intent_id)
        error = obj.get("last_setup_error") or {}
        return SetupResult(
            id=obj["id"],
            status=obj["status"],
            customer_id=_id_of(obj.get("customer")),
            payment_method_id=_id_of(obj.get("payment_method")),
            metadata=dict(obj.get("metadata") or {}),
            error_code=error.get("decline_code") or error.get("code"),
        )

    def charge(
        self,
        *,
        customer_id: str,
        payment_method_id: str,
        method: str,
        amount_minor: int,
        currency: str,
        metadata: dict[str, str],
        idempotency_key: str,
        off_session: bool,
        description: str | None = None,
        statement_descriptor_suffix: str | None = None,
    ) -> IntentResult:
        """Create and confirm a PaymentIntent; a decline raises PaymentDeclined.

        `method` is the saved payment method's type: a `link` method is charged, on or off
        session, with `payment_method_types` ["link"] as Stripe documents for reusing it.
        `description` and `statement_descriptor_suffix` (cards only) reach Stripe itself;
        localstripe refuses both, so they are left out there."""
        params: dict[str, Any] = {
            "amount": amount_minor,
            "currency": currency.lower(),
            "customer": customer_id,
            "payment_method": payment_method_id,
            "payment_method_types": [method],
            "metadata": metadata,
            "confirm": True,
        }
        if off_session:
            params["off_session"] = True
        if self.is_stripe and description:
            params["description"] = description
        if self.is_stripe and statement_descriptor_suffix and method == "card":
            params["statement_descriptor_suffix"] = statement_descriptor_suffix
        obj = self._call(
            self._client.v1.payment_intents.create,
            params,
            {"idempotency_key": idempotency_key},
        )
        return IntentResult.from_stripe(obj)

    def retrieve_intent(self, payment_intent_id: str) -> IntentResult:
        obj = self._call(self._client.v1.payment_intents.retrieve, payment_intent_id)
        return IntentResult.from_stripe(obj)

    def find_intent(self, metadata_key: str, value: str) -> IntentResult | None:
        return next(iter(self.find_intents(metadata_key, value)), None)

    def find_intents(self, metadata_key: str, value: str) -> list[IntentResult]:
        """Every PaymentIntent whose metadata holds `metadata_key` = `value`, oldest first.

        Uses the Search API on Stripe; localstripe has none, so its list is read instead."""
        query = f"metadata['{metadata_key}']:'{value}'"
        try:
            found = self._call(self._client.v1.payment_intents.search, {"query": query})
            candidates = found.get("data") or []
        except GatewayUnavailable:
            raise
        except GatewayError:
            candidates = list(self._all_intents())
        matching = [
            IntentResult.from_stripe(obj)
            for obj in candidates
            if (obj.get("metadata") or {}).get(metadata_key) == value
        ]
        return sorted(matching, key=lambda intent: intent.created)

    def _all_intents(self):
        after = None
        while True:
            params: dict[str, Any] = {"limit": 100}
            if after:
                params["starting_after"] = after
            page = self._call(self._client.v1.payment_intents.list, params)
            yield from page["data"]
            if not page.get("has_more") or not page["data"]:
                return
            after = page["data"][-1]["id"]

    def cancel_intent(self, payment_intent_id: str) -> IntentResult:
        obj = self._call(self._client.v1.payment_intents.cancel, payment_intent_id)
        return IntentResult.from_stripe(obj)

    def create_refund(
        self,
        payment_intent_id: str,
        amount_minor: int,
        idempotency_key: str,
        metadata: dict[str, str],
    ) -> "RefundResult":
        """Refund part or all of a PaymentIntent."""
        obj = self._call(
            self._client.v1.refunds.create,
            {"payment_intent": payment_intent_id, "amount": amount_minor, "metadata": metadata},
            {"idempotency_key": idempotency_key},
        )
        return RefundResult.from_stripe(obj)

    def retrieve_refund(self, refund_id: str) -> "RefundResult":
        return RefundResult.from_stripe(self._call(self._client.v1.refunds.retrieve, refund_id))

    def list_refunds(self, payment_intent_id: str) -> list["RefundResult"]:
        """Every refund of a PaymentIntent (up to 100), newest first."""
        page = self._call(
            self._client.v1.refunds.list, {"payment_intent": payment_intent_id, "limit": 100}
        )
        return [RefundResult.from_stripe(obj) for obj in page.get("data", [])]

    def find_refund(self, payment_intent_id: str, claim_key: str) -> "RefundResult | None":
        """The refund of this PaymentIntent made for Saldo's claim `claim_key`, if Stripe has
        one (a retry after a lost answer must not refund again)."""
        for refund in self.list_refunds(payment_intent_id):
            if refund.metadata.get("saldo_refund_claim") == claim_key:
                return refund
        return None

    def charge_intent_id(self, charge_id: str) -> str | None:
        """The PaymentIntent a charge belongs to; None for a charge Stripe does not know.
        Raises GatewayUnavailable when Stripe cannot be asked."""
        try:
            obj = self._call(self._client.v1.charges.retrieve, charge_id)
        except GatewayUnavailable:
            raise
        except GatewayError:
            return None
        return _id_of(obj.get("payment_intent"))

    def card_expiry(self, payment_method_id: str) -> tuple[int, int] | None:
        """(month, year) a saved card expires; None for other payment methods."""
        pm = self._call(self._client.v1.payment_methods.retrieve, payment_method_id)
        if pm["type"] != "card":
            return None
        return int(pm["card"]["exp_month"]), int(pm["card"]["exp_year"])

    def method_summary(self, payment_method_id: str) -> MethodSummary:
        """The type of a payment method and what identifies it (brand and last four, or the
        IBAN's country and last four)."""
        pm = self._call(self._client.v1.payment_methods.retrieve, payment_method_id)
        details = pm.get(pm["type"]) or {}
        return MethodSummary(
            type=pm["type"],
            brand=details.get("brand"),
            last4=details.get("last4"),
            country=details.get("country"),
        )

    def register_payment_method_domain(self, domain_name: str) -> dict[str, Any]:
        """Register `domain_name` with Stripe for wallets in Elements (Payment Method Domains
        API); an already registered domain is validated again. Returns whether it is enabled
        and the Apple Pay status ("active", or "inactive" with Stripe's reason)."""
        found = (
            self._call(
                self._client.v1.payment_method_domains.list, {"domain_name": domain_name}
            ).get("data")
            or []
        )
        if found:
            obj = self._call(self._client.v1.payment_method_domains.validate, found[0]["id"])
        else:
            obj = self._call(
                self._client.v1.payment_method_domains.create,
                {"domain_name": domain_name, "enabled": True},
            )
        apple = obj.get("apple_pay") or {}
        error = apple.get("status_details", {}).get("error_message") if apple else None
        return {
            "id": obj["id"],
            "domain_name": obj["domain_name"],
            "enabled": bool(obj.get("enabled")),
            "apple_pay": apple.get("status", "unknown"),
            "apple_pay_error": error,
        }

    def register_local_webhook(self, url: str) -> None:
        """localstripe only: deliver events to `url`, signed with the webhook secret."""
        base = self._api_base or ""
        if not base or not self._webhook_secret:
            raise GatewayError("needs STRIPE_API_BASE and STRIPE_WEBHOOK_SECRET")
        body = urlencode({"url": url, "secret": self._webhook_secret}).encode()
        endpoint = f"{base.rstrip('/')}/_config/webhooks/saldo"
        request = Request(endpoint, data=body, method="POST")  # noqa: S310 (configured base URL)
        for attempt in range(50):
            try:
                with urlopen(request, timeout=10) as response:  # noqa: S310 (configured base URL)
                    response.read()
                return
            except URLError as exc:
                if isinstance(exc, HTTPError) or attempt == 49:
                    raise
                time.sleep(0.2)

    def parse_event(self, payload: bytes, signature: str | None) -> dict[str, Any]:
        """Verify the Stripe-Signature over the raw body and return the event as a dict."""
        if not self._webhook_secret:
            raise BadSignature("no webhook secret configured")
        try:
            stripe_sdk.WebhookSignature.verify_header(
                payload.decode("utf-8"), signature or "", self._webhook_secret, 300
            )
        except (stripe_sdk.SignatureVerificationError, UnicodeDecodeError) as exc:
            raise BadSignature(str(exc)) from exc
        try:
            return json.loads(payload)
        except ValueError as exc:
            raise BadPayload(str(exc)) from exc

    def _call(self, method, *args) -> dict[str, Any]:
        """Call the SDK, turning its objects into plain dicts and its errors into ours."""
        try:
            return method(*args).to_dict()
        except stripe_sdk.CardError as exc:
            error = (exc.json_body or {}).get("error") or {}
            raise PaymentDeclined(
                exc.user_message or str(exc),
                exc.code,
                decline_code=error.get("decline_code"),
                advice_code=error.get("advice_code"),
            ) from exc
        except stripe_sdk.RateLimitError as exc:
            raise GatewayBusy(str(exc)) from exc
        except stripe_sdk.APIConnectionError as exc:
            raise GatewayUnavailable(str(exc)) from exc
        except stripe_sdk.APIError as exc:
            raise GatewayUnavailable(str(exc)) from exc
        except stripe_sdk.InvalidRequestError as exc:
            if exc.http_status == 404 or exc.code == "resource_missing":
                raise MissingResource(str(exc), exc.code) from exc
            raise GatewayError(str(exc), exc.code) from exc
        except stripe_sdk.StripeError as exc:
            raise GatewayError(str(exc), getattr(exc, "code", None)) from exc
