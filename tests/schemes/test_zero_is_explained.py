"""Zero is explained: an eligible person who earns nothing under a plan gets a
0.00 line that says why, in every scheme alike (issue 9, item 16)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from scheme_kit import JULY_2024, context, facts, person, settings_for, why_zero

from jili.schemes import TeamFacts, get_registry

# Eligible for every scheme, earning nothing from any: a newcomer hired in
# June with a target, a score and a base salary, who sold nothing, in a team
# without a target, in a month without profit.
NOBODY_PAID = person(
    7,
    level="newcomer",
    team_id=1,
    hire_date=date(2024, 6, 1),
    base_salary=8000,
    target=100_000,
    kpi_score="60",
    employee_no="E007",
)
TEAM = TeamFacts(1, "华东一组", "group", (7,))


@pytest.mark.parametrize("key", sorted(get_registry().all()))
def test_every_scheme_writes_a_zero_line_that_says_why(key):
    scheme = get_registry().get(key)
    lines = scheme.calculate(
        facts(NOBODY_PAID, teams=[TEAM], period=JULY_2024), settings_for(scheme), context()
    )
    assert [(line.person_id, line.amount) for line in lines] == [(7, Decimal("0.00"))], key
    # the sentence and its arithmetic: "… coefficient 0 …; 5,000.00 × 0 × 0 % = 0.00"
    assert why_zero(lines)[7].endswith("0.00"), why_zero(lines)[7]


def test_a_team_without_a_target_is_named_on_its_members_zero_lines():
    from jili_excess_pool import ExcessPool

    lines = ExcessPool.calculate(
        facts(NOBODY_PAID, teams=[TEAM]), settings_for(ExcessPool), context()
    )
    assert why_zero(lines)[7].startswith("Team 华东一组 has no target for the period")
