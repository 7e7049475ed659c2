"""payment.method may be "link" (a payment made with the patient's Link account); bill
questions on the practice's worklist

Revision ID: 0027
Revises: 0016
Create Date: 2026-12-01 15:20:00
"""

from alembic import op
import sqlalchemy as sa


revision = "0027"
down_revision = "0024"
branch_labels = None
depends_on = None

WITH_LINK = "method IN ('card', 'sepa_debit', 'link', 'cash', 'cheque', 'card_terminal')"
WITHOUT_LINK = "method IN ('card', 'sepa_debit', 'cash', 'cheque', 'card_terminal')"


def _method_check(condition: str) -> None:
    with op.batch_alter_table("payment", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_payment_method"), type_="check")
        batch_op.create_check_constraint("method", condition)


def upgrade():
    _method_check(WITH_LINK)
    op.create_table(
        "bill_question",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("practice_id", sa.Integer(), nullable=False),
        sa.Column("invoice_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("asked_at", sa.DateTime(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("paused_until", sa.Date(), nullable=True),
        sa.Column("reply", sa.Text(), nullable=True),
        sa.Column("answered_at", sa.DateTime(), nullable=True),
        sa.Column("answered_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "status IN ('open', 'answered')", name=op.f("ck_bill_question_status")
        ),
        sa.ForeignKeyConstraint(
            ["answered_by_id"], ["staff_user.id"], name=op.f("fk_bill_question_answered_by_id_staff_user")
        ),
        sa.ForeignKeyConstraint(
            ["invoice_id"], ["invoice.id"], name=op.f("fk_bill_question_invoice_id_invoice")
        ),
        sa.ForeignKeyConstraint(
            ["practice_id"], ["practice.id"], name=op.f("fk_bill_question_practice_id_practice")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bill_question")),
    )
    op.create_index(
        "ix_bill_question_worklist", "bill_question", ["practice_id", "status", "asked_at"]
    )
    op.create_index(op.f("ix_bill_question_invoice_id"), "bill_question", ["invoice_id"])


def downgrade():
    op.drop_index(op.f("ix_bill_question_invoice_id"), table_name="bill_question")
    op.drop_index("ix_bill_question_worklist", table_name="bill_question")
    op.drop_table("bill_question")
    _method_check(WITHOUT_LINK)
