"""Saved payment methods as the patient knows them: "Visa •••• 4242", "IBAN DE •••• 3000"."""

import pytest

from portal.gateways.stripe_gateway import MethodSummary
from portal.models import Payment
from portal.services.payments import payment_methods
from portal.services.payments.payment_methods import label


@pytest.mark.parametrize(
    ("summary", "written"),
    [
        (MethodSummary("card", "visa", "4242"), "Visa •••• 4242"),
        (MethodSummary("card", "diners", "0004"), "Diners Club •••• 0004"),
        (MethodSummary("card", "cartes_bancaires", "1001"), "Cartes Bancaires •••• 1001"),
        (MethodSummary("card", "eftpos_au", "0000"), "eftpos •••• 0000"),
        (MethodSummary("card", "new_network", "9999"), "New Network •••• 9999"),
        (MethodSummary("card", "visa", None), "Visa"),
        (MethodSummary("card", None, "4242"), "Card •••• 4242"),
        (MethodSummary("card", "", None), "Card"),
        (MethodSummary("sepa_debit", None, "3000", "DE"), "IBAN DE •••• 3000"),
        (MethodSummary("sepa_debit", None, "3000", None), "IBAN •••• 3000"),
        (MethodSummary("link"), "Link"),
        (MethodSummary("us_bank_account", None, "6789"), "us_bank_account"),
    ],
)
def test_each_kind_of_method_is_named_as_the_patient_knows_it(summary, written):
    assert label(summary) == written


def test_a_payment_already_labelled_or_without_a_method_is_left_alone(monkeypatch):
    def no_stripe(practice):
        raise AssertionError("Stripe is not asked")

    monkeypatch.setattr(payment_methods.gateways, "stripe", no_stripe)
    labelled = Payment(method_label="Visa •••• 4242", stripe_payment_method_id="pm_1")
    payment_methods.label_payment(labelled)
    assert labelled.method_label == "Visa •••• 4242"
    desk = Payment(method_label=None, stripe_payment_method_id=None)
    payment_methods.label_payment(desk)
    assert desk.method_label is None
