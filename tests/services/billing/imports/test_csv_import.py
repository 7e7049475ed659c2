"""CSV import: reading exports, mapping columns, every row error, all or nothing,
and the `flask invoice import` command."""

from datetime import date

import pytest
from sqlalchemy import func

from portal.extensions import db
from portal.models import AuditEvent, Invoice, InvoiceLine, LedgerEntry, Patient
from portal.services.billing import imports, ledger
from portal.services.billing.imports import checking
from portal.services.core.audit import SYSTEM
from tests import factories

GOOD = """\
First name,Last name,Date of birth,Email,Language,Invoice number,Issue date,Due date,Service date,Code,Description,Charged,Insurance paid,Adjustment
GIULIA,bianchi,1984-03-09,giulia@example.org,it,A-1,2026-03-01,2026-03-31,2026-02-20,D1110,Cleaning,120.00,20.00,5.00
Giulia,Bianchi,1984-03-09,giulia@example.org,it,A-1,2026-03-01,2026-03-31,2026-02-21,D2391,Filling,80.50,,

Marco,Rossi,1979-11-23,Marco.Rossi@Example.org,en,A-2,2026-03-02,2026-04-01,2026-02-25,,Crown,"1,234.50",234.50,
Marco,Rossi,1979-11-23,Marco.Rossi@Example.org,en,A-3,2026-03-02,2026-04-01,2026-02-26,D0120,Check-up,60,60,
"""

ITALIAN = """\
Nome;Cognome;Data di nascita;E-mail;Lingua;Numero fattura;Data fattura;Scadenza;Data prestazione;Codice;Descrizione;Importo;Assicurazione;Sconto
Lucia;Verdi;23/11/1979;lucia@example.org;italiano;F-10;15/03/2026;14/04/2026;13/03/2026;IG01;Igiene professionale;1.234,50;200,00;34,50
Lucia;Verdi;23/11/1979;lucia@example.org;italiano;F-10;15/03/2026;14/04/2026;13/03/2026;;Attività di controllo – più visite;80,00;;
"""


def counts() -> dict[str, int]:
    models = (Patient, Invoice, InvoiceLine, LedgerEntry, AuditEvent)
    return {m.__name__: db.session.scalar(db.select(func.count()).select_from(m)) for m in models}


def load(text: str, encoding: str = "utf-8") -> imports.CsvFile:
    return imports.read_csv(text.encode(encoding))


def mapped(csv_file: imports.CsvFile) -> dict[str, str]:
    return imports.guess_mapping(csv_file.headers)


# reading and mapping, no database


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252", "utf-16"])
def test_reads_any_delimiter_and_encoding(delimiter, encoding):
    text = delimiter.join(["Nome", "Cognome", "Descrizione"]) + "\r\n"
    text += delimiter.join(["Niccolò", "D'Amico", '"Igiene; controllo, più"']) + "\r\n"
    csv_file = imports.read_csv(text.encode(encoding))
    assert csv_file.headers == ("Nome", "Cognome", "Descrizione")
    assert csv_file.delimiter == delimiter
    assert csv_file.encoding == encoding
    assert csv_file.rows == [(2, ["Niccolò", "D'Amico", "Igiene; controllo, più"])]


def test_row_numbers_count_the_header_and_blank_lines():
    csv_file = load('a,b\n1,2\n\n,\n"multi\nline",3\n4,5\n')
    assert [n for n, _ in csv_file.rows] == [2, 5, 6]
    assert csv_file.preview(1) == [(2, ["1", "2"])]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "The file is empty."),
        (b"\n \n", "The file is empty."),
        (b",,\n , \n", "The file is empty."),
        (b"PK\x03\x04\x14\x00\x06\x00", "This file cannot be read as CSV."),
        (b"just one column\nvalue\n", "The file has only one column"),
    ],
)
def test_unreadable_files(data, message):
    with pytest.raises(imports.CsvError) as error:
        imports.read_csv(data)
    assert str(error.value).startswith(message)


def test_guesses_english_and_italian_headers():
    assert mapped(load(GOOD)) == {
        "first_name": "First name",
        "last_name": "Last name",
        "date_of_birth": "Date of birth",
        "email": "Email",
        "language": "Language",
        "number": "Invoice number",
        "issued_on": "Issue date",
        "due_on": "Due date",
        "service_date": "Service date",
        "procedure_code": "Code",
        "description": "Description",
        "charged": "Charged",
        "insurance_paid": "Insurance paid",
        "adjustment": "Adjustment",
    }
    assert mapped(load(ITALIAN)) == {
        "first_name": "Nome",
        "last_name": "Cognome",
        "date_of_birth": "Data di nascita",
        "email": "E-mail",
        "language": "Lingua",
        "number": "Numero fattura",
        "issued_on": "Data fattura",
        "due_on": "Scadenza",
        "service_date": "Data prestazione",
        "procedure_code": "Codice",
        "description": "Descrizione",
        "charged": "Importo",
        "insurance_paid": "Assicurazione",
        "adjustment": "Sconto",
    }


