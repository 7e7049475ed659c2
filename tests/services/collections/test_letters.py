"""Reminder letters: a day's batch as one PDF, a page per patient in the patient's language,
addressed for a window envelope."""

import re
import subprocess
from datetime import date
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po

from portal.extensions import db
from portal.models import CadenceStep, ReminderLog
from portal.services.billing import money
from portal.services.collections import holds, letters
from portal.services.core.audit import SYSTEM
from tests import factories
from tests.support.pdf import pdf_text

DAY = date(2026, 12, 15)
ROOT = Path(__file__).resolve().parents[3]
MM = 72 / 25.4  # PDF points per millimetre
ENGLISH = ["Dear", "eminder", "lease", "Invoice", "Due date", "Amount due", "How to pay",
           "Kind regards", "legally", "If you", "Phone", "Date:"]  # fmt: skip


@pytest.fixture
def practice(app):
    p = factories.practice(address="Via Appia Nuova 12\n00183 Roma RM")
    for position, channel, tone in [
        (2, "letter", "firm"),
        (3, "call", "firm"),
        (4, "letter", "final"),
    ]:
        db.session.add(
            CadenceStep(
                practice_id=p.id,
                position=position,
                channel=channel,
                day_offset=position * 10,
                tone=tone,
            )
        )
    db.session.commit()
    return p


def giulia(practice, **kwargs):
    values = dict(postal_address="Via dei Mille 5\n00185 Roma RM")
    return factories.patient(practice, **{**values, **kwargs})


def emma(practice, **kwargs):
    values = dict(
        first_name="Emma",
        last_name="Adams",
        locale="en",
        postal_address="4 Elm Street\nLondon N1 7AA\nUnited Kingdom",
    )
    return factories.patient(practice, **{**values, **kwargs})


def logged(invoice, position=2, day=DAY, channel="letter", status="letter"):
    db.session.add(
        ReminderLog(
            practice_id=invoice.practice_id,
            invoice_id=invoice.id,
            position=position,
            channel=channel,
            sent_on=day,
            status=status,
        )
    )
    db.session.commit()
    return invoice


def pages_of(pdf: bytes) -> list[str]:
    assert pdf.startswith(b"%PDF")
    text = pdf_text(pdf)
    assert text.endswith("\f")
    return text.split("\f")[:-1]


def flat(page: str) -> str:
    return re.sub(r"\s+", " ", page)


def test_no_letters_no_pdf(practice):
    logged(factories.invoice(giulia(practice)), day=date(2026, 12, 14))
    assert letters.batch_pdf(practice, DAY) is None


def test_one_page_per_patient_sorted_by_name(practice):
    logged(factories.invoice(giulia(practice), number="A-1"))
    logged(factories.invoice(emma(practice), amounts=(5000,), number="A-2"))
    logged(
        factories.invoice(emma(practice, first_name="Zoe"), number="A-3"), day=date(2026, 12, 14)
    )
    logged(factories.invoice(emma(practice, first_name="Sms"), number="A-4"), channel="sms")
    logged(factories.invoice(emma(practice, first_name="Skip"), number="A-5"), status="skipped")
    elsewhere = factories.practice(slug="elsewhere")
    logged(factories.invoice(giulia(elsewhere), number="A-1"))

    english, italian = pages_of(letters.batch_pdf(practice, DAY))
    assert "Emma Adams" in english and "Giulia" not in english
    assert "Giulia Bianchi" in italian and "Emma" not in italian
    for page in (english, italian):
        assert "Studio Dentistico Rossi" in page
        assert "Via Appia Nuova 12" in page
        assert "+39 06 5550 1234" in page and "info@studio.example" in page
        assert "Treatment" not in page and "D100" not in page  # no care details
        assert "/p/" not in page  # no link on paper
    english = flat(english)
    for line in ("Emma Adams", "4 Elm Street", "London N1 7AA", "United Kingdom"):
        assert line in english
    assert "December 15, 2026" in english
    assert "Dear Emma Adams," in english
    assert "Reminder: payment overdue" in english
    assert "Please pay it by December 30, 2026." in english
    assert "A-2" in english and "€50.00" in english
    assert "use the private link we sent you by email or text message" in english.lower()
    assert "If you no longer have the link, call us on +39 06 5550 1234" in english
    assert "legally obliged" not in english


def word_positions(pdf: bytes) -> list[tuple[str, float, float]]:
    """Each word of the first page with its left and top edges in millimetres."""
    bbox = subprocess.run(
        ["pdftotext", "-bbox", "-f", "1", "-l", "1", "-", "-"],
        input=pdf,
        capture_output=True,
        check=True,
    ).stdout.decode()
    assert 'width="595.275591" height="841.889764"' in bbox  # A4
    found = re.findall(r'<word xMin="([\d.]+)" yMin="([\d.]+)"[^>]*>([^<]+)</word>', bbox)
    return [(text, float(x) / MM, float(y) / MM) for x, y, text in found]


