"""kept report totals: open receivables per practice and due day, ledger sums per practice,
UTC day and kind, kept by the database

Revision ID: 0028
Revises: 0023
Create Date: 2026-12-01 18:20:00

`kept_receivable` holds, per practice and due date, the sum of the positive
`invoice.balance_minor` and how many invoices have one; triggers on invoice inserts, updates
and deletes move each invoice's part (0024's ledger trigger updates the balance, so every
ledger insert reaches it). `kept_patients_owing` counts each practice's patients with a
positive `patient.open_balance_minor` (triggers on patient inserts, updates and deletes; 0024's
invoice triggers update that total). `kept_ledger_day` holds, per practice, UTC day of `created_at` and
kind, the sum of the ledger entries and their count, added to by a trigger on every ledger
insert (a statement trigger with a transition table on PostgreSQL, one row appended per group; a
row trigger on SQLite). The aging as of today and a period's charges, payments and refunds
read these rows, a few per day, instead of every open invoice and every entry. Every trigger appends a row of the change
and updates none, so writers of one practice and day never wait on each other; the hourly run
folds each key's rows into one. Existing rows are backfilled here. A partial index finds void invoices that still show a balance.

On PostgreSQL the staff search's trigram indexes on the patient's names and email (0014)
become GiST indexes with 64-byte signatures: a GIN scan reads the whole posting list of every
trigram of the word, so a surname that shares its first letters with half the patients
("Surname1234" among "Surname0" … "Surname499999") cost a quarter of a second at half a
million patients; the GiST index answers it in milliseconds.
"""

from alembic import op
import sqlalchemy as sa


revision = "0028"
down_revision = "0023"
branch_labels = None
depends_on = None

#: the backfill, also what a bulk load with the triggers set aside runs afterwards
BACKFILL = (
    "DELETE FROM kept_receivable",
    """INSERT INTO kept_receivable (practice_id, due_on, amount_minor, invoices)
    SELECT practice_id, due_on, sum(balance_minor), count(*) FROM invoice
    WHERE balance_minor > 0 GROUP BY practice_id, due_on""",
    "DELETE FROM kept_patients_owing",
    """INSERT INTO kept_patients_owing (practice_id, patients)
    SELECT practice_id, count(*) FROM patient WHERE open_balance_minor > 0 GROUP BY practice_id""",
    "DELETE FROM kept_ledger_day",
    """INSERT INTO kept_ledger_day (practice_id, day, kind, amount_minor, entries)
    SELECT practice_id, {day}, kind, sum(amount_minor), count(*) FROM ledger_entry
    GROUP BY practice_id, {day}, kind""",
)
DAY = {"postgresql": "CAST(created_at AS date)", "sqlite": "date(created_at)"}

#: every trigger only appends a row of what changed (no update of a shared row, so writers of
#: the same practice and day never wait on each other or deadlock); the hourly run folds the
#: rows of each key into one (`services.collections.kept_totals.compact`)
_PG_MOVES = """
    INSERT INTO kept_receivable (practice_id, due_on, amount_minor, invoices)
    SELECT practice_id, due_on, sum(amount), sum(n) FROM ({rows}) AS moved
    GROUP BY practice_id, due_on HAVING sum(amount) <> 0 OR sum(n) <> 0;
"""
_PG_NEW = "SELECT practice_id, due_on, balance_minor AS amount, 1 AS n FROM after_rows"
_PG_NEW += " WHERE balance_minor > 0"
_PG_OLD = "SELECT practice_id, due_on, -balance_minor AS amount, -1 AS n FROM before_rows"
_PG_OLD += " WHERE balance_minor > 0"

_PG_OWING = """
    INSERT INTO kept_patients_owing (practice_id, patients)
    SELECT practice_id, sum(n) FROM ({rows}) AS moved
    GROUP BY practice_id HAVING sum(n) <> 0;
"""
_PG_OWING_NEW = "SELECT practice_id, 1 AS n FROM after_rows WHERE open_balance_minor > 0"
_PG_OWING_OLD = "SELECT practice_id, -1 AS n FROM before_rows WHERE open_balance_minor > 0"



