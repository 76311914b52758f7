"""Importing targets and KPI metric values per period: upserts, all or
nothing, closed periods, the pages."""

import io
from decimal import Decimal

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from jili.extensions import db
from jili.inputs.services.metrics import import_metric_rows
from jili.inputs.services.targets import import_target_rows
from jili.models import AuditLog, MetricValue, Period, PeriodStatus, Person, SalesTarget, Team
from jili.periods.services import generate_year
from jili.tenancy import bound_tenant

EN = {"Accept-Language": "en"}


@pytest.fixture
def shop(make_tenant):
    tenant = make_tenant(slug="shop")
    with bound_tenant(tenant.id):
        team = Team(tenant_id=tenant.id, name="上海一组")
        db.session.add(team)
        db.session.flush()
        for i in range(1, 4):
            db.session.add(
                Person(tenant_id=tenant.id, employee_no=f"E00{i}", name=f"销售{i}", team_id=team.id)
            )
        generate_year(tenant.id, 2024, 1)
        db.session.commit()
    return tenant


def post_file(b, tenant, what, content, name="file.csv"):
    if isinstance(content, str):
        content = content.encode()
    return b.post(
        f"/t/{tenant.slug}/{what}/import",
        data={"file": (io.BytesIO(content), name)},
        headers=EN,
    )


def targets(tenant) -> dict:
    with bound_tenant(tenant.id):
        people = {p.id: p.employee_no for p in db.session.scalars(select(Person))}
        teams = {t.id: t.name for t in db.session.scalars(select(Team))}
        periods = {p.id: p.label for p in db.session.scalars(select(Period))}
        out: dict = {}
        for t in db.session.scalars(select(SalesTarget)):
            key = (periods[t.period_id], people.get(t.person_id) or teams[t.team_id])
            values = out.setdefault(key, [None, None, None])
            values[("revenue", "collected", "margin").index(t.metric)] = t.baseline
        return {k: tuple(v) for k, v in out.items()}


def metric_values(tenant) -> dict:
    with bound_tenant(tenant.id):
        people = {p.id: p.employee_no for p in db.session.scalars(select(Person))}
        teams = {t.id: t.name for t in db.session.scalars(select(Team))}
        return {
            (people.get(m.person_id) or teams[m.team_id], m.metric): m
            for m in db.session.scalars(select(MetricValue))
        }


def close(tenant, label):
    with bound_tenant(tenant.id):
        db.session.scalar(select(Period).where(Period.label == label)).status = PeriodStatus.CLOSED
        db.session.commit()


# --- targets -----------------------------------------------------------------------


def test_targets_import_and_upsert(shop, browser):
    b = browser(shop.owner)
    csv = (
        "period,employee_no,team,revenue_target,collected_target,margin_target\n"
        "2024-Q3,E001,,500000,450000,\n"
        '2024-q3,E002,,"300,000.00",,\n'
        "2024-Q3,,上海一组,10000000,,\n"
    )
    resp = post_file(b, shop, "targets", csv)
    assert resp.status_code == 200, resp.text
    assert "3 created, 0 updated, 0 unchanged" in resp.text
    found = targets(shop)
    assert found[("2024-Q3", "E001")] == (Decimal("500000.00"), Decimal("450000.00"), None)
    assert found[("2024-Q3", "上海一组")][0] == Decimal("10000000.00")
    # Again with one change: E002 updated, the rest unchanged, nothing duplicated.
    csv2 = csv.replace('"300,000.00"', "320000")
    resp = post_file(b, shop, "targets", csv2)
    assert "0 created, 1 updated, 2 unchanged" in resp.text
    assert targets(shop)[("2024-Q3", "E002")][0] == Decimal("320000.00")
    assert len(targets(shop)) == 3
    with bound_tenant(shop.id):
        entry = db.session.scalars(
            select(AuditLog).where(AuditLog.action == "targets.import").order_by(AuditLog.id)
        ).all()[-1]
    assert entry.after["changes"] == [
        {
            "period": "2024-Q3",
            "who": "E002",
            "before": {"revenue": "300000.00", "collected": None, "margin": None},
            "after": {"revenue": "320000.00", "collected": None, "margin": None},
        }
    ]
    with bound_tenant(shop.id):
        q3 = db.session.scalar(select(Period).where(Period.label == "2024-Q3"))
    page = b.get(f"/t/{shop.slug}/targets?period_id={q3.id}", headers=EN)
    assert page.status_code == 200 and "销售1 (E001)" in page.text and "上海一组" in page.text
    assert "¥500,000.00" in page.text or "CN¥500,000.00" in page.text
    # Without a period the page shows the latest period that has targets.
    assert "销售1 (E001)" in b.get(f"/t/{shop.slug}/targets", headers=EN).text


