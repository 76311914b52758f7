"""Excess pool: a team's sales over its target feed a pool, split by contribution.

Pool = pool rate × (team sales − team target), optionally capped, then — for
teams in the top X % by collaboration score — raised by Y % (seed 002: top
20 % get 5 % more). The pool is rounded to the minor unit and split among the
team's members with the largest-remainder method, so the parts add up to it:

- ``excess``: by each member's positive individual excess (sales − own target);
- ``sales``: by each member's share of the team's sales;
- ``composite``: a team part split equally and an individual part by positive
  excess (seed 002: team 70 % + individual 30 %).

Example (DOMAIN.md): team target 10,000,000; A 4.0 M → 4.6 M, B 3.0 M →
3.5 M, C 3.0 M → 2.9 M; excess 1,000,000 × 20 % = 200,000; by excess
600,000 : 500,000 → A 109,090.91, B 90,909.09, C 0.

When nobody has a positive weight the split falls back to sales, then to
equal parts, and says so.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from fractions import Fraction
from math import ceil

from flask_babel import lazy_gettext as _l

from jili.schemes import (
    N_,
    Basis,
    CalculationContext,
    ChoiceField,
    Explanation,
    Fact,
    OptionalDecimalField,
    PercentField,
    PeriodFacts,
    SchemeType,
    Settings,
    Step,
    TeamFacts,
    fmt_money,
    fmt_pct,
    quantize,
    shift_team,
    split_largest_remainder,
    step_message,
)

HUNDRED = Decimal(100)
ZERO = Decimal(0)

SPLIT_WORDS = {
    "excess": N_("individual excess"),
    "sales": N_("share of sales"),
    "composite": N_("team and individual parts"),
    "equal": N_("equal parts"),
}
# Arithmetic steps with words (translated when read; see jili.schemes.Step).
POOL_STEP = step_message(N_("pool %(excess)s × %(rate)s = %(pool)s"))
CAPPED_STEP = step_message(N_("capped at %(pool)s"))
COLLABORATION_STEP = step_message(N_("collaboration top: + %(bonus)s = %(pool)s"))


class ExcessPool(SchemeType):
    """A pool from each team's sales over target, split among its members."""

    key = "excess_pool"
    label = _l("Excess pool")
    description = _l("A share of the team's sales over target, split by contribution (超额奖金池).")
    facts_needed = frozenset({Fact.SALES, Fact.TARGETS, Fact.TEAMS})
    manager_rollup = False  # individual excess is a member's own
    settings_fields = (
        ChoiceField(
            "basis",
            _l("Basis"),
            choices=(
                (Basis.BOOKED.value, _l("Booked revenue")),
                (Basis.COLLECTED.value, _l("Collected cash")),
                (Basis.MARGIN.value, _l("Margin")),
            ),
            default=Basis.BOOKED.value,
        ),
        ChoiceField(
            "team_kind",
            _l("Teams"),
            choices=(("group", _l("Groups")), ("region", _l("Regions")), ("any", _l("All teams"))),
            default="group",
        ),
        PercentField(
            "pool_rate_pct",
            _l("Pool rate (%), on the team's excess"),
            minimum=ZERO,
            maximum=HUNDRED,
            default="20",
        ),
        OptionalDecimalField("pool_cap", _l("Pool cap per team"), minimum=ZERO, default=None),
        ChoiceField(
            "split",
            _l("Split"),
            choices=(
                ("excess", _l("By positive individual excess")),
                ("sales", _l("By share of sales")),
                ("composite", _l("Team part equally + individual part by excess")),
            ),
            default="excess",
        ),
        PercentField(
            "team_part_pct",
            _l("Team part (composite split, %)"),
            minimum=ZERO,
            maximum=HUNDRED,
            default="70",
        ),
        OptionalDecimalField(
            "collaboration_top_pct",
            _l("Collaboration bonus for the top teams (%)"),
            minimum=ZERO,
            maximum=HUNDRED,
            default=None,
            help_text=_l(
                "Teams in this top share by collaboration score get a larger pool. Empty: off."
            ),
        ),
        PercentField(
            "collaboration_bonus_pct",
            _l("Collaboration bonus (% more pool)"),
            minimum=ZERO,
            default="5",
        ),
    )

    @classmethod
    def calculate(cls, facts: PeriodFacts, settings, context: CalculationContext):
        """One line per member of every team with a target (0 when no pool)."""
        s = cls.load_settings(settings)
        basis = Basis(s.basis)
        teams = _teams_in_scope(facts, s.team_kind)
        top = _collaboration_top(teams, s.collaboration_top_pct)
        lines, no_target = [], []
        for team in teams:
            if team.target is None or team.target <= 0:
                no_target.append(team)
                continue
            lines.extend(cls._team_lines(facts, team, basis, team.team_id in top, s, context))
        # Zero is explained: a member of a team without a target, with no line
        # from another team, gets 0.00 saying so.
        paid = {line.person_id for line in lines}
        for team in no_target:
            for pid in sorted(set(team.member_ids) - paid, key=facts.person_key):
                if pid in facts.people:
                    lines.append(cls._no_target(team, pid, context))
                    paid.add(pid)
        return lines

    @classmethod
    def prepare_one_person(cls, facts: PeriodFacts, settings, context: CalculationContext):
        """The simulator's fast path: the teams with a target each person counts
        for, found once; one changed member is then paid against the others
        (the team's sum moved by their difference, the pool split again)."""
        s = cls.load_settings(settings)
        basis = Basis(s.basis)
        teams = _teams_in_scope(facts, s.team_kind)
        top = _collaboration_top(teams, s.collaboration_top_pct)
        counts_for: dict[int, list[TeamFacts]] = defaultdict(list)
        for team in teams:
            if team.target is not None and team.target > 0:
                for m in set(team.member_ids):
                    counts_for[m].append(team)

        def pay(changed) -> Decimal:
            old = facts.people[changed.person_id]
            total = ZERO
            for team in counts_for.get(changed.person_id, ()):
                moved = shift_team(team, old, changed)
                in_top = team.team_id in top
                total += _one_member_part(facts, moved, changed, basis, in_top, s, context.places)
            return total

        return pay

    @classmethod
    def _no_target(cls, team: TeamFacts, person_id: int, context):
        explanation = Explanation(
            N_("Team %(team)s has no target for the period: no excess, no pool."),
            {"team": team.name or str(team.team_id)},
            {},
            (fmt_money(ZERO, context.places),),
        )
        return cls.line(context, person_id, ZERO, explanation)

    @classmethod
    def _team_lines(cls, facts, team: TeamFacts, basis, in_top: bool, s: Settings, context):
        places = context.places
        members = sorted(
            (facts.people[m] for m in set(team.member_ids) if m in facts.people),
            key=lambda p: p.natural_key,
        )
        actual = team.amount(basis)
        excess = actual - team.target
        inputs = {
            "team": team.name or str(team.team_id),
            "team_sales": fmt_money(actual, places),
            "team_target": fmt_money(team.target, places),
            "team_excess": fmt_money(max(excess, ZERO), places),
        }
        if excess <= 0 or not members:
            explanation = Explanation(
                N_(
                    "Team %(team)s sold %(team_sales)s against %(team_target)s: no excess, no pool."
                ),
                inputs,
            )
            return [cls.line(context, p.person_id, ZERO, explanation) for p in members]

        steps = []
        pool = excess * s.pool_rate_pct / HUNDRED
        steps.append(
            Step(
                POOL_STEP,
                excess=fmt_money(excess, places),
                rate=fmt_pct(s.pool_rate_pct),
                pool=fmt_money(pool, places),
            )
        )
        if s.pool_cap is not None and pool > s.pool_cap:
            pool = s.pool_cap
            steps.append(Step(CAPPED_STEP, pool=fmt_money(pool, places)))
        if in_top:
            pool = pool * (HUNDRED + s.collaboration_bonus_pct) / HUNDRED
            steps.append(
                Step(
                    COLLABORATION_STEP,
                    bonus=fmt_pct(s.collaboration_bonus_pct),
                    pool=fmt_money(pool, places),
                )
            )
        pool = quantize(pool, places)
        inputs["pool"] = fmt_money(pool, places)

        method, weights, formulas = _weights(members, basis, s, places)
        parts = split_largest_remainder(pool, weights, places, tie_key=facts.person_key)
        lines = []
        for person in members:
            pid = person.person_id
            explanation = Explanation(
                N_(
                    "Team %(team)s sold %(team_sales)s against %(team_target)s; "
                    "pool %(pool)s split by %(split)s (largest remainder)."
                ),
                inputs,
                {"split": SPLIT_WORDS[method]},
                (
                    *steps,
                    f"{fmt_money(pool, places)} × {formulas[pid]} = {fmt_money(parts[pid], places)}",
                ),
            )
            lines.append(cls.line(context, pid, parts[pid], explanation))
        return lines


