"""practice stripe accounts

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 09:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('practice', schema=None) as batch_op:
        batch_op.add_column(sa.Column('stripe_publishable_key', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('stripe_secret_key_encrypted', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('stripe_webhook_secret_encrypted', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('stripe_api_base', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('statement_descriptor_prefix', sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column('statement_descriptor_suffix', sa.String(length=22), nullable=True))


def downgrade():
    with op.batch_alter_table('practice', schema=None) as batch_op:
        batch_op.drop_column('statement_descriptor_suffix')
        batch_op.drop_column('statement_descriptor_prefix')
        batch_op.drop_column('stripe_api_base')
        batch_op.drop_column('stripe_webhook_secret_encrypted')
        batch_op.drop_column('stripe_secret_key_encrypted')
        batch_op.drop_column('stripe_publishable_key')
