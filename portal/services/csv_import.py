"""Importing invoices from a CSV export of practice software.

One CSV row is one invoice line; the rows that share an invoice number form one invoice, and
their patient fields and invoice dates must agree. Patients are matched within the practice by
first name, last name and date of birth (case-insensitive), otherwise created.

`read_csv` turns the uploaded bytes into headers and rows, `guess_mapping` pairs Saldo's fields
with the file's headers, `validate` is the dry run (what would be created, and every row error)
and `commit` writes everything or nothing; the caller commits the session.

Speed: the practice's patients and invoice numbers are read once per run and the rows are
checked in memory, so the database sees only the inserts.
"""

import csv
import io
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from portal.extensions import db
from portal.models import Invoice, Patient, Practice
from portal.money import parse_amount
from portal.services.billing import patients
from portal.services.billing.invoices import InvalidInvoice, LineInput
from portal.services.billing.patients import InvalidPatient, PatientInput
from portal.services.core import audit, csv_writer
from portal.services.core.audit import Actor
from portal.validation import has_control_characters

#: "iso" 2026-03-09, "dmy" 09/03/2026, "mdy" 03/09/2026; ISO dates are read in every format
DATE_FORMATS = ("iso", "dmy", "mdy")
DELIMITERS = (",", ";", "\t")
PREVIEW_ROWS = 10


@dataclass(frozen=True)
class Field:
    """A Saldo field that a CSV column can fill; `names` are header names that mean it,
    compared after `normalize_header`, best first."""

    key: str
    label: object
    group: str
    required: bool = True
    max_length: int | None = None
    names: tuple[str, ...] = ()


# fmt: off
FIELDS = (
    Field("first_name", _l("First name"), "patient", True, 100,
          ("first name", "firstname", "given name", "nome", "nome paziente", "name")),
    Field("last_name", _l("Last name"), "patient", True, 100,
          ("last name", "lastname", "surname", "family name", "cognome", "cognome paziente")),
    Field("date_of_birth", _l("Date of birth"), "patient", True, None,
          ("date of birth", "dob", "birth date", "birthdate", "data di nascita", "data nascita",
           "nato il", "nata il")),
    Field("email", _l("Email"), "patient", False, 254,
          ("email", "e mail", "email address", "mail", "indirizzo email", "posta elettronica")),
    Field("phone", _l("Mobile number"), "patient", False, 32,
          ("mobile", "mobile number", "mobile phone", "cell", "cell phone", "phone",
           "phone number", "telephone", "cellulare", "telefono", "numero di telefono")),
    Field("language", _l("Language"), "patient", False, None,
          ("language", "lang", "locale", "preferred language", "lingua")),
    Field("number", _l("Invoice number"), "invoice", True, 40,
          ("invoice number", "invoice no", "invoice", "invoice id", "numero fattura",
           "n fattura", "nr fattura", "num fattura", "fattura", "numero documento", "number",
           "numero")),
    Field("issued_on", _l("Issue date"), "invoice", True, None,
          ("issue date", "issued on", "invoice date", "date issued", "issued", "data fattura",
           "data emissione", "data di emissione", "data documento")),
    Field("due_on", _l("Due date"), "invoice", True, None,
          ("due date", "due on", "payment due", "due", "data scadenza", "data di scadenza",
           "scadenza")),
    Field("service_date", _l("Service date"), "line", True, None,
          ("service date", "date of service", "dos", "treatment date", "data prestazione",
           "data della prestazione", "data servizio", "date", "data")),
    Field("procedure_code", _l("Code"), "line", False, 20,
          ("procedure code", "code", "cdt", "cpt", "cdt code", "cpt code", "codice prestazione",
           "codice")),
    Field("description", _l("Description"), "line", True, 300,
          ("description", "procedure", "service", "treatment", "descrizione", "prestazione",
           "trattamento")),
    Field("charged", _l("Charged"), "line", True, None,
          ("charged", "charge", "amount", "fee", "amount charged", "importo", "addebito",
           "importo addebitato", "tariffa", "prezzo")),
    Field("insurance_paid", _l("Insurance paid"), "line", False, None,
          ("insurance paid", "insurance", "ins paid", "paid by insurance",
           "pagato assicurazione", "quota assicurazione", "rimborso assicurazione",
           "assicurazione")),
    Field("adjustment", _l("Adjustment"), "line", False, None,
          ("adjustment", "adj", "discount", "write off", "rettifica", "sconto", "abbuono")),
)
# fmt: on
FIELDS_BY_KEY = {f.key: f for f in FIELDS}
GROUPS = (("patient", _l("Patient")), ("invoice", _l("Invoice")), ("line", _l("Invoice line")))
#: what a language column may say (before any "-" or "_") -> Saldo's language code
LANGUAGE_NAMES = {
    **dict.fromkeys(("en", "eng", "english", "inglese"), "en"),
    **dict.fromkeys(("it", "ita", "italian", "italiano"), "it"),
}


