"""A batch of invoices for the reminder cadence: everything the run reads about them (the
invoices with their patients and practices, collection states, balances, running plans,
logged steps) read in one statement per table, and what the run writes for them (steps,
call tasks, audit events, state changes) flushed together, in one commit per batch."""

import copy
from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import bindparam, func
from sqlalchemy.orm import joinedload, make_transient_to_detached

from portal.clock import utcnow
from portal.extensions import db
from portal.models import (
    AuditEvent,
    CallTask,
    CollectionState,
    Invoice,
    LedgerEntry,
    Plan,
    ReminderLog,
)
from portal.services.collections.cadence_steps import CADENCE, PLAN_STOPS, Report
from portal.services.core import bulk

#: the batch's invoice ids, bound as one list (not one literal each)
_IDS = bindparam("ids", expanding=True)


@dataclass
class Facts:
    """What a batch of invoices needs read from other tables, read once for the batch.

    `invoices`, `states` and `logs` are None when each invoice reads its own (after a batch
    was rolled back, its invoices are run one by one with fresh reads)."""

    balances: dict[int, int]
    with_plan: set[int]
    invoices: dict[int, Invoice] | None = None
    states: dict[int, CollectionState] | None = None
    logs: dict[int, list[ReminderLog]] | None = None
    #: steps logged (other than messages being sent) and call tasks made, written by `settle`
    new_logs: list[dict] = field(default_factory=list)
    calls: list[dict] = field(default_factory=list)
    #: collection states the run created, and the invoices it started
    new_states: list[CollectionState] = field(default_factory=list)
    started: set[int] = field(default_factory=set)

    @classmethod
    def of(cls, invoice_ids: list[int], *, whole: bool = True) -> "Facts":
        """Balances and running plans of `invoice_ids`; with `whole`, also the invoices (with
        patient and practice), their collection states and their logged steps."""
        ids = {"ids": invoice_ids}
        balances = db.session.execute(
            db.select(LedgerEntry.invoice_id, func.sum(LedgerEntry.amount_minor))
            .where(LedgerEntry.invoice_id.in_(_IDS))
            .group_by(LedgerEntry.invoice_id),
            ids,
        )
        plans = db.select(Plan.invoice_id).where(
            Plan.invoice_id.in_(_IDS), Plan.status.in_(PLAN_STOPS)
        )
        facts = cls(
            {invoice_id: int(total) for invoice_id, total in balances},
            set(db.session.scalars(plans, ids)),
        )
        if whole:
            facts.invoices = _invoices(invoice_ids)
            facts.states = {
                state.invoice_id: state
                for state in db.session.scalars(
                    db.select(CollectionState).where(CollectionState.invoice_id.in_(_IDS)), ids
                )
            }
            facts.logs = defaultdict(list)
            for row in db.session.scalars(
                db.select(ReminderLog).where(ReminderLog.invoice_id.in_(_IDS)), ids
            ):
                facts.logs[row.invoice_id].append(row)
        return facts

    def discard(self) -> None:
        """Forget what was not written (the transaction was rolled back)."""
        for pending in (self.new_logs, self.calls, self.new_states, self.started):
            pending.clear()

    def settle(self) -> None:
        """Write the batch's new collection states, logged steps and call tasks in one
        multi-row INSERT each (in chunks), audit each call task with its id in one more, and
        mark the invoices the cadence started in one UPDATE."""
        if self.new_states:
            now = utcnow()
            rows = [
                {**{name: getattr(state, name) for name in _STATE_COLUMNS}, "updated_at": now}
                for state in self.new_states
            ]
            bulk.write(CollectionState.__table__, rows)
            for state in self.new_states:  # from now on changes to it are updates
                state.updated_at = now
                make_transient_to_detached(state)
                db.session.add(state)
            self.new_states.clear()
        if self.started:
            table = Invoice.__table__
            started = sorted(self.started)
            for start in range(0, len(started), 1000):
                chunk = started[start : start + 1000]
                db.session.execute(
                    db.update(table).where(table.c.id.in_(_IDS)).values(cadence_started=True),
                    {"ids": chunk},
                )
            self.started.clear()
        bulk.write(ReminderLog.__table__, self.new_logs)
        self.new_logs.clear()
        ids = bulk.with_ids(CallTask.__table__, self.calls)
        events = [
            dict(
                practice_id=call["practice_id"],
                invoice_id=call["invoice_id"],
                action="reminder.call_task",
                actor_kind=CADENCE.kind,
                actor_ref=CADENCE.ref,
                ip_address=None,
                data={"position": call["position"], "call_task_id": task_id},
                created_at=call["created_at"],
            )
            for call, task_id in zip(self.calls, ids, strict=True)
        ]
        bulk.write(AuditEvent.__table__, events)
        self.calls.clear()


@dataclass
class Logged:
    """A step logged in this run and written by `settle` (not a message on its way)."""

    status: str
    reason: str | None


_STATE_COLUMNS = (
    "invoice_id",
    "hold",
    "hold_note",
    "stopped_reason",
    "last_position",
    "paused_until",
    "next_action_on",
)


def _invoices(invoice_ids: list[int]) -> dict[int, Invoice]:
    query = (
        db.select(Invoice)
        .where(Invoice.id.in_(_IDS))
        .options(joinedload(Invoice.patient), joinedload(Invoice.practice))
    )
    return {invoice.id: invoice for invoice in db.session.scalars(query, {"ids": invoice_ids})}


def load(invoice_id: int) -> Invoice:
    """One invoice with its patient and practice, in one statement."""
    return _invoices([invoice_id])[invoice_id]


def snapshot(report: Report) -> Report:
    """A copy of `report` to go back to when a batch is rolled back."""
    return copy.deepcopy(report)


def restore(report: Report, saved: Report) -> None:
    for name, value in vars(saved).items():
        setattr(report, name, value)
