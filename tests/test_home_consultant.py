"""The consultant's home: every client company on one page — status, open periods,
last calculation, what is due — and switching company from the header of every page."""

from __future__ import annotations

from datetime import date, timedelta

from conftest import add_member
from jili.accounts.models import Role
from jili.extensions import db
from jili.periods.services import generate_year
from jili.tenancy import bound_tenant

EN = {"Accept-Language": "en"}


def _clients(make_tenant, member, make_user):
    a = make_tenant("alpha", "Alpha 销售")
    b = make_tenant("beta", "Beta 貿易")
    adviser = make_user(email="adviser@example.com")
    add_member(a, adviser, Role.CONSULTANT)
    add_member(b, adviser, Role.CONSULTANT)
    last_year = date.today() - timedelta(days=400)
    with bound_tenant(a.id):
        generate_year(a.id, last_year.year, 1)  # ended and never calculated: due
        generate_year(a.id, date.today().year, 1)
        db.session.commit()
    return a, b, adviser


def test_a_consultant_sees_every_client_company_on_one_page(
    make_tenant, member, make_user, browser
):
    a, b, adviser = _clients(make_tenant, member, make_user)
    page = browser(adviser).get("/", headers=EN)
    assert page.status_code == 200
    text = page.text
    assert "Client companies" in text
    assert text.count('class="company"') == 2
    assert "Alpha 销售" in text and "Beta 貿易" in text
    assert "Setting up: " in text and "Never calculated" in text
    assert f"{date.today().year}-Q" in text  # Alpha's open quarter
    assert "ended periods to calculate" in text  # Alpha's last year
    assert "Nothing due" in text  # Beta


def test_a_consultant_of_one_company_also_lands_on_the_overview(make_tenant, make_user, browser):
    a = make_tenant("alpha", "Alpha 销售")
    adviser = make_user(email="adviser@example.com")
    add_member(a, adviser, Role.CONSULTANT)
    page = browser(adviser).get("/", headers=EN)
    assert page.status_code == 200 and "Client companies" in page.text


def test_others_keep_the_plain_list_and_the_single_company_redirect(make_tenant, browser):
    a = make_tenant("alpha", "Alpha 销售")
    page = browser(a.owner).get("/", headers=EN)
    assert page.status_code == 302 and page.location.endswith("/t/alpha/")


def test_the_header_switches_to_the_same_page_of_another_company(
    make_tenant, member, make_user, browser
):
    a, b, adviser = _clients(make_tenant, member, make_user)
    client = browser(adviser)
    text = client.get("/t/alpha/people", headers=EN).text
    header = text[text.index('<header class="topbar">') : text.index("</header>")]
    assert "Switch company" in header
    assert 'href="/t/beta/people"' in header and "Beta 貿易" in header
    switch = header.split("Switch company")[1].split("</details>")[0]
    assert 'href="/t/alpha/' not in switch  # not itself
    # a page with an argument of its own switches to the other company's home
    assert client.get("/t/alpha/", headers=EN).status_code == 200


def test_one_company_has_no_switch(make_tenant, browser):
    a = make_tenant("alpha", "Alpha 销售")
    text = browser(a.owner).get("/t/alpha/people", headers=EN).text
    assert "Switch company" not in text


def _calculate(tenant, label):
    from sqlalchemy import select

    from jili.incentives.engine import calculate_period
    from jili.periods.models import Period

    with bound_tenant(tenant.id):
        period = db.session.scalar(
            select(Period).where(Period.tenant_id == tenant.id, Period.label == label)
        )
        calculate_period(tenant, period)


def _last_calculation_cell(text: str, company: str) -> str:
    row = text.split(company, 1)[1].split("</tr>", 1)[0]
    return row.split("<td>")[3]


def test_last_calculation_prefers_a_run_that_calculated_a_plan(
    make_tenant, member, make_user, browser
):
    from jili.periods.models import Period, PeriodKind
    from test_runs_pages import CalcWorld

    w = CalcWorld(make_tenant("alpha", "Alpha 销售"), member)
    adviser = make_user(email="adviser@example.com")
    add_member(w.tenant, adviser, Role.CONSULTANT)
    with bound_tenant(w.t):
        db.session.add(
            Period(
                tenant_id=w.t,
                kind=PeriodKind.MONTH,
                label="2024-09",
                start_date=date(2024, 9, 1),
                end_date=date(2024, 9, 30),
            )
        )
        db.session.commit()
    _calculate(w.tenant, "2024-Q3")  # the quarterly plan: 23,700.00
    _calculate(w.tenant, "2024-09")  # newer, but no plan runs in a month
    cell = _last_calculation_cell(browser(adviser).get("/", headers=EN).text, "Alpha 销售")
    assert "2024-Q3" in cell and "23,700.00" in cell and "2024-09" not in cell


def test_last_calculation_of_a_client_without_plans_is_its_newest_run(
    make_tenant, member, make_user, browser
):
    a, b, adviser = _clients(make_tenant, member, make_user)
    last_year = (date.today() - timedelta(days=400)).year  # as _clients generates it
    _calculate(a, f"{last_year}-01")
    _calculate(a, f"{last_year}-02")
    cell = _last_calculation_cell(browser(adviser).get("/", headers=EN).text, "Alpha 销售")
    assert f"{last_year}-02" in cell and "Never calculated" not in cell
