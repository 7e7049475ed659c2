"""agreement evidence: the document shown, the consent shown, frozen retry days; patient
preferences for attachments and paper records; the practice's privacy contact; who
recorded a consent change

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01 09:15:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('plan', schema=None) as batch_op:
        batch_op.add_column(sa.Column('document_html', sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column('document_sha256', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('consent_html', sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column('retry_days', sa.String(length=32), nullable=True))
    with op.batch_alter_table('patient', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('email_attachments', sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(
            sa.Column('paper_records', sa.Boolean(), nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table('practice', schema=None) as batch_op:
        batch_op.add_column(sa.Column('privacy_contact', sa.String(length=254), nullable=True))
    with op.batch_alter_table('consent_record', schema=None) as batch_op:
        batch_op.add_column(sa.Column('recorded_by', sa.String(length=100), nullable=True))


def downgrade():
    with op.batch_alter_table('consent_record', schema=None) as batch_op:
        batch_op.drop_column('recorded_by')
    with op.batch_alter_table('practice', schema=None) as batch_op:
        batch_op.drop_column('privacy_contact')
    with op.batch_alter_table('patient', schema=None) as batch_op:
        batch_op.drop_column('paper_records')
        batch_op.drop_column('email_attachments')
    with op.batch_alter_table('plan', schema=None) as batch_op:
        batch_op.drop_column('retry_days')
        batch_op.drop_column('consent_html')
        batch_op.drop_column('document_sha256')
        batch_op.drop_column('document_html')
