"""due work by index: new invoices for the cadence, holds and pauses, plans and installments

Revision ID: 0023
Revises: 0016
Create Date: 2026-12-01 15:10:00

`jobs run-due` selects only the work that is due, each part through an index:
`invoice.cadence_started` (with a partial index on the open invoices the cadence has not
started), partial indexes on the collection states on hold or paused, plans by status and
installments by status and due or retry day; the alert sweep's recent links, messages and
failed verifications, desk payments and promises to pay. A cadence stopped by a hold, dispute or question
is looked at every day through `next_action_on`, so rows from before get a day.
"""

from alembic import op
import sqlalchemy as sa


revision = "0023"
down_revision = "0027"
branch_labels = None
depends_on = None

_NEW = "status = 'open' AND NOT cadence_started"
_FINAL = "('paid', 'plan', 'void', 'written_off')"


#: what the alert sweep starts from: recent links, messages and failed verifications, desk
#: payments, promises to pay
_ALERT_INDEXES = (
    ("ix_payment_link_created", "payment_link", ["created_at"]),
    ("ix_delivery_purpose_sent", "delivery", ["purpose", "sent_at"]),
    ("ix_verification_time", "verification_attempt", ["created_at"]),
    ("ix_payment_method_status", "payment", ["method", "status"]),
    ("ix_call_task_outcome", "call_task", ["outcome"]),
)


def _partial(name: str, table: str, columns: list[str], where: str) -> None:
    clause = sa.text(where)
    op.create_index(name, table, columns, postgresql_where=clause, sqlite_where=clause)


def upgrade():
    op.add_column(
        "invoice",
        sa.Column("cadence_started", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.execute(
        "UPDATE invoice SET cadence_started = true WHERE id IN "
        "(SELECT invoice_id FROM collection_state)"
    )
    op.execute(
        "UPDATE collection_state SET next_action_on = '2000-01-01' WHERE stopped_reason "
        f"IS NOT NULL AND stopped_reason NOT IN {_FINAL} AND next_action_on IS NULL"
    )
    _partial("ix_invoice_cadence_new", "invoice", ["status", "due_on"], _NEW)
    _partial("ix_collection_state_hold", "collection_state", ["invoice_id"], "hold IS NOT NULL")
    _partial(
        "ix_collection_state_paused",
        "collection_state",
        ["invoice_id"],
        "paused_until IS NOT NULL",
    )
    op.create_index("ix_plan_status", "plan", ["status"])
    op.create_index("ix_installment_status_due", "installment", ["status", "due_on"])
    op.create_index("ix_installment_status_retry", "installment", ["status", "next_attempt_on"])
    for name, table, columns in _ALERT_INDEXES:
        op.create_index(name, table, columns)


def downgrade():
    for name, table, _columns in _ALERT_INDEXES:
        op.drop_index(name, table_name=table)
    op.drop_index("ix_installment_status_retry", table_name="installment")
    op.drop_index("ix_installment_status_due", table_name="installment")
    op.drop_index("ix_plan_status", table_name="plan")
    op.drop_index("ix_collection_state_paused", table_name="collection_state")
    op.drop_index("ix_collection_state_hold", table_name="collection_state")
    op.drop_index("ix_invoice_cadence_new", table_name="invoice")
    op.drop_column("invoice", "cadence_started")  # no table rebuild: its triggers stay
