"""Money: integer minor units and CLDR formatting."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portal.money import Money, format_money, to_decimal


def test_euro_formats_per_locale():
    assert format_money(123450, "EUR", "en") == "€1,234.50"
    assert format_money(123450, "EUR", "it") == "1.234,50\xa0€"


def test_dollar_formats_per_locale():
    assert format_money(123450, "USD", "en_US") == "$1,234.50"
    assert format_money(5, "USD", "it") == "0,05\xa0USD"


def test_zero_decimal_currency():
    assert format_money(1500, "JPY", "en") == "¥1,500"


def test_floats_are_refused():
    with pytest.raises(TypeError):
        format_money(12.5, "EUR", "en")
    with pytest.raises(TypeError):
        Money(12.5, "EUR")


def test_currencies_do_not_mix():
    with pytest.raises(ValueError):
        Money(100, "EUR") + Money(100, "USD")


@given(st.integers(min_value=-(10**12), max_value=10**12))
def test_decimal_round_trip_is_exact(amount):
    assert int(to_decimal(amount, "EUR").scaleb(2)) == amount


@given(st.lists(st.integers(min_value=0, max_value=10**9), max_size=20))
def test_sums_are_exact(amounts):
    total = Money(0, "EUR")
    for amount in amounts:
        total = total + Money(amount, "EUR")
    assert total.amount_minor == sum(amounts)