def test_guesses_the_date_order():
    assert imports.guess_date_format(load(GOOD), mapped(load(GOOD))) == "iso"
    assert imports.guess_date_format(load(ITALIAN), mapped(load(ITALIAN))) == "dmy"
    us = load("Name,Surname,DOB\nAnn,Lee,12/31/1990\n")
    assert imports.guess_date_format(us, mapped(us)) == "mdy"
    unclear = load("Name,Surname,DOB\nAnn,Lee,01/02/1990\n")
    assert imports.guess_date_format(unclear, mapped(unclear), default="mdy") == "mdy"


def test_dates_and_amounts():
    assert imports.parse_date("2026-03-09", "dmy") == date(2026, 3, 9)
    assert imports.parse_date("2026-03-09 00:00:00", "iso") == date(2026, 3, 9)
    assert imports.parse_date("09/03/2026", "dmy") == date(2026, 3, 9)
    assert imports.parse_date("9.3.2026", "dmy") == date(2026, 3, 9)
    assert imports.parse_date("03/09/2026", "mdy") == date(2026, 3, 9)
    for text, fmt in [("09/03/2026", "iso"), ("31/02/2026", "dmy"), ("9/3/26", "dmy")]:
        with pytest.raises(ValueError):
            imports.parse_date(text, fmt)
    assert imports.parse_money("1.234,50", "EUR") == 123450
    assert imports.parse_money("1,234.50", "USD") == 123450
    assert imports.parse_money("€ 12", "EUR") == 1200
    assert imports.parse_money("120,5", "EUR") == 12050
    for text in ("1,234", "-5", "12.345.67", "1.23,4,5", "abc"):
        with pytest.raises(ValueError):
            imports.parse_money(text, "EUR")


# validating and importing


def test_good_file_is_imported_exactly(app):
    practice = factories.practice(default_locale="it")
    giulia = factories.patient(practice)
    db.session.commit()
    csv_file = load(GOOD)

    dry = imports.validate(practice, csv_file, mapped(csv_file))
    assert dry.ok and not dry.imported
    assert (len(dry.invoices), dry.lines, dry.new_patients, dry.matched_patients) == (3, 4, 1, 1)
    assert counts()["Invoice"] == 0

    result = imports.commit(practice, csv_file, mapped(csv_file), actor=SYSTEM)
    db.session.commit()
    assert result.imported and result.errors == []
    after = counts()
    # no ledger entry for A-3: insurance paid all of it, so it is paid at once
    assert (after["Patient"], after["Invoice"], after["InvoiceLine"], after["LedgerEntry"]) == (
        2,
        3,
        4,
        2,
    )
    by_number = {i.number: i for i in db.session.scalars(db.select(Invoice))}
    first, crown, checkup = by_number["A-1"], by_number["A-2"], by_number["A-3"]
    assert first.patient_id == giulia.id
    assert [
        (ln.charged_minor, ln.insurance_paid_minor, ln.adjustment_minor) for ln in first.lines
    ] == [
        (12000, 2000, 500),
        (8050, 0, 0),
    ]
    assert [ln.procedure_code for ln in first.lines] == ["D1110", "D2391"]
    assert first.lines[0].service_date == date(2026, 2, 20)
    assert (first.issued_on, first.due_on, first.currency) == (
        date(2026, 3, 1),
        date(2026, 3, 31),
        "EUR",
    )
    assert ledger.balance(first.id) == 9500 + 8050
    assert ledger.balance(crown.id) == 100000
    assert ledger.balance(checkup.id) == 0
    assert [first.status, crown.status, checkup.status] == ["open", "open", "paid"]
    marco = crown.patient
    assert checkup.patient_id == marco.id
    assert (marco.first_name, marco.last_name, marco.date_of_birth) == (
        "Marco",
        "Rossi",
        date(1979, 11, 23),
    )
    assert (marco.email, marco.locale) == ("Marco.Rossi@example.org", "en")
    event = db.session.scalars(db.select(AuditEvent).filter_by(action="invoices.imported")).one()
    assert event.practice_id == practice.id
    assert event.data == {
        "count": 3,
        "lines": 4,
        "patients_created": 1,
        "patients_matched": 1,
        "draft": False,
    }


def test_drafts_are_not_posted_to_the_ledger(app):
    practice = factories.practice()
    csv_file = load(GOOD)
    result = imports.commit(practice, csv_file, mapped(csv_file), actor=SYSTEM, draft=True)
    db.session.commit()
    assert result.imported
    assert {i.status for i in db.session.scalars(db.select(Invoice))} == {"draft"}
    assert counts()["LedgerEntry"] == 0
    assert counts()["Patient"] == 2


