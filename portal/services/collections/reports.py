"""Collection reports as of a day D, computed in SQL from the append-only ledger.

Conventions (the staff page, the CSV and `flask report aging` all use these):

* Days are the practice's calendar days. "As of D" means up to the end of D in the practice's
  time zone: ledger entries with `created_at` (naive UTC) before local midnight at the start of
  D + 1, of invoices with `issued_on` <= D.
* The balance of an invoice as of D is the sum of those entries. Only positive balances are
  receivables. An invoice counts as of D when it was issued on or before D and not voided by
  the end of D (a voided one nets to zero through its void adjustment anyway; a draft has no
  entries), so an invoice voided by D adds nothing to the period's charges either.
* Age = D - due_on in days. Buckets: "current" = not yet past due (age <= 0, due on D or
  later), then 1-30, 31-60, 61-90, 91-120 and "120+" (age >= 121) days past due.
* A period is `days` calendar days ending on D (default 90): first day = D - days + 1.
* Receivables at a day = the aging total as of that day. Beginning receivables of a period are
  those as of the day before its first day; ending receivables those as of D.
* Charges of a period = `charge` entries created in it, of the invoices that count as of D;
  payments = `payment` entries; refunds = `refund` entries (each as a positive amount).
* DSO = receivables at D / charges of the period x days of the period.
* Collection rate = (payments - refunds) / charges of the period x 100.
* CEI = (beginning receivables + charges - ending receivables)
      / (beginning receivables + charges - ending current receivables) x 100,
  where ending current receivables = the "current" bucket as of D (not past due).
  The numerator is what the period removed from receivables: payments net of refunds plus
  credits (discounts, adjustments, settlements, write-offs).
* Ratios are Decimals rounded half up to one decimal; None when the denominator is not positive.
* Reminder before a payment: for each `payment` entry of the period, the latest ReminderLog of
  the same invoice (by sent_on, then position, then id) sent on or before the payment's day
  (its practice-local day), leaving out steps that did not go out (status "skipped" or
  "failed"); none = "no reminder". Amounts are the payments' gross amounts.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from portal.clock import start_of, zone
from portal.extensions import db
from portal.models import Practice

BUCKETS = ("current", "1-30", "31-60", "61-90", "91-120", "120+")
#: days past due at which each bucket after "current" starts (age = D - due_on)
FLOORS = (1, 31, 61, 91, 121)
DEFAULT_DAYS = 90
MAX_DAYS = 366
#: reminder log statuses that mean nothing reached the patient
NOT_SENT = ("skipped", "failed")
ONE_DECIMAL = Decimal("0.1")


@dataclass(frozen=True)
class Bucket:
    key: str
    amount_minor: int
    invoices: int


@dataclass(frozen=True)
class PatientAging:
    patient_id: int
    first_name: str
    last_name: str
    #: amounts and invoice counts in the order of BUCKETS
    amounts_minor: tuple[int, ...]
    counts: tuple[int, ...]
    total_minor: int
    invoices: int

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"


@dataclass(frozen=True)
class Aging:
    practice_id: int
    currency: str
    as_of: date
    buckets: tuple[Bucket, ...]
    #: largest total first; all of them unless a limit was asked for
    patients: tuple[PatientAging, ...] = ()
    #: how many patients have an open balance (also when `patients` is limited)
    patient_count: int = 0

    @property
    def total_minor(self) -> int:
        return sum(b.amount_minor for b in self.buckets)

    @property
    def invoices(self) -> int:
        return sum(b.invoices for b in self.buckets)

    @property
    def current_minor(self) -> int:
        return self.buckets[0].amount_minor

    @property
    def past_due_minor(self) -> int:
        return self.total_minor - self.current_minor


@dataclass(frozen=True)
class Period:
    first_day: date
    last_day: date

    @property
    def days(self) -> int:
        return (self.last_day - self.first_day).days + 1


@dataclass(frozen=True)
class PeriodFigures:
    period: Period
    currency: str
    receivables_begin_minor: int
    receivables_end_minor: int
    current_end_minor: int
    charges_minor: int
    payments_minor: int
    refunds_minor: int
    dso_days: Decimal | None
    collection_rate: Decimal | None
    cei: Decimal | None

    @property
    def net_payments_minor(self) -> int:
        return self.payments_minor - self.refunds_minor


@dataclass(frozen=True)
class StepRow:
    """Payments of a period by the reminder step that preceded them; position None = none."""

    position: int | None
    channel: str | None
    payments: int
    amount_minor: int


@dataclass(frozen=True)
class Report:
    aging: Aging
    figures: PeriodFigures
    steps: tuple[StepRow, ...]


def period_ending(as_of: date, days: int = DEFAULT_DAYS) -> Period:
    if not 1 <= days <= MAX_DAYS:
        raise ValueError(f"a period is 1 to {MAX_DAYS} days")
    return Period(as_of - timedelta(days=days - 1), as_of)


def day_starts(timezone: str, day: date) -> datetime:
    """Naive UTC instant at which `day` starts in `timezone` (local midnight)."""
    return start_of(day, zone(timezone))


def practices_for(slug: str | None) -> list[Practice]:
    query = db.select(Practice).order_by(Practice.slug)
    if slug:
        query = query.where(Practice.slug == slug)
    return list(db.session.scalars(query))
