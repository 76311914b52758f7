"""An alert whose rule no longer holds — an actual corrected, a target adjusted,
more deals imported — is withdrawn by the next evaluation (the daily run or the
re-check after a change): kept, marked, audit-logged in words, nobody notified.
Should the rule hold again for the same period, the same alert is raised again."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

import jili.plan_as_code.demo as demo
from alerts_kit import AlertWorld
from jili.alerts.services import notify_late
from jili.extensions import db
from jili.models import Alert, AuditLog, ImprovementPlan, Notification
from jili.tenancy import bound_tenant
from test_alerts_after_changes import HEADER, Shop

D = Decimal
EN = {"Accept-Language": "en"}
NOV2, NOV3 = date(2026, 11, 2), date(2026, 11, 3)


@pytest.fixture
def world(make_tenant, member, monkeypatch):
    w = AlertWorld(make_tenant(), member, monkeypatch)
    # 张伟: red (two months below 70 %) and yellow (October below 80 %)
    w.attainment.update({("E1", "2026-09"): D("65"), ("E1", "2026-10"): D("69")})
    w.evaluate(NOV2)
    return w


def _alerts(w):
    with bound_tenant(w.t):
        return {a.level: a for a in db.session.scalars(select(Alert).order_by(Alert.id))}


def _count(w, model, *where):
    with bound_tenant(w.t):
        return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_a_corrected_actual_withdraws_the_alerts_without_notifying(world):
    w = world
    before = _alerts(w)
    assert {k: a.withdrawn_at for k, a in before.items()} == {"red": None, "yellow": None}
    told = _count(w, Notification)
    w.attainment[("E1", "2026-10")] = D("85")  # October's actual corrected: 85 %
    out = w.evaluate(NOV3)
    assert sorted(a.level for a in out.withdrawn) == ["red", "yellow"] and out.raised == []
    after = _alerts(w)
    assert {a.id for a in after.values()} == {a.id for a in before.values()}  # kept
    assert all(a.withdrawn_at is not None for a in after.values())
    assert after["red"].withdrawn_values == [["2026-09", "65"], ["2026-10", "85"]]
    assert after["red"].values == [["2026-09", "65"], ["2026-10", "69"]]  # what it saw then
    assert _count(w, Notification) == told  # no notification
    assert _count(w, AuditLog, AuditLog.action == "alert.withdraw") == 2
    # evaluating again changes nothing, and logs nothing more
    assert w.evaluate(date(2026, 11, 4)).withdrawn == []
    assert _count(w, AuditLog, AuditLog.action == "alert.withdraw") == 2


def test_a_withdrawn_alerts_plan_is_not_reported_late(world):
    w = world
    w.attainment[("E1", "2026-10")] = D("85")
    w.evaluate(NOV3)
    with bound_tenant(w.t):
        assert notify_late(w.t, date(2026, 12, 1)) == []
        db.session.commit()
    assert _count(w, Notification, Notification.kind == "improvement_plan_late") == 0


def test_the_rule_holding_again_raises_the_same_alert_again(world):
    w = world
    red = _alerts(w)["red"]
    w.attainment[("E1", "2026-10")] = D("85")
    w.evaluate(NOV3)
    w.attainment[("E1", "2026-10")] = D("60")
    out = w.evaluate(date(2026, 11, 4))
    assert sorted(a.level for a in out.raised) == ["red", "yellow"]
    again = _alerts(w)["red"]
    assert again.id == red.id and again.withdrawn_at is None and again.withdrawn_values is None
    assert again.values == [["2026-09", "65"], ["2026-10", "60"]]
    assert _count(w, ImprovementPlan) == 1  # its plan is still the one plan
    assert out.plans == []


def test_the_pages_and_the_audit_log_say_it_in_words(world, browser):
    w = world
    w.attainment[("E1", "2026-10")] = D("85")
    w.evaluate(NOV3)
    red = _alerts(w)["red"]
    hr = browser(w.hr_user)
    listing = hr.get("/t/acme/alerts", headers=EN).text
    assert "Withdrawn" in listing
    assert "张伟" not in hr.get("/t/acme/alerts?late=1", headers=EN).text
    page = hr.get(f"/t/acme/alerts/{red.id}", headers=EN).text
    assert "the rule no longer holds" in page and "Now" in page and ">85<" in page
    log = browser(w.tenant.owner).get("/t/acme/audit", headers=EN).text
    assert "The alert for 张伟 of 2026-10 was withdrawn: its rule no longer holds" in log
    zh = hr.get(f"/t/acme/alerts/{red.id}", headers={"Accept-Language": "zh-CN"}).text
    assert "已撤回" in zh


@pytest.fixture
def shop(make_tenant, member, monkeypatch):
    monkeypatch.setattr(demo, "tenant_today", lambda tenant: date(2026, 11, 2))
    return Shop(make_tenant(), member)


def _import(w, browser, rows):
    resp = browser(w.hr_user).post(
        f"/t/{w.tenant.slug}/transactions/import",
        data={"file": (io.BytesIO((HEADER + rows).encode()), "d.csv")}, headers=EN,
    )  # fmt: skip
    assert resp.status_code == 200


def test_importing_the_missing_deals_withdraws_the_alert(shop, browser):
    """Real attainment (the targets' progress): 75 % raises the yellow alert; the
    deals imported later bring October to 95 %, and the re-check withdraws it."""
    w = shop
    _import(w, browser, "T1,2026-10-09,E1,75000\n")
    assert w.alerts() == [(w.a.id, "yellow", [["2026-10", "75.00"]])]
    _import(w, browser, "T2,2026-10-20,E1,20000\n")
    with bound_tenant(w.t):
        alert = db.session.scalar(select(Alert))
        assert alert.withdrawn_at is not None
        assert alert.withdrawn_values == [["2026-10", "95.00"]]
