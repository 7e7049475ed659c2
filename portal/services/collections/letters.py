"""Reminder letters on paper: one A4 page per patient, addressed for a windowed envelope, each
in the patient's language, printed in a batch per day."""

from dataclasses import dataclass
from datetime import date, timedelta

from flask import current_app, render_template
from markupsafe import Markup
from sqlalchemy import func

from portal.extensions import db
from portal.gateways.pdf import html_to_pdf
from portal.i18n import file_name, rendering_in
from portal.models import CollectionState, Invoice, Patient, Practice, ReminderLog
from portal.models.cadence_step import CadenceTone
from portal.models.delivery import Channel
from portal.models.invoice import InvoiceStatus
from portal.services.billing import ledger
from portal.services.collections import cadence_steps

#: the tones of the cadence, mildest first; a patient's letter takes the firmest of its invoices
TONES = cadence_steps.TONES
#: the tone of a letter whose step is no longer in the practice's cadence
DEFAULT_TONE = CadenceTone.FIRM
#: firm and final letters ask for payment within this many days of the letter's date
PAY_WITHIN_DAYS = 15
#: reminder log statuses of letters that were not carried out
NOT_SENT = ("skipped", "failed")


@dataclass(frozen=True)
class Item:
    invoice: Invoice
    balance_minor: int


@dataclass(frozen=True)
class Letter:
    patient: Patient
    items: list[Item]
    tone: str

    @property
    def total_minor(self) -> int:
        return sum(item.balance_minor for item in self.items)

    @property
    def currency(self) -> str:
        return self.items[0].invoice.currency

    @property
    def address_lines(self) -> list[str]:
        text = self.patient.postal_address or ""
        return [line.strip() for line in text.splitlines() if line.strip()]


def _logs(practice_id: int):
    return db.select(ReminderLog).where(
        ReminderLog.practice_id == practice_id,
        ReminderLog.channel == Channel.LETTER,
        ReminderLog.status.not_in(NOT_SENT),
    )


def days(practice: Practice) -> list[tuple[date, int]]:
    """Days on which the practice's cadence produced letters, newest first, with how many
    patients they went to."""
    logs = _logs(practice.id).subquery()
    query = (
        db.select(logs.c.sent_on, func.count(func.distinct(Invoice.patient_id)))
        .join(Invoice, Invoice.id == logs.c.invoice_id)
        .group_by(logs.c.sent_on)
        .order_by(logs.c.sent_on.desc())
    )
    return [(day, count) for day, count in db.session.execute(query)]


def tone_of(practice_id: int, position: int) -> str:
    """The tone of the practice's cadence step at `position` (the default cadence's if the
    practice has none of its own)."""
    step = cadence_steps.step_at(practice_id, position)
    return step.tone if step is not None and step.tone in TONES else DEFAULT_TONE


def letters_for(practice: Practice, day: date) -> list[Letter]:
    """The letters of `day`, one per patient, sorted by name. Invoices paid, voided or put on
    hold since the letter was logged are left out, and so are patients left with none."""
    held = db.select(CollectionState.invoice_id).where(CollectionState.hold.is_not(None))
    query = (
        _logs(practice.id)
        .join(Invoice, Invoice.id == ReminderLog.invoice_id)
        .where(
            ReminderLog.sent_on == day,
            Invoice.status == InvoiceStatus.OPEN,
            ReminderLog.invoice_id.not_in(held),
        )
        .order_by(ReminderLog.invoice_id, ReminderLog.position)
    )
    by_patient: dict[int, dict[int, tuple[Invoice, str]]] = {}
    for log in db.session.scalars(query):
        invoice = db.session.get(Invoice, log.invoice_id)
        tone = tone_of(practice.id, log.position)
        invoices = by_patient.setdefault(invoice.patient_id, {})
        if invoice.id in invoices:
            tone = max(tone, invoices[invoice.id][1], key=TONES.index)
        invoices[invoice.id] = (invoice, tone)
    result = []
    for invoices in by_patient.values():
        items = [Item(inv, ledger.balance(inv.id)) for inv, _ in invoices.values()]
        items = [item for item in items if item.balance_minor > 0]
        if items:
            tone = max((tone for _, tone in invoices.values()), key=TONES.index)
            result.append(Letter(items[0].invoice.patient, items, tone))
    return sorted(
        result,
        key=lambda letter: (letter.patient.last_name, letter.patient.first_name, letter.patient.id),
    )


def render_page(practice: Practice, letter: Letter, day: date) -> Markup:
    """One letter's page, in the patient's language."""
    with rendering_in(letter.patient.locale or practice.default_locale) as language:
        html = render_template(
            "letters/letter.html",
            practice=practice,
            letter=letter,
            patient=letter.patient,
            day=day,
            pay_by=day + timedelta(days=PAY_WITHIN_DAYS),
            language=language,
        )
    return Markup(html)  # noqa: S704 (an autoescaped template's output)


def batch_pdf(practice: Practice, day: date) -> bytes | None:
    """Every letter of `day` as one PDF, a page per patient; None when there is none."""
    letters = letters_for(practice, day)
    if not letters:
        return None
    pages = [render_page(practice, letter, day) for letter in letters]
    with rendering_in(practice.default_locale):
        html = render_template("pdf/letters.html", practice=practice, day=day, pages=pages)
    return html_to_pdf(html, base_url=current_app.static_folder)


def filename(practice: Practice, day: date) -> str:
    """The day's letters PDF, named in the practice's language like its pages."""
    return file_name("letters", practice.slug, day.isoformat(), locale=practice.default_locale)
