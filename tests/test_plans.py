"""Plans: creating from an enabled scheme, the generic settings form, versions,
the version in force, eligibility, pilots, unavailable schemes, consultant copy."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from types import SimpleNamespace

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from conftest import add_member
from jili import hookimpl
from jili.extensions import db
from jili.incentives.engine import narrow, plans_for_period, team_tree
from jili.incentives.services.plans import PlanError, add_version, create_plan
from jili.models import (
    AuditLog,
    Period,
    PeriodStatus,
    Person,
    Plan,
    PlanVersion,
    Team,
    TenantScheme,
)
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
    PeriodFacts,
    PeriodInfo,
    PersonFacts,
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


@pytest.fixture
def registry(monkeypatch):
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


def make_plan(tenant, label="2024-01", settings=None, scheme_key="probe", name="P"):
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
        db.session.commit()
        return plan.id, version.id


def error_after(html: str, input_name: str) -> str:
    """The first error message in the same table cell / field as ``input_name``."""
    start = html.index(f'name="{input_name}"')
    ends = (html.find(m, start) for m in ("</td>", '<div class="field', "</section>"))
    end = min(i for i in ends if i != -1)
    m = re.search(r'<small class="error">([^<]*)</small>', html[start:end])
    return m.group(1) if m else ""


# --- offering schemes ---------------------------------------------------------------


def test_a_scheme_is_offered_for_new_plans_only_when_enabled(registry, make_tenant, browser):
    tenant = company(make_tenant, enable=())
    b = browser(tenant.owner)
    page = b.get(f"/t/{tenant.slug}/plans/new", headers=EN)
    assert page.status_code == 200 and 'value="probe"' not in page.text
    assert "No scheme is enabled" in page.text
    refused = b.get(f"/t/{tenant.slug}/plans/new?scheme_key=probe", headers=EN)
    assert refused.status_code == 400 and "enabled for your company" in refused.text
    resp = b.post(f"/t/{tenant.slug}/plans/new", data=form(period(tenant, "2024-01").id))
    assert resp.status_code == 400 and plans_of(tenant) == []

    b.post(f"/t/{tenant.slug}/schemes/toggle", data={"scheme_key": "probe", "enabled": "1"})
    page = b.get(f"/t/{tenant.slug}/plans/new", headers=EN)
    assert 'value="probe"' in page.text and "Probe bonus" in page.text
    assert 'value="tiered_commission"' not in page.text  # installed but not enabled
    page = b.get(f"/t/{tenant.slug}/plans/new?scheme_key=probe", headers=EN)
    assert page.status_code == 200
    # The generic form: every field by its label, defaults filled in.
    for label in ("Base amount", "Bands by attainment", "Region coefficients", "Award kinds"):
        assert label in page.text
    assert 'name="s.bands.0.from_pct" value="0"' in page.text
    assert 'name="s.bands.1.from_pct" value="100"' in page.text
    assert 'name="s.bands.2.from_pct" value=""' in page.text  # a blank row to add one


def test_create_plan_stores_version_1_with_settings_and_eligibility(registry, make_tenant, browser):
    tenant = company(make_tenant)
    with bound_tenant(tenant.id):
        region = Team(tenant_id=tenant.id, name="华东")
        db.session.add(region)
        db.session.flush()
        group = Team(tenant_id=tenant.id, name="上海一组", parent_id=region.id)
        person = Person(tenant_id=tenant.id, employee_no="E1", name="张三")
        db.session.add_all([group, person])
        db.session.commit()
        ids = SimpleNamespace(region=region.id, group=group.id, person=person.id)
    march = period(tenant, "2024-03")
    resp = browser(tenant.owner).post(
        f"/t/{tenant.slug}/plans/new",
        data=form(
            march.id,
            elig_team_ids=[str(ids.region)],
            elig_levels=["core", "manager"],
            elig_person_ids=[str(ids.person)],
            **{"s.people": [str(ids.person)]},
        ),
        headers=EN,
    )
    assert resp.status_code == 302, resp.text
    (plan,) = plans_of(tenant)
    assert (plan.name, plan.scheme_key, plan.priority) == ("Probe plan", "probe", 10)
    (v1,) = versions_of(tenant, plan.id)
    assert v1.number == 1 and not v1.is_pilot
    assert v1.effective_period_id == march.id and v1.effective_from == date(2024, 3, 1)
    assert v1.settings == {**EXPECTED_SETTINGS, "people": [ids.person]}
    assert v1.eligibility == {
        "team_ids": [ids.region],
        "levels": ["core", "manager"],
        "person_ids": [ids.person],
    }
    assert v1.created_by_id == tenant.owner.id
    (entry,) = audit_of(tenant, "plan.create")
    assert entry.after["settings"]["bands"][1]["rate_pct"] == "1.8"
    assert entry.after["effective_period"] == "2024-03"

    listing = browser(tenant.owner).get(f"/t/{tenant.slug}/plans", headers=EN)
    assert "Probe plan" in listing.text and "Version 1" in listing.text and "Active" in listing.text


def test_settings_errors_are_shown_per_field_with_the_input_kept(registry, make_tenant, browser):
    tenant = company(make_tenant)
    resp = browser(tenant.owner).post(
        f"/t/{tenant.slug}/plans/new",
        data=form(
            period(tenant, "2024-01").id,
            **{
                "s.base": "abc",
                "s.bands.1.rate_pct": "0.5",  # lower than the band before
                "s.region_coefficients.0.value": "x1",
                "s.region_coefficients.1.key": "",  # a value without a name
                "s.region_coefficients.1.value": "1.3",
                "s.kinds.0.amount": "-5",
                "s.months": "13",
                "s.mode": "z",
            },
        ),
        headers=EN,
    )
    assert resp.status_code == 400
    html = resp.text
    assert 'value="abc"' in html and 'value="x1"' in html and 'value="0.5"' in html
    assert error_after(html, "s.base") == "Enter a number."
    assert error_after(html, "s.bands.1.rate_pct") == "May not be lower than the band before."
    assert error_after(html, "s.bands.0.rate_pct") == ""
    assert error_after(html, "s.region_coefficients.0.value") == "Enter a number."
    assert "Every entry needs a name." in html
    assert error_after(html, "s.kinds.0.amount") == "Must be at least 0."
    assert error_after(html, "s.months") == "Must be at most 12."
    assert "Not one of the choices." in html
    assert "Nothing was saved" in html
    assert plans_of(tenant) == []
    assert audit_of(tenant, "plan.create") == []


def test_rules_across_fields_and_plan_fields_are_checked_too(registry, make_tenant, browser):
    tenant = company(make_tenant)
    make_plan(tenant, name="Taken")
    resp = browser(tenant.owner).post(
        f"/t/{tenant.slug}/plans/new",
        data=form(period(tenant, "2024-01").id, name="taken", priority="x", **{"s.cap": "50"}),
        headers=EN,
    )
    assert resp.status_code == 400
    assert error_after(resp.text, "s.cap") == "The cap must not be below the base."
    assert error_after(resp.text, "name") == "A plan with this name exists already."
    assert error_after(resp.text, "priority") == "Enter a whole number."
    assert len(plans_of(tenant)) == 1


def test_row_buttons_add_and_remove_rows_without_saving(registry, make_tenant, browser):
    tenant = company(make_tenant)
    b = browser(tenant.owner)
    url = f"/t/{tenant.slug}/plans/new"
    resp = b.post(url, data=form(period(tenant, "2024-01").id, _row="add:bands"))
    assert resp.status_code == 200
    assert 'name="s.bands.2.from_pct"' in resp.text  # 2 kept rows + the added one
    resp = b.post(url, data=form(period(tenant, "2024-01").id, _row="remove:bands:0"))
    assert resp.status_code == 200
    assert 'name="s.bands.0.from_pct" value="120"' in resp.text
    assert plans_of(tenant) == []


# --- versions -----------------------------------------------------------------------


def test_edit_creates_version_2_and_never_changes_version_1(registry, make_tenant, browser):
    tenant = company(make_tenant)
    plan_id, v1_id = make_plan(tenant, settings=Probe.validate_settings(EXPECTED_SETTINGS))
    b = browser(tenant.owner)
    page = b.get(f"/t/{tenant.slug}/plans/{plan_id}/edit", headers=EN)
    assert page.status_code == 200
    assert 'name="s.bands.1.rate_pct" value="1.8"' in page.text  # pre-filled from version 1
    assert 'name="s.region_coefficients.0.key" value="华东"' in page.text

    april = period(tenant, "2024-04")
    resp = b.post(
        f"/t/{tenant.slug}/plans/{plan_id}/edit",
        data=form(april.id, name="P", priority="5", **{"s.bands.1.rate_pct": "2.5"}),
        headers=EN,
    )
    assert resp.status_code == 302, resp.text
    v1, v2 = versions_of(tenant, plan_id)
    assert v1.id == v1_id and v1.settings == EXPECTED_SETTINGS  # untouched
    assert v2.number == 2 and v2.effective_from == date(2024, 4, 1)
    assert v2.settings["bands"][1]["rate_pct"] == "2.5"
    (entry,) = audit_of(tenant, "plan.version")
    assert entry.before["settings"]["bands"][1]["rate_pct"] == "1.8"
    assert entry.after["settings"]["bands"][1]["rate_pct"] == "2.5"
    (plan,) = plans_of(tenant)
    assert plan.priority == 5

    detail = b.get(f"/t/{tenant.slug}/plans/{plan_id}", headers=EN)
    assert detail.status_code == 200
    assert "Version 2" in detail.text and "Version 1" in detail.text
    assert "Bands by attainment, row 2, Band rate (%)" in detail.text
    assert "1.8 → 2.5" in detail.text
    page = b.get(f"/t/{tenant.slug}/plans/{plan_id}/versions/{v1.id}", headers=EN)
    assert page.status_code == 200 and "First version" in page.text and "1.8" in page.text


def test_saving_unchanged_settings_makes_no_new_version(registry, make_tenant, browser):
    tenant = company(make_tenant)
    plan_id, _ = make_plan(tenant, settings=Probe.validate_settings(EXPECTED_SETTINGS))
    resp = browser(tenant.owner).post(
        f"/t/{tenant.slug}/plans/{plan_id}/edit",
        data=form(period(tenant, "2024-02").id, name="P renamed"),
        headers=EN,
    )
    assert resp.status_code == 302
    assert len(versions_of(tenant, plan_id)) == 1
    assert plans_of(tenant)[0].name == "P renamed"
    assert audit_of(tenant, "plan.update")[0].after == {"name": "P renamed", "priority": 10}


def test_a_closed_effective_period_is_refused(registry, make_tenant, browser):
    tenant = company(make_tenant)
    plan_id, _ = make_plan(tenant)
    with bound_tenant(tenant.id):
        march = db.session.scalar(select(Period).where(Period.label == "2024-03"))
        march.status = PeriodStatus.CLOSED
        db.session.commit()
    b = browser(tenant.owner)
    resp = b.post(
        f"/t/{tenant.slug}/plans/{plan_id}/edit",
        data=form(march.id, name="P", **{"s.base": "200"}),
        headers=EN,
    )
    assert resp.status_code == 400
    assert "2024-03 is closed" in error_after(resp.text, "effective_period_id")
    assert len(versions_of(tenant, plan_id)) == 1
    resp = b.post(f"/t/{tenant.slug}/plans/new", data=form(march.id), headers=EN)
    assert resp.status_code == 400 and "is closed" in resp.text
    assert len(plans_of(tenant)) == 1
    # The service refuses it as well, whoever calls it.
    with bound_tenant(tenant.id), force_locale("en"), pytest.raises(PlanError, match="closed"):
        add_version(
            db.session.get(Plan, plan_id),
            period=march,
            settings=Probe.default_settings(),
            eligibility={},
            user_id=None,
        )


def test_a_new_version_cannot_take_effect_before_the_latest(registry, make_tenant, browser):
    tenant = company(make_tenant)
    plan_id, _ = make_plan(tenant, label="2024-05")
    resp = browser(tenant.owner).post(
        f"/t/{tenant.slug}/plans/{plan_id}/edit",
        data=form(period(tenant, "2024-02").id, name="P", **{"s.base": "200"}),
        headers=EN,
    )
    assert resp.status_code == 400
    assert "Version 1 is in force from 2024-05-01" in resp.text
    assert len(versions_of(tenant, plan_id)) == 1


def test_version_in_force_picks_the_right_version_per_period(registry, make_tenant):
    tenant = company(make_tenant)
    plan_id, v1_id = make_plan(tenant, label="2024-02")
    with bound_tenant(tenant.id):
        generate_year(tenant.id, 2023, 1)
        plan = db.session.get(Plan, plan_id)
        p = {x.label: x for x in db.session.scalars(select(Period))}
        settings = Probe.default_settings()
        v2 = add_version(plan, period=p["2024-05"], settings=settings, eligibility={}, user_id=None)
        pilot = add_version(
            plan,
            period=p["2024-06"],
            settings=settings,
            eligibility={},
            user_id=None,
            is_pilot=True,
            pilot_team_ids=[1],
        )
        db.session.commit()

        def in_force(label):
            v = version_in_force(tenant.id, plan_id, p[label])
            return v.id if v else None

        assert in_force("2023-12") is None  # before the plan starts
        assert in_force("2024-01") is None
        assert in_force("2024-02") == v1_id
        assert in_force("2024-04") == v1_id
        assert in_force("2024-Q2") is None  # a monthly plan never runs in a quarter
        assert in_force("2024-05") == v2.id
        assert in_force("2024-06") == v2.id  # the pilot is never in force
        assert in_force("2024-12") == v2.id
        assert [(e.plan.id, e.version) for e in plans_for_period(tenant.id, p["2024-07"])] == [
            (plan_id, v2)
        ]
        assert pilot.is_pilot and pilot.number == 3

        # A correction effective from the same period as version 2 wins over it.
        v4 = add_version(plan, period=p["2024-05"], settings=settings, eligibility={}, user_id=None)
        db.session.commit()
        assert in_force("2024-05") == v4.id and in_force("2024-04") == v1_id


# --- eligibility ----------------------------------------------------------------------

# region 1 → group 2 → sub-group 3; region 4
TEAMS = {1: None, 2: 1, 3: 2, 4: None}


@pytest.mark.parametrize(
    "eligibility,person,expected",
    [
        ({}, (9, "core", None), True),
        ({"team_ids": [], "levels": [], "person_ids": []}, (9, "newcomer", 4), True),
        ({"team_ids": [1]}, (9, "core", 3), True),  # a team includes its sub-teams
        ({"team_ids": [2]}, (9, "core", 1), False),  # not the parent
        ({"team_ids": [1]}, (9, "core", 4), False),
        ({"team_ids": [1]}, (9, "core", None), False),
        ({"levels": ["core"]}, (9, "core", None), True),
        ({"levels": ["core"]}, (9, "newcomer", 2), False),
        ({"team_ids": [1], "levels": ["core"]}, (9, "core", 2), True),
        ({"team_ids": [1], "levels": ["core"]}, (9, "newcomer", 2), False),  # every filter
        ({"team_ids": [1], "levels": ["core"]}, (9, "core", 4), False),
        ({"team_ids": [1], "person_ids": [9]}, (9, "newcomer", 4), True),  # named: always in
        ({"person_ids": [9]}, (9, "core", 1), True),
        ({"person_ids": [9]}, (8, "core", 1), False),  # only the named people
    ],
)
def test_is_eligible(eligibility, person, expected):
    person_id, level, team_id = person
    assert _eligible(eligibility, person_id, level, team_id, TEAMS) is expected


def test_is_eligible_survives_a_cycle_in_the_team_tree():
    assert _eligible({"team_ids": [7]}, 1, "core", 5, {5: 6, 6: 5}) is False
    assert _eligible({"team_ids": [5]}, 1, "core", 6, {5: 6, 6: 5}) is True


def version_in_force(tenant_id, plan_id, period):
    """The version the engine calculates ``plan_id`` with in ``period``."""
    for entry in plans_for_period(tenant_id, period):
        if entry.plan.id == plan_id:
            return entry.version
    return None


def _eligible(eligibility, person_id, level, team_id, parents) -> bool:
    """The engine's rule (jili.incentives.engine.narrow) on a one-person set of facts."""
    one = PeriodFacts.build(
        PeriodInfo("2024-07", "month", date(2024, 7, 1), date(2024, 7, 31)),
        [PersonFacts(person_id, level=level, team_id=team_id)],
    )
    return person_id in narrow(one, eligibility, team_tree(parents)).people


