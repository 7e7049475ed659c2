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
    day plus the practice's last retry day (PlanPolicy.retry_days, 7 without a policy) is
    before `today`, with no payment belonging to no installment from its due day up to
    `today` (payments that paid other installments do not count).
link_not_opened
    The invoice has a balance, its first link was created or first sent (a Delivery of
    purpose "link" with status "sent") at least ALERT_LINK_UNOPENED_DAYS days (default 7)
    before `today`, and none of its links was ever opened.
verification_locked
    One of the invoice's links was locked by wrong dates of birth (the per-link rule of
    `verification.locked_out`: VERIFY_MAX_FAILURES failures within VERIFY_WINDOW; the
    per-address rule is about the address, not the patient) on `today` or the day before
    (so an hourly sweep misses no lockout near midnight), and nobody has verified on the
    invoice's links since. Raised once per day of lockout; it stays open, after the lock has
    expired, until the patient verifies or staff resolve it.
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

import calendar
import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import case, func, or_
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload

from portal import gateways
from portal.clock import utcnow
from portal.extensions import db
from portal.gateways.stripe_gateway import GatewayError
from portal.models import (
    Alert,
    CallTask,
    CollectionState,
    Delivery,
    Invoice,
    LedgerEntry,
    Patient,
    Payment,
    PaymentLink,
    Plan,
    PlanPolicy,
    Practice,
    VerificationAttempt,
)
from portal.models.payment import DESK_METHODS
from portal.services import audit, calls, holds, ledger, messaging, plans
from portal.services.audit import Actor
from portal.services.holds import HoldRefused
from portal.services.messaging import CannotSend

log = logging.getLogger(__name__)

SWEEP = Actor("system", "alerts")
RUNNING = ("active", "past_due")
UNPAID = ("scheduled", "failed")
DEFAULT_LINK_UNOPENED_DAYS = 7
#: the last retry day when a practice has no plan policy (PlanPolicy's default "3,5,7")
DEFAULT_LAST_RETRY_DAY = 7
#: how long a card's expiry read from Stripe is trusted by this process
EXPIRY_TTL = timedelta(hours=24)

#: 3 urgent, 2 needs attention, 1 to watch
SEVERITY = {
    "skipped_cycle": 3,
    "failed_charge": 3,
    "missed_promise": 3,
    "late_installment": 2,
    "short_payment": 2,
    "verification_locked": 2,
    "link_not_opened": 1,
    "card_expiring": 1,
    "stripe_dispute": 3,
    "credit_held": 2,
}
SEVERITY_LABELS = {3: _l("Urgent"), 2: _l("Needs attention"), 1: _l("To watch")}
KIND_LABELS = {
    "late_installment": _l("Late installment"),
    "failed_charge": _l("Failed charge"),
    "short_payment": _l("Short payment"),
    "skipped_cycle": _l("Skipped month"),
    "link_not_opened": _l("Link not opened"),
    "verification_locked": _l("Verification locked"),
    "missed_promise": _l("Missed promise to pay"),
    "card_expiring": _l("Card expiring"),
    "stripe_dispute": _l("Chargeback"),
    "credit_held": _l("Paid twice: credit held"),
}
#: raised when Stripe reports money moving (disputes, credits), not by the sweep, which
#: leaves them open until they are resolved
MONEY_KINDS = ("stripe_dispute", "credit_held")

#: staff actions, as named in the audit log ("alert.<name>") and on the alert
ACTIONS = (
    "link_resent",
    "call_task_created",
    "held",
    "plan_offered",
    "settlement_opened",
    "dismissed",
)

_expiry_cache: dict[str, tuple[datetime, tuple[int, int] | None]] = {}


class AlertRefused(ValueError):
    pass


# -- days in the practice's time zone ---------------------------------------------------------


