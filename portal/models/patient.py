"""A patient of one practice."""

from datetime import date, datetime

from sqlalchemy import BigInteger, ForeignKey, Index, String, false, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.clock import utcnow
from portal.extensions import db
from portal.models.practice import Practice


class Patient(db.Model):
    __table_args__ = (
        #: the aging's largest patients, in the report's order (migration 0024)
        Index(
            "ix_patient_open_balance",
            "practice_id",
            text("open_balance_minor DESC"),
            "last_name",
            "first_name",
            "id",
            postgresql_where=text("open_balance_minor > 0"),
            sqlite_where=text("open_balance_minor > 0"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    practice_id: Mapped[int] = mapped_column(ForeignKey("practice.id"), index=True)
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    date_of_birth: Mapped[date]
    #: on PostgreSQL the database also keeps `search_words`, the names and email in lower
    #: case for the staff search (0037, a generated column), and `newest_issued_on` /
    #: `newest_invoice_id`, the key of the patient's newest invoice (0039, kept by
    #: triggers); neither is mapped here
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(32))
    #: preferred language for pages, email, SMS and PDFs ("en", "it")
    locale: Mapped[str | None] = mapped_column(String(5))
    #: the patient agreed to be contacted on this channel
    email_consent: Mapped[bool] = mapped_column(default=True)
    sms_consent: Mapped[bool] = mapped_column(default=False)
    #: the patient asked for receipts and agreements as email attachments (off by default:
    #: messages carry the link, documents are downloaded after verification)
    email_attachments: Mapped[bool] = mapped_column(default=False, server_default=false())
    #: the patient withdrew consent to electronic records (ESIGN): records go on paper
    paper_records: Mapped[bool] = mapped_column(default=False, server_default=false())
    #: postal address for letters: lines separated by newlines, e.g. street, "00186 Roma RM"
    postal_address: Mapped[str | None] = mapped_column(String(300))
    #: IANA zone for quiet hours; None = the practice's
    timezone: Mapped[str | None] = mapped_column(String(64))
    stripe_customer_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: the sum of the positive kept balances of the patient's invoices, kept by a trigger on
    #: `invoice.balance_minor` (migration 0024); read it from a query
    open_balance_minor: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")

    practice: Mapped[Practice] = relationship()

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"
