"""The periodic work, run by the Huey worker every hour and by `flask jobs run-due`."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from portal.clock import hour_key, practice_today, utcnow
from portal.extensions import db
from portal.models import Practice
from portal.services import messaging
from portal.services.billing import money
from portal.services.collections import alerts, cadence, cadence_steps, calls, kept_totals
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


def calendar(today: date | None, now: datetime) -> dict[date, list[int] | None]:
    """Which practices are on which calendar day: `{today: None}` (every practice) for a
    run as of a given day, else each practice's own day at `now` (`practice_today`), the
    earliest day first. At 23:30 UTC a practice in Europe/Rome is already on the next day
    while one in America/New_York is not."""
    if today is not None:
        return {today: None}
    days: dict[date, list[int] | None] = {}
    for practice in db.session.scalars(db.select(Practice).order_by(Practice.id)):
        days.setdefault(practice_today(practice, now), []).append(practice.id)
    return dict(sorted(days.items()))


def run_due(
    today: date | None = None, at: time | None = None, *, now: datetime | None = None
) -> Report:
    """Everything due: settle payments in flight (`reconcile`), charge and retry
    installments, remind upcoming charges, retry failed messages, run the reminder cadence
    (as if at local time `at`; `None` uses the clock `now` in each patient's time zone),
    record missed promises, raise delinquency alerts, issue the fiscal documents due, remind
    owners of the month's Sistema TS file, read back pending refunds and perform pending
    work (emails, sealing). `today` is the day for every practice (`--as-of`); None runs
    each practice on its own calendar day at `now` (naive UTC, default: the clock). Running
    it twice does nothing twice."""
    now = now or utcnow()
    days = calendar(today, now)
    read_back = reconcile.run(installments.JOB)
    results, reminded = [], 0
    for day, ids in days.items():
        tried = [installments.charge(seen) for seen in installments.due(day, ids)]
        results += [status for status in tried if status != "skipped"]
        reminded += installments.remind(day, practice_ids=ids)
    retried = messaging.retry_due()
    # the job is its own unit of work: charges, reminders and retries so far are kept
    db.session.commit()
    if at is None:
        cadence_report = cadence.run_at(now)
    else:
        cadence_report = cadence_steps.Report()
        for day, ids in days.items():
            cadence_report.add(cadence.run(day, at, now=now, practice_ids=ids))
    missed = [
        task
        for day, ids in days.items()
        for practice_id in ids or [None]
        for task in calls.missed_promises(day, practice_id=practice_id)
    ]
    # the cadence committed per invoice; the missed promises are this step's work
    db.session.commit()
    raised = sum(alerts.raise_due(day, ids, now) for day, ids in days.items())
    issued, sts_reminded = fiscal_jobs.run(today, days)
    refunds_checked = money.reconcile_refunds()
    work_done = outbox.run_pending()
    # the report totals' appended rows folded into one per key, once a run
    kept_totals.compact()
    db.session.commit()
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


def run_hourly(today: date | None = None, now: datetime | None = None) -> Report | None:
    """`run_due` once for the hour of `now` (naive UTC, default: the clock) across every
    consumer: under a database lease for the hour (`hour_key`: the UTC hour, the same for
    every practice zone); None when another process has it (or has done it). Without
    `today` each practice runs on its own calendar day at `now`."""
    now = now or utcnow()
    period = hour_key(now)
    with leases.hold("run-due", period, HOURLY_LEASE) as mine:
        return run_due(today, now=now) if mine else None
