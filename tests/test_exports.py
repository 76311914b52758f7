"""Payroll export: CSV (UTF-8 with BOM) and XLSX, exact amounts, audited."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from jili.extensions import db
from jili.models import AuditLog, IncentiveSetting, Person, Tenant, User
from jili.tenancy import bound_tenant
from test_runs_pages import EN, CalcWorld

D = Decimal


@pytest.fixture
def world(make_tenant, member):
    w = CalcWorld(make_tenant(), member)
    # A ceiling that cuts with remainders, so amounts are not round.
    with bound_tenant(w.t):
        db.session.add(IncentiveSetting(tenant_id=w.t, ceiling_quarter_amount=D("20000.01")))
        db.session.commit()
    return w


def exported_run(w, b):
    resp = w.calculate(b)
    assert resp.status_code == 302
    (run,) = w.runs()
    return run


def table(text: str) -> list[list[str]]:
    """The CSV's rows: one table, no blank row and no second section (issue 10 item 13)."""
    rows = list(csv.reader(io.StringIO(text)))
    assert [] not in rows and all(len(r) == len(rows[0]) for r in rows)
    return rows


def test_csv_round_trips_amounts_exactly(world, browser):
    w = world
    b = browser(w.tenant.owner)
    run = exported_run(w, b)
    resp = b.get(w.url(f"/runs/{run.id}/export.csv"), headers=EN)
    assert resp.status_code == 200
    assert resp.mimetype == "text/csv"
    assert "attachment" in resp.headers["Content-Disposition"]
    assert resp.data.startswith(b"\xef\xbb\xbf")  # BOM: Excel reads it as UTF-8
    header, *rows = table(resp.data.decode("utf-8-sig"))
    assert header == [
        "Employee number", "Name", "Team", "Plan", "Component", "Amount", "Amount before budget",
    ]  # fmt: skip
    assert sum(D(r[5]) for r in rows) == run.total == D("20000.01")
    assert {r[1] for r in rows} == {"张伟", "李娜", "王芳", "赵直属"}
    zhang = next(r for r in rows if r[1] == "张伟")
    assert zhang[0] == "E1" and zhang[2] == "华东一组" and zhang[3] == "阶梯提成"
    assert zhang[6] == "11700.00" and D(zhang[5]) < D(zhang[6])  # cut by the ceiling
    with bound_tenant(w.t):
        entry = db.session.scalar(select(AuditLog).where(AuditLog.action == "run.export"))
    assert entry.after["format"] == "csv" and entry.after["total"] == "20000.01"


def test_xlsx_opens_with_decimal_equal_values(world, browser):
    w = world
    b = browser(w.tenant.owner)
    run = exported_run(w, b)
    resp = b.get(w.url(f"/runs/{run.id}/export.xlsx"), headers=EN)
    assert resp.status_code == 200
    wb = load_workbook(io.BytesIO(resp.data))
    lines, totals, info = wb.worksheets
    rows = list(lines.iter_rows(min_row=2, values_only=True))
    csv_rows = table(
        b.get(w.url(f"/runs/{run.id}/export.csv"), headers=EN).data.decode("utf-8-sig")
    )[1:]
    assert len(rows) == len(csv_rows) == run.line_count
    for xl, text in zip(rows, csv_rows, strict=True):
        assert [v or "" for v in xl[:5]] == text[:5]
        assert D(str(xl[5])).quantize(D("0.01")) == D(text[5])
        assert D(str(xl[6])).quantize(D("0.01")) == D(text[6])
    assert sum(D(str(r[5])).quantize(D("0.01")) for r in rows) == run.total
    assert lines.cell(row=2, column=6).number_format == "#,##0.00"
    assert isinstance(lines.cell(row=2, column=6).value, int | float)  # a number, not text
    total_rows = list(totals.iter_rows(min_row=2, values_only=True))
    assert sum(D(str(r[3])).quantize(D("0.01")) for r in total_rows) == run.total
    assert info.cell(row=1, column=2).value == "2024-Q3"
    assert totals.cell(row=1, column=4).value == "Total"  # the summary is its own sheet


def test_xlsx_times_are_in_the_tenants_time_zone_and_name_the_calculator(world, browser):
    w = world
    b = browser(w.tenant.owner)
    run = exported_run(w, b)
    resp = b.get(w.url(f"/runs/{run.id}/export.xlsx"), headers=EN)
    info = {r[0]: r[1] for r in load_workbook(io.BytesIO(resp.data))["Run"].values}
    shanghai = run.created_at.astimezone(ZoneInfo("Asia/Shanghai"))
    assert info["Calculated at"] == f"{shanghai:%Y-%m-%d %H:%M} (Asia/Shanghai)"
    with bound_tenant(w.t):
        owner = db.session.get(User, w.tenant.owner.id)
        assert info["Calculated by"] == owner.name and "@" not in info["Calculated by"]
        db.session.get(Tenant, w.t).timezone = "Europe/Berlin"
        db.session.commit()
    resp = b.get(w.url(f"/runs/{run.id}/export.xlsx"), headers=EN)
    info = {r[0]: r[1] for r in load_workbook(io.BytesIO(resp.data))["Run"].values}
    berlin = run.created_at.astimezone(ZoneInfo("Europe/Berlin"))
    assert info["Calculated at"] == f"{berlin:%Y-%m-%d %H:%M} (Europe/Berlin)"


def test_formulas_in_names_are_defused(world, browser):
    w = world
    with bound_tenant(w.t):
        db.session.get(Person, w.b.id).name = "=HYPERLINK(1)"
        db.session.commit()
    b = browser(w.tenant.owner)
    run = exported_run(w, b)
    text = b.get(w.url(f"/runs/{run.id}/export.csv")).data.decode("utf-8-sig")
    assert "'=HYPERLINK(1)" in text


def test_export_needs_the_permission_and_a_final_run(world, browser):
    w = world
    run = exported_run(w, browser(w.tenant.owner))
    manager = browser(w.manager_user)
    assert manager.get(w.url(f"/runs/{run.id}/export.csv")).status_code == 403
    assert manager.get(w.url(f"/runs/{run.id}/export.xlsx")).status_code == 403
    hr = browser(w.hr_user)
    assert hr.get(w.url(f"/runs/{run.id}/export.xlsx")).status_code == 200
