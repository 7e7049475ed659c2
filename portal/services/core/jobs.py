"""The periodic work, run by the Huey worker every hour and by `flask jobs run-due`."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from portal.clock import utcnow
from portal.extensions import db
from portal.services import messaging
from portal.services.billing import money
from portal.services.collections import alerts, cadence, calls
from portal.services.core import leases, outbox
from portal.services.fiscal import jobs as fiscal_jobs
from portal.services.payments import reconcile
from portal.services.plans import installments

HOURLY_LEASE = timedelta(minutes=55)


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
    fiscal_documents: int = 0
    sts_reminders: int = 0
    work_done: int = 0
    refunds_checked: int = 0


def run_due(today: date, at: time | None = None) -> Report:
    """Everything due on `today`: settle payments in flight (`reconcile`), charge and retry
    installments, remind upcoming charges, retry failed messages, run the reminder cadence
    (as if at local time `at`; `None` uses the real clock in each patient's time zone),
    record missed promises, raise delinquency alerts, issue the fiscal documents due, remind
    owners of the month's Sistema TS file, read back pending refunds and perform pending
    work (emails, sealing). Running it twice does nothing twice."""
    read_back = reconcile.run(installments.JOB)
    tried = [installments.charge(seen) for seen in installments.due(today)]
    results = [status for status in tried if status != "skipped"]
    reminded = installments.remind(today)
    retried = messaging.retry_due()
    db.session.commit()
    cadence_report = cadence.run(today, at) if at is not None else cadence.run_at(utcnow())
    missed = calls.missed_promises(today)
    db.session.commit()
    raised = alerts.raise_due(today)
    issued, sts_reminded = fiscal_jobs.run(today)
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
        fiscal_documents=issued,
        sts_reminders=sts_reminded,
        work_done=work_done,
        refunds_checked=refunds_checked,
    )


def run_hourly(today: date, now: datetime | None = None) -> Report | None:
    """`run_due` once for the current hour across every consumer: under a database lease
    for the hour; None when another process has it (or has done it)."""
    now = now or utcnow()
    period = f"{today.isoformat()}T{now.hour:02d}"
    with leases.hold("run-due", period, HOURLY_LEASE) as mine:
        return run_due(today) if mine else None