def _one_member_part(facts, team: TeamFacts, changed, basis: Basis, in_top: bool, s, places):
    """``changed``'s part of ``team``'s pool (``team``'s sums already moved by
    them): the same pool and split as :meth:`ExcessPool._team_lines`, amounts only."""
    pid = changed.person_id
    members = [
        changed if m == pid else facts.people[m] for m in set(team.member_ids) if m in facts.people
    ]
    excess = team.amount(basis) - team.target
    if excess <= 0 or not members:
        return ZERO
    pool = excess * s.pool_rate_pct / HUNDRED
    if s.pool_cap is not None and pool > s.pool_cap:
        pool = s.pool_cap
    if in_top:
        pool = pool * (HUNDRED + s.collaboration_bonus_pct) / HUNDRED
    pool = quantize(pool, places)

    def tie(k):
        return changed.natural_key if k == pid else facts.person_key(k)

    weights = _split_weights(members, basis, s)
    return split_largest_remainder(pool, weights, places, tie_key=tie)[pid]


def _split_weights(members, basis: Basis, s: Settings) -> dict:
    """The exact weights of :func:`_weights`, without the formulas shown."""
    excess = {p.person_id: _positive_excess(p, basis) for p in members}
    individual = excess
    if s.split == "sales" or not any(excess.values()):
        individual = {p.person_id: max(ZERO, p.amount(basis)) for p in members}
    if not any(individual.values()):
        return {k: Fraction(1) for k in individual}
    if s.split != "composite":
        return {k: Fraction(v) for k, v in individual.items()}
    n, total = len(members), Fraction(sum(individual.values(), ZERO))
    team_part = Fraction(s.team_part_pct) / 100
    return {k: team_part / n + (1 - team_part) * Fraction(v) / total for k, v in individual.items()}