BAD = """\
Nome,Cognome,Data di nascita,Email,Lingua,Numero fattura,Data fattura,Scadenza,Data prestazione,Descrizione,Importo,Assicurazione,Sconto
Anna,Neri,1990-01-01,,,B-1,2026-03-01,2026-03-31,2026-02-01,Cleaning,100,,
Anna,Neri,1990-01-01,,,B-2,2026-03-01,2026-03-31,2026-02-01,Cleaning,"12,3,4",,
Bruno,Gallo,31/02/1990,,,B-3,2026-03-01,2026-03-31,2026-02-01,Cleaning,100,,
Carla,Riva,1985-05-05,,,2026-0001,2026-03-01,2026-03-31,2026-02-01,Cleaning,100,,
Dario,Fo,1970-07-07,,,B-1,2026-03-01,2026-03-31,2026-02-01,Cleaning,100,,
Anna,Neri,1990-01-01,,,B-4,2026-03-01,2026-03-31,2026-02-01,,100,,
Anna,Neri,1990-01-01,,,B-5,2026-03-01,2026-03-31,2026-02-01,Cleaning,100,80,30
Anna,Neri,1990-01-01,,,B-6,2026-03-31,2026-03-01,2026-02-01,Cleaning,100,,
Elena,Sala,1991-01-01,,fr,B-7,2026-03-01,2026-03-31,2026-02-01,Cleaning,100,,
Fabio,Testa,1992-01-01,fabio@,,B-8,2026-03-01,2026-03-31,2026-02-01,Cleaning,100,,

Anna,Neri,1990-01-01,,,B-1,2026-03-02,2026-03-31,2026-02-01,Cleaning,100,,,surplus
Anna,Neri,1990-01-01,anna@example.org,,B-1,2026-03-01,2026-03-31,2026-02-01,Cleaning,1.00,,
"""


def test_every_bad_row_is_listed_and_nothing_is_imported(app):
    practice = factories.practice()
    factories.invoice(factories.patient(practice), number="2026-0001")
    before = counts()
    csv_file = load(BAD)

    result = imports.commit(practice, csv_file, mapped(csv_file), actor=SYSTEM)
    db.session.commit()

    assert not result.imported
    assert [(e.row, e.column, str(e)) for e in result.errors] == [
        (3, "Importo", "Row 3: the charged amount 12,3,4 is not an amount."),
        (
            4,
            "Data di nascita",
            "Row 4: 31/02/1990 in Data di nascita is not a date in the chosen format.",
        ),
        (5, "Numero fattura", "Row 5: invoice number 2026-0001 is already used."),
        (
            6,
            "Numero fattura",
            "Row 6: invoice number B-1 is already used for another patient in row 2.",
        ),
        (7, "Descrizione", "Row 7: Descrizione is empty."),
        (8, None, "Row 8: insurance and adjustment are more than the charged amount."),
        (9, "Scadenza", "Row 9: the due date is before the issue date."),
        (10, "Lingua", "Row 10: the language fr is not English (en) or Italian (it)."),
        (11, None, "Row 11: Enter a valid email address."),
        (13, None, "Row 13 has more columns than the header row."),
        (13, None, "Row 13: the dates of invoice B-1 differ from row 2."),
        (14, None, "Row 14: the patient's details differ from row 2 of invoice B-1."),
    ]
    assert counts() == before


def test_a_number_taken_after_validation_rolls_everything_back(app, monkeypatch):
    practice = factories.practice()
    factories.invoice(factories.patient(practice), number="A-3")
    before = counts()
    csv_file = load(GOOD)
    monkeypatch.setattr(checking, "_existing_numbers", lambda practice_id: set())

    result = imports.commit(practice, csv_file, mapped(csv_file), actor=SYSTEM)
    db.session.commit()

    assert not result.imported
    assert [str(e) for e in result.errors] == ["Row 6: Invoice number A-3 is already used."]
    assert counts() == before


def test_a_dry_run_and_a_failed_commit_write_nothing(app):
    practice = factories.practice()
    db.session.commit()
    before = counts()
    csv_file = load(BAD)
    # 11, not 12: this practice has no invoice 2026-0001
    assert len(imports.validate(practice, csv_file, mapped(csv_file)).errors) == 11
    db.session.commit()
    assert counts() == before
    good = load(GOOD)
    assert imports.validate(practice, good, mapped(good)).ok
    db.session.commit()
    assert counts() == before


