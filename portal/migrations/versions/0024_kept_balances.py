"""invoice.balance_minor: each invoice's ledger sum, kept by the database; report indexes

Revision ID: 0024
Revises: 0016
Create Date: 2026-12-01 15:20:00

The ledger stays the record; `invoice.balance_minor` is the sum of the invoice's entries, added
to by a trigger on every insert into `ledger_entry` (a statement trigger with a transition table
on PostgreSQL, so a bulk insert updates each invoice once; a row trigger on SQLite), in the
transaction that writes the entry, whoever writes it. `patient.open_balance_minor`, the sum of
the positive balances of the patient's invoices, follows each invoice's balance the same way
(triggers on invoice updates and deletes). Existing rows are backfilled here.

Indexes: the open invoices (positive balance) by practice and due date, for the aging and the
staff list's age filter; the ledger by practice and time with the invoice and amount, for
"what changed since a day"; the ledger by practice, kind and time with the amount, for a
period's sums; voided invoices by practice and time; a practice's open alerts.
"""

from alembic import op
import sqlalchemy as sa


revision = "0024"
down_revision = "0016"
branch_labels = None
depends_on = None

_PG_FUNCTION = """
CREATE FUNCTION ledger_entry_keeps_balance() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE invoice SET balance_minor = invoice.balance_minor + added.total
    FROM (SELECT invoice_id, sum(amount_minor) AS total FROM inserted GROUP BY invoice_id) AS added
    WHERE invoice.id = added.invoice_id;
    RETURN NULL;
END $$
"""

_PG_TRIGGER = """
CREATE TRIGGER ledger_entry_balance AFTER INSERT ON ledger_entry
REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT
EXECUTE FUNCTION ledger_entry_keeps_balance()
"""

_SQLITE_TRIGGER = """
CREATE TRIGGER ledger_entry_balance AFTER INSERT ON ledger_entry BEGIN
    UPDATE invoice SET balance_minor = balance_minor + new.amount_minor
    WHERE id = new.invoice_id;
END
"""

_PG_PATIENT_FUNCTION = """
CREATE FUNCTION invoice_keeps_patient_open_balance() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE patient SET open_balance_minor = patient.open_balance_minor + moved.total
    FROM (
        SELECT patient_id, sum(amount) AS total FROM (
            SELECT patient_id, GREATEST(balance_minor, 0) AS amount FROM after_rows
            UNION ALL
            SELECT patient_id, -GREATEST(balance_minor, 0) FROM before_rows
        ) AS changes GROUP BY patient_id HAVING sum(amount) <> 0
    ) AS moved
    WHERE patient.id = moved.patient_id;
    RETURN NULL;
END $$
"""

_PG_PATIENT_TRIGGERS = (
    """CREATE TRIGGER invoice_open_balance_update AFTER UPDATE ON invoice
    REFERENCING OLD TABLE AS before_rows NEW TABLE AS after_rows FOR EACH STATEMENT
    EXECUTE FUNCTION invoice_keeps_patient_open_balance()""",
    # a deleted invoice (a draft, balance 0, in practice) takes its part with it
    """CREATE FUNCTION invoice_deleted_open_balance() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE patient SET open_balance_minor = patient.open_balance_minor - gone.total
        FROM (SELECT patient_id, sum(GREATEST(balance_minor, 0)) AS total FROM before_rows
              GROUP BY patient_id) AS gone
        WHERE patient.id = gone.patient_id AND gone.total <> 0;
        RETURN NULL;
    END $$""",
    """CREATE TRIGGER invoice_open_balance_delete AFTER DELETE ON invoice
    REFERENCING OLD TABLE AS before_rows FOR EACH STATEMENT
    EXECUTE FUNCTION invoice_deleted_open_balance()""",
)

_SQLITE_PATIENT_TRIGGERS = (
    """CREATE TRIGGER invoice_open_balance_update AFTER UPDATE OF balance_minor, patient_id
    ON invoice BEGIN
        UPDATE patient SET open_balance_minor = open_balance_minor - max(old.balance_minor, 0)
        WHERE id = old.patient_id AND old.balance_minor > 0;
        UPDATE patient SET open_balance_minor = open_balance_minor + max(new.balance_minor, 0)
        WHERE id = new.patient_id AND new.balance_minor > 0;
    END""",
    """CREATE TRIGGER invoice_open_balance_delete AFTER DELETE ON invoice
    WHEN old.balance_minor > 0 BEGIN
        UPDATE patient SET open_balance_minor = open_balance_minor - old.balance_minor
        WHERE id = old.patient_id;
    END""",
)

