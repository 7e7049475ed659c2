"""The version of a patient's bill: everything its page shows, read in one statement.

A rendered bill may be kept and sent again while nothing it shows has changed. `state` reads,
for the link of a patient session, the link's validity, the locale settings, the ledger summed
by kind, and every row the bill page reads (invoice and lines, practice and its policies and
fiscal profile, patient and codice fiscale, plans and installments, payments and refunds,
settlement offers, fiscal documents and the Sistema TS opposition)
aggregated as JSON by the database, and returns a digest of them: any payment, refund,
adjustment, plan or installment change, offer, edit of the invoice, patient or practice
gives another digest. The practice's calendar day and the locale are not in it: the page's
cache key adds them.
"""

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import (
    DateTime,
    LargeBinary,
    Text,
    bindparam,
    case,
    cast,
    column,
    func,
    literal_column,
    select,
    text,
)
from sqlalchemy.engine.interfaces import BindTyping
from sqlalchemy.orm import aliased

from portal import clock
from portal.extensions import db
from portal.models import (
    DiscountPolicy,
    FiscalDocument,
    FiscalProfile,
    Invoice,
    InvoiceLine,
    LedgerEntry,
    Patient,
    PatientTaxId,
    Payment,
    PaymentLink,
    Practice,
    Refund,
    SettlementOffer,
    TsOpposition,
)
from portal.models.ledger import LEDGER_KINDS
from portal.models.plan import Installment, Plan, PlanPolicy

#: the ledger kinds, in the order the statement sums them
KINDS = tuple(LEDGER_KINDS)


@dataclass(frozen=True)
class BillState:
    link_id: int
    invoice_id: int
    practice_id: int
    patient_locale: str | None
    practice_locale: str | None
    practice_timezone: str
    #: the ledger of the invoice summed by kind (what `bill_page.build` takes as `sums`)
    sums: dict[str, int]
    #: a digest of every row the bill page reads
    digest: str


def link_usable(expires_at: datetime, revoked_at, replaced_at, now: datetime) -> bool:
    """A session's link is usable until it expires, and while it is not withdrawn (a link
    replaced by a newer message keeps its open session)."""
    return expires_at > now and (revoked_at is None or replaced_at is not None)


def state(link_id: int, now: datetime | None = None) -> BillState | None:
    """The bill behind the session's link `link_id`, or None when the link is gone, expired
    or withdrawn. One statement."""
    # a connection of its own from the pool, not the ORM session's: a look at a kept page
    # then opens no session at all (its begin and teardown cost more than this statement)
    with db.engine.connect() as connection:
        query = _statement(connection.dialect)
        row = connection.execute(query, {"link_id": link_id}).one_or_none()
    if row is None or not link_usable(
        row.expires_at, row.revoked_at, row.replaced_at, now or clock.utcnow()
    ):
        return None
    content = f"{row.ledger}\x1f{row.content}"
    digest = hashlib.blake2b(content.encode(), digest_size=16).hexdigest()
    return BillState(
        link_id=row.link_id,
        invoice_id=row.invoice_id,
        practice_id=row.practice_id,
        patient_locale=row.patient_locale,
        practice_locale=row.practice_locale,
        practice_timezone=row.practice_timezone,
        sums=_sums(row.ledger),
        digest=digest,
    )


def _sums(ledger) -> dict[str, int]:
    """{kind: total} of the kinds the invoice's ledger has entries of."""
    values = json.loads(ledger) if isinstance(ledger, str) else ledger
    return {kind: int(values[2 * n + 1]) for n, kind in enumerate(KINDS) if values[2 * n]}


_STATEMENTS: dict[str, object] = {}


#: the statement's columns read as timestamps (the others are taken as the driver gives them)
TIMESTAMPS = ("expires_at", "revoked_at", "replaced_at")


def _statement(dialect):
    """The statement for `dialect`, built once and kept as its SQL text: SQLAlchemy then
    finds it in its statement cache by the text alone, not by walking a large expression
    on every execution. Its columns are given in order, so SQLAlchemy also keeps the
    result's column map instead of matching the cursor's names on every execution."""
    if dialect.name not in _STATEMENTS:
        named = type(dialect)(paramstyle="named")  # `:link_id`, what `text()` reads
        named.bind_typing = BindTyping.NONE  # no `::INTEGER` after it (psycopg)
        built = _build(dialect.name)
        sql = str(built.compile(dialect=named))
        names = [c.name for c in built.selected_columns]
        _STATEMENTS[dialect.name] = text(sql).columns(
            *(column(name, DateTime()) if name in TIMESTAMPS else column(name) for name in names)
        )
    return _STATEMENTS[dialect.name]


