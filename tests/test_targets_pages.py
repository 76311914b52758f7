"""Targets pages: the grid per cell (htmx), split, publish with an accepted
difference, the metrics page, the person's view, and who may do what."""

from decimal import Decimal as D

import pytest
from sqlalchemy import select

from jili.extensions import db
from jili.models import AuditLog, Period, Person, SalesTarget, TargetMetric, Team
from jili.org.models import Level
from jili.periods.services import generate_year
from jili.targets.services import change_target
from jili.targets.services.publication import publish
from jili.tenancy import bound_tenant

EN = {"Accept-Language": "en"}
HX = {"Accept-Language": "en", "HX-Request": "true"}


class Shop:
    def __init__(self, tenant, member):
        self.tenant, self.t = tenant, tenant.id
        self.users = {"owner": tenant.owner}
        for role in ("admin", "hr", "consultant", "manager", "staff"):
            self.users[role] = member(tenant, role)
        with bound_tenant(self.t):
            self.region = Team(tenant_id=self.t, name="华东大区")
            db.session.add(self.region)
            db.session.flush()
            self.group = Team(tenant_id=self.t, name="上海组", parent_id=self.region.id)
            self.other = Team(tenant_id=self.t, name="华南组")
            db.session.add_all([self.group, self.other])
            db.session.flush()
            self.boss = Person(tenant_id=self.t, employee_no="M1", name="王经理",
                               team_id=self.group.id, level=Level.MANAGER,
                               user_id=self.users["manager"].id)  # fmt: skip
            self.a = Person(tenant_id=self.t, employee_no="E1", name="张伟",
                            team_id=self.group.id, user_id=self.users["staff"].id)  # fmt: skip
            self.b = Person(tenant_id=self.t, employee_no="E2", name="李娜", team_id=self.group.id)
            self.out = Person(
                tenant_id=self.t, employee_no="E9", name="孙外队", team_id=self.other.id
            )
            db.session.add_all([self.boss, self.a, self.b, self.out])
            generate_year(self.t, 2024, 1)
            db.session.flush()
            self.p = {p.label: p for p in db.session.scalars(select(Period))}
            self.ids = {k: v.id for k, v in self.p.items()}
            db.session.commit()

    def url(self, path):
        return f"/t/{self.tenant.slug}{path}"

    def targets(self, label):
        with bound_tenant(self.t):
            return {
                (t.person_id, t.team_id, t.metric): t.baseline
                for t in db.session.scalars(
                    select(SalesTarget).where(SalesTarget.period_id == self.ids[label])
                )
            }


@pytest.fixture
def shop(make_tenant, member):
    return Shop(make_tenant(slug="mubiao"), member)


def cell(b, shop, label, amount, *, person=None, team=None, metric="revenue", value="baseline"):
    data = {"period_id": shop.ids[label], "metric": metric, "amount": amount, "value": value}
    data.update({"person_id": person.id} if person else {"team_id": team.id})
    return b.post(shop.url("/targets/plan/cell"), data=data, headers=HX)


def test_a_cell_saves_and_a_bad_value_keeps_what_was_typed(shop, browser):
    b = browser(shop.tenant.owner)
    resp = cell(b, shop, "2024-Q3", "500000", person=shop.a)
    assert resp.status_code == 200 and 'value="500000.00"' in resp.text
    assert shop.targets("2024-Q3")[(shop.a.id, None, "revenue")] == D("500000")
    resp = cell(b, shop, "2024-Q3", "12.345", person=shop.a)
    assert resp.status_code == 200
    assert 'value="12.345"' in resp.text and 'aria-invalid="true"' in resp.text
    assert "decimal" in resp.text  # the reason: too many decimal places
    assert shop.targets("2024-Q3")[(shop.a.id, None, "revenue")] == D("500000")
    resp = cell(b, shop, "2024-Q3", "-5", person=shop.a)
    assert 'value="-5"' in resp.text and "error" in resp.text
    resp = cell(b, shop, "2024-Q3", "650000", person=shop.a, value="challenge")
    with bound_tenant(shop.t):
        t = db.session.scalar(select(SalesTarget).where(SalesTarget.person_id == shop.a.id))
        assert (t.baseline, t.challenge) == (D("500000"), D("650000"))
        assert (
            db.session.scalar(
                select(AuditLog)
                .where(AuditLog.action == "target.change")
                .order_by(AuditLog.id.desc())
            ).after["challenge"]
            == "650000.00"
        )
    resp = cell(b, shop, "2024-Q3", "", person=shop.a)  # emptied: removed
    assert shop.targets("2024-Q3") == {}


