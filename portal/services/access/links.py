"""Private payment links: issuing, hashing, resolving, revoking.

A token is `secrets.token_urlsafe(32)` (256 bits); only its SHA-256 is stored.
"""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import bindparam
from sqlalchemy.orm import contains_eager

from portal.clock import utcnow
from portal.extensions import db
from portal.models import Invoice, PaymentLink
from portal.services.core import audit
from portal.services.core.audit import Actor

DEFAULT_LIFETIME = timedelta(days=45)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue(
    invoice: Invoice,
    actor: Actor,
    lifetime: timedelta = DEFAULT_LIFETIME,
    now: datetime | None = None,
) -> tuple[PaymentLink, str]:
    """Create a link for `invoice`; returns the link and the token, which is shown only now."""
    now = now or utcnow()
    token = secrets.token_urlsafe(32)
    link = PaymentLink(
        invoice_id=invoice.id,
        token_hash=hash_token(token),
        created_at=now,
        expires_at=now + lifetime,
    )
    db.session.add(link)
    db.session.flush()
    audit.record(
        "link.created",
        practice_id=invoice.practice_id,
        invoice_id=invoice.id,
        actor=actor,
        link_id=link.id,
    )
    return link, token


class LinkState(StrEnum):
    """What a token leads to."""

    OK = "ok"
    #: no link has this token
    UNKNOWN = "unknown"
    EXPIRED = "expired"
    REVOKED = "revoked"


@dataclass(frozen=True)
class Lookup:
    """What a token leads to: `state` is ok, unknown, expired or revoked."""

    state: str
    link: PaymentLink | None = None

    @property
    def ok(self) -> bool:
        return self.state == LinkState.OK


def resolve(token: str, now: datetime | None = None) -> Lookup:
    """Find the link for `token` without raising; paid invoices still resolve as ok."""
    now = now or utcnow()
    if not token or len(token) > 100:
        return Lookup(LinkState.UNKNOWN)
    link = db.session.scalar(db.select(PaymentLink).filter_by(token_hash=hash_token(token)))
    if link is None:
        return Lookup(LinkState.UNKNOWN)
    if link.revoked_at is not None:
        return Lookup(LinkState.REVOKED, link)
    if link.expires_at <= now:
        return Lookup(LinkState.EXPIRED, link)
    return Lookup(LinkState.OK, link)


def usable(link_id: int, now: datetime | None = None, *, options: tuple = ()) -> PaymentLink | None:
    """The link behind a patient session, if it is still neither revoked nor expired, loaded
    with its invoice, practice and patient in one statement (plus any loader `options` on
    the invoice, such as its lines)."""
    now = now or utcnow()
    query = _session_link_query(options)
    link = db.session.execute(query, {"link_id": link_id}).unique().scalar_one_or_none()
    if link is None or link.expires_at <= now:
        return None
    if link.revoked_at is not None and link.replaced_at is None:
        return None  # withdrawn; a link replaced by a newer message keeps its open session
    return link


#: the statements of `usable`, built once per set of loader options (module constants)
_SESSION_LINK_QUERIES: dict[int, tuple[tuple, object]] = {}


def _session_link_query(options: tuple):
    cached = _SESSION_LINK_QUERIES.get(id(options))
    if cached is not None and cached[0] is options:
        return cached[1]
    invoice = contains_eager(PaymentLink.invoice)
    query = (
        db.select(PaymentLink)
        .join(PaymentLink.invoice)
        .join(Invoice.practice)
        .join(Invoice.patient)
        .where(PaymentLink.id == bindparam("link_id"))
        .options(
            invoice.contains_eager(Invoice.practice),
            invoice.contains_eager(Invoice.patient),
            *(invoice.options(option) for option in options),
        )
    )
    _SESSION_LINK_QUERIES[id(options)] = (options, query)
    return query


def mark_opened(link: PaymentLink, actor: Actor, now: datetime | None = None) -> None:
    now = now or utcnow()
    if link.first_opened_at is None:
        link.first_opened_at = now
    audit.record(
        "link.opened",
        practice_id=link.invoice.practice_id,
        invoice_id=link.invoice_id,
        actor=actor,
        link_id=link.id,
    )


def revoke(
    link: PaymentLink, actor: Actor, now: datetime | None = None, *, replaced: bool = False
) -> None:
    """Stop the link's token from opening the bill; `replaced` (a newer message carries a
    fresh link) lets a session already open on it go on until the session ends."""
    if link.revoked_at is None:
        link.revoked_at = now or utcnow()
        link.replaced_at = link.revoked_at if replaced else None
        audit.record(
            "link.revoked",
            practice_id=link.invoice.practice_id,
            invoice_id=link.invoice_id,
            actor=actor,
            link_id=link.id,
        )


def locked_links(invoice: Invoice) -> list[PaymentLink]:
    """The invoice's live links that wrong answers have locked."""
    return list(
        db.session.scalars(
            db.select(PaymentLink)
            .filter_by(invoice_id=invoice.id, revoked_at=None)
            .where(PaymentLink.locked_at.is_not(None))
            .order_by(PaymentLink.id)
        )
    )


def unlock(link: PaymentLink, actor: Actor) -> None:
    """Let the identity check through again, with a fresh count of wrong answers."""
    if link.locked_at is None and not link.failed_checks:
        return
    link.locked_at, link.failed_checks = None, 0
    audit.record(
        "link.unlocked",
        practice_id=link.invoice.practice_id,
        invoice_id=link.invoice_id,
        actor=actor,
        link_id=link.id,
    )
