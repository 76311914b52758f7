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


# --- pages ----------------------------------------------------------------------------


@pytest.fixture
def cards_world(world):
    with bound_tenant(world.t):
        scorecards.generate(world.t, world.q3)
        world.enter_example()
        db.session.commit()
        world.cards = {
            p.id: world.card(p)
            for p in (world.ex, world.a, world.b, world.boss)
            if any(c.person_id == p.id for c in scorecards.cards(world.t, world.q3))
        }
    return world


def test_the_scorecard_page_shows_the_domain_example(cards_world, browser):
    w = cards_world
    owner = browser(w.tenant.owner)
    page = owner.get(w.url(f"/scorecards/{w.cards[w.ex.id].id}"), headers=EN)
    assert page.status_code == 200
    assert "96.56" in page.text and "97.78" in page.text and "<strong>S</strong>" in page.text
    listing = owner.get(w.url(f"/scorecards?period_id={w.q3.id}"), headers=EN).text
    assert "周例" in listing and "96.56" in listing


def test_a_manager_sees_their_team_and_gets_404_outside_it(cards_world, browser):
    w = cards_world
    manager = browser(w.manager_user)
    assert manager.get(w.url(f"/scorecards/{w.cards[w.ex.id].id}")).status_code == 200
    assert manager.get(w.url(f"/scorecards/{w.cards[w.b.id].id}")).status_code == 404
    listing = manager.get(w.url(f"/scorecards?period_id={w.q3.id}"), headers=EN).text
    assert "周例" in listing and "王芳" not in listing
    staff = browser(w.staff_user)
    assert staff.get(w.url(f"/scorecards/{w.cards[w.a.id].id}")).status_code == 200
    assert staff.get(w.url(f"/scorecards/{w.cards[w.ex.id].id}")).status_code == 404
    assert manager.post(w.url(f"/scorecards/{w.cards[w.ex.id].id}"), data={}).status_code == 403
    assert manager.get(w.url("/calibration")).status_code == 403


def test_another_companys_ids_are_404(cards_world, make_tenant, browser):
    w = cards_world
    other = make_tenant("other", "别家")
    owner = browser(other.owner)
    base = "/t/other"
    assert owner.get(f"{base}/scorecards/{w.cards[w.ex.id].id}").status_code == 404
    assert owner.get(f"{base}/kpis/{w.revenue.id}").status_code == 404
    assert owner.get(f"{base}/kpi-sets/key_account").status_code == 404


def test_hr_adds_a_kpi_and_a_bad_number_is_refused_clearly(world, browser):
    hr = browser(world.hr_user)
    data = {
        "name": "毛利率",
        "code": "margin_rate",
        "category": "result",
        "direction": "1",
        "source": "entered",
        "default_target": "12.345678",
        "cap": "120",
    }
    resp = hr.post(world.url("/kpis"), data=data, headers=EN)
    assert resp.status_code == 422 and "Default target" in resp.text
    data["default_target"] = "30"
    assert hr.post(world.url("/kpis"), data=data).status_code == 302
    page = hr.get(world.url("/kpis"), headers=EN).text
    assert "毛利率" in page and "120" in page
    with bound_tenant(world.t):
        assert db.session.scalar(select(AuditLog.id).where(AuditLog.action == "kpi.create"))


def test_hr_calibrates_a_rating_with_a_reason(cards_world, browser):
    w = cards_world
    hr = browser(w.hr_user)
    card = w.cards[w.ex.id]
    url = w.url(f"/scorecards/{card.id}/rating")
    assert hr.post(url, data={"rating": "A", "reason": ""}).status_code == 422
    assert hr.post(url, data={"rating": "A", "reason": "团队强制分布"}).status_code == 302
    page = hr.get(w.url(f"/calibration?period_id={w.q3.id}"), headers=EN).text
    assert "团队强制分布" in page and 'role="img"' in page
    with bound_tenant(w.t):
        db.session.refresh(card)
        assert (card.rating, card.final_rating) == ("S", "A")
        entry = db.session.scalar(select(AuditLog).where(AuditLog.action == "rating.adjust"))
        assert entry.after["reason"] == "团队强制分布"
    log = browser(w.tenant.owner).get(w.url("/audit"), headers=EN).text
    assert "changed the rating of 周例" in log
    assert "entered KPI values on the scorecard of 周例" in log
    assert "added the KPI 销售额 to the library" in log


def test_entering_in_a_closed_period_is_refused(cards_world, browser):
    w = cards_world
    with bound_tenant(w.t):
        w.q3.status = PeriodStatus.CLOSED
        db.session.commit()
    hr = browser(w.hr_user)
    card = w.cards[w.ex.id]
    resp = hr.post(w.url(f"/scorecards/{card.id}/rating"), data={"rating": "A", "reason": "x"})
    assert resp.status_code == 422
    assert hr.post(w.url(f"/scorecards/generate?period_id={w.q3.id}")).status_code == 302
    with bound_tenant(w.t):
        db.session.refresh(card)
        assert card.final_rating == "S"


def test_rating_bands_page_saves_and_refuses_a_gap(world, browser):
    hr = browser(world.hr_user)
    data = {"label_0": "S", "min_0": "95", "label_1": "A", "min_1": "90"}
    resp = hr.post(world.url("/rating-bands"), data=data, headers=EN)
    assert resp.status_code == 422 and "start at 0" in resp.text
    data.update({"label_2": "C", "min_2": "0"})
    assert hr.post(world.url("/rating-bands"), data=data).status_code == 302
    with bound_tenant(world.t):
        assert [b[0] for b in ratings.bands(world.t)] == ["S", "A", "C"]


