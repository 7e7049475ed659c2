"""Issuing Italian health invoices (one per payment) and credit notes (one per refund).

A document is issued when Saldo issues the practice's fiscal documents, the payment or
refund has succeeded and the patient's codice fiscale is known. Its number comes from
`numbering.allocate` in the same transaction that inserts it; a unique payment (or refund)
per document makes a second attempt, from any process, return the first document."""

from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from portal.clock import day_of, practice_today, practice_zone
from portal.extensions import db
from portal.models import FiscalDocument, FiscalProfile, Invoice, Payment, Refund
from portal.models.fiscal import DocumentKind, Issuer
from portal.models.payment import PaymentMethod, PaymentStatus, RefundStatus
from portal.services.core import audit
from portal.services.core.audit import Actor
from portal.services.fiscal import numbering, stamp
from portal.services.fiscal.profile import FiscalRefused, profile_of, saldo_issues
from portal.services.fiscal.tax_ids import codice_fiscale_of

#: methods that leave a trace with a bank or card scheme (art. 1 c. 679 L. 160/2019)
TRACEABLE = (
    PaymentMethod.CARD,
    PaymentMethod.SEPA_DEBIT,
    PaymentMethod.LINK,
    PaymentMethod.CARD_TERMINAL,
    PaymentMethod.CHEQUE,
)


def of_payment(payment: Payment) -> FiscalDocument | None:
    return db.session.scalar(db.select(FiscalDocument).filter_by(payment_id=payment.id))


def of_refund(refund: Refund) -> FiscalDocument | None:
    return db.session.scalar(db.select(FiscalDocument).filter_by(refund_id=refund.id))


def of_invoice(invoice: Invoice) -> list[FiscalDocument]:
    """The invoice's health invoices and credit notes, oldest first."""
    query = db.select(FiscalDocument).filter_by(invoice_id=invoice.id)
    return list(db.session.scalars(query.order_by(FiscalDocument.id)))


def _ready(invoice: Invoice) -> str:
    if not saldo_issues(invoice.practice):
        raise FiscalRefused(_l("This practice issues its fiscal documents with its own software."))
    codice = codice_fiscale_of(invoice.patient)
    if not codice:
        raise FiscalRefused(
            _l("Enter the patient's codice fiscale first: the health invoice must carry it.")
        )
    return codice


def _insert(values: dict, find, actor: Actor) -> FiscalDocument:
    """Allocate the number and insert the document in one fresh transaction."""
    # the counter must be the first write of its transaction, and a lost race rolls back
    # only the number: so the caller's changes so far are committed first
    db.session.commit()
    number = numbering.allocate(values["practice_id"], values["kind"], values["year"])
    document = FiscalDocument(number=number, **values)
    db.session.add(document)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        existing = find()
        if existing is None:
            raise
        return existing
    audit.record(
        f"fiscal.{values['kind']}_issued",
        practice_id=values["practice_id"],
        invoice_id=values["invoice_id"],
        actor=actor,
        document=document.label,
    )
    # the number is allocated for good: a fiscal number is never reused or left pending
    db.session.commit()
    return document


def issue_invoice(payment: Payment, actor: Actor, today: date | None = None) -> FiscalDocument:
    """The health invoice for a succeeded payment, issued now if it has none yet."""
    existing = of_payment(payment)
    if existing is not None:
        return existing
    if payment.status != PaymentStatus.SUCCEEDED or payment.succeeded_at is None:
        raise FiscalRefused(_l("Only a payment received gets a health invoice."))
    invoice = payment.invoice
    codice = _ready(invoice)
    practice = invoice.practice
    issued_on = today or practice_today(practice)
    split = stamp.split(payment.amount_minor, profile_of(practice).stamp_charged_to_patient)
    values = dict(
        practice_id=practice.id,
        kind=DocumentKind.INVOICE,
        year=issued_on.year,
        issued_on=issued_on,
        invoice_id=invoice.id,
        payment_id=payment.id,
        patient_codice_fiscale=codice,
        amount_minor=split.exempt_minor,
        stamp_duty_minor=split.stamp_duty_minor,
        stamp_charged=split.charged,
        currency=payment.currency,
        method=payment.method,
        paid_on=day_of(payment.succeeded_at, practice_zone(practice)),
    )
    payment_id = payment.id
    return _insert(values, lambda: of_payment(db.session.get(Payment, payment_id)), actor)


