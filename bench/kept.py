"""The totals the database keeps for balances and reports, rebuilt from the ledger after a bulk
load that set their triggers aside (`session_replication_role = replica` on PostgreSQL, the
triggers dropped on SQLite), so a benchmark reads what the portal would.

Each invoice's ledger sum and each patient's open total (migration 0024), set-based (one
grouped pass instead of a sum per row); then migration 0028's own backfill of the receivables
per due day, the count of patients owing and the ledger sums per day; on PostgreSQL, migration
0039's backfill of each patient's newest invoice.
"""

import importlib.util
from pathlib import Path

from sqlalchemy import text

_MIGRATION = Path(__file__).resolve().parent.parent / "portal/migrations/versions"
_BALANCES = (
    "UPDATE invoice SET balance_minor = 0 WHERE balance_minor <> 0",
    """UPDATE invoice SET balance_minor = sums.total FROM (SELECT invoice_id,
    sum(amount_minor) AS total FROM ledger_entry GROUP BY invoice_id) AS sums
    WHERE invoice.id = sums.invoice_id""",
    "UPDATE patient SET open_balance_minor = 0 WHERE open_balance_minor <> 0",
    """UPDATE patient SET open_balance_minor = sums.total FROM (SELECT patient_id,
    sum(balance_minor) AS total FROM invoice WHERE balance_minor > 0 GROUP BY patient_id)
    AS sums WHERE patient.id = sums.patient_id""",
)


def _migration(name: str):
    path = _MIGRATION / f"{name}.py"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def rebuild(executor) -> None:
    """Every kept total of every practice from the ledger, in the transaction of `executor`
    (a session or a connection)."""
    totals = _migration("0028_kept_report_totals")
    bind = executor if hasattr(executor, "dialect") else executor.get_bind()
    day = totals.DAY[bind.dialect.name]
    for statement in (*_BALANCES, *totals.BACKFILL):
        executor.execute(text(statement.format(day=day)))
    if bind.dialect.name == "postgresql":
        executor.execute(text(_migration("0039_patient_newest_invoice").BACKFILL))
