"""What the daily sweep finds for one practice on one day: one `Finding` per invoice and alert
kind whose condition holds (the conditions are listed in `alerts`)."""

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import func
from sqlalchemy.orm import selectinload

from portal.clock import day_of, practice_zone, start_of
from portal.extensions import db
from portal.models import (
    Delivery,
    Invoice,
    LedgerEntry,
    Payment,
    PaymentLink,
    Plan,
    PlanPolicy,
    Practice,
    VerificationAttempt,
)
from portal.models.alert import AlertKind
from portal.models.delivery import DeliveryPurpose, DeliveryStatus
from portal.models.invoice import InvoiceStatus
from portal.models.payment import DESK_METHODS, PaymentStatus
from portal.models.plan import InstallmentStatus, retry_days_for
from portal.services.access import verification
from portal.services.collections import alert_cards, calls, lockouts

log = logging.getLogger(__name__)

RUNNING = ("active", "past_due")
UNPAID = ("scheduled", "failed")
DEFAULT_LINK_UNOPENED_DAYS = 7
#: an unopened link is looked for up to this many days after it is first due an alert
CATCH_UP_DAYS = 60


@dataclass
class Finding:
    invoice_id: int
    kind: str
    #: what the alert is about, e.g. "installment:12": a dismissed alert silences its subject
    subject: str
    data: dict[str, Any]