def _zone(practice: Practice) -> ZoneInfo:
    try:
        return ZoneInfo(practice.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def practice_today(practice: Practice, now: datetime | None = None) -> date:
    """The practice's calendar day at `now` (naive UTC, default: the wall clock)."""
    return (now or utcnow()).replace(tzinfo=UTC).astimezone(_zone(practice)).date()


def _day_of(moment: datetime, zone: ZoneInfo) -> date:
    return moment.replace(tzinfo=UTC).astimezone(zone).date()


def _start_of(day: date, zone: ZoneInfo) -> datetime:
    """The naive UTC moment the practice's `day` begins."""
    return datetime.combine(day, time(), tzinfo=zone).astimezone(UTC).replace(tzinfo=None)


# -- the sweep ----------------------------------------------------------------------------------


@dataclass
class Finding:
    invoice_id: int
    kind: str
    #: what the alert is about, e.g. "installment:12": a dismissed alert silences its subject
    subject: str
    data: dict[str, Any]


def raise_due(today: date) -> int:
    """Record the alerts that hold on `today` and resolve those that no longer do, practice by
    practice; returns how many alerts were newly raised. Running it again does nothing new."""
    now = utcnow()
    raised = 0
    for practice_id in db.session.scalars(db.select(Practice.id).order_by(Practice.id)).all():
        practice = db.session.get(Practice, practice_id)
        try:
            count = _sweep(practice, today, now)
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
    scan = _Scan(practice, today, open_alerts)
    for key, alert in open_alerts.items():
        found = scan.findings.get(key)
        if found is not None:
            data = {**alert.data, **found.data, "subject": found.subject}
            if data != alert.data:
                alert.data = data
        elif key not in scan.keep and alert.kind not in MONEY_KINDS:
            _close(alert, now, "cleared", SWEEP)
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
        if a.data.get("resolution") == "dismissed" or a.kind == "verification_locked"
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


def _close(alert: Alert, now: datetime, resolution: str, actor: Actor) -> None:
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


class _Scan:
    """Everything found for one practice on one day."""

    def __init__(self, practice: Practice, today: date, open_alerts: dict):
        self.practice, self.today, self.open_alerts = practice, today, open_alerts
        self.zone = _zone(practice)
        self.findings: dict[tuple[int, str], Finding] = {}
        #: open alerts to leave open although not found (the check could not be made)
        self.keep: set[tuple[int, str]] = set()
        open_invoices = db.select(Invoice.id).where(
            Invoice.practice_id == practice.id, Invoice.status == "open"
        )
        #: due days of the open invoices a check is about (`load_open`), not of all of them
        self.invoices: dict[int, date] = {}
        self._looked_up: set[int] = set()
        #: balances of open invoices, read only for the invoices a check is about
        self.balances: dict[int, int] = {}
        self.running: dict[int, Plan] = {
            plan.invoice_id: plan
            for plan in db.session.scalars(
                db.select(Plan)
                .where(Plan.invoice_id.in_(open_invoices), Plan.status.in_(RUNNING))
                .options(selectinload(Plan.installments))
                .order_by(Plan.id)
            )
        }
        #: the payments the checks read: plans' payments and desk payments
        self.payments: dict[int, list[Payment]] = defaultdict(list)
        running = db.select(Plan.invoice_id).where(
            Plan.invoice_id.in_(open_invoices), Plan.status.in_(RUNNING)
        )
        for payment in db.session.scalars(
            db.select(Payment)
            .where(
                Payment.invoice_id.in_(open_invoices),
                Payment.status == "succeeded",
                or_(Payment.method.in_(DESK_METHODS), Payment.invoice_id.in_(running)),
            )
            .order_by(Payment.id)
        ):
            self.payments[payment.invoice_id].append(payment)
        self._open_invoices = open_invoices
        self._plans()
        self._desk_payments()
        self._unopened_links()
        self._lockouts()
        self._promises()
        self._cards()

    def load_open(self, invoice_ids) -> None:
        """Note which of `invoice_ids` are open invoices of the practice, with their due days."""
        wanted = sorted(set(invoice_ids) - self._looked_up)
        self._looked_up.update(wanted)
        for start in range(0, len(wanted), 500):
            query = db.select(Invoice.id, Invoice.due_on).where(
                Invoice.id.in_(wanted[start : start + 500]),
                Invoice.practice_id == self.practice.id,
                Invoice.status == "open",
            )
            self.invoices.update(
                (invoice_id, due_on) for invoice_id, due_on in db.session.execute(query)
            )

    def load_balances(self, invoice_ids) -> None:
        """Read the balances of those of `invoice_ids` that are open (others count as 0)."""
        invoice_ids = set(invoice_ids)
        self.load_open(invoice_ids)
        wanted = sorted({i for i in invoice_ids if i in self.invoices} - set(self.balances))
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            self.balances.update(dict.fromkeys(chunk, 0))
            self.balances.update(
                (invoice_id, int(total))
                for invoice_id, total in db.session.execute(
                    db.select(LedgerEntry.invoice_id, func.sum(LedgerEntry.amount_minor))
                    .where(LedgerEntry.invoice_id.in_(chunk))
                    .group_by(LedgerEntry.invoice_id)
                )
            )

    def add(self, invoice_id: int, kind: str, subject: str, **data: Any) -> None:
        self.findings[(invoice_id, kind)] = Finding(invoice_id, kind, subject, data)

    def paid_on(self, payment: Payment) -> date:
        return _day_of(payment.succeeded_at or payment.updated_at, self.zone)

    # -- plans ------------------------------------------------------------------------------

    def _plans(self) -> None:
        policy = db.session.scalar(db.select(PlanPolicy).filter_by(practice_id=self.practice.id))
        retries = policy.retries if policy is not None else []
        last_retry = max(retries) if retries else DEFAULT_LAST_RETRY_DAY
        for plan in self.running.values():
            self._plan(plan, last_retry)

    def _plan(self, plan: Plan, last_retry: int) -> None:
        invoice_id, today = plan.invoice_id, self.today
        overdue = [i for i in plan.installments if i.status in UNPAID and i.due_on < today]
        if overdue:
            first = overdue[0]
            self.add(
                invoice_id,
                "late_installment",
                f"installment:{first.id}",
                installment=first.sequence,
                due_on=first.due_on.isoformat(),
                amount_minor=first.amount_minor,
                count=len(overdue),
                overdue_minor=sum(i.amount_minor for i in overdue),
            )
        failed = [i for i in plan.installments if i.status == "failed"]
        if failed:
            first = failed[0]
            self.add(
                invoice_id,
                "failed_charge",
                f"installment:{first.id}",
                installment=first.sequence,
                due_on=first.due_on.isoformat(),
                amount_minor=first.amount_minor,
                failure_code=first.failure_code,
                attempts=first.attempts,
                next_attempt_on=first.next_attempt_on.isoformat()
                if first.next_attempt_on
                else None,
                count=len(failed),
            )
        loose = [
            (self.paid_on(p), p.amount_minor)
            for p in self.payments[invoice_id]
            if p.installment_id is None
        ]
        for installment in overdue:
            paid = sum(a for day, a in loose if installment.due_on <= day <= today)
            if 0 < paid < installment.amount_minor:
                self.add(
                    invoice_id,
                    "short_payment",
                    f"installment:{installment.id}",
                    case="plan",
                    installment=installment.sequence,
                    due_on=installment.due_on.isoformat(),
                    amount_minor=installment.amount_minor,
                    paid_minor=paid,
                    short_minor=installment.amount_minor - paid,
                )
                break
        for installment in overdue:
            last_day = installment.due_on + timedelta(days=last_retry)
            if last_day >= today:
                break
            if not any(installment.due_on <= day <= today for day, _ in loose):
                self.add(
                    invoice_id,
                    "skipped_cycle",
                    f"installment:{installment.id}",
                    installment=installment.sequence,
                    due_on=installment.due_on.isoformat(),
                    amount_minor=installment.amount_minor,
                    last_retry_on=last_day.isoformat(),
                )
                break

    # -- partial payments at the desk ---------------------------------------------------------

    def _desk_payments(self) -> None:
        self.load_balances(self.payments)  # also their due days
        for invoice_id in sorted(self.payments):
            due_on = self.invoices[invoice_id]
            balance = self.balances.get(invoice_id, 0)
            if invoice_id in self.running or balance <= 0 or self.today <= due_on:
                continue
            desk = [
                p
                for p in self.payments[invoice_id]
                if p.method in DESK_METHODS and self.paid_on(p) <= self.today
            ]
            if not desk:
                continue
            latest = max(desk, key=lambda p: (p.succeeded_at or p.updated_at, p.id))
            self.add(
                invoice_id,
                "short_payment",
                f"desk:{latest.id}",
                case="desk",
                paid_minor=latest.amount_minor,
                paid_on=self.paid_on(latest).isoformat(),
                balance_minor=balance,
                due_on=due_on.isoformat(),
            )

    # -- links nobody opened ------------------------------------------------------------------

    def _unopened_links(self) -> None:
        days = int(current_app.config.get("ALERT_LINK_UNOPENED_DAYS", DEFAULT_LINK_UNOPENED_DAYS))
        first: dict[int, datetime] = {}
        opened: set[int] = set()
        links = db.select(
            PaymentLink.invoice_id,
            func.min(PaymentLink.created_at),
            func.count(PaymentLink.first_opened_at),
        ).where(PaymentLink.invoice_id.in_(self._open_invoices))
        for invoice_id, created, opens in db.session.execute(
            links.group_by(PaymentLink.invoice_id)
        ):
            first[invoice_id] = created
            if opens:
                opened.add(invoice_id)
        sent = db.select(Delivery.invoice_id, func.min(Delivery.sent_at)).where(
            Delivery.invoice_id.in_(self._open_invoices),
            Delivery.purpose == "link",
            Delivery.status == "sent",
            Delivery.sent_at.is_not(None),
        )
        for invoice_id, sent_at in db.session.execute(sent.group_by(Delivery.invoice_id)):
            first[invoice_id] = min(sent_at, first.get(invoice_id, sent_at))
        late = {
            invoice_id: day
            for invoice_id, moment in first.items()
            if invoice_id not in opened
            and (self.today - (day := _day_of(moment, self.zone))).days >= days
        }
        self.load_balances(late)
        for invoice_id, day in late.items():
            if self.balances.get(invoice_id, 0) > 0:
                self.add(invoice_id, "link_not_opened", "invoice", first_sent_on=day.isoformat())

    # -- verification lockouts ----------------------------------------------------------------

    def _lockouts(self) -> None:
        config = current_app.config
        limit = int(config.get("VERIFY_MAX_FAILURES", 5))
        window = config.get("VERIFY_WINDOW", timedelta(minutes=15))
        since = _start_of(self.today - timedelta(days=1), self.zone)
        until = _start_of(self.today + timedelta(days=1), self.zone)
        failures = db.session.execute(
            db.select(
                PaymentLink.invoice_id, VerificationAttempt.link_id, VerificationAttempt.created_at
            )
            .join(PaymentLink, PaymentLink.id == VerificationAttempt.link_id)
            .where(
                PaymentLink.invoice_id.in_(self._open_invoices),
                VerificationAttempt.succeeded.is_(False),
                VerificationAttempt.created_at >= since - window,
                VerificationAttempt.created_at < until,
            )
            .order_by(VerificationAttempt.link_id, VerificationAttempt.created_at)
        ).all()
        times: dict[tuple[int, int], list[datetime]] = defaultdict(list)
        for invoice_id, link_id, created_at in failures:
            times[(invoice_id, link_id)].append(created_at)
        #: per invoice, the latest moment one of its links became locked in the two days
        locked: dict[int, tuple[datetime, int, int]] = {}
        for (invoice_id, link_id), moments in times.items():
            for end in range(limit - 1, len(moments)):
                moment = moments[end]
                if moment < since or moments[end - limit + 1] <= moment - window:
                    continue
                count = sum(1 for t in moments if moment - window < t <= moment)
                if invoice_id not in locked or locked[invoice_id][0] < moment:
                    locked[invoice_id] = (moment, link_id, count)
        keep = {
            key[0]: alert.data.get("locked_at")
            for key, alert in self.open_alerts.items()
            if key[1] == "verification_locked"
        }
        verified = self._verified_after(set(locked) | set(keep))
        for invoice_id, (moment, link_id, count) in locked.items():
            if verified.get(invoice_id) and verified[invoice_id] > moment:
                continue
            self.add(
                invoice_id,
                "verification_locked",
                f"day:{_day_of(moment, self.zone).isoformat()}",
                link_id=link_id,
                locked_on=_day_of(moment, self.zone).isoformat(),
                locked_at=moment.isoformat(),
                failures=count,
            )
        # an older lockout stays open until someone verifies (or the invoice closes)
        self.load_open(keep)
        for invoice_id, locked_at in keep.items():
            if invoice_id not in self.invoices or not locked_at:
                continue
            last = verified.get(invoice_id)
            if last is None or last <= datetime.fromisoformat(locked_at):
                self.keep.add((invoice_id, "verification_locked"))

    def _verified_after(self, invoice_ids: set[int]) -> dict[int, datetime]:
        if not invoice_ids:
            return {}
        query = (
            db.select(PaymentLink.invoice_id, func.max(VerificationAttempt.created_at))
            .join(PaymentLink, PaymentLink.id == VerificationAttempt.link_id)
            .where(PaymentLink.invoice_id.in_(invoice_ids), VerificationAttempt.succeeded.is_(True))
            .group_by(PaymentLink.invoice_id)
        )
        return dict(db.session.execute(query).all())

    # -- promises to pay ------------------------------------------------------------------------

    def _promises(self) -> None:
        broken = calls.broken_promises(self.today, practice_id=self.practice.id)
        self.load_balances(promise.task.invoice_id for promise in broken)
        for promise in broken:
            task = promise.task
            if self.balances.get(task.invoice_id, 0) <= 0:
                continue
            self.add(
                task.invoice_id,
                "missed_promise",
                f"task:{task.id}",
                task_id=task.id,
                promise_on=task.promise_on.isoformat(),
                promised_minor=promise.promised_minor,
                paid_minor=max(promise.at_promise_minor - promise.balance_minor, 0),
            )

    # -- cards that expire before the plan ends ---------------------------------------------------

    def _cards(self) -> None:
        lookup = getattr(gateways.stripe(self.practice), "card_expiry", None)
        for invoice_id, plan in self.running.items():
            method_id = plan.stripe_payment_method_id
            if plan.method != "card" or not method_id or not plan.installments:
                continue
            key = (invoice_id, "card_expiring")
            if lookup is None:
                self.keep.add(key)
                continue
            try:
                expiry = _card_expiry(lookup, method_id)
            except GatewayError as exc:
                log.warning("card expiry of plan %s unknown: %s", plan.id, exc)
                self.keep.add(key)
                continue
            if expiry is None:
                continue
            month, year = expiry
            expires_on = date(year, month, calendar.monthrange(year, month)[1])
            last_due = max(i.due_on for i in plan.installments)
            if expires_on < last_due:
                self.add(
                    invoice_id,
                    "card_expiring",
                    f"card:{method_id}",
                    payment_method_id=method_id,
                    exp_month=month,
                    exp_year=year,
                    last_due_on=last_due.isoformat(),
                )


def _card_expiry(lookup, method_id: str) -> tuple[int, int] | None:
    now = utcnow()
    cached = _expiry_cache.get(method_id)
    if cached is not None and now - cached[0] < EXPIRY_TTL:
        return cached[1]
    expiry = lookup(method_id)
    _expiry_cache[method_id] = (now, tuple(expiry) if expiry else None)
    return _expiry_cache[method_id][1]


def _balance_at(invoice_id: int, moment: datetime) -> int:
    total = db.session.scalar(
        db.select(func.coalesce(func.sum(LedgerEntry.amount_minor), 0)).where(
            LedgerEntry.invoice_id == invoice_id, LedgerEntry.created_at <= moment
        )
    )
    return int(total)


# -- the queue ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    alert: Alert
    invoice: Invoice
    patient: Patient
    severity: int
    #: days since the alert was raised
    age_days: int
    balance_minor: int
    plan_running: bool
    #: the alert's data with days and moments parsed: what the page says happened
    facts: dict[str, Any]


def facts(data: dict[str, Any]) -> dict[str, Any]:
    """`data` with ISO days ("…_on") as dates and moments ("at", "…_at") as datetimes."""
    result: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, str) and key.endswith("_on"):
            value = date.fromisoformat(value)
        elif isinstance(value, str) and (key == "at" or key.endswith("_at")):
            value = datetime.fromisoformat(value)
        elif isinstance(value, dict):
            value = facts(value)
        result[key] = value
    return result


