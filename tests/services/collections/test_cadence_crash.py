"""`flask jobs run-due` killed half-way through the cadence, then run again: each invoice is
stepped fully or not at all, and the second run finishes the work without doing any twice."""

import importlib.util
import signal
import time
from datetime import date

import pytest
from sqlalchemy import func, text

from portal.extensions import db
from portal.models import AuditEvent, CallTask, CollectionState, Invoice, ReminderLog
from portal.services.collections import cadence
from tests.support import workers

DUE = 3000
TODAY = date(2026, 12, 1)


def _bench():
    spec = importlib.util.spec_from_file_location(
        "jobs_bench", workers.ROOT / "bench/jobs_bench.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _per_invoice() -> dict[tuple[int, int, int, int], int]:
    """How many invoices have (logged steps, call tasks, call-task audit events, states)."""
    counts = {}
    for model, column in (
        (ReminderLog, ReminderLog.invoice_id),
        (CallTask, CallTask.invoice_id),
        (AuditEvent, AuditEvent.invoice_id),
        (CollectionState, CollectionState.invoice_id),
    ):
        query = db.select(column, func.count()).group_by(column)
        if model is AuditEvent:
            query = query.where(AuditEvent.action == "reminder.call_task")
        counts[model] = dict(db.session.execute(query).all())
    shapes: dict[tuple[int, int, int, int], int] = {}
    for invoice_id in db.session.scalars(db.select(Invoice.id)):
        shape = tuple(counts[m].get(invoice_id, 0) for m in counts)
        shapes[shape] = shapes.get(shape, 0) + 1
    return shapes


def _run(app) -> object:
    env = workers.env_for(app, "http://127.0.0.1:9")
    return workers.run_due(env, TODAY)


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_killed_run_leaves_whole_batches_and_the_rerun_finishes(app):
    _bench().seed(DUE, due_every=1)  # every invoice has its first call due today
    db.session.remove()
    process = _run(app)
    made = 0
    try:
        while made == 0 and process.poll() is None:
            time.sleep(0.02)
            with db.engine.connect() as conn:
                made = conn.scalar(text("SELECT count(*) FROM call_task"))
        process.send_signal(signal.SIGKILL)
    finally:
        process.communicate(timeout=60)  # and its pipes closed
    assert process.returncode == -signal.SIGKILL
    db.session.remove()
    stepped = db.session.scalar(db.select(func.count()).select_from(CallTask))
    # killed after the first batch's commit, before the last one's
    assert 0 < stepped < DUE and stepped % cadence.BATCH == 0
    # per invoice: 5 logged steps (courtesy email and first call superseded, the second
    # call a task, its text skipped), the task, its audit event, the state; or nothing
    assert _per_invoice() == {(5, 1, 1, 1): stepped, (0, 0, 0, 0): DUE - stepped}
    db.session.remove()
    again = _run(app)
    out, err = again.communicate(timeout=600)
    assert again.returncode == 0, err
    assert f"{DUE - stepped} call tasks" in out
    assert _per_invoice() == {(5, 1, 1, 1): DUE}
    started = db.select(func.count()).select_from(Invoice).where(Invoice.cadence_started)
    assert db.session.scalar(started) == DUE
