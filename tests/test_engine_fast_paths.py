"""The calculation's fast paths give exactly what the plain code they replaced
gave: the fingerprint's rows (``canonical``, ``person_row``), the stored line
rows (money in minor units, explanation JSON and English), the money format
and the explanation's dict. Each fast path is compared with a reference
written here the plain way, on the lines all six schemes calculate for random
people, and on hand-picked odd values (trailing zeros, infinities, NaN,
nested steps, amounts that do not fit a column). The cycle collector is
paused for a calculation and given back as it was found."""

from __future__ import annotations

import gc
import json
from dataclasses import fields
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from types import SimpleNamespace
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jili.incentives.engine import natural, storage
from jili.incentives.engine.timings import gc_paused
from jili.incentives.models import PayoutLineRecord
from jili.money import MoneyError
from jili.schemes import (
    CalculationContext,
    Explanation,
    PayoutLine,
    PeriodFacts,
    PeriodInfo,
    PersonFacts,
    SalesSlice,
    Step,
    TeamFacts,
    get_registry,
)
from jili.schemes.lines import dump, fmt_money

Q3 = PeriodInfo("2024-Q3", "quarter", date(2024, 7, 1), date(2024, 9, 30))

# -- the references: the code as it was before the fast paths ---------------------------


def reference_canonical(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value.is_finite() else str(value)
    if isinstance(value, tuple):
        return tuple(reference_canonical(v) for v in value)
    if hasattr(value, "__dataclass_fields__"):
        return tuple(reference_canonical(getattr(value, f.name)) for f in fields(value))
    return value


def reference_person_row(person: PersonFacts, keys: natural.NaturalKeys) -> tuple:
    out: list[Any] = []
    for f in fields(person):
        value = getattr(person, f.name)
        if f.name == "rating" and value is None:
            continue
        if f.name in ("person_id", "mentor_id"):
            value = keys.person_no(value)
        elif f.name == "team_id":
            value = keys.team_name(value)
        out.append(reference_canonical(value))
    return tuple(out)


def reference_to_dict(expl: Explanation) -> dict:
    return {
        "message": expl.message,
        "inputs": {k: dump(v) for k, v in expl.inputs.items()},
        "rule": {k: dump(v) for k, v in expl.rule.items()},
        "arithmetic": [dump(step) for step in expl.arithmetic],
    }


def reference_line_row(tenant_id, run_id, entry, version, line, before, side) -> tuple:
    money = PayoutLineRecord.__table__.c.amount.type
    return (
        tenant_id,
        run_id,
        line.person_id,
        entry.plan.id,
        version.id,
        line.scheme_key,
        line.component,
        money.process_bind_param(line.amount, "sqlite"),
        money.process_bind_param(before, "sqlite"),
        line.once_key,
        side,
        json.dumps(line.explanation.to_dict(), ensure_ascii=False, separators=(",", ":")),
        line.explanation.plain_text(),
    )


def reference_fmt_money(amount: Decimal, places: int = 2) -> str:
    unit = Decimal(1).scaleb(-places)
    return f"{amount.quantize(unit, rounding=ROUND_HALF_UP):,.{places}f}"


# -- random people, and every scheme's lines for them ------------------------------------

money = st.decimals(min_value=-50_000, max_value=2_000_000, places=2, allow_nan=False)
maybe_money = st.one_of(st.none(), money.map(lambda d: abs(d) + 1))
# Decimals as a database returns them: trailing zeros, exponents, one of each sign.
odd_decimals = st.one_of(
    money,
    st.sampled_from(
        [Decimal("87.5000"), Decimal("1E+3"), Decimal("-0.00"), Decimal("0E-7"), Decimal("1.10")]
    ),
)


@st.composite
def people(draw):
    count = draw(st.integers(1, 8))
    out = []
    for i in range(count):
        slices = tuple(
            SalesSlice(region, product, draw(odd_decimals), draw(odd_decimals), draw(odd_decimals))
            for region, product in draw(
                st.lists(
                    st.tuples(st.sampled_from(["华东", "north", ""]), st.sampled_from(["A", "B"])),
                    max_size=4,
                    unique=True,
                )
            )
        )
        out.append(
            PersonFacts(
                person_id=i + 1,
                level=draw(st.sampled_from(["newcomer", "core", "manager"])),
                team_id=draw(st.sampled_from([None, 7, 99])),
                hire_date=draw(st.sampled_from([None, date(2024, 7, 15), date(2020, 1, 1)])),
                mentor_id=draw(st.sampled_from([None, 1, 42])),
                base_salary=draw(odd_decimals),
                booked_revenue=draw(odd_decimals),
                collected_cash=draw(odd_decimals),
                margin=draw(odd_decimals),
                deal_count=draw(st.integers(0, 40)),
                first_deal_date=draw(st.sampled_from([None, date(2024, 8, 2)])),
                target=draw(maybe_money),
                collected_target=draw(maybe_money),
                margin_target=draw(maybe_money),
                kpi_score=draw(st.one_of(st.none(), odd_decimals)),
                slices=slices,
                employee_no=f"E{i:03d}",
                name=draw(st.sampled_from(["王小明", "Ann", ""])),
                rating=draw(st.sampled_from([None, "A", "C"])),
            )
        )
    return out


KEYS = natural.NaturalKeys({1: "E001", 2: "E002"}, {7: "华南"})


@settings(max_examples=60, deadline=None)
@given(people())
def test_the_fingerprint_rows_are_the_plain_ones(persons):
    for p in persons:
        assert natural.person_row(p, KEYS) == reference_person_row(p, KEYS)
        assert repr(natural.person_row(p, KEYS)) == repr(reference_person_row(p, KEYS))
    team = TeamFacts(7, "华南", "region", (2, 1), Decimal("10.500"), Decimal("3E+2"))
    expected = list(reference_canonical(team))
    expected[0], expected[3] = "华南", ("E001", "E002")
    assert natural.team_row(team, KEYS) == tuple(expected)


@pytest.mark.parametrize(
    "value",
    [
        Decimal("Infinity"),
        Decimal("-Infinity"),
        Decimal("NaN"),
        Decimal("12.3400"),
        (Decimal("1.0"), (Decimal("2.50"), "x"), None),
        SalesSlice("r", "p", Decimal("Infinity"), Decimal("1.00")),
        Step("pool %(x)s", x="1"),
        True,
        3.5,
        date(2024, 7, 1),
        PersonFacts,  # a dataclass itself, not an instance
    ],
)
def test_canonical_answers_odd_values_as_before(value):
    assert natural.canonical(value) == reference_canonical(value)


class _Subclassed(Decimal):
    """A Decimal subclass takes the general path."""


def test_a_decimal_subclass_and_a_tuple_subclass_are_canonical_too():
    from collections import namedtuple

    pair = namedtuple("pair", "a b")(_Subclassed("1.50"), Decimal("2"))
    assert natural.canonical(pair) == reference_canonical(pair) == ("1.5", "2")


def _all_lines(period: PeriodFacts) -> list[PayoutLine]:
    out = []
    for key, scheme in get_registry().all().items():
        out.extend(
            scheme.calculate(period, scheme.default_settings(), CalculationContext(key, places=2))
        )
    return out


@settings(max_examples=40, deadline=None)
@given(people())
def test_the_stored_line_rows_are_the_plain_ones_for_every_scheme(persons):
    team = TeamFacts(
        7,
        member_ids=tuple(p.person_id for p in persons),
        target=Decimal(1000),
        booked_revenue=sum((p.booked_revenue for p in persons), Decimal(0)),
    )
    period = PeriodFacts.build(Q3, persons, [team], profit=Decimal("1000000.00"))
    lines = _all_lines(period)
    assert len(lines) >= len(persons)  # tiered commission: a line for everyone
    entry = SimpleNamespace(plan=SimpleNamespace(id=5))
    version = SimpleNamespace(id=9)
    calculated = [(entry, version, line) for line in lines]
    # The budget ceiling's before-amounts: some equal objects, some cut.
    before = [line.amount + (i % 3) for i, line in enumerate(lines)]
    for before_budget in (None, before):
        rows = storage.line_rows(3, 11, calculated, before_budget, side="pilot")
        expected = [
            reference_line_row(
                3,
                11,
                entry,
                version,
                line,
                line.amount if before_budget is None else before_budget[i],
                "pilot",
            )
            for i, line in enumerate(lines)
        ]
        assert rows == expected
        assert all(type(r[7]) is int and type(r[8]) is int for r in rows)
    for line in lines:
        assert line.explanation.to_dict() == reference_to_dict(line.explanation)
        assert json.dumps(line.explanation.to_dict()) == json.dumps(
            reference_to_dict(line.explanation)
        )


@pytest.mark.parametrize(
    "amount",
    [
        Decimal("1.234"),  # more decimals than the column keeps
        Decimal("1E+40"),  # does not fit
        Decimal("NaN"),
        Decimal("Infinity"),
        "12.50",  # not a Decimal: the column's own conversion answers
        12,
    ],
)
def test_money_the_fast_path_does_not_take_is_refused_or_converted_as_before(amount):
    column = PayoutLineRecord.__table__.c.amount.type
    try:
        expected = column.process_bind_param(amount, "sqlite")
    except MoneyError as exc:
        with pytest.raises(type(exc)):
            storage._minor_units(amount)
    else:
        assert storage._minor_units(amount) == expected


@settings(max_examples=200, deadline=None)
@given(
    st.decimals(allow_nan=False, allow_infinity=False, min_value=-(10**15), max_value=10**15),
    st.integers(0, 8),
)
def test_the_money_format_is_the_plain_one(amount, places):
    assert fmt_money(amount, places) == reference_fmt_money(amount, places)


def test_explanations_with_nested_steps_give_the_same_dict():
    inner = Step("%(pct)s (capped)", pct="120 %")
    expl = Explanation(
        "Sales %(basis_amount)s reach band %(band)s.",
        {"basis_amount": "650,000.00", "capped": inner},
        {"band": Step("from %(from)s", **{"from": inner}), "mode": "whole"},
        ("650,000.00 × 1.8 % = 11,700.00", Step("cap %(cap)s", cap=inner)),
    )
    assert expl.to_dict() == reference_to_dict(expl)
    assert Explanation.from_dict(expl.to_dict()) == expl


def test_the_cycle_collector_is_paused_and_given_back_as_found():
    assert gc.isenabled()
    with gc_paused():
        assert not gc.isenabled()
        with gc_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the outer calculation still runs
    assert gc.isenabled()
    with pytest.raises(RuntimeError), gc_paused():
        raise RuntimeError("a plan failed")
    assert gc.isenabled()
    gc.disable()
    try:
        with gc_paused():
            pass
        assert not gc.isenabled()  # it was off: it stays off
    finally:
        gc.enable()
