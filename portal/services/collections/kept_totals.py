"""Folding the report totals the database keeps (migration 0028).

Its triggers append a row of each change and update none, so two writers of one practice and
day never wait on each other. Readers sum a key's rows; `compact` folds them into one row per
key (none when they sum to nothing), leaving every sum as it was. On PostgreSQL each table is
folded in one statement, so rows a concurrent writer appends meanwhile stay as they are; on
SQLite the writer holds the database for the transaction.
"""

# ruff: noqa: S608 - every name in these statements is one of TABLES' own

from sqlalchemy import text

from portal.extensions import db

#: each kept table: its key and its summed columns
TABLES = {
    "kept_receivable": (("practice_id", "due_on"), ("amount_minor", "invoices")),
    "kept_ledger_day": (("practice_id", "day", "kind"), ("amount_minor", "entries")),
    "kept_patients_owing": (("practice_id",), ("patients",)),
}


def _statements(table: str, postgres: bool) -> list[str]:
    keys, sums = TABLES[table]
    key, columns = ", ".join(keys), ", ".join(sums)
    totals = ", ".join(f"sum({c})" for c in sums)
    nonzero = " OR ".join(f"sum({c}) <> 0" for c in sums)
    # the keys with more than one row, or whose rows sum to nothing
    bound = "" if postgres else "WHERE id <= :last"
    loose = (
        f"SELECT {key} FROM {table} {bound} GROUP BY {key} HAVING count(*) > 1 OR NOT ({nonzero})"
    )
    if postgres:
        return [
            f"""WITH gone AS (DELETE FROM {table} WHERE ({key}) IN ({loose})
            RETURNING {key}, {columns})
            INSERT INTO {table} ({key}, {columns})
            SELECT {key}, {totals} FROM gone GROUP BY {key} HAVING {nonzero}"""
        ]
    return [
        f"""INSERT INTO {table} ({key}, {columns})
        SELECT {key}, {totals} FROM {table} WHERE id <= :last AND ({key}) IN ({loose})
        GROUP BY {key} HAVING {nonzero}""",
        f"DELETE FROM {table} WHERE id <= :last AND ({key}) IN ({loose})",
    ]


def compact() -> None:
    """Fold each key's rows of the kept report totals into one, in the caller's transaction;
    every sum a report reads stays the same."""
    postgres = db.session.get_bind().dialect.name == "postgresql"
    for table in TABLES:
        last = None if postgres else db.session.scalar(text(f"SELECT max(id) FROM {table}"))
        if not postgres and last is None:
            continue
        for statement in _statements(table, postgres):
            db.session.execute(text(statement), {} if postgres else {"last": last})
