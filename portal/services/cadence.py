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
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import and_, func, or_
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from portal.clock import utcnow
from portal.extensions import db
from portal.models import (
    CadenceStep,
    CallTask,
    CollectionState,
    Delivery,
    Invoice,
    LedgerEntry,
    Patient,
    Plan,
    ReminderLog,
)
from portal.services import audit, ledger
from portal.services.audit import Actor
from portal.services.messaging import delivery as messaging

log = logging.getLogger(__name__)

CADENCE = Actor("system", "cadence")
TONES = ("courtesy", "friendly", "firm", "firmer", "final")
#: what counts toward "one message a day": a call task does not, its SMS nudge does
MESSAGE_CHANNELS = ("email", "sms", "letter")
#: texts and emails go out only in this window of the patient's local time
SEND_FROM, SEND_UNTIL = time(8, 0), time(21, 0)
#: the cadence ends for good for these; a hold or dispute ends when staff clear it
FINAL_STOPS = ("paid", "plan", "void", "written_off")
PLAN_STOPS = ("active", "past_due", "completed")
#: a ReminderLog's `reason` names the delivery of an email or text as "delivery:<id>"
DELIVERY_REF = "delivery:"


@dataclass(frozen=True)
class Step:
    position: int
    #: "call", "sms", "email" or "letter"
    channel: str
    #: days after the due date (negative: before it)
    day_offset: int
    #: "courtesy", "friendly", "firm", "firmer" or "final": picks the message's wording
    tone: str


#: The 3-3-3 cadence: a courtesy email before the due date; weeks 1-3 a call each week (with
#: an SMS nudge where the patient agreed to texts); weeks 4-6 an email each week, firmer each
#: time; weeks 7-9 a letter each week, the last stating the legal obligation to pay.
DEFAULT_CADENCE: tuple[Step, ...] = (
    Step(1, "email", -3, "courtesy"),
    Step(2, "call", 7, "friendly"),
    Step(3, "call", 14, "friendly"),
    Step(4, "call", 21, "friendly"),
    Step(5, "email", 28, "friendly"),
    Step(6, "email", 35, "firm"),
    Step(7, "email", 42, "firmer"),
    Step(8, "letter", 49, "firm"),
    Step(9, "letter", 56, "firmer"),
    Step(10, "letter", 63, "final"),
)


@dataclass
class Report:
    """What one run did."""

    #: invoices looked at (open ones in the cadence's reach, and running cadences)
    invoices: int = 0
    emails: int = 0
    texts: int = 0
    letters: int = 0
    call_tasks: int = 0
    #: steps (or parts of steps) logged as skipped: opted out, no address, superseded, ...
    skipped: int = 0
    #: messages that could not be delivered this time (retried later)
    failed: int = 0
    #: earlier failed messages tried again
    retried: int = 0
    #: messages due but held back: quiet hours, or the patient already had one today
    waiting: int = 0
    #: cadences stopped in this run (paid, plan, hold, dispute, void, written off)
    stopped: int = 0
    #: invoices whose processing raised an unexpected error (logged; the run went on)
    errors: int = 0
    #: (invoice id, position, channel, status) of everything done, in order
    done: list[tuple[int, int, str, str]] = field(default_factory=list)

    @property
    def messages(self) -> int:
        return self.emails + self.texts + self.letters


@dataclass(frozen=True)
class Moment:
    """The run as a patient sees it: their local date and time."""

    day: date
    at: time

    @property
    def in_window(self) -> bool:
        return SEND_FROM <= self.at < SEND_UNTIL


Clock = Callable[[ZoneInfo], Moment]


# --- the cadence of a practice ----------------------------------------------------------------


def steps_for(practice_id: int) -> tuple[Step, ...]:
    """The practice's cadence, ordered by day then position; the default when it has none."""
    rows = db.session.scalars(db.select(CadenceStep).filter_by(practice_id=practice_id)).all()
    if not rows:
        return DEFAULT_CADENCE
    return _ordered(Step(r.position, r.channel, r.day_offset, _tone(r.tone)) for r in rows)


def step_at(practice_id: int, position: int) -> Step | None:
    """The step at `position` of the practice's cadence (e.g. the tone of a letter)."""
    return next((s for s in steps_for(practice_id) if s.position == position), None)


def _ordered(steps) -> tuple[Step, ...]:
    return tuple(sorted(steps, key=lambda s: (s.day_offset, s.position)))


def _tone(tone: str) -> str:
    return tone if tone in TONES else "friendly"


def _all_cadences() -> dict[int, tuple[Step, ...]]:
    grouped: dict[int, list[Step]] = {}
    for r in db.session.scalars(db.select(CadenceStep)):
        grouped.setdefault(r.practice_id, []).append(
            Step(r.position, r.channel, r.day_offset, _tone(r.tone))
        )
    return {practice_id: _ordered(steps) for practice_id, steps in grouped.items()}


