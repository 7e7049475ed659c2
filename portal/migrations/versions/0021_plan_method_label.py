"""plan.method_label: the saved card or account as the patient knows it ("Visa •••• 4242")

Revision ID: 0021
Revises: 0018
Create Date: 2026-12-01 12:20:00
"""

from alembic import op
import sqlalchemy as sa


revision = "0021"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("plan", sa.Column("method_label", sa.String(64), nullable=True))


def downgrade():
    with op.batch_alter_table("plan") as batch:
        batch.drop_column("method_label")
