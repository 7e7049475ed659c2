"""invoice.balance_minor: each invoice's ledger sum, kept by the database; report indexes

Revision ID: 0024
Revises: 0016
Create Date: 2026-12-01 15:20:00

The ledger stays the record; `invoice.balance_minor` is the sum of the invoice's entries, added
to by a trigger on every insert into `ledger_entry` (a statement trigger with a transition table
on PostgreSQL, so a bulk insert updates each invoice once; a row trigger on SQLite), in the
transaction that writes the entry, whoever writes it. Existing invoices are backfilled here.

Indexes: the open invoices (positive balance) by practice and due date, for the aging and the
staff list's age filter; the ledger by practice and time with the invoice and amount, for
"what changed since a day"; the ledger by practice, kind and time with the amount, for a
period's sums; voided invoices by practice and time.
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

_BACKFILL = """
UPDATE invoice SET balance_minor = COALESCE(
    (SELECT sum(amount_minor) FROM ledger_entry WHERE ledger_entry.invoice_id = invoice.id), 0)
"""


def upgrade():
    op.add_column(
        "invoice",
        sa.Column("balance_minor", sa.BigInteger(), nullable=False, server_default="0"),
    )
    op.execute(_BACKFILL)
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_PG_FUNCTION)
        op.execute(_PG_TRIGGER)
    else:
        op.execute(_SQLITE_TRIGGER)
    op.create_index(
        "ix_invoice_open_due",
        "invoice",
        ["practice_id", "due_on", "patient_id", "balance_minor", "issued_on", "voided_at"],
        postgresql_where=sa.text("balance_minor > 0"),
        sqlite_where=sa.text("balance_minor > 0"),
    )
    op.create_index("ix_invoice_practice_voided", "invoice", ["practice_id", "voided_at"])
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
    op.drop_index("ix_invoice_practice_voided", table_name="invoice")
    op.drop_index("ix_invoice_open_due", table_name="invoice")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER ledger_entry_balance ON ledger_entry")
        op.execute("DROP FUNCTION ledger_entry_keeps_balance()")
    else:
        op.execute("DROP TRIGGER ledger_entry_balance")
    op.drop_column("invoice", "balance_minor")
