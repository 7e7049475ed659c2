"""What Stripe does when asked to give back a late second charge, as an outcome to record.

Money taken is refunded in full, a PaymentIntent that took nothing is canceled. A definitive
refusal (anything but an outage, which the caller sees as `GatewayUnavailable`) is
`failed` with Stripe's reason, unless Stripe's refunds of the charge already add up to it:
the money is back (refunded in the Dashboard, or by an earlier attempt whose answer was
lost), so it is `refunded` with that refund's id."""

from dataclasses import dataclass

from portal.gateways.stripe_gateway import (
    GatewayError,
    GatewayUnavailable,
    IntentResult,
    RefundResult,
)
from portal.models.charge_attempt import LateChargeStatus

#: the statuses of a PaymentIntent that took money
TAKEN = ("succeeded", "processing")
#: the statuses of a refund that gives (or is giving) the money back
GIVING_BACK = ("succeeded", "pending")


@dataclass(frozen=True)
class Outcome:
    #: a `LateChargeStatus`: refunded, canceled or failed
    status: str
    refund_id: str | None = None
    #: why Stripe refused (failed only)
    reason: str | None = None


def give_back(gateway, intent: IntentResult, key: str, metadata: dict[str, str]) -> Outcome:
    """Refund or cancel `intent` at Stripe (idempotency `key`, refund `metadata`). Raises
    `GatewayUnavailable` when Stripe could not be asked or answered with an outage."""
    if intent.status in TAKEN:
        return _refund(gateway, intent, key, metadata)
    if intent.status == "canceled":
        return Outcome(LateChargeStatus.CANCELED)
    try:
        gateway.cancel_intent(intent.id)
    except GatewayUnavailable:
        raise
    except GatewayError as exc:
        now = gateway.retrieve_intent(intent.id)
        if now.status == "canceled":
            return Outcome(LateChargeStatus.CANCELED)
        if now.status in TAKEN:
            # it took the money meanwhile: give that back instead
            return _refund(gateway, now, key, metadata)
        return Outcome(LateChargeStatus.FAILED, reason=_reason(exc))
    return Outcome(LateChargeStatus.CANCELED)


def _refund(gateway, intent: IntentResult, key: str, metadata: dict[str, str]) -> Outcome:
    try:
        refund = gateway.create_refund(intent.id, intent.amount, key, metadata)
    except GatewayUnavailable:
        raise
    except GatewayError as exc:
        back = _refunded_already(gateway, intent)
        if back is not None:
            return Outcome(LateChargeStatus.REFUNDED, refund_id=back.id)
        return Outcome(LateChargeStatus.FAILED, reason=_reason(exc))
    if refund.status not in GIVING_BACK:
        reason = f"the refund {refund.id} is {refund.status}"
        return Outcome(LateChargeStatus.FAILED, refund_id=refund.id, reason=reason)
    return Outcome(LateChargeStatus.REFUNDED, refund_id=refund.id)


def _refunded_already(gateway, intent: IntentResult) -> RefundResult | None:
    """The refund that gave the charge back, when Stripe's refunds of it cover it all:
    Saldo's own if one carries the late charge's metadata, else the latest."""
    refunds = [r for r in gateway.list_refunds(intent.id) if r.status in GIVING_BACK]
    if sum(r.amount for r in refunds) < intent.amount or not refunds:
        return None
    own = [r for r in refunds if r.metadata.get("saldo_late_charge")]
    return (own or refunds)[0]


def _reason(exc: GatewayError) -> str:
    text = f"{exc.code}: {exc}" if exc.code else str(exc)
    return text[:300]
