"""charge claims, installation id, job leases, installment reminders

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "installation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("installation_id", sa.String(length=36), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_installation_single_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_installation")),
    )
    op.create_table(
        "charge_attempt",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=32), nullable=False),
        sa.Column("payment_id", sa.Integer(), nullable=False),
        sa.Column("installment_id", sa.Integer(), nullable=True),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("prior_status", sa.String(length=16), nullable=True),
        sa.Column("prior_attempts", sa.Integer(), nullable=True),
        sa.Column("counts", sa.Boolean(), nullable=False),
        sa.Column("decline_code", sa.String(length=64), nullable=True),
        sa.Column("advice_code", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("attempt > 0", name=op.f("ck_charge_attempt_attempt_positive")),
        sa.ForeignKeyConstraint(
            ["installment_id"], ["installment.id"], name=op.f("fk_charge_attempt_installment_id_installment")
        ),
        sa.ForeignKeyConstraint(
            ["payment_id"], ["payment.id"], name=op.f("fk_charge_attempt_payment_id_payment")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_charge_attempt")),
        sa.UniqueConstraint("installment_id", "attempt", name="uq_charge_attempt_installment"),
        sa.UniqueConstraint("key", name=op.f("uq_charge_attempt_key")),
        sa.UniqueConstraint("payment_id", name=op.f("uq_charge_attempt_payment_id")),
    )
    op.create_index(
        op.f("ix_charge_attempt_installment_id"), "charge_attempt", ["installment_id"], unique=False
    )
    op.create_table(
        "job_lease",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("period", sa.String(length=40), nullable=False),
        sa.Column("holder", sa.String(length=64), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_job_lease")),
        sa.UniqueConstraint("name", "period", name="uq_job_lease_period"),
    )
    op.create_table(
        "installment_reminder",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("installment_id", sa.Integer(), nullable=False),
        sa.Column("step", sa.String(length=20), nullable=False),
        sa.Column("sent_on", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["installment_id"],
            ["installment.id"],
            name=op.f("fk_installment_reminder_installment_id_installment"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_installment_reminder")),
        sa.UniqueConstraint("installment_id", "step", "sent_on", name="uq_installment_reminder"),
    )
    op.create_index(
        op.f("ix_installment_reminder_installment_id"),
        "installment_reminder",
        ["installment_id"],
        unique=False,
    )


def downgrade():
    op.drop_index(op.f("ix_installment_reminder_installment_id"), table_name="installment_reminder")
    op.drop_table("installment_reminder")
    op.drop_table("job_lease")
    op.drop_index(op.f("ix_charge_attempt_installment_id"), table_name="charge_attempt")
    op.drop_table("charge_attempt")
    op.drop_table("installation")
