"""The fresh link each message carries, and how long it lives.

A link lives `LINK_LIFETIME_DAYS` (45 by default); the link of an invoice with a running plan
lives until the plan's last installment is due plus `PLAN_LINK_GRACE_DAYS` (30), so the
patient can pay ahead, change card or fetch a receipt from their last message all through the
plan. Issuing one revokes the invoice's live links as replaced: their tokens stop opening the
bill, while a session already open on one of them goes on until the session ends.
"""

from datetime import datetime, time, timedelta

from flask import current_app

from portal.clock import utcnow
from portal.extensions import db
from portal.models import Installment, Invoice, PaymentLink, Plan
from portal.services.access import links
from portal.services.core.audit import Actor

#: a plan in these states keeps its links alive until it ends
RUNNING_PLAN = ("active", "past_due")


def lifetime(invoice: Invoice, now: datetime) -> timedelta:
    """How long a link made `now` for `invoice` lives (see the module's docstring)."""
    base = timedelta(days=current_app.config["LINK_LIFETIME_DAYS"])
    last_due = db.session.scalar(
        db.select(db.func.max(Installment.due_on))
        .join(Plan, Plan.id == Installment.plan_id)
        .where(Plan.invoice_id == invoice.id, Plan.status.in_(RUNNING_PLAN))
    )
    if last_due is None:
        return base
    grace = timedelta(days=current_app.config["PLAN_LINK_GRACE_DAYS"])
    return max(base, datetime.combine(last_due, time()) + grace - now)


def base_url() -> str:
    return current_app.config["PORTAL_BASE_URL"].rstrip("/")


def fresh_link(
    invoice: Invoice, actor: Actor, now: datetime | None = None, lands_on: str = ""
) -> tuple[PaymentLink, str]:
    """Issue a new link for `invoice` (the older ones still work); returns (link, URL). With
    `lands_on` the URL opens that patient page after the date of birth instead of the bill."""
    now = now or utcnow()
    link, token = links.issue(invoice, actor, lifetime=lifetime(invoice, now), now=now)
    landing = f"?to={lands_on}" if lands_on else ""
    return link, f"{base_url()}/p/{token}{landing}"


def replace_older(invoice: Invoice, keep: PaymentLink, actor: Actor, now: datetime) -> None:
    """Revoke, as replaced, every live link of `invoice` but `keep`."""
    live = db.select(PaymentLink).where(
        PaymentLink.invoice_id == invoice.id,
        PaymentLink.id != keep.id,
        PaymentLink.revoked_at.is_(None),
        PaymentLink.expires_at > now,
    )
    for old in db.session.scalars(live):
        links.revoke(old, actor, now=now, replaced=True)


def new_link(
    invoice: Invoice, actor: Actor, now: datetime | None = None
) -> tuple[PaymentLink, str]:
    """A new link that replaces the invoice's live ones (copy link, QR code, the API);
    returns (link, full URL). Part of the caller's transaction."""
    now = now or utcnow()
    link, url = fresh_link(invoice, actor, now)
    replace_older(invoice, link, actor, now)
    return link, url
