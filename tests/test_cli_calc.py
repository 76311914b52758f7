"""``jili calc``: totals per person and plan, text and documented JSON."""

from __future__ import annotations

import json
from decimal import Decimal

from jili.extensions import db
from jili.models import Period, PeriodStatus
from jili.tenancy import bound_tenant
from jili_tiered_commission import TieredCommission
from test_engine import World


def _setup(make_tenant):
    tenant = make_tenant(slug="calc-co")
    with bound_tenant(tenant.id):
        w = World(tenant)
        w.enable("tiered_commission")
        w.target(w.a, "500000")
        w.sale(w.a, "650000")
        w.target(w.b, "500000")
        w.sale(w.b, "650000")
        w.plan(
            "全额累进", TieredCommission, {"mode": "whole"}, eligibility={"person_ids": [w.a.id]}
        )
        w.plan(
            "超额累进", TieredCommission, {"mode": "marginal"}, eligibility={"person_ids": [w.b.id]}
        )
        db.session.commit()
    return tenant, w


def test_calc_json_is_stable_and_exact(app, make_tenant, runner):
    tenant, w = _setup(make_tenant)
    result = runner.invoke(args=["calc", "--tenant", "calc-co", "--period", "2024-Q3", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["format"] == 1 and report["run"] == 1 and report["period"] == "2024-Q3"
    assert report["total"] == "19800.00"
    people = {p["employee_no"]: p for p in report["people"]}
    assert people["E1"]["plans"] == {"全额累进": "11700.00"}
    assert people["E2"]["total"] == "8100.00"
    assert [p["plan"] for p in report["plans"]] == ["全额累进", "超额累进"]
    assert sum(Decimal(p["total"]) for p in report["people"]) == Decimal(report["total"])
    again = runner.invoke(args=["calc", "--tenant", "calc-co", "--period", "2024-Q3", "--json"])
    second = json.loads(again.output)
    assert second["run"] == 2 and second["fingerprint"] == report["fingerprint"]
    assert {k: v for k, v in second.items() if k != "run"} == {
        k: v for k, v in report.items() if k not in ("run", "period_status")
    } | {"period_status": "calculated"}


def test_calc_text_and_locked_period(app, make_tenant, runner):
    tenant, w = _setup(make_tenant)
    result = runner.invoke(args=["calc", "--tenant", "calc-co", "--period", "2024-Q3"])
    assert result.exit_code == 0, result.output
    assert "11700.00" in result.output and "甲" in result.output and "19800.00" in result.output
    with bound_tenant(tenant.id):
        db.session.get(Period, w.q3.id).status = PeriodStatus.PUBLISHED
        db.session.commit()
    locked = runner.invoke(args=["calc", "--tenant", "calc-co", "--period", "2024-Q3"])
    assert locked.exit_code != 0 and "published" in locked.output
    latest = runner.invoke(args=["calc", "--tenant", "calc-co", "--period", "2024-Q3", "--latest"])
    assert latest.exit_code == 0 and "19800.00" in latest.output
    missing = runner.invoke(args=["calc", "--tenant", "calc-co", "--period", "1999-Q1"])
    assert missing.exit_code != 0 and "no period" in missing.output