def issue_credit_note(refund: Refund, actor: Actor, today: date | None = None) -> FiscalDocument:
    """The credit note for a succeeded refund of a payment that has a health invoice."""
    existing = of_refund(refund)
    if existing is not None:
        return existing
    original = of_payment(refund.payment)
    if original is None:
        raise FiscalRefused(_l("This payment has no health invoice, so no credit note is due."))
    if refund.status != RefundStatus.SUCCEEDED:
        raise FiscalRefused(_l("Only a refund that went through gets a credit note."))
    invoice = original.invoice
    practice = invoice.practice
    issued_on = today or practice_today(practice)
    if original.stamp_charged and refund.amount_minor == original.total_minor:
        split = stamp.Split(original.amount_minor, original.stamp_duty_minor, True)
    else:
        split = stamp.split(refund.amount_minor, False)
    values = dict(
        practice_id=practice.id,
        kind=DocumentKind.CREDIT_NOTE,
        year=issued_on.year,
        issued_on=issued_on,
        invoice_id=invoice.id,
        refund_id=refund.id,
        corrects_id=original.id,
        patient_codice_fiscale=original.patient_codice_fiscale,
        amount_minor=split.exempt_minor,
        stamp_duty_minor=split.stamp_duty_minor,
        stamp_charged=split.charged,
        currency=refund.currency,
        method=refund.payment.method,
        paid_on=day_of(refund.created_at, practice_zone(practice)),
    )
    refund_id = refund.id
    return _insert(values, lambda: of_refund(db.session.get(Refund, refund_id)), actor)


def issue_due(actor: Actor, today: date | None = None) -> int:
    """Issue every document due in practices where Saldo issues them: an invoice for each
    payment received since Saldo started issuing, a credit note for each refund of such a
    payment, dated `today` (default: today in the practice's zone) or the day of the payment
    if later. A patient without a codice fiscale waits. Returns how many were issued."""
    issued = 0
    profiles = db.session.scalars(db.select(FiscalProfile).filter_by(issuer=Issuer.SALDO)).all()
    for profile in profiles:
        if profile.practice.country != "IT" or profile.issuing_since is None:
            continue
        for payment in _payments_due(profile):
            day = day_of(payment.succeeded_at, practice_zone(profile.practice))
            try:
                issue_invoice(payment, actor, max(today, day) if today else None)
            except FiscalRefused:
                continue
            issued += 1
        for refund in _refunds_due(profile.practice_id):
            day = day_of(refund.created_at, practice_zone(profile.practice))
            issue_credit_note(refund, actor, max(today, day) if today else None)
            issued += 1
    return issued


def _payments_due(profile: FiscalProfile) -> list[Payment]:
    documented = db.select(FiscalDocument.payment_id).where(FiscalDocument.payment_id.is_not(None))
    query = (
        db.select(Payment)
        .join(Invoice, Invoice.id == Payment.invoice_id)
        .where(
            Invoice.practice_id == profile.practice_id,
            Payment.status == PaymentStatus.SUCCEEDED,
            Payment.succeeded_at >= profile.issuing_since,
            Payment.id.not_in(documented),
        )
        .order_by(Payment.succeeded_at, Payment.id)
    )
    return list(db.session.scalars(query))


def _refunds_due(practice_id: int) -> list[Refund]:
    invoiced = db.select(FiscalDocument.payment_id).where(
        FiscalDocument.practice_id == practice_id, FiscalDocument.kind == DocumentKind.INVOICE
    )
    noted = db.select(FiscalDocument.refund_id).where(FiscalDocument.refund_id.is_not(None))
    query = (
        db.select(Refund)
        .where(
            Refund.status == RefundStatus.SUCCEEDED,
            Refund.payment_id.in_(invoiced),
            Refund.id.not_in(noted),
        )
        .order_by(Refund.id)
    )
    return list(db.session.scalars(query))
