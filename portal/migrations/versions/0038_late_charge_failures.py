"""late charges Stripe refused to refund: the reason, a lease per Stripe call, and their alert

Revision ID: 0038
Revises: 0036
Create Date: 2026-12-02 01:00:00

`late_charge.failure_reason` keeps why Stripe refused to give a late second charge back (the
row is then `failed` and staff must act); `late_charge.attempted_at` lets one process at a
time ask Stripe about a row; the alert kind `late_charge_failed` tells staff.
"""

import sqlalchemy as sa
from alembic import op

revision = "0038"
down_revision = "0037"
branch_labels = None
depends_on = None

OLD_ALERT_KINDS = (
    "late_installment",
    "failed_charge",
    "short_payment",
    "skipped_cycle",
    "link_not_opened",
    "verification_locked",
    "missed_promise",
    "card_expiring",
    "stripe_dispute",
    "credit_held",
)
ALERT_KINDS = (*OLD_ALERT_KINDS, "late_charge_failed")


def _alert_kinds(kinds):
    with op.batch_alter_table("alert", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_alert_kind"), type_="check")
        batch_op.create_check_constraint("kind", f"kind IN {kinds}")


def upgrade():
    with op.batch_alter_table("late_charge", schema=None) as batch_op:
        batch_op.add_column(sa.Column("failure_reason", sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column("attempted_at", sa.DateTime(), nullable=True))
    _alert_kinds(ALERT_KINDS)


def downgrade():
    _alert_kinds(OLD_ALERT_KINDS)
    with op.batch_alter_table("late_charge", schema=None) as batch_op:
        batch_op.drop_column("attempted_at")
        batch_op.drop_column("failure_reason")
