"""Checking every row of a mapped file (the dry run behind "Check"): typed values, the
practice's own rules for patients, invoices whose rows disagree, numbers already used.

The practice's patients and invoice numbers are read once per run and the rows are checked
in memory, so the database sees only the inserts."""

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from flask_babel import lazy_gettext as _l

from portal.extensions import db
from portal.models import Invoice, Patient, Practice
from portal.models.consent_record import ConsentSource
from portal.services.billing import patients
from portal.services.billing.imports.mapping import (
    DATE_FORMATS,
    FIELDS_BY_KEY,
    LANGUAGE_NAMES,
    check_mapping,
)
from portal.services.billing.imports.reading import CsvFile, parse_date, parse_money
from portal.services.billing.imports.results import (
    ImportResult,
    PlannedInvoice,
    PlannedPatient,
    RowError,
    patient_key,
)
from portal.services.billing.invoices import LineInput
from portal.services.billing.patients import InvalidPatient, PatientInput
from portal.validation import has_control_characters

#: rows between two calls of a validation's `progress` callback
PROGRESS_EVERY = 1000


def _amount_error(key: str, row: int, value: str):
    if key == "charged":
        return _l(
            "Row %(row)s: the charged amount %(value)s is not an amount.", row=row, value=value
        )
    if key == "insurance_paid":
        return _l(
            "Row %(row)s: the insurance amount %(value)s is not an amount.", row=row, value=value
        )
    return _l("Row %(row)s: the adjustment %(value)s is not an amount.", row=row, value=value)


class _Row:
    """One CSV row being read: typed values out, problems into `errors`."""

    def __init__(self, number: int, cells: list[str], plan: "_Plan"):
        self.number, self.cells, self.plan = number, cells, plan
        self.ok = True
        #: no cell holds a control character (most rows): no need to look at each one
        self.plain_cells = not has_control_characters("".join(cells))

    def fail(self, key: str | None, message) -> None:
        self.ok = False
        column = self.plan.mapping.get(key) if key else None
        self.plan.errors.append(RowError(self.number, column, message))

    def text(self, key: str) -> str:
        column, required, max_length, header, plain = self.plan.fields[key]
        cells = self.cells
        value = cells[column].strip() if column is not None and column < len(cells) else ""
        if not value:
            if required:
                message = _l("Row %(row)s: %(column)s is empty.", row=self.number, column=header)
                self.fail(key, message)
            return value
        if plain and not self.plain_cells and has_control_characters(value):
            message = _l(
                "Row %(row)s: %(column)s contains a line break, tab or control character.",
                row=self.number,
                column=header,
            )
            self.fail(key, message)
            return ""
        if max_length and len(value) > max_length:
            message = _l(
                "Row %(row)s: %(column)s is longer than %(max)s characters.",
                row=self.number,
                column=header,
                max=max_length,
            )
            self.fail(key, message)
            return ""
        return value

    def day(self, key: str) -> date | None:
        value = self.text(key)
        if not value:
            return None
        try:
            return self.plan.parsed(value, parse_date, self.plan.date_format)
        except ValueError:
            message = _l(
                "Row %(row)s: %(value)s in %(column)s is not a date in the chosen format.",
                row=self.number,
                value=value,
                column=self.plan.mapping[key],
            )
            self.fail(key, message)
            return None

    def money(self, key: str) -> int:
        value = self.text(key)
        try:
            return self.plan.parsed(value, parse_money, self.plan.currency) if value else 0
        except ValueError:
            self.fail(key, _amount_error(key, self.number, value))
            return 0

    def language(self) -> str | None:
        value = self.text("language")
        code = LANGUAGE_NAMES.get(re.split(r"[-_]", value.casefold())[0]) if value else None
        if value and code is None:
            message = _l(
                "Row %(row)s: the language %(value)s is not English (en) or Italian (it).",
                row=self.number,
                value=value,
            )
            self.fail("language", message)
        return code


@dataclass
class _First:
    """What the first row of an invoice said, for comparing the invoice's other rows."""

    row: int
    key: tuple | None
    contact: tuple
    dates: tuple


