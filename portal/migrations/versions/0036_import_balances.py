"""ledger balance trigger: set aside for an import that writes the balances itself

Revision ID: 0036
Revises: 0032
Create Date: 2026-12-01 22:40:00

On PostgreSQL 0024's `ledger_entry_keeps_balance()` skips its update while the transaction's
setting `saldo.balances_written` is `on`: a CSV import inserts its invoices and patients with
their balances already set and turns the setting on for the one insert of their charges
(`services.billing.imports.balances`). Any other writer, which never sets it, is unchanged.
SQLite keeps its triggers as they are (an import sets the trigger aside in its own
transaction there).
"""

from alembic import op

revision = "0036"
down_revision = "0032"
branch_labels = None
depends_on = None

_BODY = """
CREATE OR REPLACE FUNCTION ledger_entry_keeps_balance() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    {skip}
    UPDATE invoice SET balance_minor = invoice.balance_minor + added.total
    FROM (SELECT invoice_id, sum(amount_minor) AS total FROM inserted GROUP BY invoice_id) AS added
    WHERE invoice.id = added.invoice_id;
    RETURN NULL;
END $$
"""
_SKIP = """IF current_setting('saldo.balances_written', true) = 'on' THEN
        RETURN NULL;
    END IF;"""


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_BODY.format(skip=_SKIP))


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_BODY.format(skip=""))