def test_eligibility_ids_of_another_company_are_refused(registry, make_tenant, browser):
    tenant = company(make_tenant)
    other = make_tenant(slug="other")
    with bound_tenant(other.id):
        stranger = Person(tenant_id=other.id, employee_no="X", name="外人")
        db.session.add(stranger)
        db.session.commit()
    resp = browser(tenant.owner).post(
        f"/t/{tenant.slug}/plans/new",
        data=form(period(tenant, "2024-01").id, elig_person_ids=[str(stranger.id)]),
        headers=EN,
    )
    assert resp.status_code == 400
    assert error_after(resp.text, "elig_person_ids") == "Choose from the list."
    assert plans_of(tenant) == []


# --- pilots ---------------------------------------------------------------------------


def test_pilot_version_is_created_for_one_or_two_teams_and_never_in_force(
    registry, make_tenant, browser
):
    tenant = company(make_tenant)
    plan_id, v1_id = make_plan(tenant)
    with bound_tenant(tenant.id):
        teams = [Team(tenant_id=tenant.id, name=f"组{i}") for i in range(3)]
        db.session.add_all(teams)
        db.session.commit()
        team_ids = [t.id for t in teams]
    b = browser(tenant.owner)
    url = f"/t/{tenant.slug}/plans/{plan_id}/pilot"
    assert b.get(url, headers=EN).status_code == 200
    june = period(tenant, "2024-06")
    for chosen in ([], [str(t) for t in team_ids]):
        resp = b.post(url, data=form(june.id, pilot_team_ids=chosen or None), headers=EN)
        assert resp.status_code == 400
        assert error_after(resp.text, "pilot_team_ids") == "Choose one or two teams to pilot with."
    resp = b.post(
        url,
        data=form(june.id, pilot_team_ids=[str(team_ids[0])], **{"s.rate_pct": "3"}),
        headers=EN,
    )
    assert resp.status_code == 302, resp.text
    v1, pilot = versions_of(tenant, plan_id)
    assert pilot.is_pilot and pilot.pilot_team_ids == [team_ids[0]] and pilot.number == 2
    assert pilot.settings["rate_pct"] == "3"
    assert audit_of(tenant, "plan.pilot")
    with bound_tenant(tenant.id):
        assert version_in_force(tenant.id, plan_id, june).id == v1_id
    assert "1 pilot" in b.get(f"/t/{tenant.slug}/plans", headers=EN).text
    detail = b.get(f"/t/{tenant.slug}/plans/{plan_id}", headers=EN)
    assert "Pilot" in detail.text and "组0" in detail.text and "Adopt as new version" in detail.text
    adopt = b.get(f"/t/{tenant.slug}/plans/{plan_id}/edit?from={pilot.id}", headers=EN)
    assert 'name="s.rate_pct" value="3"' in adopt.text


