"""What an import plans or did: the invoices and patients it creates, and the row errors."""

from dataclasses import dataclass, field
from datetime import date

from portal.services.billing.invoices import LineInput
from portal.services.billing.patients import PatientInput


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
    """A patient the import uses: an existing one (`existing_id`), or `data` to create one
    (`clean`: its columns as the patient form's rules gave them when the rows were checked)."""

    key: tuple[str, str, date]
    row: int
    data: PatientInput
    existing_id: int | None = None
    clean: dict | None = None


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
