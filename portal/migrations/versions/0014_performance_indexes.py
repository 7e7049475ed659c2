"""performance indexes: staff list pages and search, the cadence's next action

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-01 09:20:00

The staff invoice list walks (practice, issued_on, id) and (practice, status, issued_on, id)
page by page. Search by substring uses trigram indexes: on PostgreSQL pg_trgm GIN indexes on
the invoice number and the patient's names and email; on SQLite FTS5 tables with the trigram
tokenizer (`invoice_search`, `patient_search`), kept in step with their tables by triggers.
`collection_state.next_action_on` is the day the cadence next has something to do for an
invoice, so a run selects only the invoices that are due.
"""

from alembic import op
import sqlalchemy as sa


revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

_TRIGRAM = {
    "ix_invoice_number_trgm": ("invoice", "number"),
    "ix_patient_first_name_trgm": ("patient", "first_name"),
    "ix_patient_last_name_trgm": ("patient", "last_name"),
    "ix_patient_email_trgm": ("patient", "email"),
}

_FTS = {
    "invoice_search": ("invoice", ["number"]),
    "patient_search": ("patient", ["first_name", "last_name", "email"]),
}


def upgrade():
    with op.batch_alter_table("invoice", schema=None) as batch_op:
        batch_op.create_index("ix_invoice_practice_issued", ["practice_id", "issued_on", "id"])
        batch_op.create_index(
            "ix_invoice_practice_status_issued", ["practice_id", "status", "issued_on", "id"]
        )
        batch_op.create_index("ix_invoice_status_due", ["status", "due_on"])
    with op.batch_alter_table("collection_state", schema=None) as batch_op:
        batch_op.add_column(sa.Column("next_action_on", sa.Date(), nullable=True))
        batch_op.create_index("ix_collection_state_next_action_on", ["next_action_on"])
    # rows from before: looked at once by the next run, which sets their next day
    op.execute("UPDATE collection_state SET next_action_on = '2000-01-01'")
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        for name, (table, column) in _TRIGRAM.items():
            op.execute(f"CREATE INDEX {name} ON {table} USING gin ({column} gin_trgm_ops)")
    elif dialect == "sqlite":
        for fts, (table, columns) in _FTS.items():
            _sqlite_fts(fts, table, columns)


def _sqlite_fts(fts: str, table: str, columns: list[str]) -> None:
    listed = ", ".join(columns)
    new = ", ".join(f"new.{c}" for c in columns)
    old = ", ".join(f"old.{c}" for c in columns)
    op.execute(
        f"CREATE VIRTUAL TABLE {fts} USING fts5({listed}, content='{table}', "
        f"content_rowid='id', tokenize='trigram')"
    )
    op.execute(f"INSERT INTO {fts}(rowid, {listed}) SELECT id, {listed} FROM {table}")
    op.execute(
        f"CREATE TRIGGER {fts}_ai AFTER INSERT ON {table} BEGIN "
        f"INSERT INTO {fts}(rowid, {listed}) VALUES (new.id, {new}); END"
    )
    op.execute(
        f"CREATE TRIGGER {fts}_ad AFTER DELETE ON {table} BEGIN "
        f"INSERT INTO {fts}({fts}, rowid, {listed}) VALUES ('delete', old.id, {old}); END"
    )
    op.execute(
        f"CREATE TRIGGER {fts}_au AFTER UPDATE OF {listed} ON {table} BEGIN "
        f"INSERT INTO {fts}({fts}, rowid, {listed}) VALUES ('delete', old.id, {old}); "
        f"INSERT INTO {fts}(rowid, {listed}) VALUES (new.id, {new}); END"
    )


def downgrade():
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        for name in _TRIGRAM:
            op.execute(f"DROP INDEX IF EXISTS {name}")
    elif dialect == "sqlite":
        for fts in _FTS:
            for suffix in ("ai", "ad", "au"):
                op.execute(f"DROP TRIGGER IF EXISTS {fts}_{suffix}")
            op.execute(f"DROP TABLE IF EXISTS {fts}")
    with op.batch_alter_table("collection_state", schema=None) as batch_op:
        batch_op.drop_index("ix_collection_state_next_action_on")
        batch_op.drop_column("next_action_on")
    with op.batch_alter_table("invoice", schema=None) as batch_op:
        batch_op.drop_index("ix_invoice_status_due")
        batch_op.drop_index("ix_invoice_practice_status_issued")
        batch_op.drop_index("ix_invoice_practice_issued")
