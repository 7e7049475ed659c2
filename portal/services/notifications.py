"""Messages to patients, each rendered in the patient's language; sent by the outbox worker."""

from email.message import EmailMessage
from email.utils import make_msgid

from flask import current_app, render_template
from jinja2 import TemplateNotFound
from markupsafe import Markup, escape

from portal import gateways
from portal.extensions import db
from portal.gateways import mail
from portal.i18n import rendering_in
from portal.models import Payment, PendingWork
from portal.services.billing import receipts
from portal.services.core import audit, outbox
from portal.services.core.audit import SYSTEM

RECEIPT = outbox.RECEIPT


def render_email(name: str, locale: str | None, **context) -> tuple[str, str, str]:
    """(subject, text, html) of `templates/email/<name>/` rendered in `locale`."""
    with rendering_in(locale) as language:
        subject = render_template(f"email/{name}/subject.txt", **context).strip()
        text = render_template(f"email/{name}/body.txt", **context)
        try:
            html = render_template(f"email/{name}/body.html", **context)
        except TemplateNotFound:
            html = _plain_html(text, language)
    return subject, text, html


def _plain_html(text: str, language: str) -> str:
    """An HTML part for messages that only have a text template."""
    paragraphs = "".join(
        f"<p>{escape(block).replace(chr(10), Markup('<br>'))}</p>"
        for block in text.strip().split("\n\n")
    )
    return (
        f'<!doctype html><html lang="{language}"><head><meta charset="utf-8"></head>'
        f'<body style="font-family: Arial, sans-serif; max-width: 560px">{paragraphs}</body></html>'
    )


def build_message(practice, to: str, subject: str, text: str, html: str) -> EmailMessage:
    """An email from the practice (its name on the installation's sender address)."""
    message = EmailMessage()
    name = practice.name if practice is not None else None
    message["From"] = mail.sender(name, current_app.config["MAIL_FROM"])
    if practice is not None and practice.email:
        message["Reply-To"] = mail.address(practice.name, practice.email)
    message["To"] = to
    message["Subject"] = mail.header_text(subject)
    message["Message-ID"] = make_msgid(domain="saldo.invalid")
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    return message


def send_receipt(payment: Payment) -> None:
    """Record that the payment confirmation with its receipt PDF is to be emailed; the
    worker sends it (`deliver_receipt`). Part of the caller's transaction."""
    outbox.queue_receipt(payment)


def deliver_receipt(work: PendingWork) -> None:
    """Send a receipt email now; raises (so the work is retried) if it could not be sent."""
    payment = db.session.get(Payment, work.payload["payment_id"])
    invoice = payment.invoice
    patient, practice = invoice.patient, invoice.practice
    if not patient.email:
        return
    locale = receipts.locale_of(payment)
    attached = patient.email_attachments  # by default the email carries no health details
    subject, text, html = render_email(
        "receipt",
        locale,
        payment=payment,
        invoice=invoice,
        practice=practice,
        patient=patient,
        attached=attached,
    )
    message = build_message(practice, patient.email, subject, text, html)
    if attached:
        message.add_attachment(
            receipts.render_pdf(payment, locale),
            maintype="application",
            subtype="pdf",
            filename=receipts.filename(payment),
        )
    gateways.mailer().send(message)
    audit.record(
        "receipt.emailed",
        practice_id=practice.id,
        invoice_id=invoice.id,
        actor=SYSTEM,
        payment_id=payment.id,
        locale=locale,
    )


def email_configured() -> bool:
    """False where messages would not reach anyone: production without `SMTP_URL`."""
    return gateways.mailer().configured
