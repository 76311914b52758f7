"""Profit entered by finance and one-off awards set by approvers: audited,
refused in closed periods, checked against the special-awards plan in force,
scoped to the tenant."""

from decimal import Decimal

import pytest
from sqlalchemy import select

from jili.extensions import db
from jili.incentives.models import ApprovalStatus
from jili.models import (
    AuditLog,
    OneOffAwardGrant,
    Period,
    PeriodStatus,
    Person,
    Plan,
    PlanVersion,
    ProfitEntry,
    TenantScheme,
)
from jili.periods.services import generate_year
from jili.schemes import get_registry
from jili.tenancy import bound_tenant

EN = {"Accept-Language": "en"}


@pytest.fixture
def shop(make_tenant):
    tenant = make_tenant(slug="shop")
    with bound_tenant(tenant.id):
        for i in (1, 2):
            db.session.add(Person(tenant_id=tenant.id, employee_no=f"E00{i}", name=f"销售{i}"))
        generate_year(tenant.id, 2024, 1)
        db.session.commit()
    return tenant


def period(tenant, label) -> Period:
    with bound_tenant(tenant.id):
        return db.session.scalar(select(Period).where(Period.label == label))


def person(tenant, no) -> Person:
    with bound_tenant(tenant.id):
        return db.session.scalar(select(Person).where(Person.employee_no == no))


def audit_entries(tenant, action):
    with bound_tenant(tenant.id):
        return db.session.scalars(
            select(AuditLog).where(AuditLog.action == action).order_by(AuditLog.id)
        ).all()


def close(tenant, label):
    with bound_tenant(tenant.id):
        db.session.scalar(select(Period).where(Period.label == label)).status = PeriodStatus.CLOSED
        db.session.commit()


# --- profit --------------------------------------------------------------------------


def test_profit_entry_is_saved_and_audited_with_before_and_after(shop, member, browser):
    b = browser(member(shop, "hr"))
    year = period(shop, "2024")
    page = b.get(f"/t/{shop.slug}/profit", headers=EN)
    assert page.status_code == 200 and "No profit entered yet" in page.text
    resp = b.post(
        f"/t/{shop.slug}/profit",
        data={"period_id": year.id, "amount": "20,000,000", "note": "审计前"},
        headers=EN,
    )
    assert resp.status_code == 302
    resp = b.post(
        f"/t/{shop.slug}/profit",
        data={"period_id": year.id, "amount": "-1250000.50", "note": "审计后：亏损"},
        headers=EN,
    )
    assert resp.status_code == 302
    with bound_tenant(shop.id):
        entries = db.session.scalars(select(ProfitEntry)).all()
    assert len(entries) == 1 and entries[0].amount == Decimal("-1250000.50")
    created, changed = audit_entries(shop, "profit.set")
    assert created.before is None and created.after["amount"] == "20000000.00"
    assert changed.before == {"amount": "20000000.00", "note": "审计前"}
    assert changed.after == {"amount": "-1250000.50", "note": "审计后：亏损", "period": "2024"}
    page = b.get(f"/t/{shop.slug}/profit", headers=EN)
    assert "Loss" in page.text and "审计后：亏损" in page.text


def test_profit_form_errors_keep_input(shop, browser):
    b = browser(shop.owner)
    resp = b.post(
        f"/t/{shop.slug}/profit",
        data={"period_id": period(shop, "2024").id, "amount": "12.345", "note": "x"},
        headers=EN,
    )
    assert resp.status_code == 422 and "at most 2 decimal places" in resp.text
    assert 'value="12.345"' in resp.text
    with bound_tenant(shop.id):
        assert db.session.scalars(select(ProfitEntry)).all() == []


def test_profit_of_a_closed_period_cannot_change(shop, browser):
    close(shop, "2024")
    resp = browser(shop.owner).post(
        f"/t/{shop.slug}/profit",
        data={"period_id": period(shop, "2024").id, "amount": "1"},
        headers=EN,
    )
    assert resp.status_code == 422  # a closed period is not among the choices
    with bound_tenant(shop.id):
        assert db.session.scalars(select(ProfitEntry)).all() == []


@pytest.mark.parametrize(
    "role,seen,status", [("manager", 403, 403), ("consultant", 200, 403), ("admin", 200, 302)]
)
def test_who_may_enter_profit(role, seen, status, shop, member, browser):
    """The company's profit is everyone's pay input: not for managers (who see only
    their team's pay), read-only for consultants."""
    b = browser(member(shop, role))
    assert b.get(f"/t/{shop.slug}/profit").status_code == seen
    resp = b.post(
        f"/t/{shop.slug}/profit", data={"period_id": period(shop, "2024").id, "amount": "1"}
    )
    assert resp.status_code == status


def test_staff_cannot_see_profit(shop, member, browser):
    assert browser(member(shop, "staff")).get(f"/t/{shop.slug}/profit").status_code == 403


# --- one-off awards --------------------------------------------------------------------


def grant(b, tenant, **fields):
    data = {
        "period_id": period(tenant, "2024-07").id,
        "person_id": person(tenant, "E001").id,
        "kind": "strategic_client",
        "amount": "8000",
        "reason": "签下华东电子年度框架合同",
    }
    data.update(fields)
    return b.post(f"/t/{tenant.slug}/awards/new", data=data, headers=EN)


def awards(tenant):
    with bound_tenant(tenant.id):
        return db.session.scalars(select(OneOffAwardGrant)).all()


