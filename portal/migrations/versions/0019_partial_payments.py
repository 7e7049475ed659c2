"""partial payments: the smallest part of a balance a practice's patients may pay

Revision ID: 0019
Revises: 0021
Create Date: 2026-12-01 12:00:00

`practice.partial_payment_minimum_minor` (minor units of the practice's currency) turns partial
payments on for the practice's patients; NULL keeps them off.
"""

from alembic import op
import sqlalchemy as sa


revision = "0019"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("practice", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("partial_payment_minimum_minor", sa.Integer(), nullable=True)
        )


def downgrade():
    with op.batch_alter_table("practice", schema=None) as batch_op:
        batch_op.drop_column("partial_payment_minimum_minor")
