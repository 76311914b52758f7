"""Money is ``Decimal`` from the column to the statement, never float.

SQLite has no exact decimal type, so amounts are stored as integers of the
smallest unit we keep (hundredths by default) through :class:`Money`.
"""

from __future__ import annotations

import re
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


# What the columns hold. Amounts (:class:`Money`) are a BIGINT of hundredths, but we
# accept at most 10**13 in one value, so that sums over many rows still fit; a
# ``Numeric(p, s)`` column holds less than 10**(p - s).
MONEY_LIMIT = Decimal(10) ** 13
# No number a person types has more digits than this on either side of the point;
# beyond it (``1e400``, ``1e-400`` written out) a value is refused before any
# arithmetic could overflow the decimal context.
MAX_DIGITS = 18
_PLAIN_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)$")


def numeric_limit(precision: int, scale: int) -> Decimal:
    """The exclusive bound of a ``Numeric(precision, scale)`` column."""
    return Decimal(10) ** (precision - scale)


class MoneyError(ValueError):
    """An amount that is not a valid exact money value."""


class NumberError(MoneyError):
    """A number outside what its column holds; ``reason`` is one of ``number``
        (not a plain number), ``places``, ``large`` (beyond the column), ``small``
    (below the minimum), ``max`` (above the maximum); the message is
        translated for the user."""

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason


def to_decimal(value: object) -> Decimal:
    """Parse user or file input into a Decimal; floats are refused on purpose.

    Text must be a plain number (``-1234.50``, ``1,234.50``, ``¥1,234``):
    exponents (``1e400``, ``NaN``, ``Infinity``) are refused, as is Excel's
    ``1.23457E+11`` which has already lost digits. Text and integers have at
    most :data:`MAX_DIGITS` digits before and after the point."""
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int) and not isinstance(value, bool):
        result = Decimal(value)
    elif isinstance(value, str):
        text = value.strip().replace(",", "").replace("，", "").replace("¥", "").replace("￥", "")
        if not text:
            raise MoneyError("empty amount")
        if not _PLAIN_NUMBER.match(text):
            raise MoneyError(f"not a number: {value!r}")
        result = Decimal(text)
    else:
        raise MoneyError(f"not an exact amount: {value!r} ({type(value).__name__})")
    if not result.is_finite():
        raise MoneyError(f"not a finite amount: {value!r}")
    if not isinstance(value, Decimal) and result:
        exponent = result.as_tuple().exponent
        if result.adjusted() >= MAX_DIGITS or (
            isinstance(exponent, int) and exponent < -MAX_DIGITS
        ):
            raise MoneyError(f"more digits than any amount has: {value!r}")
    return result


def shorten(text: str, limit: int = 40) -> str:
    """``text`` as quoted back to the user in a message: at most ``limit`` characters."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def parse_decimal(
    value: object,
    *,
    places: int,
    limit: Decimal,
    minimum: Decimal | None = None,
    maximum: Decimal | None = None,
) -> Decimal:
    """The one parser for a number that enters: exact, at most ``places``
    decimals, ``-limit < value < limit`` (the storage column's range) and within
    ``minimum``/``maximum`` when given; a :class:`NumberError` otherwise.
    Returns the value with exactly ``places`` decimals (``-0`` becomes ``0``)."""
    from flask_babel import gettext as _

    shown = shorten(str(value).strip())
    try:
        number = to_decimal(value)
    except MoneyError as exc:
        try:
            number = Decimal(str(value).strip().replace(",", ""))
        except (InvalidOperation, ValueError):
            number = None
        if number is not None and number.is_finite() and number:
            if number.adjusted() >= MAX_DIGITS:
                raise NumberError("large", _("%(v)s is too large.", v=shown)) from exc
            if number.adjusted() < -MAX_DIGITS:
                message = _("%(v)s: at most %(n)d decimal places.", v=shown, n=places)
                raise NumberError("places", message) from exc
        raise NumberError(
            "number", _("%(v)s is not a number: write it in full, e.g. 12500.50.", v=shown)
        ) from exc
    if abs(number) >= limit:
        raise NumberError("large", _("%(v)s is too large.", v=shown))
    unit = Decimal(1).scaleb(-places)
    if number != number.quantize(unit):
        raise NumberError("places", _("%(v)s: at most %(n)d decimal places.", v=shown, n=places))
    if minimum is not None and number < minimum:
        raise NumberError("small", _("%(v)s: must be at least %(n)s.", v=shown, n=minimum))
    if maximum is not None and number > maximum:
        raise NumberError("max", _("%(v)s: must be at most %(n)s.", v=shown, n=maximum))
    return number.quantize(unit) + 0


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
        if not -(2**63) < units < 2**63:
            raise MoneyError(f"{amount} does not fit the column")
        return int(units)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        # An integer scaled down has exactly ``scale`` decimals: 12345 → 123.45, 0 → 0.00.
        return Decimal(int(value)).scaleb(-self.scale)
