"""consent records name longer channels: email attachments, electronic records (ESIGN)

Revision ID: 0017
Revises: 0019
Create Date: 2026-12-01 12:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0017"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('consent_record', schema=None) as batch_op:
        batch_op.alter_column(
            'channel', existing_type=sa.String(length=8), type_=sa.String(length=16),
            existing_nullable=False,
        )


def downgrade():
    with op.batch_alter_table('consent_record', schema=None) as batch_op:
        batch_op.alter_column(
            'channel', existing_type=sa.String(length=16), type_=sa.String(length=8),
            existing_nullable=False,
        )