def test_mapping_must_name_the_required_columns(app):
    practice = factories.practice()
    csv_file = load(GOOD)
    mapping = mapped(csv_file) | {"number": None, "charged": "Total", "colour": "Code"}
    errors = [str(e) for e in imports.validate(practice, csv_file, mapping).errors]
    assert errors == [
        "The file has no column Total.",
        "colour is not a Saldo field.",
        "Choose the column for Invoice number.",
    ]
    header_only = load("First name,Last name\n")
    assert [str(e) for e in imports.validate(practice, header_only, {}).errors][-1] == (
        "Choose the column for Charged."
    )


@pytest.mark.parametrize("encoding", ["utf-8-sig", "cp1252"])
def test_italian_export_with_semicolons_and_day_first_dates(app, encoding):
    practice = factories.practice()
    csv_file = load(ITALIAN, encoding)
    assert csv_file.delimiter == ";"
    result = imports.commit(practice, csv_file, mapped(csv_file), actor=SYSTEM, date_format="dmy")
    db.session.commit()
    assert result.imported, [str(e) for e in result.errors]
    invoice = db.session.scalars(db.select(Invoice)).one()
    assert (invoice.number, invoice.issued_on, invoice.due_on) == (
        "F-10",
        date(2026, 3, 15),
        date(2026, 4, 14),
    )
    assert invoice.patient.date_of_birth == date(1979, 11, 23)
    assert invoice.patient.locale == "it"
    assert [ln.description for ln in invoice.lines] == [
        "Igiene professionale",
        "Attività di controllo – più visite",
    ]
    assert [ln.patient_share_minor for ln in invoice.lines] == [100000, 8000]
    assert ledger.balance(invoice.id) == 108000
    iso = imports.validate(practice, load(ITALIAN, encoding), mapped(csv_file), date_format="iso")
    assert "is not a date in the chosen format" in str(iso.errors[0])


# the command line


def write(tmp_path, text, name="export.csv", encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return str(path)


def test_cli_imports_checks_and_refuses(app, tmp_path):
    practice = factories.practice(slug="studio-cli")
    db.session.commit()
    runner = app.test_cli_runner()
    italian = write(tmp_path, ITALIAN)

    dry = runner.invoke(
        args=[
            "invoice",
            "import",
            italian,
            "--practice",
            "studio-cli",
            "--date-format",
            "dmy",
            "--dry-run",
        ]
    )
    assert dry.exit_code == 0, dry.output
    assert (
        "would import 1 invoices (issued) with 2 lines from 2 rows; patients: 1 new, 0 existing"
        in dry.output
    )
    assert counts()["Invoice"] == 0

    wrong = runner.invoke(args=["invoice", "import", italian, "--practice", "studio-cli"])
    assert wrong.exit_code == 1
    assert (
        "Row 2: 23/11/1979 in Data di nascita is not a date in the chosen format." in wrong.stderr
    )
    assert "8 errors, nothing imported" in wrong.stderr
    assert counts()["Invoice"] == 0

    done = runner.invoke(
        args=[
            "invoice",
            "import",
            italian,
            "--practice",
            "studio-cli",
            "--date-format",
            "dmy",
            "--draft",
        ]
    )
    assert done.exit_code == 0, done.output
    assert "imported 1 invoices (drafts) with 2 lines" in done.stdout
    db.session.expire_all()
    invoice = db.session.scalars(db.select(Invoice).filter_by(practice_id=practice.id)).one()
    assert invoice.status == "draft"
    event = db.session.scalars(db.select(AuditEvent).filter_by(action="invoices.imported")).one()
    assert (event.actor_kind, event.actor_ref) == ("system", "cli:invoice import")

    again = runner.invoke(
        args=["invoice", "import", italian, "--practice", "studio-cli", "--date-format", "dmy"]
    )
    assert again.exit_code == 1
    assert "Row 2: invoice number F-10 is already used." in again.stderr


def test_cli_map_option(app, tmp_path):
    factories.practice(slug="studio-map")
    db.session.commit()
    runner = app.test_cli_runner()
    odd = write(tmp_path, GOOD.replace("Invoice number", "Doc ref").replace("Charged", "Gross"))
    args = ["invoice", "import", odd, "--practice", "studio-map"]

    missing = runner.invoke(args=args)
    assert missing.exit_code == 1
    assert "Choose the column for Invoice number." in missing.stderr
    assert "Choose the column for Charged." in missing.stderr

    done = runner.invoke(args=[*args, "--map", "number=Doc ref", "--map", "charged=Gross"])
    assert done.exit_code == 0, done.output
    assert (
        "imported 3 invoices (issued) with 4 lines from 4 rows; patients: 2 new, 0 existing"
        in done.stdout
    )

    bad = runner.invoke(args=[*args, "--map", "colour=Gross"])
    assert bad.exit_code == 2
    assert counts()["Invoice"] == 3