#: alerts per page of the queue
PER_PAGE = 100


def queue(practice_id: int, today: date, kind: str | None = None, *, page: int = 1) -> list[Row]:
    """Page `page` (`PER_PAGE` rows) of the practice's open alerts, most severe first, then
    oldest first; the order and the page are chosen in SQL."""
    severity = case(SEVERITY, value=Alert.kind, else_=0)
    query = (
        db.select(Alert)
        .where(Alert.practice_id == practice_id, Alert.resolved_at.is_(None))
        .options(joinedload(Alert.invoice).joinedload(Invoice.patient))
        .order_by(severity.desc(), Alert.raised_on, Alert.id)
        .offset((max(page, 1) - 1) * PER_PAGE)
        .limit(PER_PAGE)
    )
    if kind:
        query = query.where(Alert.kind == kind)
    alerts = db.session.scalars(query).all()
    invoice_ids = {a.invoice_id for a in alerts}
    balances = dict(
        db.session.execute(
            db.select(LedgerEntry.invoice_id, func.sum(LedgerEntry.amount_minor))
            .where(LedgerEntry.invoice_id.in_(invoice_ids))
            .group_by(LedgerEntry.invoice_id)
        ).all()
    )
    running = set(
        db.session.scalars(
            db.select(Plan.invoice_id).where(
                Plan.invoice_id.in_(invoice_ids), Plan.status.in_(RUNNING)
            )
        )
    )
    rows = [
        Row(
            alert=a,
            invoice=a.invoice,
            patient=a.invoice.patient,
            severity=SEVERITY[a.kind],
            age_days=max((today - a.raised_on).days, 0),
            balance_minor=int(balances.get(a.invoice_id) or 0),
            plan_running=a.invoice_id in running,
            facts=facts(a.data),
        )
        for a in alerts
    ]
    return rows