class CsvError(ValueError):
    """The file cannot be read as CSV; the message is translated."""


@dataclass(frozen=True)
class CsvFile:
    """A decoded CSV file: headers, and data rows numbered as in the file (header = row 1)."""

    headers: tuple[str, ...]
    rows: list[tuple[int, list[str]]]
    delimiter: str
    encoding: str

    def preview(self, count: int = PREVIEW_ROWS) -> list[tuple[int, list[str]]]:
        """The first `count` rows, each padded or cut to the number of headers."""
        width = len(self.headers)
        return [(n, (cells + [""] * width)[:width]) for n, cells in self.rows[:count]]


def _decode(data: bytes) -> tuple[str, str]:
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace"), "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):  # Excel's "Unicode text"
        return data.decode("utf-16", errors="replace"), "utf-16"
    if b"\x00" in data[:4096]:  # a spreadsheet or other binary file, not text
        raise CsvError(_l("This file cannot be read as CSV."))
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace"), "cp1252"


def _sniff(text: str) -> str:
    """The delimiter that splits the header line into most columns (ties: comma, ;, TAB)."""
    first = next((line for line in text.splitlines() if line.strip()), "")
    widths = {d: len(next(csv.reader([first], delimiter=d), [])) for d in DELIMITERS}
    return max(DELIMITERS, key=lambda d: (widths[d], -DELIMITERS.index(d)))


def read_csv(data: bytes) -> CsvFile:
    """Decode (UTF-8 with or without BOM, else cp1252), sniff the delimiter, split the rows.
    Blank rows are left out but counted, so row numbers match what a spreadsheet shows."""
    text, encoding = _decode(data)
    if not text.strip():
        raise CsvError(_l("The file is empty."))
    delimiter = _sniff(text)
    try:
        records = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as exc:
        raise CsvError(_l("This file cannot be read as CSV.")) from exc
    numbered = [(n, cells) for n, cells in enumerate(records, 1) if any(c.strip() for c in cells)]
    if not numbered:
        raise CsvError(_l("The file is empty."))
    (_, raw_headers), rows = numbered[0], numbered[1:]
    headers: list[str] = []
    for position, raw in enumerate(raw_headers, start=1):
        name = " ".join(raw.split()) or f"#{position}"
        headers.append(f"{name} (#{position})" if name in headers else name)
    if len(headers) < 2:
        raise CsvError(
            _l("The file has only one column: separate columns with commas, semicolons or tabs.")
        )
    return CsvFile(tuple(headers), rows, delimiter, encoding)


def normalize_header(name: str) -> str:
    """Lower case, no accents, punctuation as spaces: "N° Fattura" -> "n fattura"."""
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    return " ".join(re.sub(r"[^a-z0-9]+", " ", plain).split())


def guess_mapping(headers: Iterable[str]) -> dict[str, str]:
    """Saldo field -> the header that names it (English or Italian), each header used once.
    A field's better names win over other fields' weaker ones ("Nome" before "name")."""
    normalized = {header: normalize_header(header) for header in headers}
    mapping: dict[str, str] = {}
    candidates = sorted(
        (rank, order, f.key, name)
        for order, f in enumerate(FIELDS)
        for rank, name in enumerate((normalize_header(f.key), *f.names))
    )
    for _rank, _order, key, name in candidates:
        if key in mapping:
            continue
        for header, norm in normalized.items():
            if norm == name and header not in mapping.values():
                mapping[key] = header
                break
    return mapping


_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?")
_NUMERIC = re.compile(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})(?: \d{1,2}:\d{2}(?::\d{2})?)?")


def parse_date(text: str, date_format: str) -> date:
    """An ISO date, or day-first ("dmy") / month-first ("mdy") with / . or - between; a time
    after the date is ignored. Raises ValueError otherwise."""
    text = text.strip()
    if match := _ISO.fullmatch(text):
        year, month, day = (int(part) for part in match.groups())
        return date(year, month, day)
    match = _NUMERIC.fullmatch(text)
    if match is None or date_format not in ("dmy", "mdy"):
        raise ValueError("not a date")
    first, second, year = (int(part) for part in match.groups())
    day, month = (first, second) if date_format == "dmy" else (second, first)
    return date(year, month, day)


