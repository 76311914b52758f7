"""Issue 10 item 4: every word a user reads is in their language — the words
inside an explanation's arithmetic too ("pool", "capped", "coefficient",
"range"), in new runs and in runs stored before those words were translatable."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from flask_babel import force_locale, gettext
from sqlalchemy import select

from jili.extensions import db
from jili.models import PayoutLineRecord, User
from jili.schemes import Explanation, Step
from jili.tenancy import bound_tenant
from jili_excess_pool.scheme import CAPPED_STEP, POOL_STEP
from jili_tiered_commission.scheme import TieredCommission
from test_runs_pages import EN, CalcWorld
from test_statements import publish, statement_url

COMPILED = Path("platform/jili/translations/zh_Hans/LC_MESSAGES/messages.mo").exists()
needs_catalogue = pytest.mark.skipif(not COMPILED, reason="catalogues not compiled")


@pytest.fixture
def world(make_tenant, member):
    w = CalcWorld(make_tenant(), member)
    with bound_tenant(w.t):
        # A capped plan beside the usual one: 张伟's 130 % counts up to 120 %.
        w.make_plan("封顶提成", TieredCommission, {"mode": "whole", "attainment_cap_pct": "120"})
        db.session.commit()
    return w


def _as(w, browser, locale):
    with bound_tenant(w.t):
        db.session.get(User, w.staff_user.id).locale = locale
        db.session.commit()
    return browser(w.staff_user)


@needs_catalogue
def test_arithmetic_words_on_a_statement_are_in_the_readers_language(world, browser):
    w = world
    owner = browser(w.tenant.owner)
    w.calculate(owner)
    publish(w, owner)
    page = _as(w, browser, "zh_Hans").get(statement_url(w, w.a)).text
    assert "封顶 120 % × 500,000.00 = 计入 600,000.00" in page
    assert "counted" not in page and "cap 120" not in page
    page = _as(w, browser, "zh_Hant").get(statement_url(w, w.a)).text
    assert "封頂 120 % × 500,000.00 = 計入 600,000.00" in page
    english = owner.get(statement_url(w, w.a), headers=EN).text
    assert "cap 120 % × 500,000.00 = 600,000.00 counted" in english


def test_a_run_stores_the_step_with_its_words_and_english_text(world, browser):
    w = world
    w.calculate(browser(w.tenant.owner))
    with bound_tenant(w.t):
        lines = db.session.scalars(
            select(PayoutLineRecord).where(
                PayoutLineRecord.tenant_id == w.t, PayoutLineRecord.person_id == w.a.id
            )
        ).all()
    capped = [line for line in lines if "counted" in line.explanation_text]
    assert len(capped) == 1  # the stored English text explains every fen as before
    (step,) = [s for s in capped[0].explanation["arithmetic"] if isinstance(s, dict)]
    assert step["params"] == {"cap": "120 %", "target": "500,000.00", "counted": "600,000.00"}


@needs_catalogue
def test_steps_stored_as_english_before_are_read_back_translated(app):
    stored = {
        "message": "Team %(team)s sold %(team_sales)s against %(team_target)s; "
        "pool %(pool)s split by %(split)s (largest remainder).",
        "inputs": {"team": "华东一组", "team_sales": "1", "team_target": "1", "pool": "150.00"},
        "rule": {"split": "equal parts"},
        "arithmetic": [
            "pool 1,000.00 × 20 % = 200.00",
            "capped at 150.00",
            "150.00 × 1 / 2 = 75.00",
        ],
    }
    expl = Explanation.from_dict(stored)
    assert expl.arithmetic[0] == Step(POOL_STEP, excess="1,000.00", rate="20 %", pool="200.00")
    assert isinstance(expl.arithmetic[1], Step) and expl.arithmetic[1].message == CAPPED_STEP
    assert not isinstance(expl.arithmetic[2], Step)  # numbers only: shown as computed
    with app.test_request_context(), force_locale("zh_Hans"):
        steps = expl.steps(gettext)
    assert steps == ["奖金池 1,000.00 × 20 % = 200.00", "封顶为 150.00", "150.00 × 1 / 2 = 75.00"]
    # to_dict keeps the words apart from the numbers; reading it again is the same.
    assert Explanation.from_dict(expl.to_dict()) == expl


@needs_catalogue
def test_a_nested_step_and_a_capped_input_are_translated(app):
    from jili_performance_bonus.scheme import CAPPED

    expl = Explanation(
        "attainment %(attainment)s", {"attainment": Step(CAPPED, attainment="120 %")}
    )
    assert expl.plain_text() == "attainment 120 % (capped)"
    with app.test_request_context(), force_locale("zh_Hant"):
        assert "120 %（封頂）" in expl.text()


@needs_catalogue
def test_the_budget_ceilings_step_is_read_in_the_readers_language(world, browser):
    from jili.models import IncentiveSetting

    w = world
    with bound_tenant(w.t):
        db.session.add(
            IncentiveSetting(
                tenant_id=w.t,
                ceiling_month_amount=Decimal("30000.01"),
                ceiling_quarter_amount=Decimal("30000.01"),
            )
        )
        db.session.commit()
    # 46,500.00 cut to 30,000.01: under half removed, so no confirmation is asked
    owner = browser(w.tenant.owner)
    w.calculate(owner)
    publish(w, owner)
    page = _as(w, browser, "zh_Hans").get(statement_url(w, w.a)).text
    assert "预算上限 30,000.01（按比例削减）：" in page and "budget ceiling" not in page
    english = owner.get(statement_url(w, w.a), headers=EN).text
    assert "budget ceiling 30,000.01 (proportional): " in english
