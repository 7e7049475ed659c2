"""Dates, times, file names and card brands as each language writes them."""

from datetime import date, datetime

import pytest
from flask_babel import force_locale

from portal import create_app
from portal.gateways.stripe_gateway import MethodSummary
from portal.i18n import file_name, format_day, moment_filter
from portal.services.payments.payment_methods import label


@pytest.fixture(scope="module")
def app():
    app = create_app({"SALDO_ENV": "test"})
    with app.app_context():
        yield app


@pytest.mark.parametrize(
    ("style", "first", "eighth"),
    [
        ("medium", "1° gen 2027", "8 gen 2027"),
        ("long", "1° gennaio 2027", "8 gennaio 2027"),
        ("full", "venerdì 1° gennaio 2027", "venerdì 8 gennaio 2027"),
        ("d MMMM", "1° gennaio", "8 gennaio"),
        ("short", "01/01/27", "08/01/27"),
    ],
)
def test_italian_writes_the_first_of_the_month_as_an_ordinal(app, style, first, eighth):
    assert format_day(date(2027, 1, 1), "it", style) == first
    assert format_day(date(2027, 1, 8), "it", style) == eighth


def test_english_dates_have_no_ordinal(app):
    assert format_day(date(2027, 1, 1), "en", "medium") == "Jan 1, 2027"
    assert format_day(date(2027, 1, 1), "en", "long") == "January 1, 2027"
    assert format_day(datetime(2027, 3, 1, 23, 0), "en") == "Mar 1, 2027"


def test_times_carry_their_zone(app):
    winter, summer = datetime(2027, 1, 1, 9, 30), datetime(2027, 7, 1, 9, 30)
    with force_locale("it"):
        assert moment_filter(winter, "Europe/Rome") == "1° gen 2027, 10:30 CET"
        assert moment_filter(summer, "Europe/Rome", "short") == "01/07/27, 11:30 CEST"
        assert moment_filter(summer, "America/Sao_Paulo", "short") == "01/07/27, 06:30 UTC-03"
    with force_locale("en"):
        assert moment_filter(winter, "America/New_York") == "Jan 1, 2027, 4:30\u202fAM EST"
        assert moment_filter(winter) == "Jan 1, 2027, 9:30\u202fAM UTC"


@pytest.mark.parametrize(
    ("kind", "english", "italian"),
    [
        ("receipt", "receipt-R7-000.pdf", "ricevuta-R7-000.pdf"),
        ("agreement", "payment-plan-agreement-R7-000.pdf", "accordo-piano-rateale-R7-000.pdf"),
        ("statement", "statement-R7-000.pdf", "estratto-conto-R7-000.pdf"),
        ("letters", "letters-R7-000.pdf", "lettere-R7-000.pdf"),
        ("invoice", "invoice-R7-000.pdf", "fattura-R7-000.pdf"),
        ("credit_note", "credit-note-R7-000.pdf", "nota-di-credito-R7-000.pdf"),
    ],
)
def test_file_names_are_in_the_readers_language(app, kind, english, italian):
    assert file_name(kind, "R7", "000", locale="en") == english
    assert file_name(kind, "R7", "000", locale="it") == italian
    with force_locale("it"):
        assert file_name(kind, "R7", "000") == italian
        assert file_name(kind, "R7", "000", locale="en") == english


def test_card_brands_are_written_as_the_brands_write_them():
    def card(brand):
        return label(MethodSummary(type="card", brand=brand, last4="4242", country=None))

    assert card("visa") == "Visa •••• 4242"
    assert card("mastercard") == "Mastercard •••• 4242"
    assert card("amex") == "American Express •••• 4242"
    assert card("jcb") == "JCB •••• 4242"
    assert card("link_card") == "Link Card •••• 4242"
