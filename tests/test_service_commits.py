"""Services leave the commit to their caller's unit of work (`portal/units.py` for views, the
job or command for the rest). The commits below are the ones a unit of work cannot make:
each is durable before an external call (Stripe, SMTP, SMS, the timestamping authority), a
lease or claim another process must see, a job's own batch boundary, or a record a refusal's
rollback would otherwise lose. This list is their documentation; any other `commit()` in
`portal/services/` fails the scan."""

import ast
from collections import Counter
from pathlib import Path

SERVICES = Path(__file__).resolve().parents[1] / "portal" / "services"

#: `module:function` (module under portal/services, nested functions dotted): how many
#: commits it makes, and why a unit of work cannot make them
ALLOWED: dict[str, tuple[int, str]] = {
    # --- staff money: desk payments and refunds ---------------------------------------------
    "billing.money:record_desk_payment": (
        1,
        "booked before the payment subscribers run: a subscriber's lost race rolls back only "
        "its own change",
    ),
    "billing.money:refund": (1, "a desk refund is booked before the other domains are told"),
    "billing.money:_claim": (1, "the refund claim is durable before Stripe is called"),
    "billing.money:_at_stripe": (
        2,
        "Stripe's answer (a refund made, or refused) is kept though the view rolls back on the "
        "refusal",
    ),
    "billing.money:reconcile_refunds": (1, "the job's batch: one refund read back at a time"),
    # --- payments -------------------------------------------------------------------------------
    "payments.payments:_claim": (
        3,
        "the charge claim is durable before Stripe is called, and a claim given back is "
        "released for good before the refusal",
    ),
    "payments.payments:charge": (
        2,
        "Stripe's answer (the intent id, or a lost answer left checking) is durable at once",
    ),
    "payments.payments:_fail": (1, "Stripe said nothing was charged: kept before the refusal"),
    "payments.payments:apply_intent": (
        1,
        "Stripe's answer is booked before the payment subscribers run",
    ),
    "payments.charging:hold_intent": (1, "a reconciler in another process must see the intent"),
    "payments.charging:take_resend": (1, "the resend claim is durable before Stripe is called"),
    "payments.late_charges:give_back": (
        1,
        "the late charge row is the claim, durable before Stripe is asked to refund",
    ),
    "payments.late_charges:_lease": (
        1,
        "the row is taken for one process before Stripe is asked about it",
    ),
    "payments.late_charges:_release": (
        1,
        "after an outage the row is free at once for the next sweep",
    ),
    "payments.late_charges:_record": (
        1,
        "Stripe refunded, canceled or refused: the outcome, its audit and alert at once",
    ),
    "payments.reconcile:settle": (
        2,
        "what Stripe reports is recorded before the next call (the read-back, the failure)",
    ),
    "payments.reconcile:release_stale": (
        2,
        "a payment canceled at Stripe or read back is kept though the new charge is refused",
    ),
    "payments.refunds:lock": (1, "the row lock must be the first statement of its transaction"),
    "payments.saved_methods:prepare_setup": (
        1,
        "the Stripe customer id is durable before the SetupIntent is created with it",
    ),
    "payments.webhooks:handle": (
        1,
        "the event id commits with its change before the announcements (a replay finds it)",
    ),
    # --- plans and incentives: payment subscribers and the charging job ---------------------------
    "plans.installments:on_payment_succeeded": (
        1,
        "a subscriber after its emitter's commit: the incentive booking after it may roll back",
    ),
    "plans.installments:on_payment_failed": (1, "a subscriber after its emitter's commit"),
    "plans.installments:_record_failure": (
        1,
        "a subscriber or the charging job: the failure commits with the patient's notice",
    ),
    "plans.installments:charge": (1, "the charging job's batch: one installment at a time"),
    "plans.installments:remind": (1, "the reminding job's batch: one claimed reminder at a time"),
    "plans.agreement_seal:finalize": (
        1,
        "the sealed PDF (timestamped by the TSA) is stored before it is emailed",
    ),
    "incentives.booking:on_payment_succeeded": (
        1,
        "a subscriber: its unique ledger row tells a concurrent booking apart",
    ),
    "incentives.settlements:pay_settlement": (
        1,
        "the offer's lapse is kept though the payment is then refused",
    ),
    "core.subscriptions:_cadence_follows_disputes": (
        2,
        "a subscriber to webhook announcements: the row two processes update must exist for "
        "both, and no caller commits after it",
    ),
    # --- jobs, leases and the outbox --------------------------------------------------------------
    "core.jobs:run_due": (3, "the job is its own unit of work: each step's work is kept"),
    "core.leases:acquire": (3, "the lease is taken (or taken over) only once committed"),
    "core.leases:finish": (1, "every other process sees the period done"),
    "core.outbox:_lease": (1, "the lease is durable before the work (an email, a seal) is done"),
    "core.outbox:_perform": (1, "the work is recorded done right after it was performed"),
    "core.outbox:_failed": (1, "the failed attempt counts whatever the caller does next"),
    "collections.alerts:raise_due": (1, "the sweep's batch: one practice at a time"),
    "collections.cadence:_batch": (1, "the cadence's batch: the messages already sent are kept"),
    "collections.cadence:_one_by_one": (1, "the cadence's fallback batch: one invoice at a time"),
    "collections.cadence_messages:message": (
        1,
        "the earlier steps are kept before a step's lost race rolls back",
    ),
    "billing.imports.background:run": (
        1,
        "the staff page, another process, shows the import checking",
    ),
    "billing.imports.background:run.progress": (1, "the progress is shown to another process"),
    # --- messages ---------------------------------------------------------------------------------
    "messaging.delivery:_claim": (1, "the retry claim is durable before the message is sent"),
    "messaging.delivery:retry_due": (2, "the retrying job's batch: each message sent is recorded"),
    "messaging.receipts:perform_receipt": (
        1,
        "the payment's label is kept though the send fails and the outbox rolls back",
    ),
    # --- fiscal documents -------------------------------------------------------------------------
    "fiscal.documents:_insert": (
        2,
        "the number counter must be the first write of its transaction, and a number "
        "allocated is final",
    ),
    "fiscal.reminders:_claim": (1, "the month's reminder is claimed before any email goes out"),
    "fiscal.reminders:send_due": (1, "the reminding job's batch: one practice at a time"),
}