def guess_date_format(csv_file: CsvFile, mapping: dict[str, str], default: str = "dmy") -> str:
    """ "iso" when the mapped date columns hold no d/m/y dates; else "dmy" or "mdy" when a
    number above 12 gives the order away; else `default`."""
    columns = [
        csv_file.headers.index(header)
        for key in ("date_of_birth", "issued_on", "due_on", "service_date")
        if (header := mapping.get(key)) in csv_file.headers
    ]
    numeric = False
    for _number, cells in csv_file.rows[:1000]:
        for column in columns:
            match = _NUMERIC.fullmatch(cells[column].strip()) if column < len(cells) else None
            if match:
                numeric = True
                first, second = int(match.group(1)), int(match.group(2))
                if first > 12 >= second:
                    return "dmy"
                if second > 12 >= first:
                    return "mdy"
    return default if numeric else "iso"


def parse_money(text: str, currency: str) -> int:
    """`parse_amount`, after dropping thousands separators when both . and , appear
    ("1.234,50" and "1,234.50" are 123450 in EUR)."""
    text = text.strip()
    if "," in text and "." in text:
        decimal = "," if text.rfind(",") > text.rfind(".") else "."
        grouping = "." if decimal == "," else ","
        whole, _, fraction = text.rpartition(decimal)
        if not re.fullmatch(rf"\D*\d{{1,3}}(?:\{grouping}\d{{3}})+", whole):
            raise ValueError("not an amount")
        text = f"{whole.replace(grouping, '')}.{fraction}"
    return parse_amount(text, currency)


@dataclass(frozen=True)
class RowError:
    """A problem in the file: `row` counts the header as row 1 (None: the file or the mapping),
    `column` is the CSV header if one column is at fault, `message` is lazily translated."""

    row: int | None
    column: str | None
    message: object

    def __str__(self) -> str:
        return str(self.message)


@dataclass
class PlannedPatient:
    """A patient the import uses: an existing one (`existing_id`), or `data` to create one."""

    key: tuple[str, str, date]
    row: int
    data: PatientInput
    existing_id: int | None = None


@dataclass
class PlannedInvoice:
    """An invoice to create from the rows that share its number; `row` is its first row."""

    number: str
    row: int
    patient: PlannedPatient
    issued_on: date
    due_on: date
    lines: list[LineInput] = field(default_factory=list)

    @property
    def patient_share_minor(self) -> int:
        return sum(line.patient_share_minor for line in self.lines)


@dataclass
class ImportResult:
    """What an import created, or after a dry run would create, and the errors that stop it."""

    rows: int
    currency: str
    invoices: list[PlannedInvoice]
    patients: list[PlannedPatient]
    errors: list[RowError]
    imported: bool = False
    draft: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def lines(self) -> int:
        return sum(len(invoice.lines) for invoice in self.invoices)

    @property
    def new_patients(self) -> int:
        return sum(1 for p in self.patients if p.existing_id is None)

    @property
    def matched_patients(self) -> int:
        return len(self.patients) - self.new_patients

    @property
    def patient_share_minor(self) -> int:
        return sum(invoice.patient_share_minor for invoice in self.invoices)


def patient_key(first_name: str, last_name: str, born: date) -> tuple[str, str, date]:
    """How an imported patient is matched: names without case or extra spaces, and birth date."""
    return (" ".join(first_name.split()).casefold(), " ".join(last_name.split()).casefold(), born)


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

    def fail(self, key: str | None, message) -> None:
        self.ok = False
        column = self.plan.mapping.get(key) if key else None
        self.plan.errors.append(RowError(self.number, column, message))

    def text(self, key: str) -> str:
        column = self.plan.columns.get(key)
        value = (
            self.cells[column].strip() if column is not None and column < len(self.cells) else ""
        )
        spec, header = FIELDS_BY_KEY[key], self.plan.mapping.get(key)
        if key != "description" and has_control_characters(value):
            message = _l(
                "Row %(row)s: %(column)s contains a line break, tab or control character.",
                row=self.number,
                column=header,
            )
            self.fail(key, message)
            return ""
        if not value and spec.required:
            self.fail(key, _l("Row %(row)s: %(column)s is empty.", row=self.number, column=header))
        elif spec.max_length and len(value) > spec.max_length:
            message = _l(
                "Row %(row)s: %(column)s is longer than %(max)s characters.",
                row=self.number,
                column=header,
                max=spec.max_length,
            )
            self.fail(key, message)
            return ""
        return value

    def day(self, key: str) -> date | None:
        value = self.text(key)
        if not value:
            return None
        try:
            return parse_date(value, self.plan.date_format)
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
            return parse_money(value, self.plan.currency) if value else 0
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
        self.columns = {key: csv_file.headers.index(header) for key, header in mapping.items()}
        self.width = len(csv_file.headers)
        self.errors: list[RowError] = []
        self.invoices: dict[str, PlannedInvoice] = {}
        self.patients: dict[tuple, PlannedPatient] = {}
        self.firsts: dict[str, _First] = {}
        self.known_patients = _existing_patients(practice.id)
        self.taken = _existing_numbers(practice.id)
        self.default_locale = (
            practice.default_locale if practice.default_locale in patients.LANGUAGES else "en"
        )

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
            consent_source="csv",
        )
        existing = self.known_patients.get(key)
        if existing is None:
            try:
                # the patient form's own rules, so an import accepts what the form accepts
                patients._clean(data)
            except InvalidPatient as exc:
                message = _l("Row %(row)s: %(problem)s", row=row.number, problem=exc.args[0])
                row.fail(None, message)
                return None
        planned = PlannedPatient(key, row.number, data, existing)
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