def test_target_errors_are_listed_and_nothing_is_written(shop, browser):
    close(shop, "2024-06")
    csv = (
        "期间,工号,团队,销售目标,回款目标,毛利目标\n"
        "2024-Q3,E001,,500000,,\n"  # fine
        "2024-Q9,E001,,1,,\n"  # 3: no such period
        "2024-Q3,E001,上海一组,1,,\n"  # 4: both
        "2024-Q3,E404,,1,,\n"  # 5: no such person
        "2024-Q3,,北京组,1,,\n"  # 6: no such team
        "2024-Q3,E002,,-5,,\n"  # 7: negative
        "2024-Q3,E003,,,,\n"  # 8: no target
        "2024-Q3,E001,,1,,\n"  # 9: duplicate of 2
        "2024-06,E002,,1,,\n"  # 10: closed
    )
    resp = post_file(browser(shop.owner), shop, "targets", "\ufeff" + csv)
    assert resp.status_code == 422
    for row, column, words in [
        (3, "期间", "No period 2024-Q9"),
        (4, "工号", "not both"),
        (5, "工号", "No person with employee number E404"),
        (6, "团队", "No team named 北京组"),
        (7, "销售目标", "cannot be negative"),
        (8, "销售目标", "Give at least one target"),
        (9, "工号", "Duplicate of row 2"),
        (10, "期间", "Period 2024-06 is closed"),
    ]:
        assert f"<td>{row}</td><td>{column}</td>" in resp.text, (row, column)
        assert words in resp.text, words
    assert targets(shop) == {}


def test_targets_from_xlsx(shop, browser):
    wb = Workbook()
    ws = wb.active
    ws.append(["Period", "Employee no", "Revenue target"])
    ws.append(["2024-07", "E003", 80000])
    buf = io.BytesIO()
    wb.save(buf)
    resp = post_file(browser(shop.owner), shop, "targets", buf.getvalue(), name="t.xlsx")
    assert resp.status_code == 200, resp.text
    assert targets(shop) == {("2024-07", "E003"): (Decimal("80000.00"), None, None)}


def test_target_rows_api_refuses_closed_period(shop, app):
    close(shop, "2024-Q3")
    with app.test_request_context(headers={"Accept-Language": "en"}):
        out = import_target_rows(
            shop, [{"period": "2024-Q3", "employee_no": "E001", "revenue_target": "1"}]
        )
    assert [(e.row, e.column) for e in out.errors] == [(2, "period")]
    assert "closed" in out.errors[0].message


# --- metric values -------------------------------------------------------------------

# DOMAIN.md §2, seed 001 template 1: total 96.56.
KPI_CSV = (
    "period,employee_no,team,metric,weight,actual,target,higher_is_better\n"
    "2024-Q3,E001,,revenue,50,480000,500000,yes\n"
    "2024-Q3,E001,,collection rate,20,88%,90%,yes\n"
    "2024-Q3,E001,,visits,15,28,30,\n"
    "2024-Q3,E001,,proposal timeliness,15,100,95,yes\n"
    "2024-Q3,E002,,complaints,100,1,2,no\n"
    "2024-Q3,,上海一组,collaboration,,92.5,,\n"
)


