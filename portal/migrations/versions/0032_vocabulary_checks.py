"""Check constraints for the vocabularies that had none: cadence step tones, consent record
channels and audit event actor kinds (the values already stored are unchanged)

Revision ID: 0032
Revises: 0028
Create Date: 2026-12-01 18:50:00
"""

from alembic import op


revision = "0032"
down_revision = "0028"
branch_labels = None
depends_on = None

CHECKS = (
    ("cadence_step", "tone", "tone IN ('courtesy', 'friendly', 'firm', 'firmer', 'final')"),
    (
        "consent_record",
        "channel",
        "channel IN ('email', 'sms', 'attachments', 'esign')",
    ),
    ("audit_event", "actor_kind", "actor_kind IN ('staff', 'patient', 'system', 'stripe')"),
)


def upgrade():
    for table, name, condition in CHECKS:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_check_constraint(name, condition)


def downgrade():
    for table, name, _ in reversed(CHECKS):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(batch_op.f(f"ck_{table}_{name}"), type_="check")
