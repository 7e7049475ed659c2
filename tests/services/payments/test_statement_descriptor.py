"""Statement descriptors that Stripe accepts, and clear refusals in the staff's language."""

import pytest
from flask_babel import force_locale

from portal.services.core.audit import SYSTEM
from portal.services.payments import stripe_accounts
from portal.services.payments.stripe_accounts import AccountRefused
from tests import factories


@pytest.mark.parametrize(
    "prefix, suffix",
    [
        ("ROSSI", "IGIENE 2026"),
        ("AB", "S" * 18),
        (None, "Studio Den"),
        ("SALDO", "Dr Mario Neri 5"),
    ],
)
def test_descriptors_within_the_rules_pass(app, prefix, suffix):
    stripe_accounts.check_descriptor(prefix, suffix)


def test_refusals_are_translated(app):
    practice = factories.practice()
    practice.stripe_secret_key_encrypted = "token"  # its own account: the prefix is its own
    cases = [
        (
            "ROSSI",
            "DENTI*SUBITO",
            "statement_descriptor_suffix",
            "Leave out the characters < > \\ ' \" and *.",
            "Ometta i caratteri < > \\ ' \" e *.",
        ),
        (
            "ROSSI",
            "2026 12",
            "statement_descriptor_suffix",
            "Use at least one letter.",
            "Usi almeno una lettera.",
        ),
        (
            "STUDIOROSS",
            "IGIENE ORALE",
            "statement_descriptor_suffix",
            "With the prefix, the suffix may have at most 10 characters.",
            "Con il prefisso, il suffisso può avere al massimo 10 caratteri.",
        ),
        (
            "ROSSI",
            "CITTÀ",
            "statement_descriptor_suffix",
            "Use letters without accents, digits and spaces only.",
            "Usi solo lettere senza accenti, cifre e spazi.",
        ),
        (
            "R",
            "IGIENE",
            "statement_descriptor_prefix",
            "The prefix has 2 to 10 characters.",
            "Il prefisso ha da 2 a 10 caratteri.",
        ),
    ]
    for prefix, suffix, field, english, italian in cases:
        for locale, expected in (("en", english), ("it", italian)):
            with force_locale(locale), pytest.raises(AccountRefused) as refused:
                stripe_accounts.set_descriptor(practice, prefix, suffix, SYSTEM)
            assert (refused.value.field, str(refused.value)) == (field, expected)
    assert practice.statement_descriptor_suffix is None


def test_without_a_known_prefix_the_suffix_leaves_room_for_ten_characters(app):
    practice = factories.practice(name="Poliambulatorio San Giovanni")
    assert stripe_accounts.descriptor_suffix(practice) == "Poliambula"
    app.config["STRIPE_STATEMENT_PREFIX"] = "SALDO"
    assert stripe_accounts.descriptor_suffix(practice) == "Poliambulatorio"
    stripe_accounts.set_descriptor(practice, "", "San Giovanni", SYSTEM)
    assert stripe_accounts.descriptor_suffix(practice) == "San Giovanni"
