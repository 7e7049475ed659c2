"""A practice's early-payment discount and deposit rule."""

from sqlalchemy import CheckConstraint, ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import db


class DiscountPolicy(db.Model):
    """Early-payment discount: `percent` off if paid in full within `within_days` of issue."""

    __table_args__ = (CheckConstraint("percent BETWEEN 1 AND 50", name="percent"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    practice_id: Mapped[int] = mapped_column(ForeignKey("practice.id"), unique=True)
    enabled: Mapped[bool] = mapped_column(default=True)
    percent: Mapped[int] = mapped_column(default=5)
    within_days: Mapped[int] = mapped_column(default=10)
    #: balances from this amount up must pay a deposit before a plan; None = no rule
    deposit_threshold_minor: Mapped[int | None]
    deposit_percent: Mapped[int | None]
