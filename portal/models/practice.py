"""A practice: the business that bills patients and receives their payments."""

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.clock import utcnow
from portal.extensions import db

if TYPE_CHECKING:
    from portal.models.discount_policy import DiscountPolicy
    from portal.models.fiscal import FiscalProfile
    from portal.models.plan import PlanPolicy


class Practice(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    #: ISO 3166-1 alpha-2, e.g. "IT", "US"
    country: Mapped[str] = mapped_column(String(2))
    #: ISO 4217, e.g. "EUR", "USD"
    currency: Mapped[str] = mapped_column(String(3))
    default_locale: Mapped[str] = mapped_column(String(5), default="en")
    #: IANA zone, e.g. "Europe/Rome"
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(32))
    address: Mapped[str | None] = mapped_column(String(500))
    #: where patients exercise their data-protection rights (a DPO or privacy address);
    #: None = the practice's email
    privacy_contact: Mapped[str | None] = mapped_column(String(254))
    #: "#rrggbb" used for the header of the patient pages
    brand_colour: Mapped[str] = mapped_column(String(7), default="#123b63")
    #: name of the uploaded logo (its bytes are a PracticeLogo row), if any
    logo_filename: Mapped[str | None] = mapped_column(String(100))
    #: the practice's own closing lines for link messages, per language (no care details)
    message_note_en: Mapped[str | None] = mapped_column(String(300))
    message_note_it: Mapped[str | None] = mapped_column(String(300))
    #: the practice's own Stripe account; no secret key: the installation's (STRIPE_*)
    stripe_publishable_key: Mapped[str | None] = mapped_column(String(255))
    #: encrypted (gateways.encryption), never the secrets themselves
    stripe_secret_key_encrypted: Mapped[str | None] = mapped_column(Text)
    stripe_webhook_secret_encrypted: Mapped[str | None] = mapped_column(Text)
    #: development and tests: a localstripe server standing in for the account
    stripe_api_base: Mapped[str | None] = mapped_column(String(255))
    #: the account's shortened descriptor (set at Stripe) and the suffix Saldo adds to it
    statement_descriptor_prefix: Mapped[str | None] = mapped_column(String(10))
    statement_descriptor_suffix: Mapped[str | None] = mapped_column(String(22))
    #: patients may pay part of the balance, at least this much (minor units); None: only
    #: the whole balance (or a plan)
    partial_payment_minimum_minor: Mapped[int | None]
    #: days a patient's question about a bill pauses its reminders
    question_pause_days: Mapped[int] = mapped_column(default=14, server_default="14")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    #: the practice's plan and discount settings (at most one row each), read-only here so a
    #: page can load them in the same statement as the practice
    plan_policy: Mapped["PlanPolicy | None"] = relationship(
        primaryjoin="PlanPolicy.practice_id == Practice.id",
        foreign_keys="PlanPolicy.practice_id",
        viewonly=True,
        uselist=False,
    )
    discount_policy: Mapped["DiscountPolicy | None"] = relationship(
        primaryjoin="DiscountPolicy.practice_id == Practice.id",
        foreign_keys="DiscountPolicy.practice_id",
        viewonly=True,
        uselist=False,
    )
    fiscal_profile: Mapped["FiscalProfile | None"] = relationship(
        primaryjoin="FiscalProfile.practice_id == Practice.id",
        foreign_keys="FiscalProfile.practice_id",
        viewonly=True,
        uselist=False,
    )

    def __repr__(self) -> str:
        return f"<Practice {self.slug}>"

    @property
    def has_own_stripe_account(self) -> bool:
        return bool(self.stripe_secret_key_encrypted)

    def message_note(self, language: str) -> str | None:
        return self.message_note_it if language == "it" else self.message_note_en