# --- schemes not installed or disabled ------------------------------------------------


def test_a_plan_whose_scheme_is_not_installed_is_shown_unavailable(registry, make_tenant, browser):
    tenant = company(make_tenant, enable=("probe", "vanished"))
    with bound_tenant(tenant.id):
        plan = Plan(tenant_id=tenant.id, name="Old plan", scheme_key="vanished")
        db.session.add(plan)
        db.session.flush()
        jan = db.session.scalar(select(Period).where(Period.label == "2024-01"))
        version = PlanVersion(
            tenant_id=tenant.id,
            plan_id=plan.id,
            number=1,
            effective_period_id=jan.id,
            effective_from=jan.start_date,
            settings={"secret_rate": "7.5"},
        )
        db.session.add(version)
        db.session.commit()
        plan_id, version_id = plan.id, version.id
    b = browser(tenant.owner)
    listing = b.get(f"/t/{tenant.slug}/plans", headers=EN)
    assert listing.status_code == 200
    assert "Scheme not installed — unavailable" in listing.text and "vanished" in listing.text
    detail = b.get(f"/t/{tenant.slug}/plans/{plan_id}", headers=EN)
    assert detail.status_code == 200 and "secret_rate" in detail.text and "7.5" in detail.text
    assert "Edit (new version)" not in detail.text
    page = b.get(f"/t/{tenant.slug}/plans/{plan_id}/versions/{version_id}", headers=EN)
    assert page.status_code == 200 and "secret_rate" in page.text
    assert b.get(f"/t/{tenant.slug}/plans/{plan_id}/edit").status_code == 409
    assert b.get(f"/t/{tenant.slug}/plans/{plan_id}/pilot").status_code == 409
    # Not offered for new plans either.
    assert 'value="vanished"' not in b.get(f"/t/{tenant.slug}/plans/new").text