def _pg_mover(name: str, moves: str, new: str, old: str) -> str:
    """A statement trigger function appending the moves of `new` rows (insert), `old` rows
    (delete) or both (update): `moves` is the INSERT, `{rows}` the rows it sums."""
    return f"""CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'UPDATE' THEN
            {moves.format(rows=f"{new} UNION ALL {old}")}
        ELSIF TG_OP = 'INSERT' THEN
            {moves.format(rows=new)}
        ELSE
            {moves.format(rows=old)}
        END IF;
        RETURN NULL;
    END $$"""


_PG_FUNCTIONS = (
    _pg_mover("invoice_keeps_receivables", _PG_MOVES, _PG_NEW, _PG_OLD),
    _pg_mover("patient_keeps_owing_count", _PG_OWING, _PG_OWING_NEW, _PG_OWING_OLD),
    """CREATE FUNCTION ledger_entry_keeps_day_totals() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO kept_ledger_day (practice_id, day, kind, amount_minor, entries)
        SELECT practice_id, CAST(created_at AS date), kind, sum(amount_minor), count(*)
        FROM inserted GROUP BY 1, 2, 3;
        RETURN NULL;
    END $$""",
)

_PG_TRIGGERS = (
    """CREATE TRIGGER invoice_receivables_insert AFTER INSERT ON invoice
    REFERENCING NEW TABLE AS after_rows FOR EACH STATEMENT
    EXECUTE FUNCTION invoice_keeps_receivables()""",
    """CREATE TRIGGER invoice_receivables_update AFTER UPDATE ON invoice
    REFERENCING OLD TABLE AS before_rows NEW TABLE AS after_rows FOR EACH STATEMENT
    EXECUTE FUNCTION invoice_keeps_receivables()""",
    """CREATE TRIGGER invoice_receivables_delete AFTER DELETE ON invoice
    REFERENCING OLD TABLE AS before_rows FOR EACH STATEMENT
    EXECUTE FUNCTION invoice_keeps_receivables()""",
    """CREATE TRIGGER patient_owing_insert AFTER INSERT ON patient
    REFERENCING NEW TABLE AS after_rows FOR EACH STATEMENT
    EXECUTE FUNCTION patient_keeps_owing_count()""",
    """CREATE TRIGGER patient_owing_update AFTER UPDATE ON patient
    REFERENCING OLD TABLE AS before_rows NEW TABLE AS after_rows FOR EACH STATEMENT
    EXECUTE FUNCTION patient_keeps_owing_count()""",
    """CREATE TRIGGER patient_owing_delete AFTER DELETE ON patient
    REFERENCING OLD TABLE AS before_rows FOR EACH STATEMENT
    EXECUTE FUNCTION patient_keeps_owing_count()""",
    """CREATE TRIGGER ledger_entry_day_totals AFTER INSERT ON ledger_entry
    REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT
    EXECUTE FUNCTION ledger_entry_keeps_day_totals()""",
)

_SQLITE_ADD = """
        INSERT INTO kept_receivable (practice_id, due_on, amount_minor, invoices)
        SELECT new.practice_id, new.due_on, new.balance_minor, 1 WHERE new.balance_minor > 0;
"""
_SQLITE_TAKE = """
        INSERT INTO kept_receivable (practice_id, due_on, amount_minor, invoices)
        SELECT old.practice_id, old.due_on, -old.balance_minor, -1 WHERE old.balance_minor > 0;
"""

_SQLITE_OWES = """
        INSERT INTO kept_patients_owing (practice_id, patients)
        SELECT new.practice_id, 1 WHERE new.open_balance_minor > 0;
"""
_SQLITE_OWED = """
        INSERT INTO kept_patients_owing (practice_id, patients)
        SELECT old.practice_id, -1 WHERE old.open_balance_minor > 0;
"""

