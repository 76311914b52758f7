"""Issue 10 item 4: a word in an explanation's arithmetic or inputs ("pool",
"capped", "coefficient", "range") is a translatable ``Step``, in every
built-in scheme; numbers and symbols alone may stay plain strings."""

from __future__ import annotations

from decimal import Decimal

from scheme_kit import context, facts, person, settings_for

from jili.schemes import OneOffAward, SalesSlice, Step, TeamFacts
from jili.schemes.lines import load
from jili_excess_pool import ExcessPool
from jili_performance_bonus import PerformanceBonus
from jili_special_awards import SpecialAwards
from jili_tiered_commission import TieredCommission

A = person(1, team_id=10, target=4_000_000, booked_revenue=4_600_000, level="core", kpi_score=95)
B = person(2, team_id=10, target=3_000_000, booked_revenue=3_500_000)
TEAM = TeamFacts(
    10,
    "华东一组",
    member_ids=(1, 2),
    target=Decimal(7_000_000),
    booked_revenue=Decimal(8_100_000),
    collaboration_score=Decimal(95),
)
OTHERS = [TeamFacts(20 + i, collaboration_score=Decimal(60 + i)) for i in range(4)]
MIXED = person(
    3,
    target=500_000,
    booked_revenue=650_000,
    slices=(
        SalesSlice("华东", "star", booked_revenue=Decimal(400_000)),
        SalesSlice("西北", "long-tail", booked_revenue=Decimal(250_000)),
    ),
)


def _lines():
    yield from ExcessPool.calculate(
        facts(A, B, teams=[TEAM, *OTHERS]),
        settings_for(ExcessPool, pool_cap="100000", collaboration_top_pct="20"),
        context(),
    )
    yield from TieredCommission.calculate(
        facts(MIXED),
        settings_for(
            TieredCommission, attainment_cap_pct="125", region_coefficients={"西北": "1.2"}
        ),
        context(),
    )
    yield from PerformanceBonus.calculate(
        facts(person(1, level="core", kpi_score="95", target=100, booked_revenue=200)),
        settings_for(PerformanceBonus),
        context(),
    )
    award = OneOffAward(1, "strategic_client", Decimal(12_000), "Signed a framework deal", "王总")
    yield from SpecialAwards.calculate(
        facts(person(1), one_off_awards=(award,)), SpecialAwards.default_settings(), context()
    )


def test_every_word_in_the_arithmetic_is_a_translatable_step():
    seen = set()
    for line in _lines():
        expl = line.explanation
        for text in (*expl.arithmetic, *expl.inputs.values()):
            if isinstance(text, Step):
                seen.add(text.message)
            elif "deal" not in text:  # a reason typed by an approver is shown as typed
                assert not any("a" <= c.lower() <= "z" for c in text), (line.scheme_key, text)
    assert {
        "pool %(excess)s × %(rate)s = %(pool)s",
        "capped at %(pool)s",
        "collaboration top: + %(bonus)s = %(pool)s",
        "cap %(cap)s × %(target)s = %(counted)s counted",
        "× coefficient %(coefficient)s (region × product mix %(weighted)s / %(plain)s) = %(scaled)s",
        "%(attainment)s (capped)",
        "%(base)s × %(coefficient)s × %(attainment)s (capped) = %(amount)s",
        "%(amount)s (range %(minimum)s – %(maximum)s)",
    } <= seen


def test_each_step_read_back_from_its_english_text_is_the_same_step():
    """Runs stored before steps were translatable hold only the English text."""
    for line in _lines():
        for text in line.explanation.arithmetic:
            if isinstance(text, Step):
                again = load(str(text))
                assert isinstance(again, Step) and again.message == text.message
                assert again.translate(str.upper) != ""  # renders (or falls back to English)