def test_a_plan_whose_scheme_is_disabled_is_not_calculated(registry, make_tenant, browser):
    tenant = company(make_tenant)
    plan_id, _ = make_plan(tenant)
    b = browser(tenant.owner)
    b.post(f"/t/{tenant.slug}/schemes/toggle", data={"scheme_key": "probe", "enabled": "0"})
    listing = b.get(f"/t/{tenant.slug}/plans", headers=EN)
    assert "Scheme disabled — not calculated" in listing.text


def test_a_version_of_another_plan_is_404(registry, make_tenant, browser):
    tenant = company(make_tenant)
    plan_a, _ = make_plan(tenant, name="A")
    _plan_b, version_b = make_plan(tenant, name="B")
    resp = browser(tenant.owner).get(f"/t/{tenant.slug}/plans/{plan_a}/versions/{version_b}")
    assert resp.status_code == 404


@pytest.mark.parametrize("role,allowed", [("consultant", True), ("hr", False), ("manager", False)])
def test_who_may_create_plans(registry, role, allowed, make_tenant, member, browser):
    tenant = company(make_tenant)
    resp = browser(member(tenant, role)).post(
        f"/t/{tenant.slug}/plans/new", data=form(period(tenant, "2024-01").id)
    )
    assert resp.status_code == (302 if allowed else 403)
    assert len(plans_of(tenant)) == (1 if allowed else 0)


