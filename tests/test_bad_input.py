"""Bad input never gives a 500 (issue 9, items 6–11): absurd numbers, characters
text columns refuse, oversized uploads, a busy database, people import lengths and
manager circles, rows with more cells than the header — each is the app's own
page or a row/column error, in the reader's language."""

from __future__ import annotations

import io
import logging
import sqlite3
import zipfile

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from jili.extensions import db
from jili.feedback import service as feedback
from jili.inputs.services.metrics import import_metric_file
from jili.inputs.services.targets import import_target_file
from jili.models import MetricValue, Person, ProfitEntry, SalesTarget, Team, Transaction
from jili.org.people_import import import_people
from jili.periods.models import Period
from jili.periods.services import generate_year
from jili.schemes import get_registry
from jili.schemes.settings import SettingsError
from jili.tenancy import bound_tenant

EN = {"Accept-Language": "en"}
ZH = {"Accept-Language": "zh-CN"}
ABSURD = ["1e400", "-1e308", "1e-400", "NaN", "Infinity", "1" + "0" * 40]
TXN_HEADER = "external_id,deal_date,employee_no,amount,customer\n"


@pytest.fixture
def shop(make_tenant):
    tenant = make_tenant(slug="shop")
    with bound_tenant(tenant.id):
        for i in (1, 2):
            db.session.add(Person(tenant_id=tenant.id, employee_no=f"E00{i}", name=f"销售{i}"))
        db.session.add(Team(tenant_id=tenant.id, name="华东", kind="region"))
        generate_year(tenant.id, 2024, 1)
        db.session.commit()
    return tenant


def upload(b, url, content: str | bytes, name="file.csv", headers=EN):
    data = content.encode() if isinstance(content, str) else content
    return b.post(url, data={"file": (io.BytesIO(data), name)}, headers=headers)


def count(tenant, model) -> int:
    with bound_tenant(tenant.id):
        return db.session.scalar(select(func.count()).select_from(model))


def period_id(tenant, label) -> int:
    with bound_tenant(tenant.id):
        return db.session.scalar(select(Period.id).where(Period.label == label))


# --- 6. numbers: one parser, bounded by the column -------------------------------------


@pytest.mark.parametrize("value", ABSURD)
def test_absurd_amount_in_a_transaction_file_is_a_row_error(value, shop, browser):
    b = browser(shop.owner)
    resp = upload(b, "/t/shop/transactions/import", TXN_HEADER + f"D1,2024-07-15,E001,{value},\n")
    assert resp.status_code == 422
    assert "amount" in resp.text and count(shop, Transaction) == 0


@pytest.mark.parametrize("value", ABSURD)
def test_absurd_numbers_in_targets_kpi_values_and_people_are_row_errors(value, shop):
    with bound_tenant(shop.id):
        targets = import_target_file(
            shop, "t.csv", f"period,employee_no,revenue_target\n2024-07,E001,{value}\n".encode()
        )
        metrics = import_metric_file(
            shop,
            "m.csv",
            f"period,employee_no,metric,weight,actual,target\n2024-07,E001,回款,1,{value},1\n".encode(),
        )
        people = import_people(
            shop.id, [["employee_no", "name", "base_salary"], ["E9", "新人", value]]
        )
        db.session.rollback()
    assert [(e.row, e.column) for e in targets.errors] == [(2, "revenue_target")]
    assert [(e.row, e.column) for e in metrics.errors] == [(2, "actual")]
    assert [(e.row, e.column) for e in people.errors] == [(2, "base_salary")]
    assert count(shop, SalesTarget) == count(shop, MetricValue) == 0


@pytest.mark.parametrize("value", ABSURD)
def test_absurd_numbers_in_forms_are_field_errors(value, shop, member, browser):
    b = browser(shop.owner)
    profit = b.post(
        "/t/shop/profit",
        data={"period_id": period_id(shop, "2024"), "amount": value},
        headers=EN,
    )
    person = b.post(
        "/t/shop/people/new",
        data={"employee_no": "E9", "name": "新人", "level": "core", "base_salary": value},
        headers=EN,
    )
    budget = b.post(
        "/t/shop/budget",
        data={"ceiling_month_amount": value, "budget_rule": "proportional"},
        headers=EN,
    )
    # The schemes page answers its form errors with 400 (incentives.views.plans.ERROR_STATUS).
    assert (profit.status_code, person.status_code, budget.status_code) == (422, 422, 400)
    assert count(shop, ProfitEntry) == 0


