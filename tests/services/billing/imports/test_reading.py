"""Reading an uploaded CSV: rows numbered as a spreadsheet shows them, the delimiter, and the
dates and amounts found in cells, to the cent (no database)."""

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portal import create_app
from portal.services.billing.imports.reading import CsvError, parse_date, parse_money, read_csv


@pytest.fixture(scope="module", autouse=True)
def app():
    app = create_app({"SALDO_ENV": "test"})
    with app.app_context():
        yield app


def test_rows_keep_their_spreadsheet_numbers_across_blank_and_multiline_rows():
    data = b'first,second\n\nGiulia,"two\nlines"\n , \nLuca,3\n'
    csv_file = read_csv(data)
    assert csv_file.headers == ("first", "second")
    # row 2 is blank, row 3 a quoted cell over two lines (one record), row 4 only spaces
    assert csv_file.rows == [(3, ["Giulia", "two\nlines"]), (5, ["Luca", "3"])]
    assert (csv_file.delimiter, csv_file.encoding) == (",", "utf-8")


def test_headers_are_tidied_and_repeated_names_told_apart():
    csv_file = read_csv(b"  First   name ,Date,,Date\nGiulia,1,2,3\n")
    assert csv_file.headers == ("First name", "Date", "#3", "Date (#4)")


@pytest.mark.parametrize(
    ("header", "delimiter"),
    [
        (b"a;b;c", ";"),
        (b"a\tb\tc", "\t"),
        (b"a,b;c", ","),  # two columns either way: the comma wins the tie
        (b"a;b;c,d", ";"),
        (b'"x;y",z', ","),  # a delimiter inside quotes does not count
    ],
)
def test_the_delimiter_is_the_one_that_splits_the_header_most(header, delimiter):
    assert read_csv(header + b"\n1,2,3\n").delimiter == delimiter


def test_preview_pads_and_cuts_rows_to_the_headers():
    csv_file = read_csv(b"a,b,c\n1\n1,2,3,4\n" + b"x,y,z\n" * 12)
    preview = csv_file.preview()
    assert preview[:2] == [(2, ["1", "", ""]), (3, ["1", "2", "3"])]
    assert len(preview) == 10 and preview[-1][0] == 11
    assert csv_file.preview(1) == [(2, ["1", "", ""])]


def test_cp1252_and_a_bom_are_read():
    assert read_csv("Città;Importo\nForlì;12,50\n".encode("cp1252")).rows == [
        (2, ["Forlì", "12,50"])
    ]
    bom = read_csv("\ufeffNome,Cognome\nGiulia,Bianchi\n".encode())
    assert (bom.headers, bom.encoding) == (("Nome", "Cognome"), "utf-8-sig")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "The file is empty."),
        (b"\n \n\t\n", "The file is empty."),
        (b",,\n , ,\n", "The file is empty."),
        (b"PK\x03\x04\x00\x00binary", "This file cannot be read as CSV."),
        (b"name\nGiulia\n", "The file has only one column"),
    ],
)
def test_files_that_are_not_csv_are_refused(data, message):
    with pytest.raises(CsvError) as refused:
        read_csv(data)
    assert str(refused.value).startswith(message)


# --- dates -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "order", "day"),
    [
        ("2026-3-9", "dmy", date(2026, 3, 9)),
        ("2026-03-09T10:30", "mdy", date(2026, 3, 9)),
        ("31/12/2026", "dmy", date(2026, 12, 31)),
        ("12/31/2026", "mdy", date(2026, 12, 31)),
        ("29.02.2028", "dmy", date(2028, 2, 29)),  # a leap day
        ("1-3-2026 23:59", "dmy", date(2026, 3, 1)),
        ("03/01/2026", "dmy", date(2026, 1, 3)),
        ("03/01/2026", "mdy", date(2026, 3, 1)),
    ],
)
def test_dates_in_each_order(text, order, day):
    assert parse_date(text, order) == day


@pytest.mark.parametrize(
    ("text", "order"),
    [
        ("29/02/2027", "dmy"),  # not a leap year
        ("31/04/2026", "dmy"),  # April has 30 days
        ("04/31/2026", "mdy"),
        ("13/01/2026", "mdy"),  # no 13th month
        ("09/03/26", "dmy"),  # a two-digit year is ambiguous
        ("09/03/2026", "iso"),  # numeric dates need a stated order
        ("2026-02-30", "dmy"),
        ("9 marzo 2026", "dmy"),
        ("", "dmy"),
    ],
)
def test_impossible_or_ambiguous_dates_are_refused(text, order):
    with pytest.raises(ValueError):
        parse_date(text, order)


@given(day=st.dates(date(1900, 1, 1), date(2100, 12, 31)))
def test_a_date_reads_back_in_every_writing(day):
    assert parse_date(day.isoformat(), "dmy") == day
    assert parse_date(day.strftime("%d/%m/%Y"), "dmy") == day
    assert parse_date(day.strftime("%m/%d/%Y"), "mdy") == day
    assert parse_date(f"{day.day}.{day.month}.{day.year:04d}", "dmy") == day


# --- amounts ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "currency", "minor"),
    [
        ("120.00", "EUR", 12000),
        ("80,5", "EUR", 8050),
        ("60", "EUR", 6000),
        ("0,01", "EUR", 1),
        ("0", "EUR", 0),
        ("1.234,50", "EUR", 123450),
        ("1,234.50", "USD", 123450),
        ("1.234.567,89", "EUR", 123456789),
        ("€ 1.234,50", "EUR", 123450),
        ("$1,000.5", "USD", 100050),
        ("1234", "JPY", 1234),  # no minor unit
    ],
)
def test_amounts_in_minor_units(text, currency, minor):
    assert parse_money(text, currency) == minor


@pytest.mark.parametrize(
    ("text", "currency"),
    [
        ("1,234", "EUR"),  # three decimals: not an amount in cents
        ("0,001", "EUR"),
        ("12.5", "JPY"),
        ("1.23,45", "EUR"),  # the grouping is not in threes
        ("12,34.50", "USD"),
        ("1.234.567", "EUR"),
        ("-5,00", "EUR"),
        ("5 euro", "EUR"),
        ("", "EUR"),
    ],
)
def test_what_is_not_an_amount_is_refused(text, currency):
    with pytest.raises(ValueError):
        parse_money(text, currency)


@given(minor=st.integers(0, 10**11))
def test_an_amount_reads_back_to_the_cent_however_it_is_grouped(minor):
    whole, cents = divmod(minor, 100)
    italian = f"{whole:,}".replace(",", ".") + f",{cents:02d}"
    american = f"{whole:,}.{cents:02d}"
    for text in (f"{whole}.{cents:02d}", f"{whole},{cents:02d}", italian, american):
        assert parse_money(text, "EUR") == minor