# --- consultant copy ------------------------------------------------------------------


@pytest.fixture
def consultant_setup(registry, make_tenant, make_user):
    source = company(make_tenant, slug="client-a")
    target = company(make_tenant, slug="client-b")
    stranger = company(make_tenant, slug="client-c")
    consultant = make_user(email="consultant@example.com")
    add_member(source, consultant, "consultant")
    add_member(target, consultant, "consultant")
    with bound_tenant(source.id):
        team = Team(tenant_id=source.id, name="A 组")
        db.session.add(team)
        db.session.commit()
        team_id = team.id
    plan_id, _ = make_plan(source, settings=Probe.validate_settings(EXPECTED_SETTINGS))
    with bound_tenant(source.id):
        plan = db.session.get(Plan, plan_id)
        v2 = add_version(
            plan,
            period=db.session.scalar(select(Period).where(Period.label == "2024-03")),
            settings=Probe.validate_settings({**EXPECTED_SETTINGS, "base": "250"}),
            eligibility={"team_ids": [team_id], "levels": [], "person_ids": []},
            user_id=None,
        )
        db.session.commit()
    return SimpleNamespace(
        source=source,
        target=target,
        stranger=stranger,
        consultant=consultant,
        plan_id=plan_id,
        version=v2,
    )


def test_consultant_copies_a_plan_to_another_client(consultant_setup, browser):
    s = consultant_setup
    b = browser(s.consultant)
    url = f"/t/{s.source.slug}/plans/{s.plan_id}/copy"
    page = b.get(url, headers=EN)
    assert page.status_code == 200
    assert f'value="{s.target.id}"' in page.text
    assert f'value="{s.stranger.id}"' not in page.text  # not the consultant's client
    assert "are not copied" in page.text  # the plan names a team
    july = period(s.target, "2024-07")
    assert f'value="{july.id}"' in page.text  # the target's own periods
    resp = b.post(
        url,
        data={
            "target_tenant_id": str(s.target.id),
            "target_period_id": str(july.id),
            "name": "复制",
        },
        headers=EN,
    )
    assert resp.status_code == 302, resp.text
    (copy,) = plans_of(s.target)
    assert copy.name == "复制" and copy.scheme_key == "probe"
    (v1,) = versions_of(s.target, copy.id)
    assert v1.number == 1 and v1.effective_period_id == july.id
    assert v1.settings["base"] == "250"  # the latest version's settings
    assert v1.eligibility == {"team_ids": [], "levels": [], "person_ids": []}
    assert v1.created_by_id == s.consultant.id
    (created,) = audit_of(s.target, "plan.create")
    assert created.actor_id == s.consultant.id and created.after["copied"] is True
    assert "client-a" not in str(created.after)  # the other client is not named
    (copied,) = audit_of(s.source, "plan.copy")
    assert copied.after == {"version": 2, "copy_name": "复制"}
    assert len(plans_of(s.source)) == 1
    # The target's page shows it, to the consultant.
    page = b.get(f"/t/{s.target.slug}/plans/{copy.id}", headers=EN)
    assert page.status_code == 200 and "Everyone" in page.text


