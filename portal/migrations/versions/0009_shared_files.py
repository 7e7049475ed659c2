"""seal keys and logos in the database

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 09:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009'
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'seal_key',
        sa.Column('practice_id', sa.Integer(), nullable=False),
        sa.Column('key_encrypted', sa.LargeBinary(), nullable=False),
        sa.Column('cert_pem', sa.LargeBinary(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['practice_id'], ['practice.id'], name=op.f('fk_seal_key_practice_id_practice')),
        sa.PrimaryKeyConstraint('practice_id', name=op.f('pk_seal_key')),
    )
    op.create_table(
        'practice_logo',
        sa.Column('practice_id', sa.Integer(), nullable=False),
        sa.Column('content_type', sa.String(length=20), nullable=False),
        sa.Column('data', sa.LargeBinary(), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['practice_id'], ['practice.id'], name=op.f('fk_practice_logo_practice_id_practice')),
        sa.PrimaryKeyConstraint('practice_id', name=op.f('pk_practice_logo')),
    )


def downgrade():
    op.drop_table('practice_logo')
    op.drop_table('seal_key')
