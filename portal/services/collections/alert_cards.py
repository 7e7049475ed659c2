"""Cards that expire before their plan ends: the expiry of a saved card comes from
`gateways.stripe(practice).card_expiry(payment_method_id) -> (month, year) | None`, trusted by
this process for a day per payment method."""

import calendar
import logging
from datetime import date, datetime, timedelta

from portal import gateways
from portal.clock import utcnow
from portal.gateways.stripe_gateway import GatewayError
from portal.models.alert import AlertKind
from portal.models.payment import PaymentMethod

log = logging.getLogger(__name__)

#: how long a card's expiry read from Stripe is trusted by this process
EXPIRY_TTL = timedelta(hours=24)

_expiry_cache: dict[str, tuple[datetime, tuple[int, int] | None]] = {}


def check(scan) -> None:
    """Add a "card_expiring" finding to `scan` (an `alert_detection.Scan`) for each running
    card plan whose card expires before its last installment is due."""
    lookup = getattr(gateways.stripe(scan.practice), "card_expiry", None)
    for invoice_id, plan in scan.running.items():
        method_id = plan.stripe_payment_method_id
        if plan.method != PaymentMethod.CARD or not method_id or not plan.installments:
            continue
        key = (invoice_id, AlertKind.CARD_EXPIRING)
        if lookup is None:
            scan.keep.add(key)
            continue
        try:
            expiry = card_expiry(lookup, method_id)
        except GatewayError as exc:
            log.warning("card expiry of plan %s unknown: %s", plan.id, exc)
            scan.keep.add(key)
            continue
        if expiry is None:
            continue
        month, year = expiry
        expires_on = date(year, month, calendar.monthrange(year, month)[1])
        last_due = max(i.due_on for i in plan.installments)
        if expires_on < last_due:
            scan.add(
                invoice_id,
                AlertKind.CARD_EXPIRING,
                f"card:{method_id}",
                payment_method_id=method_id,
                exp_month=month,
                exp_year=year,
                last_due_on=last_due.isoformat(),
            )


def card_expiry(lookup, method_id: str) -> tuple[int, int] | None:
    now = utcnow()
    cached = _expiry_cache.get(method_id)
    if cached is not None and now - cached[0] < EXPIRY_TTL:
        return cached[1]
    expiry = lookup(method_id)
    _expiry_cache[method_id] = (now, tuple(expiry) if expiry else None)
    return _expiry_cache[method_id][1]
