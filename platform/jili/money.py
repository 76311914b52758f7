"""Money is ``Decimal`` from the column to the statement, never float.

SQLite has no exact decimal type, so amounts are stored as integers of the
smallest unit we keep (hundredths by default) through :class:`Money`.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from sqlalchemy import BigInteger
from sqlalchemy.types import TypeDecorator

CENT = Decimal("0.01")

# ISO 4217 minor units for the currencies a tenant may choose.
CURRENCIES: dict[str, int] = {
    "CNY": 2,
    "HKD": 2,
    "TWD": 2,
    "USD": 2,
    "EUR": 2,
    "SGD": 2,
    "JPY": 0,
}


class MoneyError(ValueError):
    """An amount that is not a valid exact money value."""


def to_decimal(value: object) -> Decimal:
    """Parse user or file input into a Decimal; floats are refused on purpose."""
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int) and not isinstance(value, bool):
        result = Decimal(value)
    elif isinstance(value, str):
        text = value.strip().replace(",", "").replace("，", "").replace("¥", "").replace("￥", "")
        if not text:
            raise MoneyError("empty amount")
        try:
            result = Decimal(text)
        except InvalidOperation as exc:
            raise MoneyError(f"not a number: {value!r}") from exc
    else:
        raise MoneyError(f"not an exact amount: {value!r} ({type(value).__name__})")
    if not result.is_finite():
        raise MoneyError(f"not a finite amount: {value!r}")
    return result


def quantize(amount: Decimal, places: int = 2) -> Decimal:
    """Round half-up to ``places`` decimals (the currency's minor unit)."""
    return amount.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


class Money(TypeDecorator):
    """A Decimal amount stored exactly as an integer count of 10**-scale units."""

    impl = BigInteger
    cache_ok = True

    def __init__(self, scale: int = 2):
        super().__init__()
        self.scale = scale

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        amount = to_decimal(value)
        units = amount.scaleb(self.scale)
        if units != units.to_integral_value():
            raise MoneyError(f"{amount} has more than {self.scale} decimal places")
        return int(units)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        # An integer scaled down has exactly ``scale`` decimals: 12345 → 123.45, 0 → 0.00.
        return Decimal(int(value)).scaleb(-self.scale)
