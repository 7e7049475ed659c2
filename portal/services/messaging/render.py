"""Rendering a message in its recipient's language, and building the email to send."""

from email.message import EmailMessage
from email.utils import make_msgid

from flask import current_app, render_template
from flask_babel import gettext as _
from jinja2 import TemplateNotFound
from markupsafe import Markup, escape

from portal.gateways import mail
from portal.i18n import rendering_in
from portal.services.access import privacy


def render_email(name: str, locale: str | None, **context) -> tuple[str, str, str]:
    """(subject, text, html) of `templates/email/<name>/` rendered in `locale`; with a
    `practice`, the templates get its `privacy_url` too."""
    if "practice" in context:
        context.setdefault("privacy_url", privacy.notice_url(context["practice"]))
    with rendering_in(locale) as language:
        subject = render_template(f"email/{name}/subject.txt", **context).strip()
        text = render_template(f"email/{name}/body.txt", **context)
        try:
            html = render_template(f"email/{name}/body.html", **context)
        except TemplateNotFound:
            html = plain_html(text, language)
    return subject, text, html


def render_sms(name: str, locale: str | None, **context) -> str:
    """The text of `templates/sms/<name>.txt` in `locale`, ending with how to opt out and the
    practice's privacy notice (every text carries both)."""
    with rendering_in(locale):
        body = render_template(f"sms/{name}.txt", **context).strip()
        return f"{body} {sms_footer(context['practice'])}"


def sms_footer(practice) -> str:
    """The last words of every text, in the current language."""
    return "{} {}".format(
        _("Reply STOP to opt out."),
        _("Privacy: %(url)s", url=privacy.notice_url(practice)),
    )


def plain_html(text: str, language: str) -> str:
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
