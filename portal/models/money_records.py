"""What a discounted or settlement payment promised to forgive, kept beside the payment."""

from sqlalchemy import ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import db


class PaymentTerms(db.Model):
    """What a discounted or settlement payment forgives once it succeeds, fixed when the
    payment was claimed (so a later balance change cannot forgive more)."""

    __tablename__ = "payment_terms"

    payment_id: Mapped[int] = mapped_column(ForeignKey("payment.id"), primary_key=True)
    #: the balance the amount was computed from
    balance_minor: Mapped[int]
    #: what the ledger forgives once the payment succeeds
    forgive_minor: Mapped[int]
    offer_id: Mapped[int | None] = mapped_column(ForeignKey("settlement_offer.id"))
    percent: Mapped[int | None]