def test_the_address_sits_in_the_envelope_window(practice):
    logged(factories.invoice(emma(practice)))
    words = word_positions(letters.batch_pdf(practice, DAY))
    lines = {text: (x, y) for text, x, y in reversed(words)}  # the first of each word
    name_x, name_y = lines["Emma"]
    assert 19 <= name_x <= 21 and 49 <= name_y <= 53  # the window: 20 mm in, 45 to 90 mm down
    assert lines["London"][0] == name_x and name_y < lines["London"][1] < lines["Kingdom"][1] < 88
    letterhead, sender = [(x, y) for text, x, y in words if text == "Studio"][:2]
    assert letterhead[1] < 40  # the practice's name heads the page
    assert 19 <= sender[0] <= 21 and 44 <= sender[1] < name_y  # its return line tops the window


def test_the_final_letter_states_the_obligation(practice):
    logged(factories.invoice(emma(practice)), position=4)
    [page] = pages_of(letters.batch_pdf(practice, DAY))
    text = flat(page)
    assert "Final reminder: formal demand for payment" in text
    assert (
        "You are legally obliged to pay the outstanding amount of €154.50. "
        "We formally ask you to pay it by December 30, 2026." in text
    )
    assert "agree on a payment plan" in text


def test_the_default_cadence_sets_the_tone(app):
    """A practice without its own cadence has the default's letters: firm, firmer, final."""
    practice = factories.practice()
    for position, first in [(8, "Anna"), (9, "Bea"), (10, "Carla")]:
        logged(
            factories.invoice(emma(practice, first_name=first), number=f"A-{position}"), position
        )
    firm, firmer, final = (flat(page) for page in pages_of(letters.batch_pdf(practice, DAY)))
    assert "Reminder: payment overdue" in firm and "legally" not in firm
    assert "Urgent reminder: payment overdue" in firmer
    assert "Please pay it without delay, and no later than December 30, 2026." in firmer
    assert "legally" not in firmer
    assert "Final reminder: formal demand for payment" in final
    assert "You are legally obliged to pay the outstanding amount of €154.50." in final


def test_two_invoices_one_letter_with_the_firmest_tone(practice):
    patient = emma(practice)
    logged(factories.invoice(patient, amounts=(5000,), number="A-1"), position=2)
    logged(factories.invoice(patient, amounts=(7000,), number="A-2"), position=4)
    [page] = pages_of(letters.batch_pdf(practice, DAY))
    text = flat(page)
    assert "A-1" in text and "€50.00" in text and "A-2" in text and "€70.00" in text
    assert "Total €120.00" in text
    assert "legally obliged to pay the outstanding amount of €120.00" in text


def test_paid_and_held_invoices_are_left_out(practice):
    paid = logged(factories.invoice(emma(practice), number="A-1"))
    held = logged(factories.invoice(giulia(practice), number="A-2"))
    money.record_desk_payment(paid, 15450, "cash", SYSTEM)
    holds.set_hold(held, "dispute", "Contests the bill", SYSTEM)
    db.session.commit()
    assert letters.batch_pdf(practice, DAY) is None
    assert letters.days(practice) == [(DAY, 2)]


def test_days_with_letters(practice):
    logged(factories.invoice(emma(practice), number="A-1"))
    logged(factories.invoice(giulia(practice), number="A-2"))
    logged(
        factories.invoice(giulia(practice, first_name="Anna"), number="A-3"), day=date(2026, 12, 1)
    )
    logged(factories.invoice(giulia(practice, first_name="Sms"), number="A-4"), channel="sms")
    assert letters.days(practice) == [(DAY, 2), (date(2026, 12, 1), 1)]
    assert letters.days(factories.practice(slug="elsewhere")) == []


def test_italian_letter_layout_and_formats(practice):
    """Holds before and after the Italian catalog has the letter's strings."""
    logged(factories.invoice(giulia(practice)), position=4)
    [page] = pages_of(letters.batch_pdf(practice, DAY))
    text = flat(page)
    assert "Gentile Giulia Bianchi," in text
    assert "Via dei Mille 5" in text and "00185 Roma RM" in text
    assert "15 dicembre 2026" in text  # the letter's date
    assert "30 dicembre 2026" in text  # pay by
    assert "154,50 €" in text
    assert "Fattura" in text and "Data di scadenza" in text
    assert "$" not in text and "€154.50" not in text


def letter_msgids() -> list[str]:
    path = ROOT / "templates" / "letters" / "letter.html"
    return [msgid for _line, msgid, _comments, _context in extract_from_file("jinja2", str(path))]


def untranslated(msgids: list[str]) -> list[str]:
    with (ROOT / "translations" / "it" / "LC_MESSAGES" / "messages.po").open("rb") as f:
        catalog = read_po(f, locale="it")
    done = {m.id for m in catalog if m.id and m.string and not m.fuzzy}
    return [msgid for msgid in msgids if msgid not in done]


def test_italian_letters_read_as_italian_from_top_to_bottom(practice):
    missing = untranslated(letter_msgids())
    if missing:
        pytest.skip(f"the Italian catalog lacks {len(missing)} letter strings, e.g. {missing[0]!r}")
    logged(factories.invoice(giulia(practice), number="A-1"), position=2)
    logged(factories.invoice(giulia(practice, first_name="Anna"), number="A-2"), position=4)
    for page in pages_of(letters.batch_pdf(practice, DAY)):
        text = flat(page)
        assert "Gentile" in text
        assert not [word for word in ENGLISH if word in text], text