def count_open(practice_id: int, kind: str | None = None) -> int:
    """How many alerts (of `kind`, if given) the practice has open."""
    query = (
        db.select(func.count())
        .select_from(Alert)
        .where(Alert.practice_id == practice_id, Alert.resolved_at.is_(None))
    )
    if kind:
        query = query.where(Alert.kind == kind)
    return db.session.scalar(query)


# -- what staff do about an alert ---------------------------------------------------------------


def _check_open(alert: Alert) -> Invoice:
    if alert.resolved_at is not None:
        raise AlertRefused(_l("This alert is already resolved."))
    if alert.invoice.status != "open":
        raise AlertRefused(_l("This invoice is no longer open."))
    return alert.invoice


def _noted(alert: Alert, action: str, actor: Actor, **data: Any) -> None:
    """Note a staff action on the alert and in the audit log."""
    at = utcnow().isoformat(timespec="seconds")
    alert.data = {**alert.data, "last_action": {"action": action, "at": at, "by": actor.ref}}
    audit.record(
        f"alert.{action}",
        practice_id=alert.practice_id,
        invoice_id=alert.invoice_id,
        actor=actor,
        alert_id=alert.id,
        kind=alert.kind,
        **data,
    )


def contact_channel(patient: Patient) -> str | None:
    """Email if the patient agreed to it and has an address, else text, else None."""
    if patient.email and patient.email_consent:
        return "email"
    if patient.phone and patient.sms_consent:
        return "sms"
    return None