def test_the_grid_shows_a_team_mismatch_and_publishing_needs_a_reason(shop, browser):
    b = browser(shop.users["hr"])
    cell(b, shop, "2024-Q3", "1000000", team=shop.group)
    cell(b, shop, "2024-Q3", "500000", person=shop.a)
    resp = cell(b, shop, "2024-Q3", "380000", person=shop.b)
    assert "hx-swap-oob" in resp.text and "-120,000" in resp.text
    page = b.get(
        shop.url(f"/targets/plan?period_id={shop.ids['2024-Q3']}&team_id={shop.group.id}"),
        headers=EN,
    )
    assert page.status_code == 200
    assert "mismatch" in page.text and "-120,000" in page.text and "张伟" in page.text
    resp = b.post(
        shop.url("/targets/plan/publish"), data={"period_id": shop.ids["2024-Q3"]}, headers=EN
    )
    assert resp.status_code == 302
    page = b.get(resp.headers["Location"], headers=EN)
    assert "Accept the difference" in page.text and "Draft" in page.text
    resp = b.post(shop.url("/targets/plan/publish"),
                  data={"period_id": shop.ids["2024-Q3"], "accept_reason": "新人下月到岗"}, headers=EN)  # fmt: skip
    page = b.get(resp.headers["Location"], headers=EN)
    assert "Published, version 1" in page.text and "新人下月到岗" in page.text
    # published: the grid is read-only; a typed change is refused
    resp = cell(b, shop, "2024-Q3", "1", person=shop.a)
    assert "adjustment" in resp.text
    assert shop.targets("2024-Q3")[(shop.a.id, None, "revenue")] == D("500000")


def test_split_a_year_through_the_page(shop, browser):
    b = browser(shop.users["consultant"])
    cell(b, shop, "2024", "10000000", team=shop.region)
    resp = b.post(shop.url("/targets/plan/split"), data={
        "period_id": shop.ids["2024"], "subject": f"t{shop.region.id}", "metric": "revenue",
        "down": "periods", "method": "even"}, headers=EN)  # fmt: skip
    assert resp.status_code == 302
    for q in ("2024-Q1", "2024-Q2", "2024-Q3", "2024-Q4"):
        assert shop.targets(q) == {(None, shop.region.id, "revenue"): D("2500000")}


ROLE_CAN = {
    # role: (grid, set a cell, publish, metrics page)
    "owner": (200, 200, 302, 200),
    "admin": (200, 200, 302, 200),
    "hr": (200, 200, 302, 200),
    "consultant": (200, 200, 403, 200),
    "manager": (200, 403, 403, 403),
    "staff": (403, 403, 403, 403),
}


@pytest.mark.parametrize("role", list(ROLE_CAN))
def test_role_matrix(shop, browser, role):
    b = browser(shop.users[role])
    grid, set_cell, pub, metrics = ROLE_CAN[role]
    assert b.get(shop.url("/targets/plan"), headers=EN).status_code == grid
    assert cell(b, shop, "2024-Q3", "1000", person=shop.b).status_code == set_cell
    resp = b.post(shop.url("/targets/plan/publish"), data={"period_id": shop.ids["2024-Q3"]})
    assert resp.status_code == pub
    assert b.get(shop.url("/targets/metrics"), headers=EN).status_code == metrics
    assert b.get(shop.url("/targets/mine"), headers=EN).status_code in (200, 302)


