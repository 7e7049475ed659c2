"""The periodic work, run by the Huey worker every hour and by `flask jobs run-due`."""

from dataclasses import dataclass
from datetime import date, time

from portal.clock import utcnow
from portal.extensions import db
from portal.models import Payment
from portal.models.payment import IN_FLIGHT
from portal.services import (
    alerts,
    cadence,
    calls,
    installments,
    money,
    outbox,
    payments,
    sending,
)


@dataclass(frozen=True)
class Report:
    charged: int
    paid: int
    failed: int
    reminded: int
    messages_retried: int
    read_back: int
    reminders_sent: int = 0
    call_tasks: int = 0
    alerts_raised: int = 0
    promises_missed: int = 0
    work_done: int = 0
    refunds_checked: int = 0


def run_due(today: date, at: time | None = None) -> Report:
    """Everything due on `today`: read back pending payments, charge and retry installments,
    remind upcoming charges, retry failed messages, run the reminder cadence (as if at local
    time `at`; `None` uses the real clock in each patient's time zone), record missed
    promises, raise delinquency alerts, read back pending refunds and perform pending work
    (emails, sealing). Running
    it twice does nothing twice."""
    read_back = 0
    pending = db.select(Payment).where(
        Payment.status.in_(IN_FLIGHT), Payment.stripe_payment_intent_id.is_not(None)
    )
    for payment in db.session.scalars(pending).all():
        payments.refresh(payment, installments.JOB)
        read_back += 1
    results = [installments.charge(installment) for installment in installments.due(today)]
    reminded = installments.remind(today)
    retried = sending.retry_due()
    db.session.commit()
    cadence_report = cadence.run(today, at) if at is not None else cadence.run_at(utcnow())
    missed = calls.missed_promises(today)
    db.session.commit()
    raised = alerts.raise_due(today)
    refunds_checked = money.reconcile_refunds()
    work_done = outbox.run_pending()
    return Report(
        charged=len(results),
        paid=results.count("paid"),
        failed=results.count("failed"),
        reminded=reminded,
        messages_retried=retried,
        read_back=read_back,
        reminders_sent=cadence_report.messages,
        call_tasks=cadence_report.call_tasks,
        alerts_raised=raised,
        promises_missed=len(missed),
        work_done=work_done,
        refunds_checked=refunds_checked,
    )
