"""Scheme settings: declared fields, validated to JSON with field-level errors.

A scheme declares ``settings_fields``; a plan stores the cleaned JSON (decimals
as strings, percentages as percent numbers: ``"1.8"`` means 1.8 %). Cleaning
never accepts a float. Errors are keyed by field path (``"bands[1].rate_pct"``)
so a form can show each next to its input and keep what the user typed.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l

from jili.money import MONEY_LIMIT, MoneyError, NumberError, parse_decimal, to_decimal

_MISSING = object()

# A person's levels, for settings keyed by level (``DecimalMapField(keys=LEVELS)``).
LEVELS = ("newcomer", "core", "manager")


class SettingsError(ValueError):
    """Settings that do not validate; ``errors`` maps field path → message."""

    def __init__(self, errors: Mapping[str, Any]):
        self.errors = {k: str(v) for k, v in errors.items()}
        super().__init__("; ".join(f"{k}: {v}" for k, v in self.errors.items()))


class Settings(Mapping[str, Any]):
    """Typed, read-only settings: ``s.rate_pct`` or ``s["rate_pct"]``."""

    __slots__ = ("_values",)

    def __init__(self, values: Mapping[str, Any]):
        object.__setattr__(self, "_values", dict(values))

    def __getattr__(self, name: str) -> Any:
        try:
            return self._values[name]
        except KeyError:
            raise AttributeError(name) from None

    def __getitem__(self, key: str) -> Any:
        return self._values[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __repr__(self) -> str:
        return f"Settings({self._values!r})"


class Field:
    """One setting. ``clean`` turns input into its JSON form or raises
    ``SettingsError``; ``to_python`` turns the JSON form into the value a
    scheme computes with."""

    kind = "text"

    def __init__(self, name: str, label: Any, *, default: Any = _MISSING, help_text: Any = ""):
        self.name = name
        self.label = label
        self.default = default
        self.help_text = help_text

    @property
    def required(self) -> bool:
        return self.default is _MISSING

    def clean(self, value: Any, path: str) -> Any:
        raise NotImplementedError

    def to_python(self, value: Any) -> Any:
        return value


class TextField(Field):
    """A short text (a name, a key)."""

    def __init__(self, name, label, *, max_length: int = 120, **kw):
        super().__init__(name, label, **kw)
        self.max_length = max_length

    def clean(self, value: Any, path: str) -> str:
        if not isinstance(value, str) or not value.strip():
            raise SettingsError({path: _l("This setting is required.")})
        if len(value.strip()) > self.max_length:
            raise SettingsError({path: _l("At most %(n)s characters.", n=self.max_length)})
        return value.strip()


class OptionalTextField(TextField):
    """A short text that may be left empty (then ``""``: the rule does not apply)."""

    def clean(self, value: Any, path: str) -> str:
        if value is None or (isinstance(value, str) and not value.strip()):
            return ""
        return super().clean(value, path)


DECIMAL_PLACES = 10  # the most decimals a number setting may have


class DecimalField(Field):
    """An exact number, stored as a string."""

    kind = "decimal"

    def __init__(self, name, label, *, minimum: Decimal | None = None, maximum=None, **kw):
        super().__init__(name, label, **kw)
        self.minimum = None if minimum is None else Decimal(minimum)
        self.maximum = None if maximum is None else Decimal(maximum)

    def clean(self, value: Any, path: str) -> str:
        try:
            number = to_decimal(value)
            # Settings are kept as text, but the engine multiplies them into
            # amounts: no more than an amount column holds, nor more decimals
            # than any rate needs.
            parse_decimal(number, places=DECIMAL_PLACES, limit=MONEY_LIMIT)
        except NumberError as exc:
            raise SettingsError({path: str(exc)}) from None
        except MoneyError:
            raise SettingsError({path: _l("Enter a number.")}) from None
        if self.minimum is not None and number < self.minimum:
            raise SettingsError({path: _l("Must be at least %(n)s.", n=self.minimum)})
        if self.maximum is not None and number > self.maximum:
            raise SettingsError({path: _l("Must be at most %(n)s.", n=self.maximum)})
        return f"{number:f}"

    def to_python(self, value: str) -> Decimal:
        return Decimal(value)


class PercentField(DecimalField):
    """A percentage written as a percent number: ``"1.8"`` is 1.8 %."""

    kind = "percent"


class OptionalDecimalField(DecimalField):
    """A number that may be left empty (``None``), e.g. an optional cap."""

    def clean(self, value: Any, path: str) -> str | None:
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        return super().clean(value, path)

    def to_python(self, value: str | None) -> Decimal | None:
        return None if value is None else Decimal(value)


class IntField(Field):
    kind = "int"

    def __init__(self, name, label, *, minimum: int | None = None, maximum=None, **kw):
        super().__init__(name, label, **kw)
        self.minimum, self.maximum = minimum, maximum

    def clean(self, value: Any, path: str) -> int:
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise SettingsError({path: _l("Enter a whole number.")})
        try:
            number = int(str(value).strip())
        except ValueError:
            raise SettingsError({path: _l("Enter a whole number.")}) from None
        if self.minimum is not None and number < self.minimum:
            raise SettingsError({path: _l("Must be at least %(n)s.", n=self.minimum)})
        if self.maximum is not None and number > self.maximum:
            raise SettingsError({path: _l("Must be at most %(n)s.", n=self.maximum)})
        return number


class BoolField(Field):
    kind = "bool"

    def clean(self, value: Any, path: str) -> bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in {"true", "on", "1", "yes"}:
            return True
        if isinstance(value, str) and value.strip().lower() in {"false", "off", "0", "no", ""}:
            return False
        raise SettingsError({path: _l("Choose yes or no.")})


class ChoiceField(Field):
    """One of ``choices``: ``(value, label)`` pairs."""

    kind = "choice"

    def __init__(self, name, label, *, choices: Sequence[tuple[str, Any]], **kw):
        super().__init__(name, label, **kw)
        self.choices = tuple(choices)

    def clean(self, value: Any, path: str) -> str:
        if value not in {v for v, _ in self.choices}:
            raise SettingsError({path: _l("Not one of the choices.")})
        return value


class StrListField(Field):
    """A list of strings, optionally limited to ``choices``."""

    kind = "str_list"

    def __init__(self, name, label, *, choices: Sequence[str] | None = None, **kw):
        super().__init__(name, label, **kw)
        self.choices = None if choices is None else tuple(choices)

    def clean(self, value: Any, path: str) -> list[str]:
        if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
            raise SettingsError({path: _l("Enter a list of names.")})
        if self.choices is not None and any(v not in self.choices for v in value):
            raise SettingsError({path: _l("Not one of the choices.")})
        return sorted(set(value))

    def to_python(self, value: list[str]) -> frozenset[str]:
        return frozenset(value)


class IdListField(Field):
    """A list of record ids (people, teams)."""

    kind = "id_list"

    def clean(self, value: Any, path: str) -> list[int]:
        if not isinstance(value, list | tuple) or any(
            isinstance(v, bool) or not isinstance(v, int) for v in value
        ):
            raise SettingsError({path: _l("Enter a list of ids.")})
        return sorted(set(value))

    def to_python(self, value: list[int]) -> frozenset[int]:
        return frozenset(value)


class DecimalMapField(Field):
    """Names mapped to numbers, e.g. region coefficients ``{"华东": "1.1"}``.

    With ``keys`` (e.g. the levels ``("newcomer", "core", "manager")``) the
    names are fixed: the form shows one labelled input per key, a key left
    empty is simply absent, and any other name is refused.
    """

    kind = "decimal_map"

    def __init__(
        self,
        name,
        label,
        *,
        minimum: Decimal | None = None,
        maximum=None,
        keys: Sequence[str] | None = None,
        **kw,
    ):
        super().__init__(name, label, **kw)
        self.value_field = DecimalField("value", label, minimum=minimum, maximum=maximum)
        self.keys = None if keys is None else tuple(keys)

    def clean(self, value: Any, path: str) -> dict[str, str]:
        if not isinstance(value, Mapping):
            raise SettingsError({path: _l("Enter names with a number each.")})
        errors, cleaned = {}, {}
        for key in sorted(value, key=str):
            if not isinstance(key, str) or not key.strip():
                errors[path] = _l("Every entry needs a name.")
                continue
            if self.keys is not None and key.strip() not in self.keys:
                errors[f"{path}[{key}]"] = _l("Not one of the choices.")
                continue
            try:
                cleaned[key.strip()] = self.value_field.clean(value[key], f"{path}[{key}]")
            except SettingsError as exc:
                errors.update(exc.errors)
        if errors:
            raise SettingsError(errors)
        return cleaned

    def to_python(self, value: dict[str, str]) -> dict[str, Decimal]:
        return {k: Decimal(v) for k, v in value.items()}


class RecordListField(Field):
    """A list of small records, each with its own fields (bands, award kinds)."""

    kind = "records"

    def __init__(self, name, label, *, fields: Sequence[Field], min_items: int = 0, **kw):
        super().__init__(name, label, **kw)
        self.fields = tuple(fields)
        self.min_items = min_items

    def clean(self, value: Any, path: str) -> list[dict[str, Any]]:
        if not isinstance(value, list | tuple):
            raise SettingsError({path: _l("Enter a list.")})
        if len(value) < self.min_items:
            raise SettingsError({path: _l("Enter at least %(n)s rows.", n=self.min_items)})
        errors: dict[str, Any] = {}
        rows = []
        for i, item in enumerate(value):
            try:
                rows.append(clean_fields(self.fields, item, f"{path}[{i}]."))
            except SettingsError as exc:
                errors.update(exc.errors)
        if errors:
            raise SettingsError(errors)
        return rows

    def to_python(self, value: list[dict[str, Any]]) -> tuple[Settings, ...]:
        return tuple(load_fields(self.fields, row) for row in value)


class BandsField(RecordListField):
    """Bands ``[{"from_pct": "0", <value>: …}, {"from_pct": "120", …}]``.

    A band covers from its ``from_pct`` (inclusive: 120 means ≥ 120) up to the
    next band's ``from_pct`` (exclusive). The first band starts at 0 and the
    ``from_pct`` values rise strictly, so every value falls in exactly one band.
    With ``rising=True`` the band values may not fall (a rate that rises with
    attainment), which keeps the scheme monotone.
    """

    kind = "bands"

    def __init__(self, name, label, *, value_field: Field, rising: bool = False, **kw):
        from_field = PercentField("from_pct", _l("From (≥)"), minimum=Decimal(0))
        super().__init__(name, label, fields=(from_field, value_field), min_items=1, **kw)
        self.value_name = value_field.name
        self.rising = rising

    def clean(self, value: Any, path: str) -> list[dict[str, Any]]:
        rows = super().clean(value, path)
        starts = [Decimal(r["from_pct"]) for r in rows]
        values = [Decimal(r[self.value_name]) for r in rows]
        if starts[0] != 0:
            raise SettingsError({f"{path}[0].from_pct": _l("The first band starts at 0.")})
        for i in range(1, len(rows)):
            if starts[i] <= starts[i - 1]:
                raise SettingsError({f"{path}[{i}].from_pct": _l("Bands must rise.")})
            if self.rising and values[i] < values[i - 1]:
                raise SettingsError(
                    {f"{path}[{i}].{self.value_name}": _l("May not be lower than the band before.")}
                )
        return rows


def clean_fields(fields: Sequence[Field], raw: Any, prefix: str = "") -> dict[str, Any]:
    """Validate ``raw`` against ``fields``: defaults filled in, unknown keys
    refused; returns the JSON form or raises ``SettingsError`` with every
    field's error at once."""
    if not isinstance(raw, Mapping):
        raise SettingsError({prefix.rstrip(".") or "__all__": _l("Settings must be a table.")})
    known = {f.name for f in fields}
    errors: dict[str, Any] = {
        f"{prefix}{k}": _l("Not a setting of this scheme.") for k in raw if k not in known
    }
    cleaned: dict[str, Any] = {}
    for f in fields:
        path = f"{prefix}{f.name}"
        value = raw.get(f.name, _MISSING)
        if value is _MISSING:
            if f.required:
                errors[path] = _l("This setting is required.")
                continue
            value = f.default
        try:
            cleaned[f.name] = f.clean(value, path)
        except SettingsError as exc:
            errors.update(exc.errors)
    if errors:
        raise SettingsError(errors)
    return cleaned


def load_fields(fields: Sequence[Field], cleaned: Mapping[str, Any]) -> Settings:
    """The typed view of already-cleaned settings."""
    return Settings({f.name: f.to_python(cleaned[f.name]) for f in fields})