# --- running it --------------------------------------------------------------------------------


def run(today: date, at: time, *, now: datetime | None = None) -> Report:
    """Carry out every reminder step due on `today` for every practice.

    `at` is the local time of the run and is taken to be the time in every patient's zone
    (`flask jobs run-due --as-of`, tests); the hourly worker should call `run_at`, which
    works out each patient's own date and time. `now` (naive UTC, default the clock) dates
    the links and deliveries and decides which failed messages are due for a retry.
    Running it twice for the same day sends nothing twice.
    """
    moment = Moment(today, at)
    return _run(lambda _zone: moment, today, now or utcnow())


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


def _run(clock: Clock, latest_day: date, now: datetime) -> Report:
    report = Report()
    cadences = _all_cadences()
    offsets = [s.day_offset for steps in (DEFAULT_CADENCE, *cadences.values()) for s in steps]
    lead = max(0, -min(offsets))
    candidates = _candidates(latest_day + timedelta(days=lead), latest_day)
    for start in range(0, len(candidates), BATCH):
        batch = candidates[start : start + BATCH]
        facts = _Facts.of(batch)
        for invoice_id in batch:
            report.invoices += 1
            try:
                invoice = _load(invoice_id)
                steps = cadences.get(invoice.practice_id, DEFAULT_CADENCE)
                _Invoice(invoice, steps, clock, now, report, facts).process()
                db.session.commit()
            except Exception:
                log.exception("reminder cadence failed for invoice %s", invoice_id)
                db.session.rollback()
                report.errors += 1
    return report


def _candidates(horizon: date, latest_day: date) -> list[int]:
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
                    Invoice.status == "open",
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
                        Invoice.status != "open",
                        plan.exists(),
                    ),
                ),
            )
        )
        .order_by(Invoice.due_on, Invoice.id)
    )
    return list(db.session.scalars(query))


def _load(invoice_id: int) -> Invoice:
    """The invoice with its patient and practice, in one statement."""
    query = (
        db.select(Invoice)
        .where(Invoice.id == invoice_id)
        .options(joinedload(Invoice.patient), joinedload(Invoice.practice))
    )
    return db.session.scalars(query).one()


@dataclass(frozen=True)
class _Facts:
    """What a batch of invoices needs read from other tables, read once for the batch."""

    balances: dict[int, int]
    with_plan: set[int]

    @classmethod
    def of(cls, invoice_ids: list[int]) -> "_Facts":
        balances = db.session.execute(
            db.select(LedgerEntry.invoice_id, func.sum(LedgerEntry.amount_minor))
            .where(LedgerEntry.invoice_id.in_(invoice_ids))
            .group_by(LedgerEntry.invoice_id)
        )
        plans = db.select(Plan.invoice_id).where(
            Plan.invoice_id.in_(invoice_ids), Plan.status.in_(PLAN_STOPS)
        )
        return cls(
            {invoice_id: int(total) for invoice_id, total in balances},
            set(db.session.scalars(plans)),
        )


def _zone(patient: Patient) -> ZoneInfo:
    for name in (patient.timezone, patient.practice.timezone):
        if name:
            try:
                return ZoneInfo(name)
            except (ZoneInfoNotFoundError, ValueError):
                log.warning("unknown time zone %r for patient %s", name, patient.id)
    return ZoneInfo("UTC")


def _parts(step: Step) -> tuple[str, ...]:
    """The channels a step is carried out on, in order: a call comes with its SMS nudge."""
    return ("call", "sms") if step.channel == "call" else (step.channel,)


