"""Delinquency alerts: accounts that slip, found by a daily sweep and worked from a queue.

`raise_due(today)` looks at every practice's open invoices and records an `Alert` for each of
the conditions below that holds on `today` (the practice's calendar day), at most one open
alert per invoice and kind. An alert that is still open is never raised again; its data are
refreshed instead. Every sweep also resolves the open alerts whose condition no longer holds
(`resolved_at` set, data["resolution"] = "cleared"): the installment got paid, the link was
opened, the balance reached zero, the invoice was paid, voided or written off...

A "running" plan is an active or past-due one; an "unpaid" installment is one whose status
is scheduled or failed (one being processed, e.g. a SEPA debit on its way, is not late).

late_installment
    An unpaid installment of a running plan was due before `today`. Data: the oldest such
    installment (sequence, due day, amount), how many there are and their total.
failed_charge
    An installment of a running plan has status failed (its charge was declined). Data:
    sequence, due day, amount, failure code, attempts and the next attempt day (None: no
    retry is left).
short_payment
    Money came in, but less than was due. Two cases, precisely:
    - "plan": an unpaid installment of a running plan was due before `today`, and the
      payments on the invoice that belong to no installment (desk payments, partial
      payments) made from its due day up to `today` add up to more than zero but less than
      the installment. Data: that installment, the amount paid and the shortfall.
    - "desk": the invoice has no running plan, is past its due date (`today` > due date)
      with a balance left, and a payment was taken at the desk (cash, cheque, card
      terminal). Data: the latest desk payment (amount, day) and the balance.
skipped_cycle
    A plan month with no payment at all: an unpaid installment of a running plan whose due
    day plus the practice's last retry day (`plan.retry_days_for`: its policy's, else the
    last of `DEFAULT_RETRY_DAYS`) is before `today`, with no payment belonging to no
    installment from its due day up to `today` (payments that paid other installments do not count).
link_not_opened
    The invoice has a balance, its first link was created or first sent (a Delivery of
    purpose "link" with status "sent") at least ALERT_LINK_UNOPENED_DAYS days (default 7)
    before `today`, and none of its links was ever opened. The sweep reads only the links
    and messages of those days and of the `alert_detection.CATCH_UP_DAYS` (60) before them,
    by index, and the invoices it already alerted: a link unopened for longer that was never
    alerted (the sweep did not run for two months) is not found.
verification_locked
    One of the invoice's links was locked by wrong dates of birth (the verify page's rule,
    `verification.lock_moments`: the VERIFY_MAX_FAILURES-th failure since the link was issued
    or unlocked, however far apart; the per-address limits only slow requests and lock
    nothing) on `today` or the day before
    (so an hourly sweep misses no lockout near midnight), and nobody has verified on the
    invoice's links since. Raised once per day of lockout; it stays open, after the link is
    unlocked, until the patient verifies or staff resolve it.
missed_promise
    The invoice's latest call with the outcome "promise" promised payment by a day before
    `today`, and the balance is still above the balance when promised less the amount
    promised (the whole balance when no amount was noted): `calls.broken_promises`.
card_expiring
    A running plan paid by card whose saved card expires (the last day of its expiry month)
    before the plan's last installment is due. The expiry comes from
    `gateways.stripe(practice).card_expiry(payment_method_id) -> (month, year) | None`, cached in
    the process for a day per payment method; the check is skipped when the gateway lacks
    the method or Stripe cannot be reached (an open alert then stays open).

Staff can resolve an alert themselves ("dismissed"). A dismissed alert is not raised again
for the same subject (the same installment, desk payment, promise, card, lockout day, or for
an unopened link the invoice), so dismissing means "we know"; a new subject raises a new
alert. The queue (`queue`) sorts open alerts by severity, then age; the staff actions
(`resend_link`, `create_call_task`, `put_on_hold`, `offer_plan`, `offer_settlement`,
`dismiss`) each write an audit event "alert.<what>" and note themselves on the alert.
"""

import logging
from collections.abc import Collection
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from portal.clock import utcnow
from portal.extensions import db
from portal.models import Alert, Practice
from portal.models.alert import AlertKind
from portal.models.audit import ActorKind
from portal.services.collections.alert_detection import Scan
from portal.services.core import audit
from portal.services.core.audit import Actor

log = logging.getLogger(__name__)

SWEEP = Actor(ActorKind.SYSTEM, "alerts")

