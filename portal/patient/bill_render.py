"""Rendering the patient's bill page from its `BillPage`, with the forms its sections post."""

from dataclasses import dataclass

from flask import g, render_template

from portal.patient.fiscal_views import CodiceFiscaleForm, OppositionForm
from portal.services.billing.bill_page import BillPage
from portal.services.payments.stripe_accounts import checkout_keys


@dataclass(frozen=True)
class FiscalForms:
    codice_fiscale: CodiceFiscaleForm
    opposition: OppositionForm


def render_bill(page: BillPage, **extra) -> str:
    """templates/patient/invoice.html for `page` (`extra`: the part-payment error, if any)."""
    forms = FiscalForms(CodiceFiscaleForm(), OppositionForm())
    return render_template(
        "patient/invoice.html", page=page, fiscal_forms=forms, **checkout_keys(g.practice), **extra
    )