class _Invoice:
    """One invoice's cadence within one run."""

    def __init__(
        self,
        invoice: Invoice,
        steps,
        clock: Clock,
        now: datetime,
        report: Report,
        facts: "_Facts | None" = None,
    ):
        self.invoice, self.steps, self.now, self.report = invoice, steps, now, report
        self.facts = facts
        self.patient = invoice.patient
        self.moment = clock(_zone(self.patient))
        self.state = db.session.get(CollectionState, invoice.id)
        #: once a message waits, the later ones of this invoice wait too (order is kept)
        self.held = False
        #: (position, channel) of the steps logged for this invoice
        self.logged: dict[tuple[int, str], ReminderLog] = {}

    # -- stopping -----------------------------------------------------------------------------

    def stop_reason(self) -> str | None:
        invoice = self.invoice
        if invoice.status == "void":
            return "void"
        if invoice.status == "paid" or self.balance() <= 0:
            return "written_off" if ledger.total_of(invoice.id, "write_off") else "paid"
        if invoice.status != "open":  # a draft never starts a cadence
            return "void"
        if self.plan_running():
            return "plan"
        if self.state is not None and self.state.hold:
            return self.state.hold[:16]
        if self.state is not None and self.paused():
            return "question"
        return None

    def paused(self) -> bool:
        """A question from the patient pauses the reminders until `paused_until`."""
        until = self.state.paused_until
        return until is not None and self.moment.day < until

    def balance(self) -> int:
        if self.facts is None:
            return ledger.balance(self.invoice.id)
        return self.facts.balances.get(self.invoice.id, 0)

    def plan_running(self) -> bool:
        if self.facts is not None:
            return self.invoice.id in self.facts.with_plan
        plan = db.select(Plan.id).where(
            Plan.invoice_id == self.invoice.id, Plan.status.in_(PLAN_STOPS)
        )
        return db.session.scalar(plan.limit(1)) is not None

    def ensure_state(self) -> CollectionState:
        if self.state is None:
            self.state = CollectionState(invoice_id=self.invoice.id)
            db.session.add(self.state)
            db.session.flush()
        return self.state

    def record_stop(self, reason: str) -> None:
        state = self.ensure_state()
        if state.stopped_reason == reason:
            return
        state.stopped_reason = reason
        if reason in FINAL_STOPS:
            state.next_action_on = None
        self.report.stopped += 1
        self.audit("reminder.stopped", reason=reason)

    # -- the steps ------------------------------------------------------------------------------

    def process(self) -> None:
        reason = self.stop_reason()
        if reason:
            self.record_stop(reason)
            return
        if self.state is not None and self.state.stopped_reason:
            # a hold or dispute was cleared: the cadence goes on from the latest step due
            self.audit("reminder.resumed", after=self.state.stopped_reason)
            self.state.stopped_reason = None
        if self.state is not None and self.state.paused_until is not None:
            self.state.paused_until = None  # the pause is over
        due = [s for s in self.steps if self.day_of(s) <= self.moment.day]
        if not due:
            self.schedule_next()
            return
        latest = max(s.day_offset for s in due)
        logs = self.logged
        logs.update(
            ((row.position, row.channel), row)
            for row in db.session.scalars(
                db.select(ReminderLog).filter_by(invoice_id=self.invoice.id)
            )
        )
        for step in due:
            for channel in _parts(step):
                row = logs.get((step.position, channel))
                if row is not None:
                    if row.status == "failed":
                        self.retry(step, row, superseded=step.day_offset < latest)
                    continue
                if step.day_offset < latest:
                    self.skip(step, channel, "superseded")
                elif step.day_offset < 0 and self.moment.day >= self.invoice.due_on:
                    self.skip(step, channel, "too_late")
                else:
                    self.carry_out(step, channel)
        self.schedule_next()

    def schedule_next(self) -> None:
        """Set the day the cadence next has something to do here: the earliest step not yet
        logged (today's if one is waiting), or a failed message's retry; None when none is
        left. A row whose day does not change is not written."""
        if self.state is None:
            return  # nothing started yet: the invoice is picked up as a new one
        days = [
            self.day_of(step)
            for step in self.steps
            if any((step.position, channel) not in self.logged for channel in _parts(step))
        ]
        for row in self.logged.values():
            if row.status == "failed":
                delivery = _delivery_of(row)
                if delivery is not None and delivery.next_attempt_at is not None:
                    days.append(delivery.next_attempt_at.date())
        upcoming = min(days, default=None)
        if upcoming is not None and self.held:
            upcoming = min(upcoming, self.moment.day)
        if self.state.next_action_on != upcoming:
            self.state.next_action_on = upcoming

    def day_of(self, step: Step) -> date:
        return self.invoice.due_on + timedelta(days=step.day_offset)

    def carry_out(self, step: Step, channel: str) -> None:
        patient = self.patient
        if channel == "call":
            if not patient.phone:
                self.skip(step, channel, "no_phone")
                return
            self.call_task(step)
            return
        if channel == "letter":
            if not (patient.postal_address or "").strip():
                self.skip(step, channel, "no_address")
                return
            if self.must_wait(channel):
                return
            self.letter(step)
            return
        recipient = patient.email if channel == "email" else patient.phone
        if not recipient:
            self.skip(step, channel, "no_email" if channel == "email" else "no_phone")
            return
        if not self.consents(channel):
            self.skip(step, channel, "no_consent")
            return
        if self.must_wait(channel):
            return
        self.message(step, channel, recipient)

    def consents(self, channel: str) -> bool:
        return bool(self.patient.email_consent if channel == "email" else self.patient.sms_consent)

    def must_wait(self, channel: str) -> bool:
        """True (and counted as waiting) when the message cannot go out in this run."""
        quiet = channel != "letter" and not self.moment.in_window
        if self.held or quiet or self.messaged_today():
            self.held = True
            self.report.waiting += 1
            return True
        return False

    def messaged_today(self) -> bool:
        """Whether the patient already had a reminder message (any invoice) today."""
        query = (
            db.select(func.count(ReminderLog.id))
            .join(Invoice, Invoice.id == ReminderLog.invoice_id)
            .where(
                Invoice.patient_id == self.patient.id,
                ReminderLog.sent_on == self.moment.day,
                ReminderLog.channel.in_(MESSAGE_CHANNELS),
                ReminderLog.status.in_(("sent", "letter")),
            )
        )
        return bool(db.session.scalar(query))

    def new_log(self, step: Step, channel: str, status: str, reason: str | None = None):
        row = ReminderLog(
            practice_id=self.invoice.practice_id,
            invoice_id=self.invoice.id,
            position=step.position,
            channel=channel,
            sent_on=self.moment.day,
            status=status,
            reason=reason,
        )
        db.session.add(row)
        state = self.ensure_state()
        if (state.last_position or 0) < step.position:
            state.last_position = step.position
        self.logged[(step.position, channel)] = row  # written with the invoice's commit
        self.report.done.append((self.invoice.id, step.position, channel, status))
        return row

    def skip(self, step: Step, channel: str, reason: str) -> None:
        self.new_log(step, channel, "skipped", reason)
        self.report.skipped += 1

    def call_task(self, step: Step) -> None:
        task = CallTask(
            practice_id=self.invoice.practice_id,
            invoice_id=self.invoice.id,
            patient_id=self.patient.id,
            due_on=self.moment.day,
            position=step.position,
        )
        db.session.add(task)
        self.new_log(step, "call", "task")
        self.report.call_tasks += 1
        self.audit("reminder.call_task", position=step.position, call_task_id=task.id)

    def letter(self, step: Step) -> None:
        delivery = messaging.deliver(self.reminder(step, "letter"), actor=CADENCE, now=self.now)
        self.new_log(step, "letter", "letter", f"{DELIVERY_REF}{delivery.id}")
        self.report.letters += 1

    # -- emails and texts -------------------------------------------------------------------------

    def message(self, step: Step, channel: str, recipient: str) -> None:
        db.session.commit()  # a lost race below must not roll back earlier work
        delivery = messaging.prepare(self.reminder(step, channel))
        try:
            row = self.new_log(step, channel, "sent", f"{DELIVERY_REF}{delivery.id}")
            db.session.flush()  # before sending: a step another run logged is not sent twice
        except IntegrityError:
            # another run logged this step first
            db.session.rollback()
            return
        self.attempt(row, delivery)

    def reminder(self, step: Step, channel: str) -> messaging.Message:
        refs = {"tone": step.tone, "position": step.position}
        return messaging.Message("reminder", self.invoice, channel, refs)

    def retry(self, step: Step, row: ReminderLog, superseded: bool) -> None:
        delivery = _delivery_of(row)
        if delivery is None or delivery.next_attempt_at is None:
            return
        if superseded:
            delivery.next_attempt_at = None  # a later step speaks for it now
            return
        if delivery.next_attempt_at > self.now:
            return
        recipient = self.patient.email if row.channel == "email" else self.patient.phone
        if not recipient or not self.consents(row.channel):
            delivery.next_attempt_at = None
            row.status, row.reason = "skipped", "no_consent" if recipient else "no_recipient"
            self.report.skipped += 1
            return
        if self.must_wait(row.channel):
            return
        self.report.retried += 1
        self.attempt(row, delivery)

    def attempt(self, row: ReminderLog, delivery) -> None:
        """Send (or resend) the reminder through `messaging`, which re-checks consent and
        renders it with a fresh link; the window was checked by this run's clock."""
        messaging.go(delivery, self.invoice, CADENCE, self.now, in_window=True)
        if delivery.status == "sent":
            row.status, row.sent_on = "sent", self.moment.day
            if delivery.channel == "sms":
                self.report.texts += 1
            else:
                self.report.emails += 1
        elif delivery.status == "skipped":
            row.status = "skipped"
            self.report.skipped += 1
        else:
            row.status = "failed"
            self.report.failed += 1
        db.session.flush()

    def audit(self, action: str, **data) -> None:
        audit.record(
            action,
            practice_id=self.invoice.practice_id,
            invoice_id=self.invoice.id,
            actor=CADENCE,
            **data,
        )


def _delivery_of(row: ReminderLog) -> Delivery | None:
    reason = row.reason or ""
    if not reason.startswith(DELIVERY_REF) or not reason[len(DELIVERY_REF) :].isdigit():
        return None
    return db.session.get(Delivery, int(reason[len(DELIVERY_REF) :]))