#: 3 urgent, 2 needs attention, 1 to watch
SEVERITY = {
    AlertKind.SKIPPED_CYCLE: 3,
    AlertKind.FAILED_CHARGE: 3,
    AlertKind.MISSED_PROMISE: 3,
    AlertKind.LATE_INSTALLMENT: 2,
    AlertKind.SHORT_PAYMENT: 2,
    AlertKind.VERIFICATION_LOCKED: 2,
    AlertKind.LINK_NOT_OPENED: 1,
    AlertKind.CARD_EXPIRING: 1,
    AlertKind.STRIPE_DISPUTE: 3,
    AlertKind.CREDIT_HELD: 2,
    AlertKind.LATE_CHARGE_FAILED: 3,
}
SEVERITY_LABELS = {3: _l("Urgent"), 2: _l("Needs attention"), 1: _l("To watch")}
KIND_LABELS = {
    AlertKind.LATE_INSTALLMENT: _l("Late installment"),
    AlertKind.FAILED_CHARGE: _l("Failed charge"),
    AlertKind.SHORT_PAYMENT: _l("Short payment"),
    AlertKind.SKIPPED_CYCLE: _l("Skipped month"),
    AlertKind.LINK_NOT_OPENED: _l("Link not opened"),
    AlertKind.VERIFICATION_LOCKED: _l("Verification locked"),
    AlertKind.MISSED_PROMISE: _l("Missed promise to pay"),
    AlertKind.CARD_EXPIRING: _l("Card expiring"),
    AlertKind.STRIPE_DISPUTE: _l("Chargeback"),
    AlertKind.CREDIT_HELD: _l("Paid twice: credit held"),
    AlertKind.LATE_CHARGE_FAILED: _l("Second charge not refunded"),
}
#: raised when Stripe reports money moving (disputes, credits, a late second charge it would
#: not refund), not by the sweep, which leaves them open until they are resolved
MONEY_KINDS = (AlertKind.STRIPE_DISPUTE, AlertKind.CREDIT_HELD, AlertKind.LATE_CHARGE_FAILED)

#: staff actions, as named in the audit log ("alert.<name>") and on the alert
ACTIONS = (
    "link_resent",
    "call_task_created",
    "held",
    "plan_offered",
    "settlement_opened",
    "dismissed",
)


def raise_due(
    today: date, practice_ids: Collection[int] | None = None, now: datetime | None = None
) -> int:
    """Record the alerts that hold on `today` and resolve those that no longer do, practice by
    practice (only `practice_ids`, when given); returns how many alerts were newly raised.
    Each practice commits on its own, so one practice's failure leaves the others' alerts.
    Running it again does nothing new."""
    now = now or utcnow()
    raised = 0
    query = db.select(Practice.id).order_by(Practice.id)
    if practice_ids is not None:
        query = query.where(Practice.id.in_(practice_ids))
    for practice_id in db.session.scalars(query).all():
        practice = db.session.get(Practice, practice_id)
        try:
            count = _sweep(practice, today, now)
            # per practice: one practice's failure leaves the others' alerts
            db.session.commit()
        except IntegrityError:
            # a sweep running at the same time raised the same alert today: it is recorded
            db.session.rollback()
            log.info("alerts for practice %s were raised by another sweep", practice_id)
            continue
        except Exception:
            # one practice's bad data must not stop the others' alerts; the next sweep retries
            db.session.rollback()
            log.exception("alert sweep failed for practice %s", practice_id)
            continue
        raised += count
    return raised


def _sweep(practice: Practice, today: date, now: datetime) -> int:
    query = db.select(Alert).where(Alert.practice_id == practice.id, Alert.resolved_at.is_(None))
    open_alerts = {(a.invoice_id, a.kind): a for a in db.session.scalars(query)}
    scan = Scan(practice, today, open_alerts)
    for key, alert in open_alerts.items():
        found = scan.findings.get(key)
        if found is not None:
            data = {**alert.data, **found.data, "subject": found.subject}
            if data != alert.data:
                alert.data = data
        elif key not in scan.keep and alert.kind not in MONEY_KINDS:
            close(alert, now, "cleared", SWEEP)
    fresh = [f for key, f in scan.findings.items() if key not in open_alerts]
    if not fresh:
        return 0
    earlier = db.session.scalars(
        db.select(Alert).where(
            Alert.invoice_id.in_({f.invoice_id for f in fresh}), Alert.resolved_at.is_not(None)
        )
    ).all()
    raised_today = {(a.invoice_id, a.kind) for a in earlier if a.raised_on == today}
    silenced = {
        (a.invoice_id, a.kind, a.data.get("subject"))
        for a in earlier
        if a.data.get("resolution") == "dismissed" or a.kind == AlertKind.VERIFICATION_LOCKED
    }
    count = 0
    for finding in fresh:
        key = (finding.invoice_id, finding.kind)
        if key in raised_today or (*key, finding.subject) in silenced:
            continue
        alert = Alert(
            practice_id=practice.id,
            invoice_id=finding.invoice_id,
            kind=finding.kind,
            raised_on=today,
            data={**finding.data, "subject": finding.subject},
        )
        db.session.add(alert)
        db.session.flush()
        audit.record(
            "alert.raised",
            practice_id=practice.id,
            invoice_id=finding.invoice_id,
            actor=SWEEP,
            alert_id=alert.id,
            kind=finding.kind,
            subject=finding.subject,
        )
        count += 1
    return count


def close(alert: Alert, now: datetime, resolution: str, actor: Actor) -> None:
    alert.resolved_at = now
    alert.data = {**alert.data, "resolution": resolution, "resolved_by": actor.ref}
    audit.record(
        "alert.cleared" if resolution == "cleared" else "alert.dismissed",
        practice_id=alert.practice_id,
        invoice_id=alert.invoice_id,
        actor=actor,
        alert_id=alert.id,
        kind=alert.kind,
    )