def test_a_percentage_beyond_its_column_is_refused_not_stored(shop, browser):
    b = browser(shop.owner)
    resp = b.post(
        "/t/shop/budget",
        data={
            "budget_rule": "proportional",
            "release_from_attainment_pct": "1" + "0" * 12,
            "release_pct": "10",
        },
        headers=EN,
    )
    assert resp.status_code == 400 and "too large" in resp.text


@pytest.mark.parametrize("value", ["1e400", "1" + "0" * 30, "0." + "0" * 30 + "1"])
def test_plan_settings_refuse_numbers_no_rate_or_amount_has(value, app):
    scheme = get_registry().get("tiered_commission")
    settings = scheme.default_settings()
    settings["attainment_cap_pct"] = value
    with app.test_request_context(headers=EN), pytest.raises(SettingsError) as caught:
        scheme.validate_settings(settings)
    assert "attainment_cap_pct" in caught.value.errors


# --- 7. characters text columns refuse ------------------------------------------------


@pytest.mark.parametrize(
    "url",
    ["/t/shop%00/people", "/t/shop/people?q=%00", "/t/shop/people/%00", "/login?next=%00"],
)
def test_a_nul_byte_in_the_url_is_a_400_page(url, shop, browser):
    resp = browser(shop.owner).get(url, headers=EN)
    assert resp.status_code == 400
    assert "cannot be stored" in resp.text and "<html" in resp.text


def test_a_nul_byte_in_a_form_field_is_a_400_and_nothing_is_saved(shop, browser):
    b = browser(shop.owner)
    resp = b.post(
        "/t/shop/people/new",
        data={"employee_no": "E9", "name": "新\x00人", "level": "core", "base_salary": "0"},
        headers=EN,
    )
    assert resp.status_code == 400 and "cannot be stored" in resp.text
    assert count(shop, Person) == 2


def test_nul_on_the_anonymous_pages_is_a_400_and_nothing_is_logged(shop, client, caplog):
    with bound_tenant(shop.id):
        key = feedback.ensure_settings(shop.id).link_key
    caplog.set_level(logging.DEBUG)
    posted = client.post(
        f"/f/{key}/", data={"category": "target", "text": "太高\x00了"}, headers=EN
    )
    in_path = client.get("/f/%00/", headers=EN)
    assert posted.status_code == in_path.status_code == 400
    assert "cannot be stored" in posted.text
    assert "set-cookie" not in {h.lower() for h in posted.headers.keys()}
    assert not [r for r in caplog.records if key in r.getMessage() or "/f/" in r.getMessage()]


def test_a_nul_byte_in_an_import_cell_names_its_row_and_column(shop, browser):
    b = browser(shop.owner)
    resp = upload(
        b, "/t/shop/transactions/import", TXN_HEADER + "D1,2024-07-15,E001,100,华\x00东\n"
    )
    assert resp.status_code == 422 and "cannot be stored" in resp.text
    with bound_tenant(shop.id):
        result = import_people(shop.id, [["employee_no", "name"], ["E9", "新\x00人"]])
    assert [(e.row, e.column) for e in result.errors] == [(2, "name")]


# --- 8. upload limits -----------------------------------------------------------------


def test_an_upload_over_the_size_limit_is_a_translated_413(app, shop, browser):
    # (an import page takes up to JOB_IMPORT_MAX_BYTES: a large file becomes a job)
    app.config["MAX_CONTENT_LENGTH"] = app.config["JOB_IMPORT_MAX_BYTES"] = 4096
    b = browser(shop.owner)
    resp = upload(b, "/t/shop/transactions/import", TXN_HEADER + "x" * 5000, headers=ZH)
    assert resp.status_code == 413
    assert "文件太大" in resp.text and "<html" in resp.text


def test_the_size_limit_defaults_to_20_mb_and_is_configurable(monkeypatch, tmp_path):
    from jili import create_app

    assert (
        create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "x"}).config[
            "MAX_CONTENT_LENGTH"
        ]
        == 20 * 1024 * 1024
    )
    monkeypatch.setenv("JILI_MAX_CONTENT_LENGTH", "1048576")
    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "x"})
    assert app.config["MAX_CONTENT_LENGTH"] == 1048576


