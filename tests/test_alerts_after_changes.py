"""Alerts are re-evaluated right after what they read changes, not only by the
daily job: an import of deals (handed to the job queue — immediate under tests),
a period's targets published (queued too), an approved adjustment (inline, for
the person or the team's members and the managers above them). A new alert is
notified as the daily job does."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

import jili.plan_as_code.demo as demo
from jili.alerts import tasks as alert_tasks
from jili.alerts.models import Alert
from jili.alerts.services import add_default_rules
from jili.alerts.services.affected import affected_people
from jili.extensions import db
from jili.models import Level, Period, Person, SalesTarget, Team
from jili.notifications.models import Notification
from jili.periods.services import generate_year
from jili.tenancy import bound_tenant

D = Decimal
EN = {"Accept-Language": "en"}
HEADER = "external_id,deal_date,employee_no,amount\n"


class Shop:
    """华东 (led by 王经理) with the group 一组 (led by 周组长) where 张伟 sells;
    华南 with 孙; the months of 2026; the default alert rules; October's revenue
    target of 100,000 for 张伟."""

    def __init__(self, tenant, member):
        self.tenant, self.t = tenant, tenant.id
        self.hr_user = member(tenant, "hr")
        self.staff_user = member(tenant, "staff")
        with bound_tenant(self.t):
            generate_year(self.t, 2026, 1)
            add_default_rules(self.t)
            east = Team(tenant_id=self.t, name="华东")
            south = Team(tenant_id=self.t, name="华南")
            db.session.add_all([east, south])
            db.session.flush()
            group = Team(tenant_id=self.t, name="华东一组", parent_id=east.id)
            db.session.add(group)
            db.session.flush()
            self.east, self.group, self.south = east, group, south
            self.boss = self._person("M1", "王经理", east, Level.MANAGER)
            self.lead = self._person("M2", "周组长", group, Level.MANAGER)
            self.a = self._person("E1", "张伟", group, user=self.staff_user)
            self.b = self._person("E2", "孙南", south)
            self.october = db.session.scalar(select(Period).where(Period.label == "2026-10"))
            db.session.add(SalesTarget(tenant_id=self.t, period_id=self.october.id,
                                       person_id=self.a.id, metric="revenue",
                                       baseline=D("100000.00")))  # fmt: skip
            db.session.commit()

    def _person(self, no, name, team, level=Level.CORE, user=None):
        p = Person(tenant_id=self.t, employee_no=no, name=name, team_id=team.id, level=level,
                   user_id=user.id if user else None)  # fmt: skip
        db.session.add(p)
        db.session.flush()
        return p

    def alerts(self):
        with bound_tenant(self.t):
            return [(a.person_id, a.level, a.values) for a in db.session.scalars(select(Alert))]


@pytest.fixture
def shop(make_tenant, member, monkeypatch):
    monkeypatch.setattr(demo, "tenant_today", lambda tenant: date(2026, 11, 2))
    return Shop(make_tenant(), member)


def test_importing_deals_raises_the_alert_at_once_and_notifies(shop, browser):
    w = shop
    assert w.alerts() == []
    resp = browser(w.hr_user).post(
        f"/t/{w.tenant.slug}/transactions/import",
        data={"file": (io.BytesIO(f"{HEADER}T1,2026-10-09,E1,75000\n".encode()), "d.csv")},
        headers=EN,
    )
    assert resp.status_code == 200 and "1" in resp.text
    assert w.alerts() == [(w.a.id, "yellow", [["2026-10", "75.00"]])]  # 75 % < 80 %
    with bound_tenant(w.t):
        told = {n.user_id for n in db.session.scalars(
            select(Notification).where(Notification.kind == "alert_raised"))}  # fmt: skip
    assert w.staff_user.id in told
    page = browser(w.staff_user).get(f"/t/{w.tenant.slug}/alerts", headers=EN).text
    assert "张伟" in page


def test_an_import_hands_the_evaluation_to_the_queue(shop, browser, monkeypatch):
    """A big import never waits for the evaluation: it is queued, not run inline."""
    w = shop
    queued = []
    monkeypatch.setattr(alert_tasks, "evaluate_people", lambda *a: queued.append(a))

    def inline(*a):
        raise AssertionError("an import must not evaluate alerts inline")

    monkeypatch.setattr(alert_tasks, "evaluate_people_now", inline)
    body = HEADER + "".join(f"T{i},2026-10-09,E1,100\n" for i in range(1, 201))
    resp = browser(w.hr_user).post(
        f"/t/{w.tenant.slug}/transactions/import",
        data={"file": (io.BytesIO(body.encode()), "d.csv")}, headers=EN,
    )  # fmt: skip
    assert resp.status_code == 200
    assert queued == [(w.t, None)]
    # a refused file queues nothing
    browser(w.hr_user).post(
        f"/t/{w.tenant.slug}/transactions/import",
        data={"file": (io.BytesIO(f"{HEADER}T9,2026-13-01,E1,1\n".encode()), "d.csv")},
    )
    assert queued == [(w.t, None)]


def test_publishing_targets_evaluates_the_alerts(shop, browser):
    w = shop
    resp = browser(w.hr_user).post(
        f"/t/{w.tenant.slug}/targets/plan/publish", data={"period_id": w.october.id}
    )
    assert resp.status_code == 302
    assert w.alerts() == [(w.a.id, "yellow", [["2026-10", "0.00"]])]


def test_who_a_change_concerns(shop):
    w = shop
    with bound_tenant(w.t):
        # a person: them, and the managers of their team and of every team above
        assert affected_people(w.t, [w.a.id]) == {w.a.id, w.lead.id, w.boss.id}
        assert affected_people(w.t, [w.b.id]) == {w.b.id}
        # a team's target: its members (sub-teams too) and the managers above
        assert affected_people(w.t, team_ids=[w.group.id]) == {w.a.id, w.lead.id, w.boss.id}
        assert affected_people(w.t, team_ids=[w.east.id]) == {w.a.id, w.lead.id, w.boss.id}


def test_after_a_change_inline_evaluates_only_the_people_concerned(shop):
    w = shop
    with bound_tenant(w.t):
        db.session.add(SalesTarget(tenant_id=w.t, period_id=w.october.id, person_id=w.b.id,
                                   metric="revenue", baseline=D("100000.00")))  # fmt: skip
        db.session.commit()
    alert_tasks.after_change(w.t, person_ids=[w.b.id], queued=False)
    assert w.alerts() == [(w.b.id, "yellow", [["2026-10", "0.00"]])]  # not 张伟: not concerned
    alert_tasks.after_change(w.t, person_ids=[w.b.id], queued=False)
    assert len(w.alerts()) == 1  # evaluating again changes nothing
