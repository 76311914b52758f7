"""Count metrics (new customers, deals, visits) show as whole numbers — or with
the decimals they have — in the grid's CSV and XLSX files and in the
responsibility letter (page and PDF share one template); money keeps its two
decimals."""

from decimal import Decimal as D
from io import BytesIO

import pytest
from openpyxl import load_workbook

from jili.extensions import db
from jili.letters import services as letters
from jili.letters.views import show_value
from jili.targets.models import MetricKind
from jili.targets.services import change_target
from jili.targets.services.metrics import plain_value
from jili.targets.services.publication import publish
from jili.tenancy import bound_tenant
from test_targets_pages import EN, Shop, cell


@pytest.fixture
def shop(make_tenant, member):
    return Shop(make_tenant(slug="mubiao"), member)


def test_plain_value_keeps_the_decimals_a_value_has():
    assert plain_value(D("12.00"), MetricKind.COUNT) == "12"
    assert plain_value(D("12.50"), MetricKind.NUMBER) == "12.5"
    assert plain_value(D("100.00"), MetricKind.COUNT) == "100"  # not 1E+2
    assert plain_value(D("500000"), MetricKind.MONEY) == "500000.00"


def test_the_grid_file_shows_counts_as_integers(shop, browser):
    b = browser(shop.users["hr"])
    q3 = shop.ids["2024-Q3"]
    cell(b, shop, "2024-Q3", "500000", person=shop.a)
    cell(b, shop, "2024-Q3", "12", person=shop.a, metric="new_customers")
    cell(b, shop, "2024-Q3", "7.5", person=shop.a, metric="visits")
    resp = b.get(shop.url(f"/targets/plan/export.csv?period_id={q3}&team_id={shop.group.id}"),
                 headers=EN)  # fmt: skip
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    text = resp.get_data(as_text=True)
    assert "Period,Team or person,Employee no.,Metric" in text
    assert "New customers,,12," in text and "12.00" not in text
    assert "Visits,,7.5," in text
    assert "Revenue,,500000.00," in text
    resp = b.get(shop.url(f"/targets/plan/export.xlsx?period_id={q3}&team_id={shop.group.id}"), headers=EN)
    assert resp.status_code == 200
    ws = load_workbook(BytesIO(resp.data)).active
    got = {r[3]: (r[5], ws.cell(row=i + 2, column=6).number_format)
           for i, r in enumerate(ws.iter_rows(min_row=2, values_only=True))}  # fmt: skip
    assert got["New customers"] == (12, "#,##0")
    assert got["Revenue"][1] == "#,##0.00" and D(str(got["Revenue"][0])) == D("500000")


def test_the_letter_shows_counts_as_integers(shop, browser):
    with bound_tenant(shop.t):
        q3 = shop.p["2024-Q3"]
        for metric, value in (("revenue", "500000"), ("deals", "30"), ("visits", "12.5")):
            change_target(shop.t, None, q3.id, person_id=shop.a.id, metric=metric,
                          baseline=D(value))  # fmt: skip
        publish(shop.t, None, q3, accept_reason="测试")  # issues the letters
        db.session.commit()
        letter = letters.current_letter(shop.t, q3.id, shop.a.id)
        rows = {r.kind + str(r.baseline): show_value(r, r.baseline)
                for r in letters.target_rows(letter)}  # fmt: skip
    assert rows["count30.00"] == "30"
    assert rows["count12.50"] == "12.5"
    page = browser(shop.users["staff"]).get(shop.url(f"/letters/{letter.id}"), headers=EN).text
    assert "30.00" not in page and "12.50" not in page