def test_copy_to_a_company_the_consultant_does_not_serve_is_404(consultant_setup, browser):
    s = consultant_setup
    b = browser(s.consultant)
    resp = b.post(
        f"/t/{s.source.slug}/plans/{s.plan_id}/copy",
        data={
            "target_tenant_id": str(s.stranger.id),
            "target_period_id": str(period(s.stranger, "2024-07").id),
            "name": "偷",
        },
    )
    assert resp.status_code == 404
    assert plans_of(s.stranger) == []
    assert audit_of(s.source, "plan.copy") == []


def test_copy_where_the_user_may_not_edit_plans_is_refused(consultant_setup, member, browser):
    s = consultant_setup
    add_member(s.stranger, s.consultant, "staff")
    resp = browser(s.consultant).post(
        f"/t/{s.source.slug}/plans/{s.plan_id}/copy",
        data={
            "target_tenant_id": str(s.stranger.id),
            "target_period_id": str(period(s.stranger, "2024-07").id),
            "name": "X",
        },
    )
    assert resp.status_code == 403
    assert plans_of(s.stranger) == []


def test_copy_needs_the_scheme_enabled_in_the_target(consultant_setup, browser):
    s = consultant_setup
    with bound_tenant(s.target.id):
        row = db.session.scalar(select(TenantScheme).where(TenantScheme.scheme_key == "probe"))
        row.enabled = False
        db.session.commit()
    resp = browser(s.consultant).post(
        f"/t/{s.source.slug}/plans/{s.plan_id}/copy",
        data={
            "target_tenant_id": str(s.target.id),
            "target_period_id": str(period(s.target, "2024-07").id),
            "name": "X",
        },
        headers=EN,
    )
    assert resp.status_code == 400
    assert "is not enabled in that company" in resp.text
    assert plans_of(s.target) == []
    assert audit_of(s.source, "plan.copy") == []


