"""Saving a payment method and paying with it: the methods offered, a SetupIntent that saves
one, the saved method read back from Stripe, and paying the whole balance with it (through
`payments`)."""

from portal import gateways
from portal.extensions import db
from portal.gateways.stripe_gateway import (
    GatewayError,
    GatewayUnavailable,
)
from portal.models import Invoice
from portal.models.invoice import InvoiceStatus
from portal.models.payment import PaymentMethod
from portal.services.billing import ledger
from portal.services.core.audit import Actor
from portal.services.core.refusals import PaymentReason
from portal.services.payments.payments import Outcome, PaymentRefused, SavedMethod, charge
from portal.services.payments.stripe_accounts import ElementsMode, elements_mode

#: what a plan may be charged with, by the method its agreement names (or saved since): Link
#: pays with the card kept in the patient's Link account, saved and charged like a card
AGREED_METHODS = {
    PaymentMethod.CARD: (PaymentMethod.CARD, PaymentMethod.LINK),
    PaymentMethod.LINK: (PaymentMethod.CARD, PaymentMethod.LINK),
    PaymentMethod.SEPA_DEBIT: (PaymentMethod.SEPA_DEBIT,),
}


def methods_for(invoice: Invoice) -> list[str]:
    """Payment methods offered: cards everywhere, SEPA Direct Debit for euro invoices, and
    Link where the checkout uses Stripe's Payment Element (real Stripe; the Card Element of
    localstripe cannot save a Link method)."""
    methods = [PaymentMethod.CARD, PaymentMethod.SEPA_DEBIT]
    if invoice.currency != "EUR":
        methods = [PaymentMethod.CARD]
    if elements_mode(invoice.practice) == ElementsMode.PAYMENT:
        methods.append(PaymentMethod.LINK)
    return methods


def agreed_methods(invoice: Invoice, agreed: str | None) -> list[str]:
    """The methods offered for a plan whose agreement names `agreed` ("card" also admits
    Link where it is offered)."""
    offered = methods_for(invoice)
    return [m for m in AGREED_METHODS.get(agreed or "", ()) if m in offered]


def prepare_setup(invoice: Invoice, method: str | list[str]) -> tuple[str, str]:
    """Create a SetupIntent for the patient's customer; returns (id, client_secret).

    `method` is one method (the Card Element or the IBAN field) or the list the Payment
    Element offers; every one must be accepted for this invoice."""
    chosen = [method] if isinstance(method, str) else list(dict.fromkeys(method))
    if not chosen or any(m not in methods_for(invoice) for m in chosen):
        raise PaymentRefused(PaymentReason.METHOD)
    if invoice.status != InvoiceStatus.OPEN or ledger.balance(invoice.id) <= 0:
        raise PaymentRefused(PaymentReason.NOTHING_DUE)
    patient = invoice.patient
    try:
        gateway = gateways.stripe(invoice.practice)
        if patient.stripe_customer_id and not gateway.customer_exists(patient.stripe_customer_id):
            patient.stripe_customer_id = None  # made in an account the practice no longer uses
        if not patient.stripe_customer_id:
            patient.stripe_customer_id = gateway.create_customer(
                patient.full_name,
                patient.email,
                {
                    "saldo_patient_id": str(patient.id),
                    "saldo_practice_id": str(patient.practice_id),
                },
            )
            # the Stripe customer id is kept before the SetupIntent is created with it
            db.session.commit()
        return gateway.create_setup_intent(
            patient.stripe_customer_id,
            chosen[0] if len(chosen) == 1 else chosen,
            {"saldo_invoice_id": str(invoice.id), "saldo_method": ",".join(chosen)},
        )
    except GatewayError as exc:
        raise PaymentRefused(PaymentReason.UNAVAILABLE) from exc


def saved_method(invoice: Invoice, setup_intent_id: str) -> SavedMethod:
    """The payment method a finished SetupIntent saved for this invoice's patient, or refuse."""
    try:
        gateway = gateways.stripe(invoice.practice)
        setup = gateway.retrieve_setup_intent(setup_intent_id)
        offered = setup.metadata.get("saldo_method", "").split(",")
        method = offered[0]
        if len(offered) > 1 and setup.status == "succeeded" and setup.payment_method_id:
            # the patient chose in the Payment Element: the saved method says which
            method = gateway.method_summary(setup.payment_method_id).type
    except GatewayError as exc:
        reason = (
            PaymentReason.UNAVAILABLE
            if isinstance(exc, GatewayUnavailable)
            else PaymentReason.SETUP
        )
        raise PaymentRefused(reason) from exc
    if (
        setup.status != "succeeded"
        or setup.customer_id != invoice.patient.stripe_customer_id
        or setup.metadata.get("saldo_invoice_id") != str(invoice.id)
        or method not in offered
        or method not in methods_for(invoice)
        or not setup.payment_method_id
    ):
        raise PaymentRefused(PaymentReason.SETUP, setup.problem)
    return SavedMethod(setup.customer_id, setup.payment_method_id, method)


def pay_in_full(
    invoice: Invoice, setup_intent_id: str, actor: Actor, expected_minor: int | None = None
) -> Outcome:
    """Charge the whole balance to the payment method saved by `setup_intent_id`; if the
    patient was shown another amount (`expected_minor`), refuse with "amount_changed"."""
    return charge(
        invoice, saved_method(invoice, setup_intent_id), actor, expected_minor=expected_minor
    )
