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
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, or_
from sqlalchemy.orm import joinedload

from portal.clock import utcnow
from portal.extensions import db
from portal.models import CollectionState, Invoice, Plan
from portal.models.invoice import InvoiceStatus
from portal.services.collections.cadence_invoice import Facts, InvoiceCadence
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
    return _run(lambda patient_zone: moment, today, now or utcnow(), practice_ids)


def run_at(now: datetime | None = None) -> Report:
    """`run` for the wall-clock instant `now` (naive UTC): each patient's day and quiet
    hours are those of their own time zone (the patient's, else the practice's)."""
    now = now or utcnow()

    def clock(zone: ZoneInfo) -> Moment:
        local = now.replace(tzinfo=UTC).astimezone(zone)
        return Moment(local.date(), local.time().replace(tzinfo=None))

    return _run(clock, now.date() + timedelta(days=1), now)


#: invoices whose facts (balance, running plan) are read together
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
        batch = candidates[start : start + BATCH]
        facts = Facts.of(batch)
        for invoice_id in batch:
            report.invoices += 1
            try:
                invoice = _load(invoice_id)
                steps = cadences.get(invoice.practice_id, DEFAULT_CADENCE)
                InvoiceCadence(invoice, steps, clock, now, report, facts).process()
                # per invoice: messages went out, and one invoice's error must not undo the rest
                db.session.commit()
            except Exception:
                log.exception("reminder cadence failed for invoice %s", invoice_id)
                db.session.rollback()
                report.errors += 1
    return report


def _candidates(
    horizon: date, latest_day: date, practice_ids: Collection[int] | None = None
) -> list[int]:
    """The invoices the cadence has something to do for, chosen in SQL: open invoices within
    its reach that never started it; running cadences whose next action (a step, a retry)
    has come; and running or paused cadences whose invoice changed (paid, void, a plan, a
    hold set or cleared), to record why they stop or go on. Finished cadences are left
    alone, and so are running ones with nothing due."""
    state = CollectionState
    plan = db.select(Plan.id).where(Plan.invoice_id == Invoice.id, Plan.status.in_(PLAN_STOPS))
    query = (
        db.select(Invoice.id)
        .outerjoin(state, state.invoice_id == Invoice.id)
        .where(
            or_(
                and_(
                    state.invoice_id.is_(None),
                    Invoice.status == InvoiceStatus.OPEN,
                    Invoice.due_on <= horizon,
                ),
                and_(
                    state.invoice_id.is_not(None),
                    or_(state.stopped_reason.is_(None), state.stopped_reason.not_in(FINAL_STOPS)),
                    or_(
                        state.next_action_on <= latest_day,
                        state.hold.is_not(None),
                        state.paused_until.is_not(None),
                        state.stopped_reason.is_not(None),
                        Invoice.status != InvoiceStatus.OPEN,
                        plan.exists(),
                    ),
                ),
            )
        )
        .order_by(Invoice.due_on, Invoice.id)
    )
    if practice_ids is not None:
        query = query.where(Invoice.practice_id.in_(practice_ids))
    return list(db.session.scalars(query))


def _load(invoice_id: int) -> Invoice:
    """The invoice with its patient and practice, in one statement."""
    query = (
        db.select(Invoice)
        .where(Invoice.id == invoice_id)
        .options(joinedload(Invoice.patient), joinedload(Invoice.practice))
    )
    return db.session.scalars(query).one()
