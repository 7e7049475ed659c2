"""Importing invoices from a CSV export of practice software.

One CSV row is one invoice line; the rows that share an invoice number form one invoice, and
their patient fields and invoice dates must agree. Patients are matched within the practice by
first name, last name and date of birth (case-insensitive), otherwise created.

- `reading`: `read_csv` turns the uploaded bytes into headers and rows; dates and amounts.
- `mapping`: Saldo's fields, `guess_mapping` pairs them with the file's headers,
  `guess_date_format`, `check_mapping`.
- `checking`: `validate`, the dry run (what would be created, and every row error).
- `committing`: `commit` writes everything or nothing (batched inserts in `writing`, balances in
  `balances`), with the dry run's plan when given; the
  caller commits the session.
- `background`: large files imported by a worker, with their progress kept in the database.
"""

from portal.services.billing.imports.checking import validate
from portal.services.billing.imports.committing import commit
from portal.services.billing.imports.mapping import (
    DATE_FORMATS,
    FIELDS,
    FIELDS_BY_KEY,
    GROUPS,
    check_mapping,
    guess_date_format,
    guess_mapping,
    normalize_header,
)
from portal.services.billing.imports.reading import (
    CsvError,
    CsvFile,
    parse_date,
    parse_money,
    read_csv,
)
from portal.services.billing.imports.results import (
    ImportResult,
    PlannedInvoice,
    PlannedPatient,
    RowError,
    patient_key,
)

__all__ = [
    "DATE_FORMATS",
    "FIELDS",
    "FIELDS_BY_KEY",
    "GROUPS",
    "CsvError",
    "CsvFile",
    "ImportResult",
    "PlannedInvoice",
    "PlannedPatient",
    "RowError",
    "check_mapping",
    "commit",
    "guess_date_format",
    "guess_mapping",
    "normalize_header",
    "parse_date",
    "parse_money",
    "patient_key",
    "read_csv",
    "validate",
]
