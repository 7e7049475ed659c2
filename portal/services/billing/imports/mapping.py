"""Pairing Saldo's fields with a file's columns: the fields, the header names that mean them
(English and Italian), the date order a file uses, and what is wrong with a mapping."""

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from portal.services.billing.imports.reading import _NUMERIC, CsvFile
from portal.services.billing.imports.results import RowError

#: "iso" 2026-03-09, "dmy" 09/03/2026, "mdy" 03/09/2026; ISO dates are read in every format
DATE_FORMATS = ("iso", "dmy", "mdy")


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
