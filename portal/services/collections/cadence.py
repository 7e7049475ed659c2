"""The reminder cadence: what an unpaid invoice's patient hears, on which day, by which channel.

A practice's cadence is its `CadenceStep` rows; a practice without rows gets `DEFAULT_CADENCE`
(the 3-3-3 cadence below). `run` carries out, for every open invoice with a positive balance,
each step whose day has come and that has no `ReminderLog` yet:

- "call": a `CallTask` for the staff (due that day), plus an SMS nudge when the patient
  agreed to texts and has a mobile number;
- "email" / "sms": a message in the patient's language with a fresh private link (which
  revokes the older ones), the practice's name and the amount due, never care details; each
  goes through `messaging.deliver` (a `Delivery` of purpose "reminder"), so failures show
  and are retried by the one rule;
- "letter": a `ReminderLog` with status "letter" (and its `Delivery`) for the letters batch.

Rules: messages (email, SMS, letter) reach a patient at most once a day, texts and emails only
between 08:00 and 21:00 in the patient's time zone; a message that cannot go out yet waits for
a later run. A channel the patient opted out of is logged as skipped and the others continue.
The cadence stops for good when the invoice is paid, written off or void, or a plan is signed;
a staff hold or dispute stops it for as long as it is set, and a patient's question about the
bill for the practice's `question_pause_days` (`collection_state.paused_until`). When several
steps are due at once (a late start, a cleared hold) only the latest is carried out and the
earlier ones are logged as skipped ("superseded"); a reminder meant for before the due date is
never sent after it.
"""

import logging
from collections.abc import Collection
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import or_, text, union

from portal import clock
from portal.extensions import db
from portal.models import CollectionState, Invoice, Plan
from portal.models.invoice import CADENCE_NEW, INVOICE_STATUSES, InvoiceStatus
from portal.services.collections import cadence_batch
from portal.services.collections.cadence_batch import Facts
from portal.services.collections.cadence_invoice import InvoiceCadence
from portal.services.collections.cadence_steps import (
    DEFAULT_CADENCE,
    FINAL_STOPS,
    PLAN_STOPS,
    Clock,
    Moment,
    Report,
    all_cadences,
)

log = logging.getLogger(__name__)


# --- running it --------------------------------------------------------------------------------


def run(
    today: date,
    at: time,
    *,
    now: datetime | None = None,
    practice_ids: Collection[int] | None = None,
) -> Report:
    """Carry out every reminder step due on `today` for every practice.

    `at` is the local time of the run and is taken to be the time in every patient's zone
    (`flask jobs run-due --as-of`, tests); the hourly worker should call `run_at`, which
    works out each patient's own date and time. `now` (naive UTC, default the clock) dates
    the links and deliveries and decides which failed messages are due for a retry. With
    `practice_ids`, only those practices' invoices (the ones whose calendar is on `today`).
    Running it twice for the same day sends nothing twice.
    """
    moment = Moment(today, at)
    return _run(lambda patient_zone: moment, today, now or clock.utcnow(), practice_ids)


def run_at(now: datetime | None = None) -> Report:
    """`run` for the wall-clock instant `now` (naive UTC): each patient's day and quiet
    hours are those of their own time zone (the patient's, else the practice's)."""
    now = now or clock.utcnow()

    def moment_in(zone: ZoneInfo) -> Moment:
        return Moment(clock.day_of(now, zone), clock.time_of(now, zone))

    return _run(moment_in, clock.latest_day(now), now)


#: invoices read, carried out and committed together
BATCH = 500


def _run(
    clock: Clock, latest_day: date, now: datetime, practice_ids: Collection[int] | None = None
) -> Report:
    report = Report()
    cadences = all_cadences()
    offsets = [s.day_offset for steps in (DEFAULT_CADENCE, *cadences.values()) for s in steps]
    lead = max(0, -min(offsets))
    candidates = _candidates(latest_day + timedelta(days=lead), latest_day, practice_ids)
    for start in range(0, len(candidates), BATCH):
        _batch(candidates[start : start + BATCH], cadences, clock, now, report)
    return report


def _batch(batch: list[int], cadences, clock: Clock, now: datetime, report: Report) -> None:
    """The batch's invoices read together, carried out, written and committed together."""
    saved = cadence_batch.snapshot(report)
    try:
        facts = Facts.of(batch)
        for invoice_id in batch:
            report.invoices += 1
            invoice = facts.invoices[invoice_id]
            steps = cadences.get(invoice.practice_id, DEFAULT_CADENCE)
            InvoiceCadence(invoice, steps, clock, now, report, facts).process()
        facts.settle()
        db.session.commit()  # per batch: a crash later keeps the messages already sent
    except Exception:
        # the batch is left as it was: its invoices are run one by one, so one bad
        # invoice does not stop the others
        log.exception("reminder cadence batch from invoice %s rolled back", batch[0])
        db.session.rollback()
        cadence_batch.restore(report, saved)
        _one_by_one(batch, cadences, clock, now, report)


def _one_by_one(batch: list[int], cadences, clock: Clock, now: datetime, report: Report) -> None:
    """The batch's invoices each read, carried out and committed on its own."""
    facts = Facts.of(batch, whole=False)
    for invoice_id in batch:
        report.invoices += 1
        try:
            invoice = cadence_batch.load(invoice_id)
            steps = cadences.get(invoice.practice_id, DEFAULT_CADENCE)
            InvoiceCadence(invoice, steps, clock, now, report, facts).process()
            facts.settle()
            db.session.commit()  # per invoice: one bad invoice does not undo the others
        except Exception:
            log.exception("reminder cadence failed for invoice %s", invoice_id)
            db.session.rollback()
            facts.discard()
            report.errors += 1


def _candidates(
    horizon: date, latest_day: date, practice_ids: Collection[int] | None = None
) -> list[int]:
    """The invoices the cadence has something to do for, each part chosen in SQL through an
    index: open invoices within its reach that it never started; running cadences whose next
    action (a step, a retry, a day of a hold, dispute or question) has come; cadences on hold
    or paused; and running cadences whose invoice closed or got a plan, to record why they
    stop. Finished cadences are left alone, and so are running ones with nothing due. With
    `practice_ids`, only those practices' invoices."""
    state = CollectionState
    running = or_(state.stopped_reason.is_(None), state.stopped_reason.not_in(FINAL_STOPS))
    closed = [s for s in INVOICE_STATUSES if s != InvoiceStatus.OPEN]
    on_invoice = Invoice.id == state.invoice_id
    with_due = db.select(state.invoice_id, Invoice.due_on).join(Invoice, on_invoice)
    parts = [
        db.select(Invoice.id, Invoice.due_on).where(
            text(f"invoice.{CADENCE_NEW}"), Invoice.due_on <= horizon
        ),
        with_due.where(state.next_action_on <= latest_day, running),
        with_due.where(state.hold.is_not(None)),
        with_due.where(state.paused_until.is_not(None)),
        with_due.where(Invoice.status.in_(closed), running),
        with_due.join(Plan, Plan.invoice_id == state.invoice_id).where(
            Plan.status.in_(PLAN_STOPS), running
        ),
    ]
    if practice_ids is not None:
        parts = [part.where(Invoice.practice_id.in_(practice_ids)) for part in parts]
    found = union(*parts).subquery()
    query = db.select(found.c[0]).order_by(found.c[1], found.c[0])
    return list(db.session.scalars(query))
