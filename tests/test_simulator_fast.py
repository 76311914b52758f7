"""The simulator's curves come from each plan's company part prepared once
(``prepare_one_person``) and give, point for point, what recalculating the whole
company with the person's sales moved gives — on the demo tenant, whose plans
are the six schemes (an excess pool with its worked example, the mentor award,
profit sharing), for every eligible person, the manager SL001 included."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from jili import ROOT
from jili.extensions import db
from jili.incentives.services.estimates import active_entries, company_estimate
from jili.incentives.services.sim_company import company_part, curve
from jili.incentives.services.simulator import DEFAULT_STEPS, at_attainment, payout_for
from jili.models import Period, Person, Tenant
from jili.plan_as_code.demo import load_file
from jili.schemes import CalculationContext
from jili.tenancy import bound_tenant

SHILI = Path(ROOT) / "tenants" / "shili.toml"


@pytest.fixture
def shili(app):
    load_file(SHILI)
    return db.session.scalar(select(Tenant).where(Tenant.slug == "shili"))


@pytest.mark.parametrize("label", ["2024-Q3", "2024"])
def test_every_point_is_the_full_calculations(shili, label):
    with bound_tenant(shili.id):
        period = db.session.scalar(
            select(Period).where(Period.tenant_id == shili.id, Period.label == label)
        )
        entries = active_entries(shili.id, period)
        company = company_estimate(shili.id, shili.currency, period, entries)
        keys = {
            p.id: p.employee_no for p in db.session.scalars(select(Person)).all()
        }  # to say who failed
        schemes, checked = set(), 0
        for entry in entries:
            context = CalculationContext(f"plan-{entry.plan.id}", 2, shili.currency)
            part = company_part(shili.id, company, entry, context)
            settings = entry.version.settings
            for pid, row in part.scoped.people.items():
                target = row.target if row.target and row.target > 0 else Decimal(500000)
                points = curve(shili.id, part, pid, target, Decimal("87.5"))
                assert [p.attainment_pct for p in points] == sorted(
                    [*DEFAULT_STEPS, Decimal("87.5")]
                )
                for point in points:
                    moved = at_attainment(part.scoped, pid, target, point.attainment_pct)
                    full = payout_for(entry.scheme, settings, moved, pid, context)
                    assert point.payout == full, (entry.plan.name, keys[pid], point)
                    checked += 1
            schemes.add(entry.scheme.key)
        assert checked >= 3 * 22  # three people or more, 22 points each
    if label == "2024":
        assert "profit_sharing" in schemes
    else:
        assert {"excess_pool", "mentor_award", "tiered_commission"} <= schemes


def test_a_pool_members_curve_moves_the_others_shares(shili):
    """SL004's part of the excess pool along the curve: the team's pool and the
    other members' excess come from the rest of the company; at today's 115 %
    it is DOMAIN.md's worked example."""
    with bound_tenant(shili.id):
        period = db.session.scalar(
            select(Period).where(Period.tenant_id == shili.id, Period.label == "2024-Q3")
        )
        entries = active_entries(shili.id, period)
        entry = next(e for e in entries if e.scheme.key == "excess_pool")
        company = company_estimate(shili.id, shili.currency, period, entries)
        context = CalculationContext(f"plan-{entry.plan.id}", 2, shili.currency)
        part = company_part(shili.id, company, entry, context)
        sl004 = db.session.scalar(select(Person).where(Person.employee_no == "SL004"))
        row = part.scoped.people[sl004.id]
        points = {
            p.attainment_pct: p.payout
            for p in curve(shili.id, part, sl004.id, row.target, Decimal(115))
        }
        today = company.plans[entry.plan.id].amount(sl004.id)
    assert today == Decimal("109090.91")  # DOMAIN.md's worked example
    assert points[Decimal(115)] == today  # 4.6 M against 4.0 M: today's sales
    assert points[Decimal(0)] == points[Decimal(100)] == 0  # no excess of their own
    assert points[Decimal(120)] > today and points[Decimal(200)] > points[Decimal(120)]