_PATIENT_BACKFILL = """
UPDATE patient SET open_balance_minor = COALESCE((SELECT sum(balance_minor) FROM invoice
    WHERE invoice.patient_id = patient.id AND invoice.balance_minor > 0), 0)
"""

_BACKFILL = """
UPDATE invoice SET balance_minor = COALESCE(
    (SELECT sum(amount_minor) FROM ledger_entry WHERE ledger_entry.invoice_id = invoice.id), 0)
"""


def upgrade():
    op.add_column(
        "invoice",
        sa.Column("balance_minor", sa.BigInteger(), nullable=False, server_default="0"),
    )
    op.add_column(
        "patient",
        sa.Column("open_balance_minor", sa.BigInteger(), nullable=False, server_default="0"),
    )
    op.execute(_BACKFILL)
    op.execute(_PATIENT_BACKFILL)
    if op.get_bind().dialect.name == "postgresql":
        for statement in (_PG_FUNCTION, _PG_TRIGGER, _PG_PATIENT_FUNCTION, *_PG_PATIENT_TRIGGERS):
            op.execute(statement)
    else:
        for statement in (_SQLITE_TRIGGER, *_SQLITE_PATIENT_TRIGGERS):
            op.execute(statement)
    op.create_index(
        "ix_patient_open_balance",
        "patient",
        ["practice_id", sa.text("open_balance_minor DESC"), "last_name", "first_name", "id"],
        postgresql_where=sa.text("open_balance_minor > 0"),
        sqlite_where=sa.text("open_balance_minor > 0"),
    )
    op.create_index(
        "ix_invoice_open_due",
        "invoice",
        ["practice_id", "due_on", "patient_id", "balance_minor", "issued_on", "voided_at"],
        postgresql_where=sa.text("balance_minor > 0"),
        sqlite_where=sa.text("balance_minor > 0"),
    )
    op.create_index("ix_invoice_practice_voided", "invoice", ["practice_id", "voided_at"])
    op.create_index(
        "ix_alert_open",
        "alert",
        ["practice_id", "kind", "raised_on", "id"],
        postgresql_where=sa.text("resolved_at IS NULL"),
        sqlite_where=sa.text("resolved_at IS NULL"),
    )
    op.create_index(
        "ix_ledger_practice_time",
        "ledger_entry",
        ["practice_id", "created_at", "invoice_id", "amount_minor"],
    )
    op.drop_index("ix_ledger_kind_time", table_name="ledger_entry")
    op.create_index(
        "ix_ledger_kind_time",
        "ledger_entry",
        ["practice_id", "kind", "created_at", "amount_minor", "invoice_id"],
    )


def downgrade():
    op.drop_index("ix_ledger_kind_time", table_name="ledger_entry")
    op.create_index("ix_ledger_kind_time", "ledger_entry", ["practice_id", "kind", "created_at"])
    op.drop_index("ix_ledger_practice_time", table_name="ledger_entry")
    op.drop_index("ix_alert_open", table_name="alert")
    op.drop_index("ix_invoice_practice_voided", table_name="invoice")
    op.drop_index("ix_invoice_open_due", table_name="invoice")
    op.drop_index("ix_patient_open_balance", table_name="patient")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER invoice_open_balance_delete ON invoice")
        op.execute("DROP TRIGGER invoice_open_balance_update ON invoice")
        op.execute("DROP TRIGGER ledger_entry_balance ON ledger_entry")
        op.execute("DROP FUNCTION invoice_deleted_open_balance()")
        op.execute("DROP FUNCTION invoice_keeps_patient_open_balance()")
        op.execute("DROP FUNCTION ledger_entry_keeps_balance()")
    else:
        for name in ("invoice_open_balance_delete", "invoice_open_balance_update"):
            op.execute(f"DROP TRIGGER {name}")
        op.execute("DROP TRIGGER ledger_entry_balance")
    op.drop_column("patient", "open_balance_minor")
    op.drop_column("invoice", "balance_minor")
