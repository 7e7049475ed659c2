"""Rendering a message in its recipient's language and building the email (no database)."""

from datetime import date
from email import policy
from email.parser import BytesParser
from types import SimpleNamespace

import pytest

from portal import create_app
from portal.models import Patient, Practice
from portal.services.messaging import render


@pytest.fixture(scope="module", autouse=True)
def app():
    app = create_app(
        {
            "SALDO_ENV": "test",
            "PORTAL_BASE_URL": "https://pay.example.org/",
            "MAIL_FROM": "Saldo <no-reply@pay.example.org>",
        }
    )
    with app.app_context():
        yield app


def practice(**values) -> Practice:
    defaults = dict(slug="studio-rossi", name="Studio Rossi", phone=None, email=None)
    return Practice(**{**defaults, **values})


def answered(locale):
    return render.render_email(
        "question_answered",
        locale,
        patient=Patient(first_name="Giulia", last_name="Bianchi"),
        practice=practice(phone="+39 06 5550 1234"),
        url="https://pay.example.org/l/abc",
        expires_on=date(2027, 1, 1),
    )


def test_an_email_is_rendered_in_the_patient_language_with_an_html_part_made_from_the_text():
    subject, text, html = answered("it")
    assert subject == "Studio Rossi ha risposto alla Sua domanda"
    assert text.startswith("Gentile Giulia Bianchi,")
    assert "https://pay.example.org/l/abc" in text
    assert "https://pay.example.org/privacy/studio-rossi" in text
    assert html.startswith('<!doctype html><html lang="it">')
    assert "<p>Gentile Giulia Bianchi,</p>" in html


def test_an_unsupported_language_falls_back_to_the_default():
    english_subject, _, html = answered("de")
    assert english_subject == answered("en")[0] == "Studio Rossi has answered your question"
    assert '<html lang="en">' in html


def test_an_email_with_its_own_html_uses_it():
    user = SimpleNamespace(name="Anna <Verdi>")
    subject, text, html = render.render_email(
        "password_reset", "it", user=user, url="https://pay.example.org/r/x"
    )
    assert subject == "Reimpostazione della password di Saldo"
    assert text.startswith("Gentile Anna <Verdi>,")
    assert "Anna &lt;Verdi&gt;" in html and "<Verdi>" not in html


def test_the_html_made_from_text_is_escaped_with_paragraphs_and_line_breaks():
    html = render.plain_html("Dear <b>Ann</b> & co,\nline two\n\nsecond paragraph\n", "en")
    assert html.startswith('<!doctype html><html lang="en"><head><meta charset="utf-8"></head>')
    assert "<p>Dear &lt;b&gt;Ann&lt;/b&gt; &amp; co,<br>line two</p><p>second paragraph</p>" in html
    assert html.endswith("</body></html>")


def test_every_text_ends_with_the_opt_out_and_the_privacy_notice():
    at = practice(message_note_it=None, message_note_en=None)
    url = "https://pay.example.org/l/abc"
    italian = render.render_sms("link", "it", practice=at, url=url)
    assert italian.endswith(
        "Risponda STOP (o ARRESTO) per non ricevere più SMS. "
        "Privacy: https://pay.example.org/privacy/studio-rossi"
    )
    english = render.render_sms("link", "en", practice=at, url=url)
    assert english.endswith(
        "Reply STOP to opt out. Privacy: https://pay.example.org/privacy/studio-rossi"
    )
    assert english.startswith("Studio Rossi: your bill is ready.")
    assert "\n" not in english


def parsed(message):
    return BytesParser(policy=policy.default).parsebytes(message.as_bytes())


def test_an_email_goes_from_the_practice_name_and_answers_to_the_practice():
    sent = parsed(
        render.build_message(
            practice(name="Studio Rossi, Bianchi & C.", email="info@studio.example"),
            "giulia@example.org",
            "Subject with\na line break",
            "text body",
            "<p>html body</p>",
        )
    )
    assert sent["From"].addresses[0].display_name == "Studio Rossi, Bianchi & C."
    assert sent["From"].addresses[0].addr_spec == "no-reply@pay.example.org"
    assert sent["Reply-To"].addresses[0].addr_spec == "info@studio.example"
    assert sent["To"] == "giulia@example.org"
    assert sent["Subject"] == "Subject with a line break"
    assert sent["Message-ID"].endswith("@saldo.invalid>")
    assert sent.get_body(("plain",)).get_content() == "text body\n"
    assert sent.get_body(("html",)).get_content() == "<p>html body</p>\n"


def test_an_email_without_a_practice_comes_from_the_installation():
    sent = parsed(render.build_message(None, "a@example.org", "Hi", "t", "<p>t</p>"))
    assert str(sent["From"]) == "Saldo <no-reply@pay.example.org>"
    assert sent["Reply-To"] is None
    without_email = parsed(render.build_message(practice(), "a@example.org", "Hi", "t", "h"))
    assert without_email["Reply-To"] is None
