"""The run page is paged: totals by plan and the budget on top, then the people a
page at a time (a search by name or employee number, a statement link each), the
whole run in the payroll export. A manager pages through their own people only.
The page size is made tiny here so that the four earners of the world span pages."""

from __future__ import annotations

import re
from decimal import Decimal as D

import pytest
from sqlalchemy import select

from jili.extensions import db
from jili.incentives.views import run_page
from jili.inputs.models import SalesTarget
from jili.tenancy import bound_tenant
from test_runs_pages import EN, CalcWorld

EARNERS = {"张伟": "11,700.00", "李娜": "4,800.00", "王芳": "6,000.00", "赵直属": "1,200.00"}


@pytest.fixture
def world(make_tenant, member, monkeypatch):
    monkeypatch.setattr(run_page, "PAGE_SIZE", 2)
    return CalcWorld(make_tenant(), member)


def _people_table(page: str) -> str:
    return page.split('id="totals"')[1].split("</tbody>")[0]


def _names_on(page: str) -> set[str]:
    """The people with a row on the page (not a name echoed in a message)."""
    rows = re.findall(r'<tr id="person-\d+">.*?</tr>', _people_table(page), re.S)
    return {name for name in EARNERS for row in rows if name in row}


def test_the_run_pages_through_its_people_with_the_totals_on_every_page(world, browser):
    w = world
    b = browser(w.tenant.owner)
    w.calculate(b)
    (run,) = w.runs()
    first = b.get(w.url(f"/runs/{run.id}"), headers=EN).text
    assert _names_on(first) == {"张伟", "李娜"}  # E1, E2: employee-number order
    assert "Page 1 of 2" in first and "People 1–2 of 4" in first
    assert f"/runs/{run.id}?page=2" in first
    assert "Totals by plan" in first and "23,700.00" in first
    assert f"/periods/{w.q3.id}/statements/{w.a.id}" in first  # a statement per person
    assert "payroll export" in first
    second = b.get(w.url(f"/runs/{run.id}?page=2"), headers=EN).text
    assert _names_on(second) == {"王芳", "赵直属"}
    assert "23,700.00" in second  # the run's totals do not depend on the page
    for name in ("王芳", "赵直属"):
        assert EARNERS[name] in _people_table(second)
    # A page past the end is the last page; a nonsense page is the first.
    assert _names_on(b.get(w.url(f"/runs/{run.id}?page=99"), headers=EN).text) == {
        "王芳",
        "赵直属",
    }
    assert _names_on(b.get(w.url(f"/runs/{run.id}?page=x"), headers=EN).text) == {"张伟", "李娜"}


def test_search_by_name_or_employee_number(world, browser):
    w = world
    b = browser(w.tenant.owner)
    w.calculate(b)
    (run,) = w.runs()
    by_name = b.get(w.url(f"/runs/{run.id}?q=王芳"), headers=EN).text
    assert _names_on(by_name) == {"王芳"} and "People 1–1 of 1" in by_name
    assert "6,000.00" in by_name and "23,700.00" in by_name  # the totals stay the run's
    by_number = b.get(w.url(f"/runs/{run.id}?q=e2"), headers=EN).text
    assert _names_on(by_number) == {"李娜"}
    nobody = b.get(w.url(f"/runs/{run.id}?q=100%25_"), headers=EN)
    assert nobody.status_code == 200
    assert "No one in this run matches “100%_”." in nobody.text  # % and _ are literal
    zh = b.get(w.url(f"/runs/{run.id}?q=无此人"), headers={"Accept-Language": "zh-CN"}).text
    assert "本次计算中没有人符合“无此人”。" in zh and "按激励计划合计" in zh


def test_a_manager_pages_through_their_own_people_only(world, browser):
    w = world
    manager = browser(w.manager_user)
    w.calculate(browser(w.tenant.owner))
    (run,) = w.runs()
    pages = [manager.get(w.url(f"/runs/{run.id}?page={n}"), headers=EN).text for n in (1, 2)]
    assert _names_on(pages[0]) == {"张伟", "李娜"}
    assert _names_on(pages[1]) == {"赵直属"}
    for page in pages:
        assert "王芳" not in page and "6,000.00" not in page
        assert "23,700.00" not in page and "17,700.00" in page  # totals over their people
        assert 'id="budget"' not in page
    searched = manager.get(w.url(f"/runs/{run.id}?q=王芳"), headers=EN).text
    assert _names_on(searched) == set() and "6,000.00" not in searched
    assert "No one in this run matches “王芳”." in searched  # as if there were no such person


def test_what_changed_is_limited_and_a_rerun_shows_its_own_totals(world, browser, monkeypatch):
    monkeypatch.setattr(run_page, "DIFF_LIMIT", 1)
    w = world
    b = browser(w.tenant.owner)
    w.calculate(b)
    first_page = b.get(w.url(f"/runs/{w.runs()[0].id}"), headers=EN).text  # kept per process
    assert "23,700.00" in first_page
    with bound_tenant(w.t):
        # 张伟 650k / 600k = 108 %: 1.2 %, 7,800.00; 李娜 400k / 300k = 133 %: 1.8 %, 7,200.00
        for person, baseline in ((w.a, "600000"), (w.a2, "300000")):
            target = db.session.scalar(
                select(SalesTarget).where(
                    SalesTarget.person_id == person.id, SalesTarget.metric == "revenue"
                )
            )
            target.baseline = D(baseline)
        db.session.commit()
    w.calculate(b)
    _first, second = w.runs()
    assert second.total != D("23700.00")
    page = b.get(w.url(f"/runs/{second.id}"), headers=EN).text
    changes = page.split('id="changes"')[1]
    assert "1 of 2 changes shown" in changes
    assert "23,700.00" not in page.split('id="changes"')[0]  # not the first run's totals
    searched = b.get(w.url(f"/runs/{second.id}?q=李娜"), headers=EN).text
    changes = searched.split('id="changes"')[1]
    assert "李娜" in changes and "张伟" not in changes and "changes shown" not in changes
    assert re.search(r"4,800\.00", changes) and re.search(r"7,200\.00", changes)
