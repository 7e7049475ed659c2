"""Saved payment methods as the patient knows them, and why one could not be saved.

A plan keeps a label of its card or account ("Visa •••• 4242", "IBAN DE •••• 3000") so the
bill and the pay-ahead confirmation name it without asking Stripe on every page.
"""

from portal import gateways
from portal.gateways.stripe_gateway import GatewayError, MethodSummary
from portal.models import Invoice, Payment, Plan

#: card networks as Stripe names them -> as they are written
BRANDS = {
    "visa": "Visa",
    "mastercard": "Mastercard",
    "amex": "American Express",
    "discover": "Discover",
    "diners": "Diners Club",
    "jcb": "JCB",
    "unionpay": "UnionPay",
    "cartes_bancaires": "Cartes Bancaires",
    "eftpos_au": "eftpos",
    "interac": "Interac",
}


def label(summary: MethodSummary) -> str:
    """ "Visa •••• 4242" for a card, "IBAN DE •••• 3000" for a SEPA account, "Link" for a
    Link account."""
    if summary.type == "card":
        brand = summary.brand or ""
        name = BRANDS.get(brand, brand.replace("_", " ").title() or "Card")
        return f"{name} •••• {summary.last4}" if summary.last4 else name
    if summary.type == "link":
        return "Link"  # the Link account's email stays out of the plan's label
    if summary.type == "sepa_debit":
        return f"IBAN {summary.country or ''} •••• {summary.last4 or ''}".replace("  ", " ")
    return summary.type


def label_payment(payment: Payment) -> None:
    """Store the label of the method that paid `payment` unless it has one (left empty if
    Stripe cannot say; pages and receipts then name the kind of method only). The caller
    commits."""
    if payment.method_label or not payment.stripe_payment_method_id:
        return
    try:
        gateway = gateways.stripe(payment.invoice.practice)
        summary = gateway.method_summary(payment.stripe_payment_method_id)
    except GatewayError:
        return
    payment.method_label = label(summary)[:64]


def remember(plan: Plan, payment_method_id: str) -> None:
    """Store the plan's label for `payment_method_id` (left empty if Stripe cannot say; the
    page then names the kind of method only). The caller commits."""
    try:
        summary = gateways.stripe(plan.invoice.practice).method_summary(payment_method_id)
    except GatewayError:
        plan.method_label = None
        return
    plan.method_label = label(summary)[:64]


def setup_problem(invoice: Invoice, setup_intent_id: str) -> str | None:
    """Why the card or IBAN of this invoice's SetupIntent was not saved, as Stripe's code (see
    `SetupResult.problem`); None when Stripe says nothing more."""
    try:
        setup = gateways.stripe(invoice.practice).retrieve_setup_intent(setup_intent_id)
    except GatewayError:
        return None
    if setup.metadata.get("saldo_invoice_id") != str(invoice.id):
        return None
    return setup.problem