class _Plan:
    """The state of one validation run over a file."""

    def __init__(self, practice: Practice, csv_file: CsvFile, mapping: dict, date_format: str):
        self.practice, self.currency, self.date_format = practice, practice.currency, date_format
        self.mapping = mapping
        columns = {key: csv_file.headers.index(header) for key, header in mapping.items()}
        #: per field: its column (None: not mapped), required, maximum length, header, and
        #: whether control characters are refused (everywhere but in a description)
        self.fields = {
            spec.key: (
                columns.get(spec.key),
                spec.required,
                spec.max_length,
                mapping.get(spec.key),
                spec.key != "description",
            )
            for spec in FIELDS_BY_KEY.values()
        }
        #: (parser, text) -> value or the ValueError it raised: a file repeats its dates
        #: and many of its amounts
        self.cache: dict[tuple, object] = {}
        self.width = len(csv_file.headers)
        self.errors: list[RowError] = []
        self.invoices: dict[str, PlannedInvoice] = {}
        self.patients: dict[tuple, PlannedPatient] = {}
        self.firsts: dict[str, _First] = {}
        self.known_patients = existing_patients(practice.id)
        self.taken = _existing_numbers(practice.id)
        self.default_locale = (
            practice.default_locale if practice.default_locale in patients.LANGUAGES else "en"
        )

    def parsed(self, text: str, parser: Callable, argument: str):
        """`parser(text, argument)`, once per distinct text of a run."""
        key = (parser, text)
        value = self.cache.get(key)
        if value is None:
            try:
                value = parser(text, argument)
            except ValueError as exc:
                value = exc
            self.cache[key] = value
        if isinstance(value, ValueError):
            raise ValueError(*value.args)
        return value

    def read(self, number: int, cells: list[str]) -> None:
        row = _Row(number, cells, self)
        if any(cell.strip() for cell in cells[self.width :]):
            row.fail(None, _l("Row %(row)s has more columns than the header row.", row=number))
        first, last = row.text("first_name"), row.text("last_name")
        born = row.day("date_of_birth")
        contact = (row.text("email"), row.text("phone"), row.language())
        invoice_number = row.text("number")
        dates = (row.day("issued_on"), row.day("due_on"))
        line = self._line(row)
        if not invoice_number:
            return
        if invoice_number in self.taken:
            if invoice_number not in self.firsts:
                self.firsts[invoice_number] = _First(number, None, contact, dates)
                message = _l(
                    "Row %(row)s: invoice number %(number)s is already used.",
                    row=number,
                    number=invoice_number,
                )
                row.fail("number", message)
            return
        key = patient_key(first, last, born) if first and last and born else None
        earlier = self.firsts.get(invoice_number)
        if earlier is None:
            self.firsts[invoice_number] = _First(number, key, contact, dates)
            self._start_invoice(row, invoice_number, key, (first, last, born, contact), dates)
        else:
            self._compare(row, invoice_number, earlier, key, contact, dates)
        planned = self.invoices.get(invoice_number)
        if planned is not None and line is not None and row.ok:
            planned.lines.append(line)

    def _line(self, row: _Row) -> LineInput | None:
        served = row.day("service_date")
        code, description = row.text("procedure_code"), row.text("description")
        charged, insurance = row.money("charged"), row.money("insurance_paid")
        adjustment = row.money("adjustment")
        if charged - insurance - adjustment < 0:
            message = _l(
                "Row %(row)s: insurance and adjustment are more than the charged amount.",
                row=row.number,
            )
            row.fail(None, message)
        if not (served and description) or not row.ok:
            return None
        return LineInput(served, description, charged, insurance, adjustment, code or None)

    def _start_invoice(self, row: _Row, invoice_number: str, key, person: tuple, dates) -> None:
        issued, due = dates
        if issued and due and due < issued:
            message = _l("Row %(row)s: the due date is before the issue date.", row=row.number)
            row.fail("due_on", message)
        patient = self._patient(row, key, person) if key else None
        if patient is None or not (issued and due):
            return
        self.invoices[invoice_number] = PlannedInvoice(
            invoice_number, row.number, patient, issued, due
        )

    def _patient(self, row: _Row, key: tuple, person: tuple) -> PlannedPatient | None:
        if key in self.patients:
            return self.patients[key]
        first, last, born, (email, phone, language) = person
        data = PatientInput(
            first_name=first,
            last_name=last,
            date_of_birth=born,
            email=email or None,
            phone=phone or None,
            locale=language or self.default_locale,
            consent_source=ConsentSource.CSV,
        )
        existing, clean = self.known_patients.get(key), None
        if existing is None:
            try:
                # the patient form's own rules, so an import accepts what the form accepts
                clean = patients._clean(data, self.practice)
            except InvalidPatient as exc:
                message = _l("Row %(row)s: %(problem)s", row=row.number, problem=exc.args[0])
                row.fail(None, message)
                return None
        planned = PlannedPatient(key, row.number, data, existing, clean)
        self.patients[key] = planned
        return planned

    def _compare(self, row: _Row, invoice_number: str, earlier: _First, key, contact, dates):
        if key and earlier.key and key != earlier.key:
            message = _l(
                "Row %(row)s: invoice number %(number)s is already used for another patient "
                "in row %(first)s.",
                row=row.number,
                number=invoice_number,
                first=earlier.row,
            )
            row.fail("number", message)
        elif key and _comparable(contact) != _comparable(earlier.contact):
            message = _l(
                "Row %(row)s: the patient's details differ from row %(first)s of invoice "
                "%(number)s.",
                row=row.number,
                first=earlier.row,
                number=invoice_number,
            )
            row.fail(None, message)
        if all(dates) and all(earlier.dates) and dates != earlier.dates:
            message = _l(
                "Row %(row)s: the dates of invoice %(number)s differ from row %(first)s.",
                row=row.number,
                number=invoice_number,
                first=earlier.row,
            )
            row.fail(None, message)


