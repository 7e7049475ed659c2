"""The Italian rules: stamp duty above €77.47, checksums of codice fiscale and partita IVA,
and the US identifiers."""

import pytest

from portal.services.fiscal import profile, stamp
from portal.services.fiscal.profile import FiscalRefused
from tests import fiscal_factories as ff


@pytest.mark.parametrize(
    ("paid", "charged_to_patient", "expected"),
    [
        (7747, False, stamp.Split(7747, 0, False)),
        (7748, False, stamp.Split(7748, 200, False)),
        (7747, True, stamp.Split(7747, 0, False)),
        # recovering €2 would leave €75.48 of services: no duty is due on those, so the
        # practice bears the duty on the €77.48 it invoices
        (7748, True, stamp.Split(7748, 200, False)),
        (7947, True, stamp.Split(7947, 200, False)),
        (7948, True, stamp.Split(7748, 200, True)),
        (15450, True, stamp.Split(15250, 200, True)),
    ],
)
def test_stamp_duty_threshold(paid, charged_to_patient, expected):
    assert stamp.split(paid, charged_to_patient) == expected


def test_duty_on_exact_threshold():
    assert stamp.duty_on(7747) == 0
    assert stamp.duty_on(7748) == 200


@pytest.mark.parametrize(
    "value",
    [
        "BNCGLI84C49H501A",  # wrong check character
        "BNCGLI84C49H501",  # too short
        "BNCGLI84Z49H501F",  # no such month letter
        "07654320585",  # an 11-digit code with a wrong check digit
    ],
)
def test_codice_fiscale_checksum_rejects(value):
    with pytest.raises(FiscalRefused):
        profile.check_codice_fiscale(value)


def test_codice_fiscale_accepts_and_normalises():
    assert profile.check_codice_fiscale(" bncgli84c49h501f ") == ff.PATIENT_CF
    assert profile.check_codice_fiscale(ff.PARTITA_IVA) == ff.PARTITA_IVA


@pytest.mark.parametrize("value", ["07654320585", "0765432058", "12345678903", "ABCDEFGHIJK"])
def test_partita_iva_checksum_rejects(value):
    with pytest.raises(FiscalRefused):
        profile.check_partita_iva(value)


def test_partita_iva_accepts():
    assert profile.check_partita_iva("IT 07654320584") == ff.PARTITA_IVA


def test_us_identifiers():
    assert profile.check_ein("123456789") == "12-3456789"
    assert profile.check_npi("1234567893") == "1234567893"
    with pytest.raises(FiscalRefused):
        profile.check_ein("00-3456789")  # 00 is no IRS campus prefix
    with pytest.raises(FiscalRefused):
        profile.check_npi("1234567890")  # wrong check digit
    with pytest.raises(FiscalRefused):
        profile.check_npi("123456789")
