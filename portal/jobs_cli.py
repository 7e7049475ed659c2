"""`flask jobs run-due`: the periodic work for a day, here or on the Huey consumers."""

from datetime import date, datetime, time

import click


def label(day: date | None) -> str:
    """How `run-due` names the day of a run: the date, or "today" when each practice ran on
    its own calendar day."""
    return day.isoformat() if day else "today (each practice's own day)"


def describe(day: date | None, report: dict) -> str:
    """The report of one run, as `run-due` prints it."""
    r = report
    return (
        f"{label(day)}: {r['charged']} charged ({r['paid']} paid, {r['failed']} failed),"
        f" {r['reminded']} reminded, {r['messages_retried']} messages retried,"
        f" {r['read_back']} payments read back; cadence: {r['reminders_sent']} messages,"
        f" {r['call_tasks']} call tasks; {r['promises_missed']} missed promises,"
        f" {r['alerts_raised']} alerts raised; {r['fiscal_documents']} fiscal documents"
        f" issued, {r['sts_reminders']} Sistema TS reminders; {r['work_done']} pending"
        " work done"
    )


def describe_backlog() -> str:
    """What is left once the run is over: pending work and payments stuck in flight."""
    from portal.services.core import backlog

    left = backlog.of()
    return (
        f"pending work: {left.queued} queued, {left.failing} failing, {left.given_up} given up;"
        f" {left.stuck_payments} payments stuck in flight"
    )


def run_here(day: date | None, at: time | None) -> None:
    from portal.services.core import jobs

    click.echo(describe(day, dict(jobs.run_due(day, at).__dict__)))
    click.echo(describe_backlog())


def period_of(day: date | None, hour: int | None, now: datetime | None = None) -> str | None:
    """The hourly run `--hour` names (`clock.hour_key`): UTC hour `hour` of `day`, or without
    a day the latest one begun at `now` (naive UTC, default: the clock), when each practice
    runs on its own calendar day at that hour; None without `hour`."""
    from portal import clock

    if hour is None:
        return None
    return clock.hour_key(datetime.combine(day, time(hour)) if day else clock.last_hour(hour, now))


def run_on_workers(day: date | None, at: time, hour: int | None, wait: float) -> None:
    """Queue the run for a consumer; with `wait`, print its report when it has run. Without
    `day`, each practice runs on its own calendar day; with `hour`, as the periodic work of
    that hour (`period_of`)."""
    from portal import tasks

    period = period_of(day, hour)
    result = tasks.run_due_on(day.isoformat() if day else None, period, at.strftime("%H:%M"))
    if not wait:
        click.echo(f"{label(day)}: queued for the workers as task {result.id}")
        return
    click.echo(worker_report(day, period, result.get(blocking=True, timeout=wait)))
    click.echo(describe_backlog())


def worker_report(day: date | None, period: str | None, report: dict) -> str:
    """A consumer's report of a run queued for `day` (as the periodic work of `period`), as
    `run-due --on-workers --wait` prints it."""
    if "skipped" in report:
        return f"{label(day)}: skipped (another worker had the hour {period})"
    return describe(day, report)


def register(group) -> None:
    @group.command("run-due")
    @click.option(
        "--as-of",
        "as_of",
        type=click.DateTime(formats=["%Y-%m-%d"]),
        help="the day to run for, the same for every practice (default: each practice's"
        " own calendar day)",
    )
    @click.option(
        "--at",
        "at",
        type=click.DateTime(formats=["%H:%M"]),
        help="local time of the run for quiet hours (default 12:00)",
    )
    @click.option(
        "--on-workers",
        is_flag=True,
        help="queue the run for a Huey consumer instead of running it in this process",
    )
    @click.option(
        "--hour",
        type=click.IntRange(0, 23),
        help="with --on-workers: run as the periodic work of that UTC hour (of --as-of, else the"
        " latest one begun), once however often queued",
    )
    @click.option(
        "--wait",
        type=float,
        default=0,
        help="with --on-workers: wait this many seconds for the report (default: do not wait)",
    )
    def run_due(as_of, at, on_workers, hour, wait):
        """Charge due installments, retry declines, send reminders, as of a day; then print
        the pending work left and the payments stuck in flight."""
        day = as_of.date() if as_of else None
        if on_workers:
            run_on_workers(day, at.time() if at else time(12, 0), hour, wait)
            return
        run_here(day, at.time() if at else (time(12, 0) if as_of else None))
