"""format_money's cached formatter writes what Babel's format_currency writes,
to the character: for Jili's three languages on any amount, and for every
locale Babel knows on a fixed range (negatives, zero, half-cents, large
numbers, many decimals)."""

from __future__ import annotations

from decimal import Decimal

from babel import localedata, numbers
from flask_babel import refresh
from hypothesis import given, settings
from hypothesis import strategies as st

from jili.i18n import LANGUAGES, format_money, money_formatter

CURRENCIES = ("CNY", "TWD", "HKD", "USD", "JPY", "EUR", "BHD", "CHF")
VALUES = [
    *(
        Decimal(v)
        for v in (
            "0", "-0", "0.00", "0.005", "0.015", "0.025", "-0.005", "-0.015", "1", "-1",
            "999.995", "-999.995", "1000", "-1234567.125", "1234567.135", "0.123456789",
            "-987654321.987654321", "12345678901234567.5", "1E+5", "1E-10", "-1E-10",
            "12345678901234567890123456.789", "1E+30",
        )
    ),
    0, 5, -3, 12.345, -0.1, "7.5", "-1234.5678",
]  # fmt: skip


def _both(value, currency: str, locale: str) -> tuple[str, str]:
    def run(fn):
        try:
            return fn()
        except Exception as exc:  # noqa: BLE001 - the same error either way
            return type(exc).__name__

    babel = run(lambda: numbers.format_currency(value, currency, locale=locale))
    ours = run(lambda: money_formatter(locale, currency)(value))
    return babel, ours


@settings(max_examples=300, deadline=None)
@given(
    amount=st.decimals(allow_nan=False, allow_infinity=False, places=None)
    | st.decimals(min_value=-(10**12), max_value=10**12, places=2)
    | st.decimals(min_value=-10, max_value=10, places=5),
    currency=st.sampled_from(CURRENCIES),
    locale=st.sampled_from(sorted(LANGUAGES)),
)
def test_the_three_languages_match_babel_on_any_amount(amount, currency, locale):
    babel, ours = _both(amount, currency, locale)
    assert ours == babel


def test_every_locale_matches_babel_on_the_range():
    mismatches = []
    for locale in localedata.locale_identifiers():
        for currency in CURRENCIES:
            for value in VALUES:
                babel, ours = _both(value, currency, locale)
                if babel != ours:
                    mismatches.append((locale, currency, value, babel, ours))
    assert mismatches == []


def test_jilis_languages_take_the_fast_path_and_odd_patterns_fall_back():
    """The point of the cache: zh_Hans, zh_Hant and en never walk Babel's pattern
    per amount; a locale whose pattern is outside the plain family (Indian
    grouping; Swiss apostrophes, which Babel strips as quotes) is Babel's own."""
    for locale in LANGUAGES:
        assert money_formatter(locale, "CNY").__name__ == "fast"
    assert money_formatter("hi_IN", "INR").__name__ == "slow"
    assert money_formatter("de_CH", "CHF").__name__ == "slow"
    assert money_formatter("hi_IN", "INR")(Decimal("1234567.5")) == "₹12,34,567.50"


def test_format_money_uses_the_readers_language_and_the_tenants_currency(app):
    with app.test_request_context(headers={"Accept-Language": "zh-TW"}):
        refresh()  # the language is kept per context: read it from these headers
        assert format_money(Decimal("-1234.5")) == "-CN¥1,234.50"
        assert format_money(Decimal("8"), "TWD") == "$8.00"
        assert format_money(None) == ""
    with app.test_request_context(headers={"Accept-Language": "zh-CN"}):
        refresh()
        assert format_money(Decimal("1234.565")) == "¥1,234.56"
    with app.test_request_context(headers={"Accept-Language": "en"}):
        refresh()
        assert format_money(Decimal("0")) == "CN¥0.00"