def _commits(source: str) -> Counter:
    """`function` → how many `.commit()` calls it makes, nested functions dotted."""
    found: Counter = Counter()

    def visit(node: ast.AST, scope: list[str]) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                visit(child, [*scope, child.name])
                continue
            func = getattr(child, "func", None)
            if isinstance(child, ast.Call) and getattr(func, "attr", None) == "commit":
                found[".".join(scope) or "<module>"] += 1
            visit(child, scope)

    visit(ast.parse(source), [])
    return found


def _service_commits() -> dict[str, int]:
    found = {}
    for path in sorted(SERVICES.rglob("*.py")):
        module = ".".join(path.relative_to(SERVICES).with_suffix("").parts)
        for function, count in _commits(path.read_text()).items():
            found[f"{module}:{function}"] = count
    return found


def test_services_commit_only_where_a_unit_of_work_cannot():
    found = _service_commits()
    unexplained = {name: count for name, count in found.items() if name not in ALLOWED}
    assert unexplained == {}
    assert {name: found[name] for name in ALLOWED if name in found} == {
        name: count for name, (count, _) in ALLOWED.items() if name in found
    }


def test_every_allowed_commit_is_still_there():
    assert sorted(set(ALLOWED) - set(_service_commits())) == []


def test_every_allowed_commit_says_why():
    assert [name for name, (_, reason) in ALLOWED.items() if len(reason) < 20] == []


def test_the_scan_finds_each_way_of_committing():
    source = (
        "def a():\n    db.session.commit()\n"
        "def b():\n    def inner():\n        session.commit()\n    inner()\n"
        "class C:\n    def c(self):\n        self.session.commit()\n        db.session.commit()\n"
        "async def d():\n    await session.commit()\n"
        "db.session.commit()\n"
        "def e():\n    db.session.flush()\n    commit = 1\n"
    )
    assert _commits(source) == {"a": 1, "b.inner": 1, "c": 2, "d": 1, "<module>": 1}