def test_metric_values_import_and_scores(shop, browser):
    b = browser(shop.owner)
    resp = post_file(b, shop, "metrics", KPI_CSV)
    assert resp.status_code == 200, resp.text
    assert "6 created, 0 updated, 0 unchanged" in resp.text
    found = metric_values(shop)
    assert found[("E001", "collection rate")].actual == Decimal("88")
    assert found[("E002", "complaints")].higher_is_better is False
    collab = found[("上海一组", "collaboration")]
    assert collab.actual == Decimal("92.5") and collab.person_id is None
    page = b.get(f"/t/{shop.slug}/metrics", headers=EN)
    assert page.status_code == 200
    assert "96.56" in page.text  # the weighted total score
    assert "97.78" in page.text  # collection rate 88 of 90
    assert "Team collaboration scores" in page.text and "92.5" in page.text
    # Importing again with one change updates that one row only.
    resp = post_file(b, shop, "metrics", KPI_CSV.replace("480000,500000", "500000,500000"))
    assert "0 created, 1 updated, 5 unchanged" in resp.text
    assert metric_values(shop)[("E001", "revenue")].actual == Decimal("500000")


def test_team_metric_in_chinese_is_the_collaboration_score(shop, browser):
    csv = "期间,团队,指标,实际值\n2024-Q3,上海一组,协作,88\n"
    assert post_file(browser(shop.owner), shop, "metrics", csv).status_code == 200
    assert metric_values(shop)[("上海一组", "collaboration")].actual == Decimal("88")


def test_metric_errors_are_listed_and_nothing_is_written(shop, browser):
    close(shop, "2024-Q2")
    csv = (
        "period,employee_no,team,metric,weight,actual,target,higher_is_better\n"
        "2024-Q3,E001,,revenue,50,480000,500000,yes\n"  # fine
        "2024-Q3,,上海一组,visits,,3,,\n"  # 3: a team row must be collaboration
        "2024-Q3,E001,,visits,15,28,,\n"  # 4: a person's KPI needs a target
        "2024-Q3,E001,,calls,,28,30,\n"  # 5: and a weight
        "2024-Q3,E001,,margin,10,-1,5,\n"  # 6: negative actual
        "2024-Q3,E001,,speed,10,1,0,\n"  # 7: target 0
        "2024-Q3,E001,,mood,10,1,2,sideways\n"  # 8: direction
        "2024-Q3,E001,,revenue,50,1,2,\n"  # 9: duplicate of 2
        "2024-Q2,E001,,revenue,50,1,2,\n"  # 10: closed
        "2024-Q3,E001,,,50,1,2,\n"  # 11: no name
    )
    resp = post_file(browser(shop.owner), shop, "metrics", csv)
    assert resp.status_code == 422
    for row, column, words in [
        (3, "metric", "collaboration"),
        (4, "target", "required"),
        (5, "weight", "required"),
        (6, "actual", "cannot be negative"),
        (7, "target", "more than 0"),
        (8, "higher_is_better", "write yes"),
        (9, "metric", "Duplicate of row 2"),
        (10, "period", "Period 2024-Q2 is closed"),
        (11, "metric", "Metric name is empty"),
    ]:
        assert f"<td>{row}</td><td>{column}</td>" in resp.text, (row, column)
        assert words in resp.text, words
    assert metric_values(shop) == {}


def test_metric_rows_api(shop, app):
    with app.test_request_context():
        out = import_metric_rows(
            shop,
            [
                {
                    "period": "2024-07",
                    "employee_no": "E003",
                    "metric": "visits",
                    "weight": "1",
                    "actual": "10",
                    "target": "12",
                    "higher_is_better": "是",
                }
            ],
            source="toml",
        )
        assert out.ok and out.created == 1
        db.session.commit()
    with bound_tenant(shop.id):
        assert db.session.scalar(select(func.count(MetricValue.id))) == 1


@pytest.mark.parametrize("what", ["targets", "metrics"])
def test_staff_and_managers_cannot_import(what, shop, member, browser):
    for role in ("staff", "manager"):
        b = browser(member(shop, role))
        assert post_file(b, shop, what, "period\n2024-Q3\n").status_code == 403
    assert browser(member(shop, "manager")).get(f"/t/{shop.slug}/{what}").status_code == 200


@pytest.mark.parametrize("what", ["targets", "metrics"])
def test_templates_download(what, shop, browser):
    b = browser(shop.owner)
    resp = b.get(f"/t/{shop.slug}/{what}/template.csv", headers=EN)
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    assert post_file(b, shop, what, resp.data).status_code == 200
