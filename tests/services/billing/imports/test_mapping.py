"""Pairing Saldo's fields with a file's columns: header names in English and Italian, each
column used once, the date order a file gives away, and what a mapping leaves out."""

import pytest

from portal import create_app
from portal.services.billing.imports.mapping import (
    FIELDS,
    check_mapping,
    guess_date_format,
    guess_mapping,
    normalize_header,
)
from portal.services.billing.imports.reading import read_csv

ITALIAN = (
    "Nome",
    "Cognome",
    "Data di nascita",
    "E-mail",
    "Cellulare",
    "Lingua",
    "N° Fattura",
    "Data emissione",
    "Scadenza",
    "Data prestazione",
    "Codice",
    "Descrizione",
    "Importo",
    "Assicurazione",
    "Sconto",
)


@pytest.fixture(scope="module", autouse=True)
def app():
    app = create_app({"SALDO_ENV": "test"})
    with app.app_context():
        yield app


@pytest.mark.parametrize(
    ("header", "normal"),
    [
        ("N° Fattura", "n fattura"),
        ("E-Mail", "e mail"),
        ("  Data   di Nascita ", "data di nascita"),
        ("Cognome_Paziente", "cognome paziente"),
        ("Città", "citta"),
        ("Importo (€)", "importo"),
        ("DOB", "dob"),
        ("", ""),
    ],
)
def test_headers_are_compared_without_case_accents_or_punctuation(header, normal):
    assert normalize_header(header) == normal


def test_an_italian_export_maps_every_field():
    assert guess_mapping(ITALIAN) == {
        "first_name": "Nome",
        "last_name": "Cognome",
        "date_of_birth": "Data di nascita",
        "email": "E-mail",
        "phone": "Cellulare",
        "language": "Lingua",
        "number": "N° Fattura",
        "issued_on": "Data emissione",
        "due_on": "Scadenza",
        "service_date": "Data prestazione",
        "procedure_code": "Codice",
        "description": "Descrizione",
        "charged": "Importo",
        "insurance_paid": "Assicurazione",
        "adjustment": "Sconto",
    }
    assert set(guess_mapping(ITALIAN)) == {field.key for field in FIELDS}


def test_each_column_is_used_once_and_better_names_win():
    # "Nome" names the first name better than "Name" does; "Date" is left to the service date
    mapping = guess_mapping(["Name", "Nome", "Issue date", "Date", "Invoice", "Charged"])
    assert mapping == {
        "first_name": "Nome",
        "issued_on": "Issue date",
        "service_date": "Date",
        "number": "Invoice",
        "charged": "Charged",
    }
    assert len(set(mapping.values())) == len(mapping)


def test_a_field_key_itself_is_the_best_name():
    assert guess_mapping(["due_on", "Due date"]) == {"due_on": "due_on"}
    assert guess_mapping(["Unrelated", "Columns"]) == {}


def test_the_date_order_is_given_away_by_a_number_above_twelve():
    def order(text, default="dmy"):
        csv_file = read_csv(text.encode())
        return guess_date_format(csv_file, guess_mapping(csv_file.headers), default)

    assert order("Data prestazione,Nome\n2026-03-09,Giulia\n") == "iso"
    assert order("Data prestazione,Nome\n03/04/2026,Giulia\n13/04/2026,Luca\n") == "dmy"
    assert order("Service date,Name\n04/13/2026,Giulia\n", default="dmy") == "mdy"
    assert order("Service date,Name\n04/05/2026,Giulia\n", default="mdy") == "mdy"
    assert order("Service date,Name\n04/05/2026,Giulia\n") == "dmy"
    # a date in a column no date field uses does not count, nor does a short row
    assert order("Service date,Description\n2026-01-01,13/01/2026\n\n") == "iso"
    assert order("Name,Service date\nGiulia\n") == "iso"


def test_a_complete_mapping_has_no_errors():
    csv_file = read_csv((",".join(ITALIAN) + "\n").encode() + b"x" + b",x" * 14 + b"\n")
    assert check_mapping(csv_file, guess_mapping(ITALIAN)) == []
    without_optional = {
        key: header
        for key, header in guess_mapping(ITALIAN).items()
        if key not in ("email", "phone", "language", "procedure_code")
    }
    assert check_mapping(csv_file, {**without_optional, "adjustment": None}) == []


def test_what_is_wrong_with_a_mapping_is_said_field_by_field():
    csv_file = read_csv(b"Nome,Cognome\nGiulia,Bianchi\n")
    errors = check_mapping(csv_file, {"first_name": "Nome", "colour": "Nome", "last_name": "X"})
    found = [(e.column, str(e.message)) for e in errors]
    assert found[:2] == [
        (None, "colour is not a Saldo field."),
        ("X", "The file has no column X."),
    ]
    # the last name has a column named (a missing one): said once, not twice
    mapped = ("first_name", "last_name")
    required = [f.label for f in FIELDS if f.required and f.key not in mapped]
    assert found[2:] == [(None, f"Choose the column for {label}.") for label in required]
    assert len(found) == 2 + 7
