"""Every chart on a home page can be read without seeing it: each SVG is an image
(role="img") named by its <title> and described by its <desc> (aria-labelledby points
at both), and a table with the same numbers follows it in the same card."""

from __future__ import annotations

import re
from decimal import Decimal as D

import pytest

from jili.extensions import db
from jili.incentives.models import IncentiveSetting
from jili.tenancy import bound_tenant
from test_runs_pages import EN, CalcWorld

SVG = re.compile(r"<svg\b(?P<attrs>[^>]*)>(?P<body>.*?)</svg>", re.S)


def chart_problems(html: str) -> list[str]:
    """What is missing for each chart of ``html``; empty when every chart is readable."""
    problems = []
    for m in SVG.finditer(html):
        attrs, body = m.group("attrs"), m.group("body")
        if 'aria-hidden="true"' in attrs:
            continue  # an icon (the bell), hidden from screen readers: not a chart
        name = re.search(r"<title[^>]*>([^<]*)</title>", body)
        label = name.group(1) if name else m.group(0)[:60]
        if 'role="img"' not in attrs:
            problems.append(f"{label}: no role=img")
        if not name or not name.group(1).strip():
            problems.append(f"{label}: no title")
        desc = re.search(r'<desc id="([^"]+)">([^<]+)</desc>', body)
        if not desc:
            problems.append(f"{label}: no description")
        labelled = re.search(r'aria-labelledby="([^"]+)"', attrs)
        ids = labelled.group(1).split() if labelled else []
        if not ids or any(f'id="{i}"' not in body for i in ids):
            problems.append(f"{label}: aria-labelledby does not name its title and description")
        after = html[m.end() :]
        card_end = min(
            (i for i in (after.find("</article>"), after.find("</section>")) if i >= 0),
            default=len(after),
        )
        next_chart = after.find("<svg")
        scope = after[: min(card_end, next_chart if next_chart >= 0 else len(after))]
        if "<table" not in scope:
            problems.append(f"{label}: no table with its numbers after it")
    return problems


@pytest.fixture
def world(make_tenant, member):
    w = CalcWorld(make_tenant(), member)
    with bound_tenant(w.t):
        db.session.add(
            IncentiveSetting(
                tenant_id=w.t, ceiling_month_amount=D("20000"), ceiling_quarter_amount=D("20000")
            )
        )
        db.session.commit()
    return w


@pytest.mark.parametrize("who", ["manager_user", "staff_user", "hr_user"])
def test_every_home_chart_has_a_name_a_description_and_a_table(world, browser, who):
    w = world
    if who == "hr_user":
        w.calculate(browser(w.hr_user))  # the cost chart needs a calculation
    text = browser(getattr(w, who)).get(w.url("/"), headers=EN).text
    if who == "manager_user":  # ranking, region, product line, budget share
        assert len(SVG.findall(text)) >= 4
    if who == "hr_user":
        assert len(SVG.findall(text)) >= 1
    assert chart_problems(text) == []


def test_the_check_finds_a_chart_without_a_table():
    bare = '<section><svg role="img"><title>T</title></svg></section>'
    assert len(chart_problems(bare)) == 3  # no description, no labelledby, no table
