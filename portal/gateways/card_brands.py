"""Card brand names for labels on receipts and plan pages."""

#: Stripe's card brand codes as the brands write their own names.
CARD_BRANDS = {
    "amex": "American Express",
    "cartes_bancaires": "Cartes Bancaires",
    "diners": "Diners Club",
    "discover": "Discover",
    "eftpos_au": "eftpos",
    "jcb": "JCB",
    "mastercard": "Mastercard",
    "unionpay": "UnionPay",
    "visa": "Visa",
}


def card_brand(code: str) -> str:
    """ "visa" → "Visa"; a code Stripe adds later is shown with a capital letter."""
    return CARD_BRANDS.get(code, code.replace("_", " ").title())
