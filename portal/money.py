"""Money as integer minor units plus an ISO 4217 currency, formatted through CLDR."""

from dataclasses import dataclass
from decimal import Decimal

from babel.numbers import format_currency, get_currency_precision


def minor_digits(currency: str) -> int:
    """Number of decimal digits of `currency`'s minor unit (EUR 2, JPY 0)."""
    return get_currency_precision(currency.upper())


def to_decimal(amount_minor: int, currency: str) -> Decimal:
    """The major-unit Decimal of `amount_minor` (12345 EUR -> Decimal('123.45'))."""
    return Decimal(amount_minor).scaleb(-minor_digits(currency))


def format_money(amount_minor: int, currency: str, locale: str) -> str:
    """CLDR formatting: 123450 EUR is '€1,234.50' in en and '1.234,50\xa0€' in it."""
    if not isinstance(amount_minor, int):
        raise TypeError("money is an int of minor units")
    return format_currency(to_decimal(amount_minor, currency), currency.upper(), locale=locale)


@dataclass(frozen=True)
class Money:
    amount_minor: int
    currency: str

    def __post_init__(self) -> None:
        if not isinstance(self.amount_minor, int) or isinstance(self.amount_minor, bool):
            raise TypeError("amount_minor must be an int")

    def __add__(self, other: "Money") -> "Money":
        self._same_currency(other)
        return Money(self.amount_minor + other.amount_minor, self.currency)

    def __sub__(self, other: "Money") -> "Money":
        self._same_currency(other)
        return Money(self.amount_minor - other.amount_minor, self.currency)

    def _same_currency(self, other: "Money") -> None:
        if other.currency != self.currency:
            raise ValueError(f"cannot mix {self.currency} and {other.currency}")

    def format(self, locale: str) -> str:
        return format_money(self.amount_minor, self.currency, locale)
