"""messaging: one delivery record for every message; links that outlive a session's message;
reminders paused by a patient's question

Revision ID: 0020
Revises: 0017
Create Date: 2026-12-01 12:10:00

`delivery` gains `payload` (what to render again on a retry), letters as a channel and
"skipped" as a status (consent withdrawn, no address); `payment_link.replaced_at` marks a
link revoked because a newer message carries a fresh one (its open session goes on, the token
no longer opens); `collection_state.paused_until` is the day reminders resume after a
patient's question; `practice.question_pause_days` is how long a question pauses them.
"""

from alembic import op
import sqlalchemy as sa


revision = "0020"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("delivery", schema=None) as batch_op:
        batch_op.add_column(sa.Column("payload", sa.JSON(), nullable=True))
        batch_op.drop_constraint(batch_op.f("ck_delivery_channel"), type_="check")
        batch_op.drop_constraint(batch_op.f("ck_delivery_status"), type_="check")
        batch_op.create_check_constraint(
            "channel", "channel IN ('email', 'sms', 'letter')"
        )
        batch_op.create_check_constraint(
            "status", "status IN ('queued', 'sent', 'failed', 'skipped')"
        )
        batch_op.create_index("ix_delivery_retry", ["status", "next_attempt_at"], unique=False)
    with op.batch_alter_table("payment_link", schema=None) as batch_op:
        batch_op.add_column(sa.Column("replaced_at", sa.DateTime(), nullable=True))
    with op.batch_alter_table("collection_state", schema=None) as batch_op:
        batch_op.add_column(sa.Column("paused_until", sa.Date(), nullable=True))
    with op.batch_alter_table("practice", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("question_pause_days", sa.Integer(), nullable=False, server_default="14")
        )


def downgrade():
    with op.batch_alter_table("practice", schema=None) as batch_op:
        batch_op.drop_column("question_pause_days")
    with op.batch_alter_table("collection_state", schema=None) as batch_op:
        batch_op.drop_column("paused_until")
    with op.batch_alter_table("payment_link", schema=None) as batch_op:
        batch_op.drop_column("replaced_at")
    with op.batch_alter_table("delivery", schema=None) as batch_op:
        batch_op.drop_index("ix_delivery_retry")
        batch_op.drop_constraint(batch_op.f("ck_delivery_status"), type_="check")
        batch_op.drop_constraint(batch_op.f("ck_delivery_channel"), type_="check")
        batch_op.create_check_constraint("channel", "channel IN ('email', 'sms')")
        batch_op.create_check_constraint(
            "status", "status IN ('queued', 'sent', 'failed')"
        )
        batch_op.drop_column("payload")