def _existing_patients(practice_id: int) -> dict[tuple, int]:
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


def check_mapping(csv_file: CsvFile, mapping: dict[str, str | None]) -> list[RowError]:
    """Errors in the mapping itself: unknown fields or headers, required fields left out."""
    errors = []
    for key, header in mapping.items():
        if key not in FIELDS_BY_KEY:
            errors.append(RowError(None, None, _l("%(field)s is not a Saldo field.", field=key)))
        elif header and header not in csv_file.headers:
            message = _l("The file has no column %(column)s.", column=header)
            errors.append(RowError(None, header, message))
    for spec in FIELDS:
        if spec.required and not mapping.get(spec.key):
            message = _l("Choose the column for %(field)s.", field=spec.label)
            errors.append(RowError(None, None, message))
    return errors


def validate(
    practice: Practice,
    csv_file: CsvFile,
    mapping: dict[str, str | None],
    *,
    date_format: str = "iso",
) -> ImportResult:
    """The dry run: the invoices and patients the file would create, and every error in it."""
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
    for number, cells in csv_file.rows:
        plan.read(number, cells)
    result.invoices = list(plan.invoices.values())
    result.patients = list(plan.patients.values())
    result.errors = sorted(plan.errors, key=lambda error: error.row or 0)
    return result


def commit(
    practice: Practice,
    csv_file: CsvFile,
    mapping: dict[str, str | None],
    *,
    actor: Actor,
    date_format: str = "iso",
    draft: bool = False,
) -> ImportResult:
    """Validate, then create every patient and invoice, or nothing if there is any error.
    Invoices are issued unless `draft`. Writes go to the session; the caller commits."""
    result = validate(practice, csv_file, mapping, date_format=date_format)
    result.draft = draft
    if not result.ok:
        return result
    row = None
    try:
        people = {p.key: p.existing_id for p in result.patients if p.existing_id}
        fresh = [p for p in result.patients if not p.existing_id]
        for planned in fresh:
            row = planned.row
            patients._clean(planned.data)  # the row of a bad patient names the error
        row = None
        for planned in csv_writer.numbers_taken(practice, result.invoices):
            row = planned.row  # taken since validation, e.g. by another user
            raise InvalidInvoice(
                _l("Invoice number %(number)s is already used.", number=planned.number)
            )
        people.update(csv_writer.create_patients(practice, fresh, actor))
        csv_writer.create_invoices(practice, result.invoices, people, actor, draft)
        audit.record(
            "invoices.imported",
            practice_id=practice.id,
            actor=actor,
            count=len(result.invoices),
            lines=result.lines,
            patients_created=result.new_patients,
            patients_matched=result.matched_patients,
            draft=draft,
        )
        db.session.flush()
    except (InvalidInvoice, InvalidPatient) as exc:
        # something changed since validation, e.g. another user took an invoice number
        db.session.rollback()
        message = _l("Row %(row)s: %(problem)s", row=row, problem=exc.args[0])
        result.errors.append(RowError(row, None, message))
        return result
    except IntegrityError:
        # the same, caught by the database: an import running at the same moment
        db.session.rollback()
        message = _l(
            "Someone else created some of these invoices at the same moment. Nothing has been "
            "imported; check the file again."
        )
        result.errors.append(RowError(None, None, message))
        return result
    except Exception:
        db.session.rollback()
        raise
    result.imported = True
    return result