class Scan:
    """Everything found for one practice on one day."""

    def __init__(self, practice: Practice, today: date, open_alerts: dict):
        self.practice, self.today, self.open_alerts = practice, today, open_alerts
        self.zone = practice_zone(practice)
        self.findings: dict[tuple[int, str], Finding] = {}
        #: open alerts to leave open although not found (the check could not be made)
        self.keep: set[tuple[int, str]] = set()
        #: due days of the open invoices a check is about (`load_open`), not of all of them
        self.invoices: dict[int, date] = {}
        self._looked_up: set[int] = set()
        #: balances of open invoices, read only for the invoices a check is about
        self.balances: dict[int, int] = {}
        # each check starts from the few rows it is about (running plans, desk payments,
        # recent links, recent failed verifications, promises), by index, never from the
        # practice's open invoices
        self.running: dict[int, Plan] = {
            plan.invoice_id: plan
            for plan in db.session.scalars(
                self.on_open(db.select(Plan), Plan.invoice_id)
                .where(Plan.status.in_(RUNNING))
                .options(selectinload(Plan.installments))
                .order_by(Plan.id)
            )
        }
        #: the payments the checks read: plans' payments and desk payments
        self.payments: dict[int, list[Payment]] = defaultdict(list)
        found: dict[int, Payment] = {}
        plan_invoices = sorted(self.running)
        for start in range(0, len(plan_invoices), 500):
            query = db.select(Payment).where(
                Payment.invoice_id.in_(plan_invoices[start : start + 500]),
                Payment.status == PaymentStatus.SUCCEEDED,
            )
            found.update((p.id, p) for p in db.session.scalars(query))
        desk = self.on_open(db.select(Payment), Payment.invoice_id).where(
            Payment.method.in_(DESK_METHODS), Payment.status == PaymentStatus.SUCCEEDED
        )
        found.update((p.id, p) for p in db.session.scalars(desk))
        for payment_id in sorted(found):
            self.payments[found[payment_id].invoice_id].append(found[payment_id])
        self._plans()
        self._desk_payments()
        self._unopened_links()
        self._lockouts()
        self._promises()
        self._cards()

    def on_open(self, query, invoice_column):
        """`query` narrowed to rows of the practice's open invoices (joined by id)."""
        return query.join(Invoice, Invoice.id == invoice_column).where(
            Invoice.practice_id == self.practice.id, Invoice.status == InvoiceStatus.OPEN
        )

    def load_open(self, invoice_ids) -> None:
        """Note which of `invoice_ids` are open invoices of the practice, with their due days."""
        wanted = sorted(set(invoice_ids) - self._looked_up)
        self._looked_up.update(wanted)
        for start in range(0, len(wanted), 500):
            query = db.select(Invoice.id, Invoice.due_on).where(
                Invoice.id.in_(wanted[start : start + 500]),
                Invoice.practice_id == self.practice.id,
                Invoice.status == InvoiceStatus.OPEN,
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
        return day_of(payment.succeeded_at or payment.updated_at, self.zone)

    # -- plans ------------------------------------------------------------------------------

    def _plans(self) -> None:
        policy = db.session.scalar(db.select(PlanPolicy).filter_by(practice_id=self.practice.id))
        last_retry = max(retry_days_for(policy), default=0)
        for plan in self.running.values():
            self._plan(plan, last_retry)

    def _plan(self, plan: Plan, last_retry: int) -> None:
        invoice_id, today = plan.invoice_id, self.today
        overdue = [i for i in plan.installments if i.status in UNPAID and i.due_on < today]
        if overdue:
            first = overdue[0]
            self.add(
                invoice_id,
                AlertKind.LATE_INSTALLMENT,
                f"installment:{first.id}",
                installment=first.sequence,
                due_on=first.due_on.isoformat(),
                amount_minor=first.amount_minor,
                count=len(overdue),
                overdue_minor=sum(i.amount_minor for i in overdue),
            )
        failed = [i for i in plan.installments if i.status == InstallmentStatus.FAILED]
        if failed:
            first = failed[0]
            self.add(
                invoice_id,
                AlertKind.FAILED_CHARGE,
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
                    AlertKind.SHORT_PAYMENT,
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
                    AlertKind.SKIPPED_CYCLE,
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
                AlertKind.SHORT_PAYMENT,
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
        # the invoices whose first link or message is of the day `days` ago or of the
        # CATCH_UP days before (a sweep that did not run those days), and those alerted
        since = start_of(self.today - timedelta(days=days + CATCH_UP_DAYS), self.zone)
        until = start_of(self.today - timedelta(days=days - 1), self.zone)
        recent = self.on_open(db.select(PaymentLink.invoice_id), PaymentLink.invoice_id).where(
            PaymentLink.created_at >= since, PaymentLink.created_at < until
        )
        sent_recently = self.on_open(db.select(Delivery.invoice_id), Delivery.invoice_id).where(
            Delivery.purpose == DeliveryPurpose.LINK,
            Delivery.status == DeliveryStatus.SENT,
            Delivery.sent_at >= since,
            Delivery.sent_at < until,
        )
        wanted = set(db.session.scalars(recent)) | set(db.session.scalars(sent_recently))
        wanted |= {key[0] for key in self.open_alerts if key[1] == AlertKind.LINK_NOT_OPENED}
        wanted = sorted(wanted)
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            links = db.select(
                PaymentLink.invoice_id,
                func.min(PaymentLink.created_at),
                func.count(PaymentLink.first_opened_at),
            ).where(PaymentLink.invoice_id.in_(chunk))
            for invoice_id, created, opens in db.session.execute(
                links.group_by(PaymentLink.invoice_id)
            ):
                first[invoice_id] = created
                if opens:
                    opened.add(invoice_id)
            sent = db.select(Delivery.invoice_id, func.min(Delivery.sent_at)).where(
                Delivery.invoice_id.in_(chunk),
                Delivery.purpose == DeliveryPurpose.LINK,
                Delivery.status == DeliveryStatus.SENT,
                Delivery.sent_at.is_not(None),
            )
            for invoice_id, sent_at in db.session.execute(sent.group_by(Delivery.invoice_id)):
                first[invoice_id] = min(sent_at, first.get(invoice_id, sent_at))
        late = {
            invoice_id: day
            for invoice_id, moment in first.items()
            if invoice_id not in opened
            and (self.today - (day := day_of(moment, self.zone))).days >= days
        }
        self.load_balances(late)
        for invoice_id, day in late.items():
            if self.balances.get(invoice_id, 0) > 0:
                self.add(
                    invoice_id, AlertKind.LINK_NOT_OPENED, "invoice", first_sent_on=day.isoformat()
                )

    # -- verification lockouts ----------------------------------------------------------------

    def _lockouts(self) -> None:
        policy = verification.configured_policy()
        since = start_of(self.today - timedelta(days=1), self.zone)
        until = start_of(self.today + timedelta(days=1), self.zone)
        #: per invoice, the latest moment one of its links became locked in the two days
        locked: dict[int, tuple[datetime, int]] = {}
        for (invoice_id, link_id), moments in lockouts.link_locks(
            self.practice.id, since, until, policy
        ).items():
            latest = moments[-1] if moments else since - timedelta(seconds=1)
            if latest >= since and (invoice_id not in locked or locked[invoice_id][0] < latest):
                locked[invoice_id] = (latest, link_id)
        keep = {
            key[0]: alert.data.get("locked_at")
            for key, alert in self.open_alerts.items()
            if key[1] == AlertKind.VERIFICATION_LOCKED
        }
        verified = self._verified_after(set(locked) | set(keep))
        for invoice_id, (moment, link_id) in locked.items():
            if verified.get(invoice_id) and verified[invoice_id] > moment:
                continue
            self.add(
                invoice_id,
                AlertKind.VERIFICATION_LOCKED,
                f"day:{day_of(moment, self.zone).isoformat()}",
                link_id=link_id,
                locked_on=day_of(moment, self.zone).isoformat(),
                locked_at=moment.isoformat(),
                failures=policy.max_failures,
            )
        # an older lockout stays open until someone verifies (or the invoice closes)
        self.load_open(keep)
        for invoice_id, locked_at in keep.items():
            if invoice_id not in self.invoices or not locked_at:
                continue
            last = verified.get(invoice_id)
            if last is None or last <= datetime.fromisoformat(locked_at):
                self.keep.add((invoice_id, AlertKind.VERIFICATION_LOCKED))

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
                AlertKind.MISSED_PROMISE,
                f"task:{task.id}",
                task_id=task.id,
                promise_on=task.promise_on.isoformat(),
                promised_minor=promise.promised_minor,
                paid_minor=max(promise.at_promise_minor - promise.balance_minor, 0),
            )

    def _cards(self) -> None:
        alert_cards.check(self)
