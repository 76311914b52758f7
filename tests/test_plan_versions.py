"""Plan versions: editing makes a new version and never changes the old one, the
version in force per period, eligibility, pilot versions."""

from __future__ import annotations

from datetime import date

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from jili.extensions import db
from jili.incentives.engine import narrow, plans_for_period, team_tree
from jili.incentives.services.plans import PlanError, add_version
from jili.models import Period, PeriodStatus, Person, Plan, Team
from jili.periods.services import generate_year
from jili.schemes import PeriodFacts, PeriodInfo, PersonFacts
from jili.tenancy import bound_tenant
from plan_kit import (
    EN,
    EXPECTED_SETTINGS,
    Probe,
    approve,
    audit_of,
    company,
    error_after,
    form,
    make_plan,
    period,
    plans_of,
    use_probe,
    version_in_force,
    versions_of,
)


@pytest.fixture
def registry(monkeypatch):
    return use_probe(monkeypatch)


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
        db.session.commit()
        assert version_in_force(tenant.id, plan_id, p["2024-05"]).id == v1_id  # proposed only
        approve(tenant, v2)
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
        approve(tenant, v4)
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
