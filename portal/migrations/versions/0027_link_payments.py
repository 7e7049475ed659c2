"""payment.method may be "link": a payment made with the patient's Link account

Revision ID: 0027
Revises: 0016
Create Date: 2026-12-01 15:20:00
"""

from alembic import op


revision = "0027"
down_revision = "0016"
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


def downgrade():
    _method_check(WITHOUT_LINK)
