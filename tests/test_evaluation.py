"""Evaluation (issue 14): the KPI library, sets per level, scorecards scored by
the one rule of jili.schemes.kpi, ratings by bands, and who sees which card."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from jili.evaluation.models import KpiCategory, KpiSource
from jili.evaluation.services import library, ratings, scorecards
from jili.extensions import db
from jili.incentives.engine.facts import _metrics
from jili.models import AuditLog, Level, MetricValue, PeriodStatus
from jili.schemes.kpi import rating_for
from jili.tenancy import bound_tenant
from test_runs_pages import CalcWorld

D = Decimal
EN = {"Accept-Language": "en"}


def kpi_values(code, name, category, source, target=None, higher=True, cap=D(100)):
    return {
        "code": code,
        "name": name,
        "category": category,
        "unit": "",
        "higher_is_better": higher,
        "formula": "",
        "source": source,
        "default_target": target,
        "cap": cap,
    }


class EvalWorld(CalcWorld):
    """CalcWorld plus the DOMAIN.md §2 worked example for core staff: revenue
    (w50, from the published target 500,000, actual 480,000), collection rate
    (w20, 90 → 88), visits (w15, 30 → 28) and proposal timeliness (w15, 95 →
    100, capped) — 96.56 for 周例 (E9)."""

    def __init__(self, tenant, member):
        super().__init__(tenant, member)
        with bound_tenant(self.t):
            self.ex = self.person("E9", "周例", team=self.team_a)
            self.target(self.ex, "500000")
            self.sale(self.ex, "480000")
            t = self.t
            R, P = KpiCategory.RESULT, KpiCategory.PROCESS
            self.revenue = library.save_kpi(
                t, None, kpi_values("revenue", "销售额", R, KpiSource.TARGETS)
            )
            self.collect = library.save_kpi(
                t, None, kpi_values("collection_rate", "回款率", R, KpiSource.ENTERED, D(90))
            )
            self.visits = library.save_kpi(
                t, None, kpi_values("visits", "客户拜访", P, KpiSource.ENTERED, D(30))
            )
            self.timely = library.save_kpi(
                t,
                None,
                kpi_values("proposal_timeliness", "方案及时率", P, KpiSource.ENTERED, D(95)),
            )
            self.core_set = library.save_set(
                t,
                "core",
                "核心员工",
                [
                    (self.revenue.id, D(50), None),
                    (self.collect.id, D(20), None),
                    (self.visits.id, D(15), None),
                    (self.timely.id, D(15), None),
                ],
            )
            db.session.commit()

    def card(self, person):
        return next(c for c in scorecards.cards(self.t, self.q3) if c.person_id == person.id)

    def enter_example(self):
        card = self.card(self.ex)
        by_kpi = {line.kpi_id: line.id for line, _k in scorecards.lines(card)}
        scorecards.enter(
            card,
            self.q3,
            {
                by_kpi[self.collect.id]: (D(88), None),
                by_kpi[self.visits.id]: (D(28), None),
                by_kpi[self.timely.id]: (D(100), None),
            },
        )
        return card


@pytest.fixture
def world(make_tenant, member):
    return EvalWorld(make_tenant(), member)


def test_the_domain_example_scores_96_56_and_rates_s(world):
    with bound_tenant(world.t):
        made, missing = scorecards.generate(world.t, world.q3)
        assert (made, missing) == (5, 1)  # the manager's level has no set yet
        card = world.enter_example()
        db.session.commit()
        scores = {kpi.code: line.score for line, kpi in scorecards.lines(card)}
        assert scores == {
            "revenue": D("96.0000"),
            "collection_rate": D("97.7778"),
            "visits": D("93.3333"),
            "proposal_timeliness": D("100.0000"),
        }
        assert card.total == D("96.56")
        assert card.rating == "S"
        # the performance bonus reads the same total from the metric values
        kpi, _collab = _metrics(world.t, world.q3)
        assert kpi[world.ex.id] == D("96.56")
        assert db.session.scalar(select(AuditLog.id).where(AuditLog.action == "scorecard.enter"))


def test_lower_is_better_scores_target_over_actual_and_caps(world):
    with bound_tenant(world.t):
        complaints = library.save_kpi(
            world.t,
            None,
            kpi_values("complaints", "投诉率", KpiCategory.PROCESS, KpiSource.ENTERED, D(4), False),
        )
        library.save_set(world.t, "core", "核心员工", [(complaints.id, D(1), None)])
        scorecards.generate(world.t, world.q3)
        card = world.card(world.ex)
        ((line, _kpi),) = scorecards.lines(card)
        scorecards.enter(card, world.q3, {line.id: (D(5), None)})
        assert line.score == D("80.0000") and card.total == D("80.00")  # 4 / 5 × 100
        scorecards.enter(card, world.q3, {line.id: (D(2), None)})
        assert card.total == D("100.00")  # 200 capped at 100
        scorecards.enter(card, world.q3, {line.id: (D(0), None)})
        assert card.total == D("100.00")  # no complaints at all: the cap
        value = db.session.scalar(select(MetricValue).where(MetricValue.person_id == world.ex.id))
        assert value.higher_is_better is False


def test_a_total_exactly_on_a_band_edge_takes_that_band(world):
    assert rating_for(D("95.00")) == "S"
    assert rating_for(D("94.99")) == "A"
    assert rating_for(D("90")) == "A"
    assert rating_for(D("80.00")) == "B"
    assert rating_for(D("79.99")) == "C"
    with bound_tenant(world.t):
        ratings.save_bands(world.t, [("优", D(96), None), ("良", D(85), None), ("差", D(0), None)])
        assert ratings.rate(world.t, D("96.00")) == "优"
        assert ratings.rate(world.t, D("95.99")) == "良"


def test_weight_mix_warns_but_does_not_block(world):
    with bound_tenant(world.t):
        items = [(k, item.weight) for item, k in library.set_items(world.core_set)]
        assert not library.weight_mix(items).warning  # 70 / 30
        kpi_set = library.save_set(
            world.t,
            "core",
            "核心员工",
            [(world.revenue.id, D(50), None), (world.visits.id, D(50), None)],
        )
        items = [(k, item.weight) for item, k in library.set_items(kpi_set)]
        assert library.weight_mix(items).warning


def test_closed_period_scorecards_cannot_change(world):
    with bound_tenant(world.t):
        scorecards.generate(world.t, world.q3)
        card = world.enter_example()
        world.q3.status = PeriodStatus.CLOSED
        db.session.commit()
        with pytest.raises(library.EvaluationError):
            scorecards.generate(world.t, world.q3)
        with pytest.raises(library.EvaluationError):
            scorecards.enter(card, world.q3, {})
        assert card.total == D("96.56")


def test_a_tenant_defined_level_gets_its_own_set(world):
    with bound_tenant(world.t):
        library.add_level(world.t, "key_account", "大客户经理")
        library.set_person_level(world.t, world.b, "key_account")
        library.save_set(world.t, "key_account", "大客户", [(world.revenue.id, D(1), None)])
        scorecards.generate(world.t, world.q3)
        assert world.card(world.b).level == "key_account"
        assert world.card(world.a).level == Level.CORE.value