def _send(invoice: Invoice, actor: Actor) -> Delivery:
    channel = contact_channel(invoice.patient)
    if channel is None:
        raise AlertRefused(
            _l("The patient has not agreed to be contacted by email or text message.")
        )
    try:
        return messaging.send_link(invoice, channel, actor)
    except CannotSend as exc:
        db.session.rollback()
        raise AlertRefused(exc.args[0]) from exc


def resend_link(alert: Alert, actor: Actor) -> Delivery:
    """Send the patient a fresh link, by email if they agreed to it, else by text."""
    invoice = _check_open(alert)
    delivery = _send(invoice, actor)
    _noted(alert, "link_resent", actor, channel=delivery.channel, delivery_id=delivery.id)
    db.session.commit()
    return delivery


def create_call_task(alert: Alert, actor: Actor, today: date) -> CallTask:
    """A call task for today, outside the cadence (position 0), unless one is open already."""
    invoice = _check_open(alert)
    waiting = db.select(CallTask.id).where(
        CallTask.invoice_id == invoice.id, CallTask.status == "open"
    )
    if db.session.scalar(waiting.limit(1)) is not None:
        raise AlertRefused(_l("This invoice already has an open call task."))
    task = CallTask(
        practice_id=invoice.practice_id,
        invoice_id=invoice.id,
        patient_id=invoice.patient_id,
        due_on=today,
        position=0,
        status="open",
        note=str(KIND_LABELS[alert.kind])[:500],
    )
    db.session.add(task)
    db.session.flush()
    _noted(alert, "call_task_created", actor, call_task_id=task.id)
    db.session.commit()
    return task