def test_a_file_over_the_row_limit_is_refused_with_a_clear_message(app, shop, browser):
    app.config["IMPORT_MAX_ROWS"] = 10
    rows = "".join(f"D{i},2024-07-15,E001,100,\n" for i in range(11))
    resp = upload(browser(shop.owner), "/t/shop/transactions/import", TXN_HEADER + rows)
    assert resp.status_code == 422 and "more than 10 data rows" in resp.text
    assert count(shop, Transaction) == 0


def _sheet_zip(rows: int, cells: int, dimension: bool) -> bytes:
    """A workbook written by hand whose sheet unpacks to ``rows`` rows."""
    row = "".join(f'<c t="inlineStr"><is><t>x{c}</t></is></c>' for c in range(cells))
    sheet = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        + (f'<dimension ref="A1:E{rows}"/>' if dimension else "")
        + "<sheetData>"
        + f"<row>{row}</row>" * rows
        + "</sheetData></worksheet>"
    )
    buf = io.BytesIO()
    ns = "http://schemas.openxmlformats.org"
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        z.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
            'content-types"><Default Extension="rels" ContentType="application/vnd.openxml'
            'formats-package.relationships+xml"/><Default Extension="xml" ContentType="appli'
            'cation/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.'
            'openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName='
            '"/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-office'
            'document.spreadsheetml.worksheet+xml"/></Types>',
        )
        z.writestr(
            "_rels/.rels",
            f'<?xml version="1.0"?><Relationships xmlns="{ns}/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{ns}/officeDocument/2006/relationships/'
            'officeDocument" Target="xl/workbook.xml"/></Relationships>',
        )
        z.writestr(
            "xl/workbook.xml",
            f'<?xml version="1.0"?><workbook xmlns="{ns}/spreadsheetml/2006/main" '
            f'xmlns:r="{ns}/officeDocument/2006/relationships"><sheets><sheet name="S" '
            'sheetId="1" r:id="rId1"/></sheets></workbook>',
        )
        z.writestr(
            "xl/_rels/workbook.xml.rels",
            f'<?xml version="1.0"?><Relationships xmlns="{ns}/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{ns}/officeDocument/2006/relationships/'
            'worksheet" Target="worksheets/sheet1.xml"/></Relationships>',
        )
        z.writestr("xl/worksheets/sheet1.xml", sheet)
    return buf.getvalue()


def test_an_xlsx_bomb_is_refused_before_it_is_unpacked(app, shop, browser, monkeypatch):
    app.config["IMPORT_MAX_ROWS"] = 1000
    bomb = _sheet_zip(400_000, 5, dimension=False)
    assert len(bomb) < 2 * 1024 * 1024  # small on the wire, ~100 MB unpacked

    def never(*args, **kw):
        raise AssertionError("the workbook was opened")

    monkeypatch.setattr("openpyxl.load_workbook", never)
    resp = upload(browser(shop.owner), "/t/shop/people/import", bomb, name="p.xlsx")
    assert resp.status_code == 422 and "more than 1,000 data rows" in resp.text


def test_an_xlsx_declaring_too_many_rows_is_refused_and_a_small_one_reads(app, shop, browser):
    app.config["IMPORT_MAX_ROWS"] = 10
    b = browser(shop.owner)
    resp = upload(b, "/t/shop/people/import", _sheet_zip(50, 2, dimension=True), name="p.xlsx")
    assert resp.status_code == 422 and "more than 10 data rows" in resp.text
    wb = Workbook()
    wb.active.append(["employee_no", "name"])
    wb.active.append(["E9", "新人"])
    buf = io.BytesIO()
    wb.save(buf)
    assert upload(b, "/t/shop/people/import", buf.getvalue(), name="p.xlsx").status_code == 302


# --- 9. a busy database, and every error page the app's own ----------------------------


def test_a_locked_database_is_a_translated_503_with_retry_after(shop, browser, monkeypatch):
    b = browser(shop.owner)

    def locked(*args, **kw):
        raise OperationalError("UPDATE person", {}, sqlite3.OperationalError("database is locked"))

    monkeypatch.setattr("jili.org.views.render_template", locked)
    resp = b.get("/t/shop/people", headers=ZH)
    assert resp.status_code == 503
    assert resp.headers["Retry-After"].isdigit()
    assert "稍后" in resp.text or "再试" in resp.text


