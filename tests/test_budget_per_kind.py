"""The budget ceiling per period kind (issue 9, item 15): a month, a quarter, a
year and a week each have their own ceiling; a cut is said in words with its
numbers on the run page and the statements, in the reader's language (the
cut line's arithmetic too); a ceiling that removes more than half of the
payouts is stored only once confirmed, for the very inputs shown.

The world (test_runs_pages.CalcWorld): Q3 2024 revenue 1,650,000.00, payouts
11,700 + 4,800 + 6,000 + 1,200 = 23,700.00, all of one quarterly plan."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from jili.extensions import db
from jili.incentives.engine import BudgetCutUnconfirmed, calculate_period, plans_for_period
from jili.incentives.engine.budget import budget_policy
from jili.models import AuditLog, IncentiveSetting, User
from jili.tenancy import bound_tenant
from test_runs_pages import EN, CalcWorld
from test_statements import publish, statement_url

D = Decimal


@pytest.fixture
def world(make_tenant, member):
    return CalcWorld(make_tenant(), member)


def ceilings(w, **values) -> None:
    with bound_tenant(w.t):
        db.session.add(IncentiveSetting(tenant_id=w.t, **values))
        db.session.commit()


def set_locale(user, locale: str) -> None:
    db.session.get(User, user.id).locale = locale
    db.session.commit()


# -- each kind its own ceiling ------------------------------------------------------


def test_a_quarter_is_cut_by_the_quarters_ceiling_and_no_other(world):
    w = world
    ceilings(
        w,
        ceiling_month_amount=D("100.00"),
        ceiling_quarter_pct=D("1"),  # 1 % of 1,650,000.00 = 16,500.00
        ceiling_year_amount=D("200.00"),
        ceiling_week_amount=D("300.00"),
    )
    with bound_tenant(w.t):
        run = calculate_period(w.tenant, w.q3)
        entries = plans_for_period(w.t, w.q3)
        kinds = {k: budget_policy(w.t, entries, k) for k in ("month", "year", "week")}
    assert run.budget["period_kind"] == "quarter"
    assert (run.budget["ceiling"], run.budget["revenue"]) == ("16500.00", "1650000.00")
    assert run.total == D("16500.00") and run.budget["total_before"] == "23700.00"
    assert run.budget["factor"] == "0.6962"  # 16,500 / 23,700
    assert {k: p.amount for k, p in kinds.items()} == {
        "month": D("100.00"),
        "year": D("200.00"),
        "week": D("300.00"),
    }


def test_a_kind_without_a_ceiling_is_paid_as_calculated(world):
    w = world
    ceilings(w, ceiling_month_amount=D("100.00"), ceiling_year_pct=D("0.01"))
    with bound_tenant(w.t):
        run = calculate_period(w.tenant, w.q3)
    assert run.budget["ceiling"] is None and run.budget["applied"] is False
    assert run.total == D("23700.00")


# -- in words, with the numbers, in three languages -----------------------------------

RUN_WORDS = {
    "en": (
        "The quarter’s budget ceiling of",
        "1 % of revenue",
        "cut the payouts from",
        "scaled by the same factor, 0.6962",
    ),
    "zh_Hans": ("本季度的预算上限", "销售额", "0.6962"),
    "zh_Hant": ("本季的預算上限", "營收", "0.6962"),
}


@pytest.mark.parametrize("locale", sorted(RUN_WORDS))
def test_the_run_page_says_the_cut_in_words_with_its_numbers(world, browser, locale):
    w = world
    ceilings(w, ceiling_quarter_pct=D("1"))
    b = browser(w.tenant.owner)
    location = w.calculate(b).headers["Location"]
    set_locale(w.tenant.owner, locale)
    page = b.get(location).text
    words = page.split('id="budget-words"')[1].split("</div>")[0]
    for text in RUN_WORDS[locale]:
        assert text in words, (text, words)
    for number in ("16,500.00", "1,650,000.00", "23,700.00", "7,200.00"):
        assert number in words, (number, words)
    if locale != "en":
        assert "budget ceiling" not in words and "revenue" not in words


STATEMENT_WORDS = {
    "en": ("The payouts on this statement were cut from", "budget ceiling", "(proportional)"),
    "zh_Hans": ("本结算单的激励金额从", "预算上限", "按比例"),
    "zh_Hant": ("這份獎金明細的金額從", "預算上限", "等比例"),
}


@pytest.mark.parametrize("locale", sorted(STATEMENT_WORDS))
def test_a_cut_statement_says_so_and_its_arithmetic_is_in_the_readers_language(
    world, browser, locale
):
    w = world
    ceilings(w, ceiling_quarter_pct=D("1"))
    owner = browser(w.tenant.owner)
    w.calculate(owner)
    publish(w, owner)
    set_locale(w.staff_user, locale)
    page = browser(w.staff_user).get(statement_url(w, w.a)).text
    box = page.split('id="budget-cut"')[1].split("</div>")[0]
    assert STATEMENT_WORDS[locale][0] in box
    assert "11,700.00" in box and "16,500.00" in box  # their own before, the ceiling
    arithmetic = page.split('class="line"')[1].split("</tr>")[0]
    assert STATEMENT_WORDS[locale][1] in arithmetic and STATEMENT_WORDS[locale][2] in arithmetic
    if locale != "en":
        assert "budget ceiling" not in arithmetic and "proportional" not in arithmetic


def test_a_statement_the_ceiling_did_not_touch_says_nothing_of_it(world, browser):
    w = world
    ceilings(w, ceiling_quarter_amount=D("90000.00"))
    owner = browser(w.tenant.owner)
    w.calculate(owner)
    page = owner.get(statement_url(w, w.a), headers=EN).text
    assert 'id="budget-cut"' not in page


# -- more than half removed: confirm first ----------------------------------------------


def _runs(w):
    return [r for r in w.runs() if r.kind.value == "final"]


def test_a_cut_of_more_than_half_is_stored_only_once_confirmed(world, browser):
    w = world
    ceilings(w, ceiling_quarter_amount=D("10000.00"))  # removes 13,700.00 of 23,700.00
    b = browser(w.tenant.owner)
    resp = w.calculate(b)
    assert resp.status_code == 200 and _runs(w) == []
    box = resp.text.split('id="confirm-budget-cut"')[1].split("</form>")[0]
    assert "more than half" in box and "would cut the payouts" in box
    assert "10,000.00" in box and "23,700.00" in box and "13,700.00" in box
    fingerprint = box.split('name="confirm_budget_cut" value="')[1].split('"')[0]
    url = w.url(f"/periods/{w.q3.id}/runs/calculate")

    # A confirmation for other inputs (they changed since) asks again.
    resp = b.post(url, data={"confirm_budget_cut": "0" * 64}, headers=EN)
    assert 'id="confirm-budget-cut"' in resp.text and "inputs changed" in resp.text
    assert _runs(w) == []

    resp = b.post(url, data={"confirm_budget_cut": fingerprint}, headers=EN)
    assert resp.status_code == 302
    (run,) = _runs(w)
    assert run.total == D("10000.00") and run.budget["confirmed"] is True
    assert run.fingerprint == fingerprint
    with bound_tenant(w.t):
        entry = db.session.scalar(select(AuditLog).where(AuditLog.action == "run.calculate"))
    assert entry.after["budget_cut_confirmed"] is True
    page = b.get(resp.headers["Location"], headers=EN).text
    assert "was confirmed before the run was kept" in page


def test_a_cut_of_half_or_less_needs_no_confirmation(world, browser):
    w = world
    ceilings(w, ceiling_quarter_amount=D("11850.00"))  # exactly half
    resp = w.calculate(browser(w.tenant.owner))
    assert resp.status_code == 302 and len(_runs(w)) == 1


def test_the_engine_refuses_an_unconfirmed_deep_cut_and_a_stale_confirmation(world):
    w = world
    ceilings(w, ceiling_quarter_amount=D("1000.00"))
    with bound_tenant(w.t):
        with pytest.raises(BudgetCutUnconfirmed) as asked:
            calculate_period(w.tenant, w.q3)
        assert asked.value.budget["total_after"] == "1000.00"
        seen = asked.value.fingerprint
        w.sale(w.b, "1", day=date(2024, 8, 2))  # the inputs change after the question
        db.session.commit()
        with pytest.raises(BudgetCutUnconfirmed) as again:
            calculate_period(w.tenant, w.q3, confirm=seen)
        run = calculate_period(w.tenant, w.q3, confirm=again.value.fingerprint)
    assert run.total == D("1000.00")


def test_the_cli_stores_a_deep_cut_only_with_its_flag(world, app):
    w = world
    ceilings(w, ceiling_quarter_amount=D("1000.00"))
    runner = app.test_cli_runner()
    args = ["calc", "--tenant", w.slug, "--period", "2024-Q3"]
    refused = runner.invoke(args=args)
    assert refused.exit_code != 0 and "--confirm-budget-cut" in refused.output
    assert _runs(w) == []
    stored = runner.invoke(args=[*args, "--confirm-budget-cut"])
    assert stored.exit_code == 0, stored.output
    assert [r.total for r in _runs(w)] == [D("1000.00")]


# -- the settings page ------------------------------------------------------------------


def test_the_budget_form_has_a_row_per_period_kind(world, browser):
    w = world
    b = browser(w.tenant.owner)
    resp = b.post(
        w.url("/budget"),
        data={
            "ceiling_month_amount": "200,000",
            "ceiling_quarter_pct": "5",
            "ceiling_year_amount": "2000000",
            "ceiling_year_pct": "4.5",
            "budget_rule": "proportional",
        },
        headers=EN,
    )
    assert resp.status_code == 302
    with bound_tenant(w.t):
        row = db.session.scalar(select(IncentiveSetting))
        assert row.ceiling_for("month") == (D("200000.00"), None)
        assert row.ceiling_for("quarter") == (None, D("5"))
        assert row.ceiling_for("year") == (D("2000000.00"), D("4.5"))
        assert row.ceiling_for("week") == (None, None)
    page = b.get(w.url("/schemes"), headers=EN).text
    table = page.split('id="ceilings"')[1].split("</table>")[0]
    for label in ("Month", "Quarter", "Year", "Week"):
        assert f'<th scope="row">{label}</th>' in table
    assert 'value="200000"' in table and 'value="4.5"' in table