_SQLITE_TRIGGERS = (
    f"""CREATE TRIGGER invoice_receivables_insert AFTER INSERT ON invoice
    WHEN new.balance_minor > 0 BEGIN {_SQLITE_ADD} END""",
    f"""CREATE TRIGGER invoice_receivables_update
    AFTER UPDATE OF balance_minor, due_on, practice_id ON invoice
    WHEN old.balance_minor > 0 OR new.balance_minor > 0 BEGIN {_SQLITE_TAKE} {_SQLITE_ADD} END""",
    f"""CREATE TRIGGER invoice_receivables_delete AFTER DELETE ON invoice
    WHEN old.balance_minor > 0 BEGIN {_SQLITE_TAKE} END""",
    f"""CREATE TRIGGER patient_owing_insert AFTER INSERT ON patient
    WHEN new.open_balance_minor > 0 BEGIN {_SQLITE_OWES} END""",
    f"""CREATE TRIGGER patient_owing_update AFTER UPDATE OF open_balance_minor, practice_id
    ON patient WHEN old.open_balance_minor > 0 OR new.open_balance_minor > 0
    BEGIN {_SQLITE_OWED} {_SQLITE_OWES} END""",
    f"""CREATE TRIGGER patient_owing_delete AFTER DELETE ON patient
    WHEN old.open_balance_minor > 0 BEGIN {_SQLITE_OWED} END""",
    """CREATE TRIGGER ledger_entry_day_totals AFTER INSERT ON ledger_entry BEGIN
        INSERT INTO kept_ledger_day (practice_id, day, kind, amount_minor, entries)
        VALUES (new.practice_id, date(new.created_at), new.kind, new.amount_minor, 1);
    END""",
)

_TRIGGERS = {
    "invoice_receivables_insert": "invoice",
    "invoice_receivables_update": "invoice",
    "invoice_receivables_delete": "invoice",
    "patient_owing_insert": "patient",
    "patient_owing_update": "patient",
    "patient_owing_delete": "patient",
    "ledger_entry_day_totals": "ledger_entry",
}
_FUNCTIONS = (
    "invoice_keeps_receivables",
    "patient_keeps_owing_count",
    "ledger_entry_keeps_day_totals",
)


#: the staff search's patient columns (0014's trigram indexes)
_SEARCHED = ("first_name", "last_name", "email")


def _patient_trigram_indexes(method: str) -> None:
    options = "gist_trgm_ops(siglen=64)" if method == "gist" else "gin_trgm_ops"
    for column in _SEARCHED:
        op.execute(f"DROP INDEX ix_patient_{column}_trgm")
        op.execute(
            f"CREATE INDEX ix_patient_{column}_trgm ON patient USING {method} ({column} {options})"
        )


def upgrade():
    op.create_table(
        "kept_receivable",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True),
        sa.Column("practice_id", sa.Integer(), sa.ForeignKey("practice.id"), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("invoices", sa.Integer(), nullable=False),
    )
    op.create_index("ix_kept_receivable_key", "kept_receivable", ["practice_id", "due_on"])
    op.create_table(
        "kept_patients_owing",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True),
        sa.Column("practice_id", sa.Integer(), sa.ForeignKey("practice.id"), nullable=False),
        sa.Column("patients", sa.Integer(), nullable=False),
    )
    op.create_index("ix_kept_patients_owing_key", "kept_patients_owing", ["practice_id"])
    op.create_table(
        "kept_ledger_day",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True),
        sa.Column("practice_id", sa.Integer(), sa.ForeignKey("practice.id"), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("entries", sa.Integer(), nullable=False),
    )
    op.create_index("ix_kept_ledger_day_key", "kept_ledger_day", ["practice_id", "day", "kind"])
    dialect = op.get_bind().dialect.name
    for statement in BACKFILL:
        op.execute(statement.format(day=DAY[dialect]))
    if dialect == "postgresql":
        for statement in (*_PG_FUNCTIONS, *_PG_TRIGGERS):
            op.execute(statement)
        _patient_trigram_indexes("gist")
    else:
        for statement in _SQLITE_TRIGGERS:
            op.execute(statement)
    op.create_index(
        "ix_invoice_void_open",
        "invoice",
        ["practice_id", "voided_at"],
        postgresql_where=sa.text("balance_minor > 0 AND voided_at IS NOT NULL"),
        sqlite_where=sa.text("balance_minor > 0 AND voided_at IS NOT NULL"),
    )


def downgrade():
    op.drop_index("ix_invoice_void_open", table_name="invoice")
    postgres = op.get_bind().dialect.name == "postgresql"
    for name, table in _TRIGGERS.items():
        op.execute(f"DROP TRIGGER {name} ON {table}" if postgres else f"DROP TRIGGER {name}")
    if postgres:
        _patient_trigram_indexes("gin")
        for name in _FUNCTIONS:
            op.execute(f"DROP FUNCTION {name}()")
    op.drop_table("kept_ledger_day")
    op.drop_table("kept_patients_owing")
    op.drop_table("kept_receivable")
