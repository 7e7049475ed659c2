"""Money as integer minor units plus an ISO 4217 currency, formatted through CLDR."""

from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache

from babel.core import Locale
from babel.numbers import NumberPattern, get_currency_precision


@lru_cache(maxsize=64)
def cldr_locale(identifier: str) -> Locale:
    """The parsed CLDR locale, built once per process for each identifier."""
    return Locale.parse(identifier)


@lru_cache(maxsize=64)
def _currency_pattern(identifier: str) -> NumberPattern:
    return cldr_locale(identifier).currency_formats["standard"]


@lru_cache(maxsize=256)
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
    return _formatted(int(amount_minor), currency.upper(), str(locale))


@lru_cache(maxsize=8192)
def _formatted(amount_minor: int, currency: str, locale: str) -> str:
    """The CLDR currency pattern applied; patterns and results are kept per process."""
    return _currency_pattern(locale).apply(
        to_decimal(amount_minor, currency), cldr_locale(locale), currency=currency
    )


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


def parse_amount(text: str, currency: str) -> int:
    """Minor units from what a person typed: "1234.5", "1234,50", "€ 12" (EUR -> 123450,
    123450, 1200). Raises ValueError on anything else, negatives and extra decimals."""
    cleaned = "".join(ch for ch in str(text).strip() if ch not in " \u00a0€$£")
    if cleaned.count(",") + cleaned.count(".") > 1 or not cleaned:
        raise ValueError("not an amount")
    cleaned = cleaned.replace(",", ".")
    whole, _, fraction = cleaned.partition(".")
    digits = minor_digits(currency)
    if not whole.isdigit() or (fraction and not fraction.isdigit()) or len(fraction) > digits:
        raise ValueError("not an amount")
    return int(whole) * 10**digits + int(fraction.ljust(digits, "0") or 0)


def format_plain(amount_minor: int, currency: str) -> str:
    """The amount as a plain decimal for form fields: 123450 EUR -> "1234.50"."""
    return f"{to_decimal(amount_minor, currency):f}"