def test_copy_refuses_a_period_of_another_company_and_a_taken_name(consultant_setup, browser):
    s = consultant_setup
    make_plan(s.target, name="Taken")
    b = browser(s.consultant)
    url = f"/t/{s.source.slug}/plans/{s.plan_id}/copy"
    target = str(s.target.id)
    source_period = str(period(s.source, "2024-07").id)
    resp = b.post(
        url,
        data={"target_tenant_id": target, "target_period_id": source_period, "name": "X"},
        headers=EN,
    )
    assert resp.status_code == 400 and "Choose a period of that company." in resp.text
    july = str(period(s.target, "2024-07").id)
    resp = b.post(
        url,
        data={"target_tenant_id": target, "target_period_id": july, "name": "taken"},
        headers=EN,
    )
    assert resp.status_code == 400 and "exists already" in resp.text
    assert [p.name for p in plans_of(s.target)] == ["Taken"]


@pytest.mark.parametrize("language", ["zh-CN", "zh-TW"])
def test_plan_pages_render_in_chinese(language, registry, make_tenant, browser):
    tenant = company(make_tenant, enable=("probe", "tiered_commission"))
    plan_id, version_id = make_plan(tenant)
    b = browser(tenant.owner)
    headers = {"Accept-Language": language}
    base = f"/t/{tenant.slug}"
    for url in (
        "/schemes",
        "/plans",
        "/plans/new",
        "/plans/new?scheme_key=tiered_commission",
        f"/plans/{plan_id}",
        f"/plans/{plan_id}/edit",
        f"/plans/{plan_id}/pilot",
        f"/plans/{plan_id}/versions/{version_id}",
        f"/plans/{plan_id}/copy",
    ):
        assert b.get(base + url, headers=headers).status_code == 200, url
