"""fiscal documents: profiles, patient tax ids, counters, documents, oppositions

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01 09:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0012'
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'fiscal_profile',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('practice_id', sa.Integer(), nullable=False),
        sa.Column('issuer', sa.String(length=16), nullable=False),
        sa.Column('issuing_since', sa.DateTime(), nullable=True),
        sa.Column('legal_name', sa.String(length=200), nullable=True),
        sa.Column('fiscal_address', sa.String(length=500), nullable=True),
        sa.Column('partita_iva', sa.String(length=11), nullable=True),
        sa.Column('codice_fiscale', sa.String(length=16), nullable=True),
        sa.Column('regime', sa.String(length=100), nullable=True),
        sa.Column('albo', sa.String(length=200), nullable=True),
        sa.Column('stamp_charged_to_patient', sa.Boolean(), nullable=False),
        sa.Column('stamp_authorization', sa.String(length=200), nullable=True),
        sa.Column('ein', sa.String(length=10), nullable=True),
        sa.Column('npi', sa.String(length=10), nullable=True),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.CheckConstraint("issuer IN ('saldo', 'practice')", name=op.f('ck_fiscal_profile_issuer')),
        sa.ForeignKeyConstraint(['practice_id'], ['practice.id'], name=op.f('fk_fiscal_profile_practice_id_practice')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_fiscal_profile')),
        sa.UniqueConstraint('practice_id', name=op.f('uq_fiscal_profile_practice_id')),
    )
    op.create_table(
        'patient_tax_id',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('patient_id', sa.Integer(), nullable=False),
        sa.Column('codice_fiscale', sa.String(length=16), nullable=False),
        sa.Column('source', sa.String(length=8), nullable=False),
        sa.Column('recorded_at', sa.DateTime(), nullable=False),
        sa.CheckConstraint("source IN ('staff', 'csv', 'api', 'patient')", name=op.f('ck_patient_tax_id_source')),
        sa.ForeignKeyConstraint(['patient_id'], ['patient.id'], name=op.f('fk_patient_tax_id_patient_id_patient')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_patient_tax_id')),
        sa.UniqueConstraint('patient_id', name=op.f('uq_patient_tax_id_patient_id')),
    )
    op.create_table(
        'fiscal_counter',
        sa.Column('practice_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('year', sa.Integer(), nullable=False),
        sa.Column('last_number', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['practice_id'], ['practice.id'], name=op.f('fk_fiscal_counter_practice_id_practice')),
        sa.PrimaryKeyConstraint('practice_id', 'kind', 'year', name=op.f('pk_fiscal_counter')),
    )
    op.create_table(
        'fiscal_document',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('practice_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('year', sa.Integer(), nullable=False),
        sa.Column('number', sa.Integer(), nullable=False),
        sa.Column('issued_on', sa.Date(), nullable=False),
        sa.Column('invoice_id', sa.Integer(), nullable=False),
        sa.Column('payment_id', sa.Integer(), nullable=True),
        sa.Column('refund_id', sa.Integer(), nullable=True),
        sa.Column('corrects_id', sa.Integer(), nullable=True),
        sa.Column('patient_codice_fiscale', sa.String(length=16), nullable=False),
        sa.Column('amount_minor', sa.Integer(), nullable=False),
        sa.Column('stamp_duty_minor', sa.Integer(), nullable=False),
        sa.Column('stamp_charged', sa.Boolean(), nullable=False),
        sa.Column('currency', sa.String(length=3), nullable=False),
        sa.Column('method', sa.String(length=16), nullable=False),
        sa.Column('paid_on', sa.Date(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.CheckConstraint("kind IN ('invoice', 'credit_note')", name=op.f('ck_fiscal_document_kind')),
        sa.CheckConstraint('amount_minor > 0', name=op.f('ck_fiscal_document_amount_positive')),
        sa.CheckConstraint('stamp_duty_minor IN (0, 200)', name=op.f('ck_fiscal_document_stamp_duty')),
        sa.ForeignKeyConstraint(['corrects_id'], ['fiscal_document.id'], name=op.f('fk_fiscal_document_corrects_id_fiscal_document')),
        sa.ForeignKeyConstraint(['invoice_id'], ['invoice.id'], name=op.f('fk_fiscal_document_invoice_id_invoice')),
        sa.ForeignKeyConstraint(['payment_id'], ['payment.id'], name=op.f('fk_fiscal_document_payment_id_payment')),
        sa.ForeignKeyConstraint(['practice_id'], ['practice.id'], name=op.f('fk_fiscal_document_practice_id_practice')),
        sa.ForeignKeyConstraint(['refund_id'], ['refund.id'], name=op.f('fk_fiscal_document_refund_id_refund')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_fiscal_document')),
        sa.UniqueConstraint('practice_id', 'kind', 'year', 'number', name=op.f('uq_fiscal_document_practice_id_kind_year_number')),
        sa.UniqueConstraint('payment_id', name=op.f('uq_fiscal_document_payment_id')),
        sa.UniqueConstraint('refund_id', name=op.f('uq_fiscal_document_refund_id')),
    )
    with op.batch_alter_table('fiscal_document', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_fiscal_document_invoice_id'), ['invoice_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_fiscal_document_practice_id'), ['practice_id'], unique=False)
    op.create_table(
        'ts_opposition',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('invoice_id', sa.Integer(), nullable=False),
        sa.Column('opposed', sa.Boolean(), nullable=False),
        sa.Column('recorded_by', sa.String(length=64), nullable=False),
        sa.Column('text_shown', sa.Text(), nullable=False),
        sa.Column('locale', sa.String(length=5), nullable=False),
        sa.Column('ip_address', sa.String(length=45), nullable=True),
        sa.Column('recorded_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['invoice_id'], ['invoice.id'], name=op.f('fk_ts_opposition_invoice_id_invoice')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_ts_opposition')),
    )
    with op.batch_alter_table('ts_opposition', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ts_opposition_invoice_id'), ['invoice_id'], unique=False)
    op.create_table(
        'sts_reminder',
        sa.Column('practice_id', sa.Integer(), nullable=False),
        sa.Column('month', sa.String(length=7), nullable=False),
        sa.Column('sent_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['practice_id'], ['practice.id'], name=op.f('fk_sts_reminder_practice_id_practice')),
        sa.PrimaryKeyConstraint('practice_id', 'month', name=op.f('pk_sts_reminder')),
    )


def downgrade():
    op.drop_table('sts_reminder')
    with op.batch_alter_table('ts_opposition', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ts_opposition_invoice_id'))
    op.drop_table('ts_opposition')
    with op.batch_alter_table('fiscal_document', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_fiscal_document_practice_id'))
        batch_op.drop_index(batch_op.f('ix_fiscal_document_invoice_id'))
    op.drop_table('fiscal_document')
    op.drop_table('fiscal_counter')
    op.drop_table('patient_tax_id')
    op.drop_table('fiscal_profile')
