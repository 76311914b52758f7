"""The probe scheme (one setting of every kind) and the helpers the plan tests share:
a company with periods and the probe enabled, a filled-in plan form, lookups."""

from __future__ import annotations

import re
from decimal import Decimal

from sqlalchemy import select

from jili import hookimpl
from jili.accounts.models import Role
from jili.extensions import db
from jili.incentives.engine import plans_for_period
from jili.incentives.models import ApprovalStatus
from jili.incentives.services import approvals
from jili.incentives.services.plans import create_plan
from jili.models import AuditLog, Period, Plan, PlanVersion, TenantScheme
from jili.periods.services import generate_year
from jili.schemes import (
    BandsField,
    BoolField,
    ChoiceField,
    DecimalField,
    DecimalMapField,
    Explanation,
    IdListField,
    IntField,
    OptionalDecimalField,
    PercentField,
    RecordListField,
    SchemeRegistry,
    SchemeType,
    StrListField,
    TextField,
)
from jili.schemes import registry as scheme_registry
from jili.schemes.registry import make_plugin_manager
from jili.tenancy import bound_tenant

EN = {"Accept-Language": "en"}
ZERO = Decimal(0)


class Probe(SchemeType):
    """A test scheme with one setting of every kind."""

    key = "probe"
    label = "Probe bonus"
    description = "A scheme for tests."
    settings_fields = (
        DecimalField("base", "Base amount", minimum=ZERO, default="100"),
        PercentField("rate_pct", "Rate (%)", minimum=ZERO, maximum=Decimal(100), default="2"),
        BandsField(
            "bands",
            "Bands by attainment",
            value_field=PercentField("rate_pct", "Band rate (%)", minimum=ZERO),
            rising=True,
            default=[{"from_pct": "0", "rate_pct": "1"}, {"from_pct": "100", "rate_pct": "2"}],
        ),
        DecimalMapField("region_coefficients", "Region coefficients", minimum=ZERO, default={}),
        BoolField("extra", "Extra bonus", default=False),
        ChoiceField("mode", "Mode", choices=(("a", "Mode A"), ("b", "Mode B")), default="a"),
        RecordListField(
            "kinds",
            "Award kinds",
            fields=(TextField("key", "Key"), DecimalField("amount", "Amount", minimum=ZERO)),
            default=[],
        ),
        IdListField("people", "Designated people", default=[]),
        StrListField("levels", "Levels", choices=("newcomer", "core", "manager"), default=[]),
        IntField("months", "Months", minimum=1, maximum=12, default=3),
        OptionalDecimalField("cap", "Cap", minimum=ZERO, default=None),
    )

    @classmethod
    def check_settings(cls, settings):
        if settings.cap is not None and settings.cap < settings.base:
            return {"cap": "The cap must not be below the base."}
        return {}

    @classmethod
    def calculate(cls, facts, settings, context):
        return [cls.line(context, 1, Decimal(1), Explanation("Probe."))]


class ProbePlugin:
    @staticmethod
    @hookimpl
    def jili_scheme_types():
        return [Probe]


def use_probe(monkeypatch) -> SchemeRegistry:
    """Only the built-in schemes and the probe are installed, for this test."""
    reg = SchemeRegistry(make_plugin_manager(entry_points=False, extra_plugins=[ProbePlugin]))
    monkeypatch.setattr(scheme_registry, "get_registry", lambda: reg)
    return reg


def company(make_tenant, slug="acme", enable=("probe",)):
    tenant = make_tenant(slug=slug)
    with bound_tenant(tenant.id):
        generate_year(tenant.id, 2024, 1)
        for key in enable:
            db.session.add(TenantScheme(tenant_id=tenant.id, scheme_key=key, enabled=True))
        db.session.commit()
    return tenant


def period(tenant, label) -> Period:
    with bound_tenant(tenant.id):
        return db.session.scalar(
            select(Period).where(Period.tenant_id == tenant.id, Period.label == label)
        )