def test_people_see_published_targets_only_and_along_the_visibility_rule(shop, browser):
    with bound_tenant(shop.t):
        q3 = shop.p["2024-Q3"]
        for person, amount in ((shop.a, "500000"), (shop.b, "400000"), (shop.out, "876543.21")):
            change_target(shop.t, None, q3.id, person_id=person.id, metric="revenue",
                          baseline=D(amount))  # fmt: skip
        db.session.commit()
    staff, manager = browser(shop.users["staff"]), browser(shop.users["manager"])
    mine = staff.get(shop.url(f"/targets/people/{shop.a.id}"), headers=EN)
    assert mine.status_code == 200 and "500,000" not in mine.text  # a draft
    grid = manager.get(shop.url(f"/targets/plan?period_id={q3.id}"), headers=EN)
    assert "not published yet" in grid.text and "400,000" not in grid.text
    with bound_tenant(shop.t):
        publish(shop.t, None, db.session.get(Period, q3.id))
        db.session.commit()
    mine = staff.get(shop.url(f"/targets/people/{shop.a.id}"), headers=EN)
    assert "500,000" in mine.text and "<svg" in mine.text and 'role="img"' in mine.text
    assert staff.get(shop.url(f"/targets/people/{shop.b.id}"), headers=EN).status_code == 404
    assert manager.get(shop.url(f"/targets/people/{shop.b.id}"), headers=EN).status_code == 200
    assert manager.get(shop.url(f"/targets/people/{shop.out.id}"), headers=EN).status_code == 404
    grid = manager.get(shop.url(f"/targets/plan?period_id={q3.id}"), headers=EN).text
    assert "400,000" in grid and "876,543.21" not in grid
    assert manager.get(shop.url(f"/targets/plan?team_id={shop.other.id}")).status_code == 404


def test_another_tenants_ids_are_404(shop, browser, make_tenant):
    other = make_tenant(slug="other")
    with bound_tenant(other.id):
        team = Team(tenant_id=other.id, name="别家")
        db.session.add(team)
        generate_year(other.id, 2024, 1)
        db.session.flush()
        period = db.session.scalar(select(Period).where(Period.label == "2024-Q3"))
        ids = (team.id, period.id)
        db.session.commit()
    b = browser(shop.tenant.owner)
    assert b.get(shop.url(f"/targets/plan?period_id={ids[1]}")).status_code == 404
    assert b.get(shop.url(f"/targets/plan?team_id={ids[0]}")).status_code == 404
    data = {"period_id": shop.ids["2024-Q3"], "metric": "revenue", "amount": "1", "team_id": ids[0]}
    assert b.post(shop.url("/targets/plan/cell"), data=data).status_code == 404
    data = {"period_id": ids[1], "metric": "revenue", "amount": "1", "team_id": shop.group.id}
    assert b.post(shop.url("/targets/plan/cell"), data=data).status_code == 404


def test_a_tenant_metric_is_a_new_column(shop, browser):
    b = browser(shop.users["hr"])
    page = b.get(shop.url("/targets/metrics"), headers=EN)
    resp = b.post(shop.url("/targets/metrics"), data={
        "code": "leads", "name": "线索", "unit": "条", "kind": "count", "higher_is_better": "y",
        "source": "entered", "measure": ""}, headers=EN)  # fmt: skip
    assert resp.status_code == 302, resp.text
    bad = b.post(shop.url("/targets/metrics"), data={
        "code": "revenue", "name": "x", "kind": "count", "source": "entered"}, headers=EN)  # fmt: skip
    assert bad.status_code == 200 and "built-in" in bad.text
    with bound_tenant(shop.t):
        assert [m.code for m in db.session.scalars(select(TargetMetric))] == ["leads"]
    grid = b.get(shop.url(f"/targets/plan?period_id={shop.ids['2024-Q3']}"), headers=EN)
    assert "线索" in grid.text
    assert cell(b, shop, "2024-Q3", "30", person=shop.a, metric="leads").status_code == 200
    assert shop.targets("2024-Q3")[(shop.a.id, None, "leads")] == D(30)
    assert page.status_code == 200
