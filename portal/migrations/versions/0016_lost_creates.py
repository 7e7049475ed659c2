"""lost creates: what a charge asked Stripe for, its resends, late creates refunded

Revision ID: 0016
Revises: 0020

A charge claim keeps the customer, payment method and off-session flag of its create, so the
reconciliation can send the same create again with the same idempotency key; `resent_at`
lets one reconciler at a time do it; `watch_until` bounds how long a settled claim is checked
for a create that reached Stripe late. `late_charge` records such creates, refunded once.
"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("charge_attempt") as batch:
        batch.add_column(sa.Column("customer_id", sa.String(length=255), nullable=True))
        batch.add_column(sa.Column("payment_method_id", sa.String(length=255), nullable=True))
        batch.add_column(
            sa.Column("off_session", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.add_column(sa.Column("resent_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("watch_until", sa.DateTime(), nullable=True))
        batch.create_index(batch.f("ix_charge_attempt_watch_until"), ["watch_until"])
    op.create_table(
        "late_charge",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("charge_attempt_id", sa.Integer(), nullable=False),
        sa.Column("stripe_payment_intent_id", sa.String(length=255), nullable=False),
        sa.Column("amount_minor", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("stripe_refund_id", sa.String(length=255), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["charge_attempt_id"],
            ["charge_attempt.id"],
            name=op.f("fk_late_charge_charge_attempt_id_charge_attempt"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_late_charge")),
        sa.UniqueConstraint(
            "stripe_payment_intent_id", name=op.f("uq_late_charge_stripe_payment_intent_id")
        ),
    )
    op.create_index(
        op.f("ix_late_charge_charge_attempt_id"), "late_charge", ["charge_attempt_id"]
    )


def downgrade():
    op.drop_index(op.f("ix_late_charge_charge_attempt_id"), table_name="late_charge")
    op.drop_table("late_charge")
    with op.batch_alter_table("charge_attempt") as batch:
        batch.drop_index(batch.f("ix_charge_attempt_watch_until"))
        for column in ("watch_until", "resent_at", "off_session", "payment_method_id"):
            batch.drop_column(column)
        batch.drop_column("customer_id")