def _comparable(contact: tuple) -> tuple:
    """Email without case, phone digits only, language: how two rows' contact details agree."""
    email, phone, language = contact
    return email.casefold(), "".join(ch for ch in phone if ch.isdigit()), language


def existing_patients(practice_id: int) -> dict[tuple, int]:
    """{patient key: id} of the practice's patients (the oldest of equal keys)."""
    query = (
        db.select(Patient.id, Patient.first_name, Patient.last_name, Patient.date_of_birth)
        .filter_by(practice_id=practice_id)
        .order_by(Patient.id)
    )
    known: dict[tuple, int] = {}
    for patient_id, first, last, born in db.session.execute(query):
        known.setdefault(patient_key(first, last, born), patient_id)
    return known


def _existing_numbers(practice_id: int) -> set[str]:
    return set(db.session.scalars(db.select(Invoice.number).filter_by(practice_id=practice_id)))


def validate(
    practice: Practice,
    csv_file: CsvFile,
    mapping: dict[str, str | None],
    *,
    date_format: str = "iso",
    progress: Callable[[int], None] | None = None,
) -> ImportResult:
    """The dry run: the invoices and patients the file would create, and every error in it.
    `progress`, if given, is called with the number of rows checked every `PROGRESS_EVERY`
    rows and at the end."""
    if date_format not in DATE_FORMATS:
        raise ValueError(f"date_format is one of {DATE_FORMATS}")
    mapping = {key: header for key, header in mapping.items() if header}
    result = ImportResult(len(csv_file.rows), practice.currency, [], [], [])
    result.errors = check_mapping(csv_file, mapping)
    if not result.errors and not csv_file.rows:
        result.errors.append(RowError(None, None, _l("The file has no rows below the headers.")))
    if result.errors:
        return result
    plan = _Plan(practice, csv_file, mapping, date_format)
    for done, (number, cells) in enumerate(csv_file.rows, start=1):
        plan.read(number, cells)
        if progress is not None and done % PROGRESS_EVERY == 0:
            progress(done)
    if progress is not None:
        progress(len(csv_file.rows))
    result.invoices = list(plan.invoices.values())
    result.patients = list(plan.patients.values())
    result.errors = sorted(plan.errors, key=lambda error: error.row or 0)
    return result