@pytest.mark.parametrize(
    ("method", "url", "code", "zh"),
    [
        ("get", "/t/shop/budget", 405, "不能这样使用"),
        ("get", "/t/shop/nowhere", 404, "未找到"),
    ],
)
def test_error_pages_are_the_apps_own_in_the_readers_language(method, url, code, zh, shop, browser):
    resp = getattr(browser(shop.owner), method)(url, headers=ZH)
    assert resp.status_code == code
    assert zh in resp.text and "<html" in resp.text


def test_an_unexpected_error_is_the_apps_own_500_page(app, shop, browser, monkeypatch):
    app.config["PROPAGATE_EXCEPTIONS"] = False
    b = browser(shop.owner)

    def broken(*args, **kw):
        raise RuntimeError("boom")

    monkeypatch.setattr("jili.org.views.render_template", broken)
    resp = b.get("/t/shop/people", headers=ZH)
    assert resp.status_code == 500 and "<html" in resp.text and "出错" in resp.text


def test_a_missing_csrf_token_is_a_translated_400(shop, browser):
    b = browser(shop.owner)
    resp = b.client.post("/t/shop/people/new", data={"name": "x"}, headers=ZH)
    assert resp.status_code == 400 and "<html" in resp.text and "token is missing" not in resp.text


# --- 10. people import: lengths as the form, and no manager circles --------------------


def _people_import(tenant, rows):
    with bound_tenant(tenant.id):
        result = import_people(tenant.id, rows)
        db.session.rollback()
    return [(e.row, e.column) for e in result.errors], result


def test_people_import_enforces_the_forms_lengths(shop):
    errors, _r = _people_import(
        shop, [["工号", "姓名"], ["E9", "名" * 500], ["E" * 41, "新人"], ["E10", "名" * 120]]
    )
    assert errors == [(2, "姓名"), (3, "工号")]


@pytest.mark.parametrize(
    "rows",
    [
        [["M1", "甲", "M2"], ["M2", "乙", "M1"]],
        [["M1", "甲", "M2"], ["M2", "乙", "M3"], ["M3", "丙", "M1"]],
    ],
)
def test_people_who_manage_each_other_are_refused_row_by_row(rows, shop):
    errors, result = _people_import(shop, [["employee_no", "name", "manager_no"], *rows])
    assert errors == [(n, "manager_no") for n in range(2, 2 + len(rows))]
    assert "M1 → " in result.errors[0].message
    assert count(shop, Person) == 2


def test_a_circle_through_someone_already_in_the_company_is_refused(shop):
    with bound_tenant(shop.id):
        e1, e2 = db.session.scalars(select(Person).order_by(Person.employee_no)).all()
        e2.manager_id = e1.id
        db.session.commit()
    errors, _r = _people_import(
        shop, [["employee_no", "name", "manager_no"], ["E001", "销售1", "E002"]]
    )
    assert errors == [(2, "manager_no")]


# --- 11. more cells than the header has ------------------------------------------------


def test_an_unquoted_comma_in_a_salary_is_an_error_not_six_yuan(shop, browser):
    b = browser(shop.owner)
    resp = upload(b, "/t/shop/people/import", "employee_no,name,base_salary\nE9,新人,6,500\n")
    assert resp.status_code == 422
    assert "4 cells but the header has 3 columns" in resp.text
    assert count(shop, Person) == 2


@pytest.mark.parametrize(
    ("url", "csv"),
    [
        ("/t/shop/transactions/import", TXN_HEADER + "D1,2024-07-15,E001,6,500,华东\n"),
        ("/t/shop/targets/import", "period,employee_no,revenue_target\n2024-07,E001,6,500\n"),
        (
            "/t/shop/metrics/import",
            "period,employee_no,metric,weight,actual,target\n2024-07,E001,回款,1,6,500,1\n",
        ),
    ],
)
def test_every_import_refuses_a_row_with_more_cells_than_columns(url, csv, shop, browser):
    resp = upload(browser(shop.owner), url, csv)
    assert resp.status_code == 422 and "but the header has" in resp.text
    assert count(shop, Transaction) == count(shop, SalesTarget) == count(shop, MetricValue) == 0


def test_trailing_empty_cells_are_harmless(shop, browser):
    resp = upload(browser(shop.owner), "/t/shop/people/import", "employee_no,name\nE9,新人,,\n")
    assert resp.status_code == 302
    with bound_tenant(shop.id):
        assert db.session.scalar(select(Person.name).where(Person.employee_no == "E9")) == "新人"
