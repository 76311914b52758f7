"""Small builders shared by the scheme tests (plain functions, no database)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal

from jili.schemes import CalculationContext, PeriodFacts, PeriodInfo, PersonFacts

Q3_2024 = PeriodInfo("2024-Q3", "quarter", date(2024, 7, 1), date(2024, 9, 30))
JULY_2024 = PeriodInfo("2024-07", "month", date(2024, 7, 1), date(2024, 7, 31))


def D(value) -> Decimal:
    return Decimal(str(value)) if not isinstance(value, Decimal) else value


def person(person_id: int, **kw) -> PersonFacts:
    """A person; money keywords may be given as int or str."""
    for name in (
        "target",
        "booked_revenue",
        "collected_cash",
        "margin",
        "base_salary",
        "kpi_score",
        "collected_target",
        "margin_target",
    ):
        if kw.get(name) is not None:
            kw[name] = D(kw[name])
    return PersonFacts(person_id, **kw)


def facts(*people: PersonFacts, period: PeriodInfo = Q3_2024, **kw) -> PeriodFacts:
    return PeriodFacts.build(period, list(people), **kw)


def context(plan_key: str = "plan-1", **kw) -> CalculationContext:
    return CalculationContext(plan_key, **kw)


def amounts(lines) -> dict[int, Decimal]:
    """Total per person over all lines."""
    totals: dict[int, Decimal] = defaultdict(Decimal)
    for line in lines:
        totals[line.person_id] += line.amount
    return dict(totals)


def settings_for(scheme, **overrides) -> dict:
    settings = scheme.default_settings()
    settings.update(overrides)
    return settings


def paid(lines) -> dict[int, Decimal]:
    """Total per person over the lines that pay something."""
    return {k: v for k, v in amounts(lines).items() if v != 0}


def why_zero(lines) -> dict[int, str]:
    """person → the (English) explanation of their 0.00 line: zero is explained."""
    return {line.person_id: line.explanation.plain_text() for line in lines if line.amount == 0}