def test_award_needs_a_reason(shop, browser):
    b = browser(shop.owner)
    resp = grant(b, shop, reason="   ")
    assert resp.status_code == 422 and "Give the reason for the award." in resp.text
    assert 'value="8000"' in resp.text  # the input is kept
    assert awards(shop) == []


def test_award_is_granted_with_approver_and_audited(shop, browser):
    b = browser(shop.owner)
    resp = grant(b, shop, kind="strategic_client", amount="12,000")
    assert resp.status_code == 302, resp.text
    (award,) = awards(shop)
    assert award.kind == "strategic_client" and award.amount == Decimal("12000.00")
    assert award.approved_by_id == shop.owner.id and award.approved_by_label == shop.owner.name
    (entry,) = audit_entries(shop, "award.grant")
    assert entry.after["reason"] == "签下华东电子年度框架合同" and entry.after["person"] == "E001"
    page = b.get(f"/t/{shop.slug}/awards?period_id={award.period_id}", headers=EN)
    assert "签下华东电子年度框架合同" in page.text and "Withdraw" in page.text


def test_award_bad_kind_or_amount_is_refused(shop, browser):
    b = browser(shop.owner)
    assert grant(b, shop, kind="战略客户").status_code == 422
    assert grant(b, shop, amount="-5").status_code == 422
    assert grant(b, shop, amount="abc").status_code == 422
    assert awards(shop) == []


def test_award_is_checked_against_the_special_awards_plan_in_force(shop, browser):
    scheme = get_registry().get("special_awards")
    with bound_tenant(shop.id):
        db.session.add(TenantScheme(tenant_id=shop.id, scheme_key="special_awards"))
        plan = Plan(tenant_id=shop.id, name="专项奖励", scheme_key="special_awards")
        db.session.add(plan)
        db.session.flush()
        start = db.session.scalar(select(Period).where(Period.label == "2024-01"))
        db.session.add(
            PlanVersion(
                status=ApprovalStatus.APPROVED,  # as if approved
                tenant_id=shop.id,
                plan_id=plan.id,
                number=1,
                effective_period_id=start.id,
                effective_from=start.start_date,
                settings=scheme.validate_settings({}),
            )
        )
        db.session.commit()
    b = browser(shop.owner)
    page = b.get(f"/t/{shop.slug}/awards?period_id={period(shop, '2024-07').id}", headers=EN)
    assert "Strategic client signed" in page.text
    resp = grant(b, shop, amount="25000")
    assert resp.status_code == 422 and "Between" in resp.text
    resp = grant(b, shop, kind="million_club", amount="6000")
    assert resp.status_code == 422  # not a kind the plan configures: not on offer
    assert awards(shop) == []
    assert grant(b, shop, amount="20000").status_code == 302
    # The kind is chosen from the plan's kinds, in the reader's language, no code shown.
    zh = b.get(f"/t/{shop.slug}/awards?period_id={period(shop, '2024-07').id}").text
    kind_select = zh[zh.index('name="kind"') : zh.index("</select>", zh.index('name="kind"'))]
    assert '<option value="strategic_client">签约战略客户</option>' in kind_select
    assert "million_club" not in kind_select
    listed = zh[zh.index("<tbody>") :]
    assert "签约战略客户" in listed and "strategic_client" not in listed
    assert shop.owner.name in listed and shop.owner.email not in listed


def test_award_withdrawn_while_open_not_once_closed(shop, browser):
    b = browser(shop.owner)
    grant(b, shop)
    grant(b, shop, period_id=period(shop, "2024-08").id)
    july, august = (a.id for a in sorted(awards(shop), key=lambda a: a.period_id))
    resp = b.post(f"/t/{shop.slug}/awards/{july}/delete", headers=EN)
    assert resp.status_code == 302
    (entry,) = audit_entries(shop, "award.delete")
    assert entry.before["amount"] == "8000.00" and entry.object_id == str(july)
    close(shop, "2024-08")
    resp = b.post(f"/t/{shop.slug}/awards/{august}/delete", headers=EN)
    assert resp.status_code == 409 and "closed" in resp.text
    assert [a.id for a in awards(shop)] == [august]
    # A closed period is not offered for new awards either.
    assert grant(b, shop, period_id=period(shop, "2024-08").id).status_code == 422


@pytest.mark.parametrize("role", ["hr", "consultant", "manager"])
def test_only_approvers_grant_awards(role, shop, member, browser):
    b = browser(member(shop, role))
    assert b.get(f"/t/{shop.slug}/awards").status_code == 200
    assert grant(b, shop).status_code == 403
    assert awards(shop) == []


def test_another_tenants_award_is_404(shop, make_tenant, browser):
    other = make_tenant(slug="other")
    with bound_tenant(other.id):
        p = Person(tenant_id=other.id, employee_no="X1", name="外人")
        db.session.add(p)
        generate_year(other.id, 2024, 1)
        db.session.flush()
        jul = db.session.scalar(select(Period).where(Period.label == "2024-07"))
        foreign = OneOffAwardGrant(
            tenant_id=other.id, period_id=jul.id, person_id=p.id, kind="x", amount=1, reason="r"
        )
        db.session.add(foreign)
        db.session.commit()
        foreign_id, foreign_period, foreign_person = foreign.id, jul.id, p.id
    b = browser(shop.owner)
    assert b.post(f"/t/{shop.slug}/awards/{foreign_id}/delete").status_code == 404
    # Another tenant's period or person in the form is not a valid choice.
    assert grant(b, shop, period_id=foreign_period).status_code == 422
    assert grant(b, shop, person_id=foreign_person).status_code == 422
    with bound_tenant(other.id):
        assert db.session.get(OneOffAwardGrant, foreign_id) is not None