def _weights(members, basis: Basis, s: Settings, places: int):
    """(method used, exact weight per person, the weight as a formula to show)."""
    excess = {p.person_id: _positive_excess(p, basis) for p in members}
    sales = {p.person_id: max(ZERO, p.amount(basis)) for p in members}
    individual, method = excess, "excess"
    if s.split == "sales" or not any(excess.values()):
        individual, method = sales, "sales"
    n = len(members)
    if not any(individual.values()):
        return "equal", {k: Fraction(1) for k in individual}, {k: f"1 / {n}" for k in individual}
    total = sum(individual.values(), ZERO)
    shown = {
        k: f"{fmt_money(v, places)} / {fmt_money(total, places)}" for k, v in individual.items()
    }
    if s.split != "composite":
        return method, {k: Fraction(v) for k, v in individual.items()}, shown
    team_part = Fraction(s.team_part_pct) / 100
    weights = {
        k: team_part / n + (1 - team_part) * Fraction(v) / Fraction(total)
        for k, v in individual.items()
    }
    formulas = {
        k: f"({fmt_pct(s.team_part_pct)} / {n} + {fmt_pct(HUNDRED - s.team_part_pct)} × {shown[k]})"
        for k in individual
    }
    return "composite", weights, formulas


def _positive_excess(person, basis: Basis) -> Decimal:
    """Sales over the person's own target; nothing without a target."""
    target = person.target_for(basis)
    if target is None:
        return ZERO
    return max(ZERO, person.amount(basis) - target)


def _collaboration_top(teams: list[TeamFacts], top_pct: Decimal | None) -> set[int]:
    """Ids of the teams in the top ``top_pct`` % by collaboration score: the
    best ceil(n × pct / 100) of the n scored teams, ties at the edge included."""
    if top_pct is None:
        return set()
    scored = sorted(
        (t for t in teams if t.collaboration_score is not None),
        key=lambda t: (-t.collaboration_score, t.team_id),
    )
    count = ceil(len(scored) * top_pct / HUNDRED)
    if count == 0:
        return set()
    edge = scored[count - 1].collaboration_score
    return {t.team_id for t in scored if t.collaboration_score >= edge}


def _teams_in_scope(facts: PeriodFacts, team_kind: str) -> list:
    """The teams the plan pools over, in a stable order."""
    return [
        facts.teams[k]
        for k in sorted(facts.teams)
        if team_kind == "any" or facts.teams[k].kind == team_kind
    ]