def put_on_hold(alert: Alert, actor: Actor) -> CollectionState:
    """Pause the invoice's reminders (hold, note "alert"); a hold or dispute is left as it is."""
    invoice = _check_open(alert)
    state = db.session.get(CollectionState, invoice.id)
    if state is not None and state.hold:
        raise AlertRefused(_l("Reminders for this invoice are already paused."))
    try:
        state = holds.set_hold(invoice, "hold", "alert", actor, alert_id=alert.id)
    except HoldRefused as exc:
        db.session.rollback()
        raise AlertRefused(exc.args[0]) from exc
    _noted(alert, "held", actor)
    db.session.commit()
    return state


def offer_plan(alert: Alert, actor: Actor, today: date) -> Delivery:
    """Send a fresh link so the patient can choose a plan, if the policy offers one."""
    invoice = _check_open(alert)
    if plans.active_plan(invoice) is not None:
        raise AlertRefused(_l("This invoice already has a payment plan."))
    offered = plans.allowed_counts(
        plans.policy_for(invoice.practice_id), ledger.balance(invoice.id)
    )
    if not offered:
        raise AlertRefused(_l("The practice's plan policy offers no plan for this balance."))
    delivery = _send(invoice, actor)
    _noted(
        alert,
        "plan_offered",
        actor,
        channel=delivery.channel,
        delivery_id=delivery.id,
        counts=offered,
    )
    db.session.commit()
    return delivery


def offer_settlement(alert: Alert, actor: Actor) -> None:
    """Note that staff went to make a settlement offer (made on the invoice page)."""
    _check_open(alert)
    _noted(alert, "settlement_opened", actor)
    db.session.commit()


def dismiss(alert: Alert, actor: Actor) -> None:
    """Resolve the alert by hand; it is not raised again for the same subject."""
    if alert.resolved_at is not None:
        raise AlertRefused(_l("This alert is already resolved."))
    _close(alert, utcnow(), "dismissed", actor)
    db.session.commit()
