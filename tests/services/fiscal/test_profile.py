"""A practice's fiscal profile: Saldo issues Italian health invoices only with the
practice's partita IVA, codice fiscale and address; otherwise the practice's own software
does, and Saldo's receipts say they are payment confirmations."""

from datetime import datetime

import pytest

from portal.extensions import db
from portal.models import FiscalProfile
from portal.models.fiscal import Issuer
from portal.services.fiscal import profile
from portal.services.fiscal.profile import FiscalRefused, ProfileInput
from tests import factories
from tests import fiscal_factories as ff

ITALIAN = dict(
    partita_iva="IT 07654320584",
    codice_fiscale=" rssmra70a01h501s ",
    fiscal_address=" Via Appia Nuova 12 ",
)


def test_without_a_profile_the_practice_s_software_issues(app):
    italian = factories.practice()
    american = factories.practice(**factories.USA)
    default = profile.profile_of(italian)
    assert (default.issuer, default.id) == (Issuer.PRACTICE, None)
    assert profile.saldo_issues(italian) is False
    # an Italian receipt is no fiscal document; a US practice without a profile is silent
    assert profile.receipts_are_confirmations(italian) is True
    assert profile.receipts_are_confirmations(american) is False


def test_saldo_issues_once_the_identifiers_are_saved_in_their_normal_form(app):
    practice = factories.practice()
    saved = profile.save(
        practice, ProfileInput(issuer="saldo", legal_name=" Dott. Rossi ", **ITALIAN)
    )
    db.session.commit()
    assert (saved.partita_iva, saved.codice_fiscale, saved.fiscal_address, saved.legal_name) == (
        ff.PARTITA_IVA,
        ff.PRACTICE_CF,
        "Via Appia Nuova 12",
        "Dott. Rossi",
    )
    assert saved.issuing_since is not None
    assert profile.saldo_issues(practice) is True
    assert profile.receipts_are_confirmations(practice) is False


@pytest.mark.parametrize("missing", ["partita_iva", "codice_fiscale", "fiscal_address"])
def test_saldo_does_not_issue_italian_invoices_without_every_identifier(app, missing):
    practice = factories.practice()
    with pytest.raises(FiscalRefused) as refused:
        profile.save(practice, ProfileInput(issuer="saldo", **{**ITALIAN, missing: " "}))
    assert str(refused.value) == (
        "To let Saldo issue invoices, enter the partita IVA, codice fiscale and address."
    )
    assert db.session.scalars(db.select(FiscalProfile)).all() == []


def test_a_wrong_identifier_or_issuer_is_refused(app):
    practice = factories.practice()
    with pytest.raises(FiscalRefused) as refused:
        profile.save(practice, ProfileInput(issuer="saldo", **{**ITALIAN, "partita_iva": "1"}))
    assert str(refused.value) == "This partita IVA is not valid: check the 11 digits."
    with pytest.raises(FiscalRefused) as refused:
        profile.save(practice, ProfileInput(issuer="accountant"))
    assert str(refused.value) == "Choose who issues the fiscal documents."


def test_issuing_since_stays_from_the_first_switch_to_saldo(app):
    practice = ff.italian_practice(since=datetime(2021, 5, 1))
    again = profile.save(practice, ProfileInput(issuer="saldo", regime=" RF19 ", **ITALIAN))
    assert (again.issuing_since, again.regime) == (datetime(2021, 5, 1), "RF19")
    back = profile.save(practice, ProfileInput(issuer="practice"))
    assert (back.issuer, back.partita_iva, back.issuing_since) == (
        Issuer.PRACTICE,
        None,
        datetime(2021, 5, 1),
    )
    assert profile.saldo_issues(practice) is False


def test_a_us_profile_keeps_its_ein_and_npi(app):
    practice = ff.us_practice()
    saved = profile.profile_of(practice)
    assert (saved.issuer, saved.ein, saved.npi) == (Issuer.SALDO, ff.EIN, ff.NPI)
    assert profile.saldo_issues(practice) is False  # Italian health invoices only
    assert profile.receipts_are_confirmations(practice) is False
