"""Patients' codici fiscali: the check character of the Ministry of Finance (DM 23/12/1976,
with the omocodia substitutions), stored per patient, and the all-or-nothing CSV import."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portal.extensions import db
from portal.models import AuditEvent, PatientTaxId
from portal.services.core.audit import SYSTEM
from portal.services.fiscal import tax_ids
from portal.services.fiscal.profile import FiscalRefused, check_codice_fiscale
from tests import factories
from tests import fiscal_factories as ff

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
#: the values of characters in odd positions (1st, 3rd, ... 15th), from the decree's table
ODD = dict(
    zip(
        ALPHABET,
        [
            *(1, 0, 5, 7, 9, 13, 15, 17, 19, 21),  # 0-9
            *(1, 0, 5, 7, 9, 13, 15, 17, 19, 21),  # A-J
            *(2, 4, 18, 20, 11, 3, 6, 8, 12, 14, 16, 10, 22, 25, 24, 23),  # K-Z
        ],
        strict=True,
    )
)
MONTHS = "ABCDEHLMPRST"
#: omocodia: a digit replaced by a letter when two people would share a code
OMOCODES = "LMNPQRSTUV"
#: the places (0-based) holding digits that omocodia may replace
DIGIT_PLACES = (6, 7, 9, 10, 12, 13, 14)


def check_character(body: str) -> str:
    """The 16th character of a codice fiscale, computed as the decree describes."""
    total = 0
    for index, char in enumerate(body):
        if index % 2 == 0:  # odd position counting from 1
            total += ODD[char]
        else:
            total += int(char) if char.isdigit() else ord(char) - ord("A")
    return chr(ord("A") + total % 26)


@pytest.mark.parametrize(
    "codice",
    ["BNCGLI84C49H501F", "RSSMRA70A01H501S", "VRDLCU90A01F205L", "RSSMRA85T10A562S"],
)
def test_the_check_character_follows_the_decree(codice):
    assert check_character(codice[:15]) == codice[15]
    assert check_codice_fiscale(codice) == codice


def test_an_omocode_is_checked_over_its_letters():
    # RSSMRA85T10A562S with its last digit 2 replaced by N: in the 15th (odd) place 2 counts
    # 5 and N counts 20, so the check character moves 15 on from S (18): 33 mod 26 = 7, H
    body = "RSSMRA85T10A56N"
    assert check_character(body) == "H"
    assert check_codice_fiscale(body + "H") == "RSSMRA85T10A56NH"
    with pytest.raises(FiscalRefused):
        check_codice_fiscale(body + "S")


@st.composite
def bodies(draw) -> str:
    surname = draw(st.text("BCDFGHJKLMNPQRSTVWXYZAEIOU", min_size=6, max_size=6))
    year = draw(st.integers(0, 99))
    day = draw(st.integers(1, 28)) + draw(st.sampled_from([0, 40]))  # women: day + 40
    place = draw(st.sampled_from("ABCDEFGHILMZ")) + f"{draw(st.integers(0, 999)):03d}"
    body = list(f"{surname}{year:02d}{draw(st.sampled_from(MONTHS))}{day:02d}{place}")
    for index in draw(st.sets(st.sampled_from(DIGIT_PLACES))):
        body[index] = OMOCODES[int(body[index])]
    return "".join(body)


@given(body=bodies())
def test_exactly_one_check_character_is_accepted(body):
    right = check_character(body)
    assert check_codice_fiscale(body + right) == body + right
    assert check_codice_fiscale(f" {body.lower()}{right.lower()} ") == body + right
    for wrong in "ABCDEFGHIJKLMNOPQRSTUVWXYZ".replace(right, ""):
        with pytest.raises(FiscalRefused):
            check_codice_fiscale(body + wrong)


@pytest.mark.parametrize(
    "value",
    [
        "",
        "BNCGLI84C49H501",  # 15 characters
        "BNCGLI84C49H501FF",  # 17
        "BNCGLI84F49H501F",  # F is no month letter
        "BNCGLI84C32H501F",  # day 32: neither a man's nor a woman's day
    ],
)
def test_malformed_codes_are_refused(value):
    with pytest.raises(FiscalRefused):
        check_codice_fiscale(value)


# --- stored per patient -------------------------------------------------------------------


def audit_actions():
    return list(db.session.scalars(db.select(AuditEvent.action).order_by(AuditEvent.id)))


def test_setting_stores_the_normal_form_once_and_corrects_it(app):
    practice = factories.practice()
    patient = factories.patient(practice)
    assert tax_ids.codice_fiscale_of(patient) is None
    assert (
        tax_ids.set_codice_fiscale(patient, " bncgli84c49h501f", "staff", SYSTEM) == ff.PATIENT_CF
    )
    assert tax_ids.set_codice_fiscale(patient, ff.OTHER_PATIENT_CF, "patient", SYSTEM) == (
        ff.OTHER_PATIENT_CF
    )
    rows = db.session.scalars(db.select(PatientTaxId)).all()
    assert [(r.patient_id, r.codice_fiscale, r.source) for r in rows] == [
        (patient.id, ff.OTHER_PATIENT_CF, "patient")
    ]
    assert tax_ids.codice_fiscale_of(patient) == ff.OTHER_PATIENT_CF
    assert audit_actions() == ["patient.codice_fiscale_set"] * 2


def test_a_wrong_code_changes_nothing(app):
    patient = factories.patient(factories.practice())
    tax_ids.set_codice_fiscale(patient, ff.PATIENT_CF, "staff", SYSTEM)
    with pytest.raises(FiscalRefused):
        tax_ids.set_codice_fiscale(patient, "BNCGLI84C49H501A", "staff", SYSTEM)
    assert tax_ids.codice_fiscale_of(patient) == ff.PATIENT_CF
    assert audit_actions() == ["patient.codice_fiscale_set"]


def test_the_csv_sets_every_row(app):
    practice = factories.practice()
    giulia = factories.patient(practice)
    luca = factories.patient(practice, first_name="Luca", last_name="Verdi")
    data = (
        "\ufeffpatient_id,codice_fiscale\n"
        f"{giulia.id},{ff.PATIENT_CF.lower()}\n"
        f" {luca.id} , {ff.OTHER_PATIENT_CF} \n"
    ).encode()
    assert tax_ids.import_csv(practice, data, SYSTEM) == 2
    assert tax_ids.codice_fiscale_of(giulia) == ff.PATIENT_CF
    assert tax_ids.codice_fiscale_of(luca) == ff.OTHER_PATIENT_CF
    sources = db.session.scalars(db.select(PatientTaxId.source)).all()
    assert sources == ["csv", "csv"]


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ("{giulia},{cf}\n{luca},BNCGLI84C49H501A\n", "Row 3: This codice fiscale is not valid"),
        ("{giulia},{cf}\n{stranger},{cf}\n", "Row 3: no such patient."),
        ("{giulia},{cf}\nabc,{cf}\n", "Row 3: no such patient."),
        ("{giulia},{cf}\n99999,{cf}\n", "Row 3: no such patient."),
        ("{giulia},\n", "Row 2: This codice fiscale is not valid"),
    ],
)
def test_one_bad_row_sets_none(app, rows, message):
    practice, elsewhere = factories.practice(), factories.practice()
    giulia = factories.patient(practice)
    luca = factories.patient(practice, first_name="Luca")
    stranger = factories.patient(elsewhere)  # another practice's patient
    body = rows.format(giulia=giulia.id, luca=luca.id, stranger=stranger.id, cf=ff.PATIENT_CF)
    with pytest.raises(FiscalRefused) as refused:
        tax_ids.import_csv(practice, f"patient_id,codice_fiscale\n{body}".encode(), SYSTEM)
    assert str(refused.value).startswith(message)
    assert db.session.scalars(db.select(PatientTaxId)).all() == []


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"id,cf\n1,X\n", "The file needs the columns patient_id and codice_fiscale."),
        (
            b"patient_id,codice_fiscale\n",
            "The file needs the columns patient_id and codice_fiscale.",
        ),
        (b"", "The file needs the columns patient_id and codice_fiscale."),
        ("patient_id,codice_fiscale\n1,Ä\n".encode("latin-1"), "The file is not UTF-8 text."),
    ],
)
def test_files_of_the_wrong_shape_are_refused(app, data, message):
    with pytest.raises(FiscalRefused, match=message):
        tax_ids.import_csv(factories.practice(), data, SYSTEM)


def test_more_rows_than_the_limit_are_refused(app, monkeypatch):
    practice = factories.practice()
    patient = factories.patient(practice)
    monkeypatch.setattr(tax_ids, "MAX_ROWS", 2)
    rows = "".join(f"{patient.id},{ff.PATIENT_CF}\n" for _ in range(3))
    with pytest.raises(FiscalRefused, match=r"The file has more than 2 rows\."):
        tax_ids.import_csv(practice, f"patient_id,codice_fiscale\n{rows}".encode(), SYSTEM)
    assert db.session.scalars(db.select(PatientTaxId)).all() == []