def _columns(model) -> list:
    """Every column of `model` but binary blobs, which the page never shows (a plan's
    agreement PDF changes with its `agreement_pdf_sha256`)."""
    return [c for c in model.__table__.columns if not isinstance(c.type, LargeBinary)]


def _build(dialect: str):
    postgres = dialect == "postgresql"

    def rows(*columns):
        """All matching rows as one JSON array of arrays."""
        if postgres:
            return func.coalesce(
                func.json_agg(func.json_build_array(*columns)), literal_column("'[]'::json")
            )
        return func.json_group_array(func.json_array(*columns))

    def row(*columns):
        return func.json_build_array(*columns) if postgres else func.json_array(*columns)

    invoice_id = Invoice.id
    practice_id = Invoice.practice_id
    one, zero = literal_column("1"), literal_column("0")
    per_kind = []
    for kind in KINDS:
        this = LedgerEntry.kind == literal_column(f"'{kind}'")  # the model's own constants
        per_kind += [
            func.sum(case((this, one), else_=zero)),
            func.sum(case((this, LedgerEntry.amount_minor), else_=zero)),
        ]
    # the ledger is append-only: the sums by kind, the count and the newest id are its version
    ledger = (
        select(row(*per_kind, func.count(LedgerEntry.id), func.max(LedgerEntry.id)))
        .where(LedgerEntry.invoice_id == invoice_id)
        .correlate(Invoice)
        .scalar_subquery()
    )
    offer_payment = aliased(Payment)
    offer_status = (
        select(offer_payment.status)
        .where(offer_payment.id == SettlementOffer.payment_id)
        .correlate(SettlementOffer)
        .scalar_subquery()
    )
    parts = [
        select(rows(*_columns(InvoiceLine))).where(InvoiceLine.invoice_id == invoice_id),
        select(rows(*_columns(Plan))).where(Plan.invoice_id == invoice_id),
        select(rows(*_columns(Installment)))
        .join(Plan, Plan.id == Installment.plan_id)
        .where(Plan.invoice_id == invoice_id),
        select(rows(*_columns(Payment))).where(Payment.invoice_id == invoice_id),
        select(rows(*_columns(Refund)))
        .join(Payment, Payment.id == Refund.payment_id)
        .where(Payment.invoice_id == invoice_id),
        select(rows(*_columns(SettlementOffer), offer_status)).where(
            SettlementOffer.invoice_id == invoice_id
        ),
        select(rows(*_columns(PlanPolicy))).where(PlanPolicy.practice_id == practice_id),
        select(rows(*_columns(DiscountPolicy))).where(DiscountPolicy.practice_id == practice_id),
        select(rows(*_columns(FiscalProfile))).where(FiscalProfile.practice_id == practice_id),
        # the Italian fiscal section: health invoices, the codice fiscale, the opposition
        select(rows(*_columns(FiscalDocument))).where(FiscalDocument.invoice_id == invoice_id),
        select(rows(*_columns(PatientTaxId))).where(PatientTaxId.patient_id == Invoice.patient_id),
        select(rows(*_columns(TsOpposition))).where(TsOpposition.invoice_id == invoice_id),
    ]
    content = row(
        row(*_columns(Invoice)),
        row(*_columns(Practice)),
        row(*_columns(Patient)),
        *(part.correlate(Invoice).scalar_subquery() for part in parts),
    )
    return (
        select(
            PaymentLink.id.label("link_id"),
            PaymentLink.expires_at,
            PaymentLink.revoked_at,
            PaymentLink.replaced_at,
            Invoice.id.label("invoice_id"),
            Invoice.practice_id.label("practice_id"),
            Patient.locale.label("patient_locale"),
            Practice.default_locale.label("practice_locale"),
            Practice.timezone.label("practice_timezone"),
            ledger.label("ledger"),
            cast(content, Text).label("content"),
        )
        .join(Invoice, Invoice.id == PaymentLink.invoice_id)
        .join(Practice, Practice.id == Invoice.practice_id)
        .join(Patient, Patient.id == Invoice.patient_id)
        .where(PaymentLink.id == bindparam("link_id"))
    )
