"""Italian stamp duty (imposta di bollo) on VAT-exempt invoices.

Art. 13 of Tariff part I of DPR 642/1972 and art. 6 of its Table: invoices for amounts not
subject to VAT above €77.47 bear a stamp duty of €2.00. When the practice recovers the duty
from the patient, the €2.00 is part of what the patient paid and is shown as its own line;
when recovering it would bring the exempt amount to €77.47 or less, the practice bears it."""

from dataclasses import dataclass

THRESHOLD_MINOR = 7747
STAMP_DUTY_MINOR = 200


@dataclass(frozen=True)
class Split:
    #: the VAT-exempt health services
    exempt_minor: int
    stamp_duty_minor: int
    #: the duty is part of the amount paid (recovered from the patient)
    charged: bool


def duty_on(exempt_minor: int) -> int:
    """€2.00 when the exempt amount is above €77.47, else nothing."""
    return STAMP_DUTY_MINOR if exempt_minor > THRESHOLD_MINOR else 0


def split(paid_minor: int, charged_to_patient: bool) -> Split:
    """How an amount paid divides into exempt services and stamp duty."""
    if charged_to_patient and duty_on(paid_minor - STAMP_DUTY_MINOR):
        return Split(paid_minor - STAMP_DUTY_MINOR, STAMP_DUTY_MINOR, True)
    return Split(paid_minor, duty_on(paid_minor), False)
