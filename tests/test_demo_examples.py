"""The demo tenant tenants/shili.toml reproduces every worked example of
DOMAIN.md §3: loaded as `make run` loads it, calculated with the engine, each
person gets exactly the lines of their example, to the cent."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from jili import ROOT
from jili.extensions import db
from jili.models import (
    CalculationRun,
    PayoutLineRecord,
    Period,
    Person,
    Plan,
    PlanVersion,
    Tenant,
    TenantScheme,
    User,
)
from jili.plan_as_code.demo import load_file
from jili.schemes import get_registry
from jili.tenancy import bound_tenant

engine = pytest.importorskip("jili.incentives.engine")

SHILI = Path(ROOT) / "tenants" / "shili.toml"
D = Decimal

# employee no → {(plan name, component): amount} in 2024-Q3
Q3 = {
    "SL002": {("阶梯提成·全额累进", ""): D("11700.00")},
    "SL003": {("阶梯提成·超额累进", ""): D("8100.00")},
    "SL004": {("超额奖金池", ""): D("109090.91")},
    "SL005": {("超额奖金池", ""): D("90909.09")},
    "SL006": {("超额奖金池", ""): D("0.00")},
    "SL007": {("绩效奖金", ""): D("9216.00")},
    "SL008": {("师徒制奖励", "bole"): D("2000.00")},
    "SL009": {("绩效奖金", ""): D("4500.00"), ("师徒制奖励", "icebreaker"): D("1000.00")},
    "SL010": {("超额专项奖", "over_target"): D("3000.00")},
    "SL012": {("战略客户奖与季度达标奖", "one_off:strategic_client"): D("10000.00")},
    "SL013": {("战略客户奖与季度达标奖", "attainment_award"): D("900.00")},
}
YEAR = {
    "SL001": {("利润分红", ""): D("200000.00")},
    "SL014": {("利润分红", ""): D("133333.33")},
    "SL015": {("利润分红", ""): D("66666.67")},
}


@pytest.fixture
def shili(app):
    slug, created = load_file(SHILI)
    assert (slug, created) == ("shili", True)
    return db.session.scalar(select(Tenant).where(Tenant.slug == "shili"))


def _calculate(tenant, label):
    with bound_tenant(tenant.id):
        period = db.session.scalar(
            select(Period).where(Period.tenant_id == tenant.id, Period.label == label)
        )
        run = engine.calculate_period(tenant, period, actor=None)
        lines = db.session.scalars(
            select(PayoutLineRecord).where(
                PayoutLineRecord.tenant_id == tenant.id, PayoutLineRecord.run_id == run.id
            )
        ).all()
        people = {
            p.id: p.employee_no
            for p in db.session.scalars(select(Person).where(Person.tenant_id == tenant.id))
        }
        plans = {
            p.id: p.name
            for p in db.session.scalars(select(Plan).where(Plan.tenant_id == tenant.id))
        }
        got: dict[str, dict[tuple[str, str], Decimal]] = defaultdict(dict)
        for line in lines:
            key = (plans[line.plan_id], line.component)
            assert key not in got[people[line.person_id]], f"two lines {key}"
            got[people[line.person_id]][key] = line.amount
        return run, dict(got), lines


def test_the_demo_tenant_loads_with_every_scheme_and_logins(shili):
    with bound_tenant(shili.id):
        enabled = set(
            db.session.scalars(
                select(TenantScheme.scheme_key).where(
                    TenantScheme.tenant_id == shili.id, TenantScheme.enabled.is_(True)
                )
            )
        )
        assert enabled == set(get_registry().all())
        staff = db.session.scalar(select(User).where(User.email == "sales@shili.example"))
        me = db.session.scalar(select(Person).where(Person.user_id == staff.id))
        assert me.employee_no == "SL009"
        assert db.session.scalar(select(User).where(User.email == "owner@shili.example"))
        pilot = db.session.scalars(
            select(PlanVersion).where(
                PlanVersion.tenant_id == shili.id, PlanVersion.is_pilot.is_(True)
            )
        ).all()
        assert len(pilot) == 1


def test_loading_the_demo_twice_changes_nothing(shili):
    assert load_file(SHILI) == ("shili", False)
    with bound_tenant(shili.id):
        assert len(db.session.scalars(select(Plan).where(Plan.tenant_id == shili.id)).all()) == 8


def _beside_zeros(got: dict, expected: dict) -> dict:
    """``got`` restricted to the lines of ``expected``; every other line must be
    a 0.00 (zero is explained: an eligible person who earns nothing gets one)."""
    extra = [
        v for no, plans in got.items() for k, v in plans.items() if k not in expected.get(no, {})
    ]
    assert all(v == 0 for v in extra), extra
    return {no: {k: got.get(no, {}).get(k) for k in plans} for no, plans in expected.items()}


def test_2024_q3_pays_every_quarterly_example_to_the_cent(shili):
    run, got, lines = _calculate(shili, "2024-Q3")
    assert _beside_zeros(got, Q3) == Q3
    assert run.total == sum((a for d in Q3.values() for a in d.values()), Decimal(0))
    assert run.total == D("250416.00")
    # over-target: 1,080,000 against 1,000,000 is not more than 10 % over → 0.00, explained
    assert not any(got["SL011"].values())
    (zero,) = [
        line for line in lines if line.amount == 0 and "1,080,000.00" in line.explanation_text
    ]
    assert "Attainment 108 %" in zero.explanation_text and "> 110 %" in zero.explanation_text
    # nobody else is paid: mentor only 伯乐奖, profit sharing waits for the year
    by_no = {line.person_id for line in lines if line.amount}
    assert len(by_no) == len([no for no, plans in Q3.items() if any(plans.values())])


def test_examples_explain_their_arithmetic(shili):
    _run, _got, lines = _calculate(shili, "2024-Q3")
    texts = " | ".join(line.explanation_text for line in lines)
    for fragment in ("650,000.00 × 1.8%", "600,000.00 × 1.2%", "50,000.00 × 1.8%"):
        assert fragment.replace(" ", "") in texts.replace(" ", ""), fragment


def test_2024_pays_profit_sharing_3_2_1(shili):
    run, got, _lines = _calculate(shili, "2024")
    assert got == YEAR
    assert run.total == D("400000.00")


def test_the_newcomer_totals_5500_and_the_mentor_is_paid_once(shili):
    _run, got, _lines = _calculate(shili, "2024-Q3")
    assert sum(got["SL009"].values()) == D("5500.00")
    # a later quarter does not pay the first-deal awards again
    _run, later, _lines = _calculate(shili, "2024-Q4")
    assert not any(later.get("SL008", {}).values()) and not any(later.get("SL009", {}).values())


def test_a_run_is_stored_for_the_period(shili):
    run, _got, _lines = _calculate(shili, "2024-Q3")
    with bound_tenant(shili.id):
        stored = db.session.get(CalculationRun, run.id).line_count
    assert stored == len(_lines)
    assert _beside_zeros(_got, Q3) == Q3


def test_the_pilot_of_steeper_bands_is_a_shadow_calculation(shili):
    with bound_tenant(shili.id):
        period = db.session.scalar(
            select(Period).where(Period.tenant_id == shili.id, Period.label == "2024-Q3")
        )
        pilot = db.session.scalar(
            select(PlanVersion).where(
                PlanVersion.tenant_id == shili.id, PlanVersion.is_pilot.is_(True)
            )
        )
        run = engine.pilot_run(shili, period, pilot, actor=None)
        diff = engine.pilot_diff(run)
        zhang = db.session.scalar(
            select(Person.id).where(Person.tenant_id == shili.id, Person.employee_no == "SL002")
        )
    # 650,000 reaches the pilot's ≥ 120 % band: 2.0 % on the whole amount
    assert [(d.person_id, d.before, d.after) for d in diff] == [
        (zhang, D("11700.00"), D("13000.00"))
    ]
    # and the final result is untouched by the pilot
    _run, got, _lines = _calculate(shili, "2024-Q3")
    assert got["SL002"] == Q3["SL002"]