def test_a_consultant_copies_a_set_to_another_client(world, make_tenant, member, browser):
    from conftest import add_member

    consultant = member(world.tenant, "consultant")
    other = make_tenant("client2", "第二客户")
    add_member(other, consultant, "consultant")
    staff_elsewhere = make_tenant("client3", "不相干")
    b = browser(consultant)
    page = b.get(world.url("/kpi-sets/core"), headers=EN).text
    assert "第二客户" in page and "不相干" not in page
    resp = b.post(world.url("/kpi-sets/core/copy"), data={"tenant_id": other.id})
    assert resp.status_code == 302
    with bound_tenant(other.id):
        kpi_set = library.kpi_sets(other.id)["core"]
        copied = {k.code: i.weight for i, k in library.set_items(kpi_set)}
        assert copied == {
            "revenue": D(50),
            "collection_rate": D(20),
            "visits": D(15),
            "proposal_timeliness": D(15),
        }
        assert db.session.scalar(
            select(AuditLog.id).where(
                AuditLog.tenant_id == other.id, AuditLog.action == "kpi_set.create"
            )
        )
    # a company the consultant does not advise is refused
    resp = b.post(world.url("/kpi-sets/core/copy"), data={"tenant_id": staff_elsewhere.id})
    assert resp.status_code == 400


# --- plan as code ---------------------------------------------------------------------


def test_library_sets_bands_and_scorecards_round_trip_byte_for_byte(app):
    from jili.models import Person
    from jili.plan_as_code.demo import load_file
    from jili.plan_as_code.export import export_toml
    from tenant_file_kit import SHILI, import_text, tenant_by_slug

    load_file(SHILI)
    tenant = tenant_by_slug("shili")
    t = tenant.id
    with bound_tenant(t):
        q3 = _period(t, "2024-Q3")
        sl012 = db.session.scalar(select(Person).where(Person.employee_no == "SL012"))
        library.set_person_level(t, sl012, "key_account")
        complaints = next(k for k in library.kpis(t) if k.code == "客户投诉率")
        complaints.cap = D(120)
        scorecards.generate(t, q3)
        card = next(c for c in scorecards.cards(t, q3) if c.person_id == sl012.id)
        line = next(ln for ln, k in scorecards.lines(card) if k.id == complaints.id)
        scorecards.enter(card, q3, {line.id: (D("0.5"), None)})
        sl007 = next(c for c in scorecards.cards(t, q3) if c.total == D("93.20"))
        ratings.adjust(sl007, "B", "强制分布：A 名额已满")
        db.session.commit()
    first = export_toml(tenant)
    assert 'person = "SL012"\nlevel = "key_account"' in first and 'cap = "120"' in first
    assert 'rating = "B"' in first and "强制分布" in first and 'share_limit = "20"' in first
    copy = import_text(first, slug="shili-copy")
    second = export_toml(copy)
    assert second == first.replace('slug = "shili"', 'slug = "shili-copy"')
    with bound_tenant(copy.id):
        cards = scorecards.cards(copy.id, _period(copy.id, "2024-Q3"))
        card = next(c for c in cards if c.total == D("93.20"))
        assert (card.rating, card.final_rating) == ("A", "B")


def _period(tid, label):
    from jili.models import Period

    return db.session.scalar(select(Period).where(Period.tenant_id == tid, Period.label == label))


def test_the_demo_company_carries_a_library_sets_and_rated_scorecards(app):
    from jili.plan_as_code.demo import load_file
    from tenant_file_kit import SHILI, tenant_by_slug

    load_file(SHILI)
    tenant = tenant_by_slug("shili")
    with bound_tenant(tenant.id):
        assert {"core", "newcomer", "manager", "key_account"} <= set(library.kpi_sets(tenant.id))
        q3 = _period(tenant.id, "2024-Q3")
        got = {c.person_id: (c.total, c.rating) for c in scorecards.cards(tenant.id, q3)}
        assert sorted(got.values()) == [(D("85.60"), "B"), (D("93.20"), "A")]
        newcomer = library.kpi_sets(tenant.id)["newcomer"]
        mix = library.weight_mix([(k, i.weight) for i, k in library.set_items(newcomer)])
        assert mix.warning  # process-heavy on purpose


def test_hr_puts_a_person_on_a_tenant_defined_level(world, browser):
    with bound_tenant(world.t):
        library.add_level(world.t, "key_account", "大客户经理")
        db.session.commit()
    hr = browser(world.hr_user)
    url = world.url("/kpi-sets/key_account/people")
    assert hr.post(url, data={"employee_no": "E3"}).status_code == 302
    page = hr.get(world.url("/kpi-sets/key_account"), headers=EN).text
    assert "王芳" in page
    resp = hr.post(url, data={"employee_no": "NOPE"}, follow_redirects=True, headers=EN)
    assert "No one has the employee number NOPE" in resp.text
    with bound_tenant(world.t):
        assert library.person_levels(world.t)[world.b.id] == "key_account"
        assert db.session.scalar(select(AuditLog.id).where(AuditLog.action == "person.level"))