def form(period_id, **changes) -> dict:
    data = {
        "scheme_key": "probe",
        "name": "Probe plan",
        "priority": "10",
        "effective_period_id": str(period_id),
        "note": "",
        "s.base": "100",
        "s.rate_pct": "2",
        "s.bands.0.from_pct": "0",
        "s.bands.0.rate_pct": "1",
        "s.bands.1.from_pct": "120",
        "s.bands.1.rate_pct": "1.8",
        "s.bands.2.from_pct": "",  # the blank row for adding one is ignored
        "s.bands.2.rate_pct": "",
        "s.region_coefficients.0.key": "华东",
        "s.region_coefficients.0.value": "1.1",
        "s.mode": "b",
        "s.kinds.0.key": "big_deal",
        "s.kinds.0.amount": "5,000",
        "s.levels": ["core"],
        "s.months": "6",
        "s.cap": "",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


EXPECTED_SETTINGS = {
    "base": "100",
    "rate_pct": "2",
    "bands": [{"from_pct": "0", "rate_pct": "1"}, {"from_pct": "120", "rate_pct": "1.8"}],
    "region_coefficients": {"华东": "1.1"},
    "extra": False,
    "mode": "b",
    "kinds": [{"key": "big_deal", "amount": "5000"}],
    "people": [],
    "levels": ["core"],
    "months": 6,
    "cap": None,
}


def plans_of(tenant) -> list[Plan]:
    with bound_tenant(tenant.id):
        return list(db.session.scalars(select(Plan).where(Plan.tenant_id == tenant.id)))


def versions_of(tenant, plan_id) -> list[PlanVersion]:
    with bound_tenant(tenant.id):
        return list(
            db.session.scalars(
                select(PlanVersion)
                .where(PlanVersion.tenant_id == tenant.id, PlanVersion.plan_id == plan_id)
                .order_by(PlanVersion.number)
            )
        )


def audit_of(tenant, action) -> list[AuditLog]:
    with bound_tenant(tenant.id):
        return list(
            db.session.scalars(
                select(AuditLog).where(AuditLog.tenant_id == tenant.id, AuditLog.action == action)
            )
        )


def make_plan(tenant, label="2024-01", settings=None, scheme_key="probe", name="P", approved=True):
    with bound_tenant(tenant.id):
        p = db.session.scalar(select(Period).where(Period.label == label))
        plan, version = create_plan(
            tenant.id,
            name=name,
            scheme_key=scheme_key,
            priority=100,
            period=p,
            settings=settings if settings is not None else Probe.default_settings(),
            eligibility={"team_ids": [], "levels": [], "person_ids": []},
            user_id=tenant.owner.id,
        )
        if approved:  # as a second admin would (the flow itself: test_plan_approval.py)
            version.status = ApprovalStatus.APPROVED
        db.session.commit()
        return plan.id, version.id


def approve(tenant, version, approver=None, role="owner"):
    """Approve ``version`` through the maker-checker service, as ``approver`` (default:
    the owner, who must not be its author)."""
    approvals.approve(version, user=approver or tenant.owner, role=Role(role), tenant=tenant)


def approve_on_page(tenant, member, browser, plan_id):
    """A second administrator approves the plan's pending proposal on its page,
    as the maker-checker flow asks after every create or edit."""
    admin = getattr(tenant, "checker", None)
    if admin is None:
        admin = tenant.checker = member(tenant, "admin")
    with bound_tenant(tenant.id):
        version_id = db.session.scalar(
            select(PlanVersion.id).where(
                PlanVersion.plan_id == plan_id, PlanVersion.status == ApprovalStatus.PROPOSED
            )
        )
    assert version_id is not None, "no proposal to approve"
    resp = browser(admin).post(
        f"/t/{tenant.slug}/plans/{plan_id}/versions/{version_id}/approve", headers=EN
    )
    assert resp.status_code == 302, resp.text
    return version_id


def error_after(html: str, input_name: str) -> str:
    """The first error message in the same table cell / field as ``input_name``."""
    start = html.index(f'name="{input_name}"')
    ends = (html.find(m, start) for m in ("</td>", '<div class="field', "</section>"))
    end = min(i for i in ends if i != -1)
    m = re.search(r'<small class="error">([^<]*)</small>', html[start:end])
    return m.group(1) if m else ""


def version_in_force(tenant_id, plan_id, period):
    """The version the engine calculates ``plan_id`` with in ``period``."""
    for entry in plans_for_period(tenant_id, period):
        if entry.plan.id == plan_id:
            return entry.version
    return None
