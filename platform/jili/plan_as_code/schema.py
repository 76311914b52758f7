"""The tenant file format (plan as code, format 1): its sections, its errors,
and how values are written — numbers as exact strings, ids as natural keys.

Shared by :mod:`jili.plan_as_code.export` (tenant → TOML) and
:mod:`jili.plan_as_code.importer` (TOML → tenant). The format is described in
docs/PLAN_AS_CODE.md.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from jili.periods.models import Period, PeriodKind
from jili.schemes import IdListField, RecordListField

FORMAT = 1
HEADER = (
    "# Jili tenant file (plan as code), format 1 — see docs/PLAN_AS_CODE.md.\n"
    "# Import it with: jili tenant import FILE [--slug NEW-SLUG]\n\n"
)
# Top-level keys an import reads; ``demo_logins`` is read by ``jili demo load`` only.
TOP_LEVEL = (
    "format",
    "tenant",
    "periods",
    "teams",
    "people",
    "schemes",
    "budget",
    "plans",
    "target_metrics",
    "targets",
    "target_publications",
    "metrics",
    "profit",
    "awards",
    "levels",
    "person_levels",
    "kpis",
    "kpi_sets",
    "rating_bands",
    "scorecards",
    "evaluation_deadlines",
    "evaluation_cycles",
    "transactions",
    "letter_template",
    "adjustments",
    "calendar",
    "alert_rules",
    "demo_logins",
)
_KIND_ORDER = {PeriodKind.YEAR: 0, PeriodKind.QUARTER: 1, PeriodKind.MONTH: 2, PeriodKind.WEEK: 3}


class TenantFileError(ValueError):
    """A tenant file that cannot be imported; ``errors`` are messages for the
    user, each naming the entry at fault. Nothing was written."""

    def __init__(self, errors: Sequence[str]):
        self.errors = [str(e) for e in errors]
        super().__init__("\n".join(self.errors))


# --- how values are written -------------------------------------------------------


def number_text(value: Any) -> str:
    """A number as the shortest exact string: ``85.5000`` → ``85.5``, ``50.0`` → ``50``."""
    d = Decimal(value)
    if d == d.to_integral_value():
        return str(d.quantize(Decimal(1)) + 0)
    return format(d.normalize(), "f")


def money_text(value: Any) -> str:
    """Money as stored (two places): ``650000.00``."""
    return format(Decimal(value).quantize(Decimal("0.01")) + 0, "f")


def share_text(bp: int) -> str:
    """A credit share in basis points as a percentage: ``3333`` → ``33.33``."""
    return number_text(Decimal(bp) / 100)


def period_key(p: Period) -> tuple:
    # year, then its quarters, months (and weeks), in calendar order
    return (p.start_date, _KIND_ORDER.get(p.kind, 9), p.label)


# --- natural keys instead of ids ---------------------------------------------------


def id_field_refers_to(field: Any) -> str:
    """Whether an ``IdListField`` holds team or person ids (``refers_to`` if the
    field says so, else by its name: a name with "team" in it means teams)."""
    kind = getattr(field, "refers_to", None)
    if kind in ("team", "person"):
        return kind
    return "team" if "team" in field.name.lower() else "person"


def clean_out(value: Any) -> Any:
    """JSON settings → TOML values: TOML has no null, so ``None`` becomes ``""``
    (an empty optional number, which the settings fields read back as None)."""
    if value is None:
        return ""
    if isinstance(value, Mapping):
        return {str(k): clean_out(value[k]) for k in sorted(value, key=str)}
    if isinstance(value, list | tuple):
        return [clean_out(v) for v in value]
    return value


def ordered(fields: Sequence[Any], values: Mapping[str, Any], *, out, ids) -> dict:
    """``values`` with the declared fields first, in declaration order, then any
    other key sorted; id lists translated by ``ids(field, list)``; nested
    records ordered by their own fields."""
    result: dict[str, Any] = {}
    by_name = {f.name: f for f in fields}
    names = [f.name for f in fields if f.name in values]
    names += sorted(k for k in values if k not in by_name)
    for name in names:
        value = values[name]
        field = by_name.get(name)
        if isinstance(field, IdListField) and isinstance(value, list | tuple):
            result[name] = ids(field, value)
        elif isinstance(field, RecordListField) and isinstance(value, list | tuple):
            result[name] = [
                ordered(field.fields, item, out=out, ids=ids)
                if isinstance(item, Mapping)
                else out(item)
                for item in value
            ]
        else:
            result[name] = out(value)
    return result
