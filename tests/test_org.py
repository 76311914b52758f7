import io
import re
from decimal import Decimal

from openpyxl import Workbook
from sqlalchemy import func, select

from jili.extensions import db
from jili.models import AuditLog, Person, Team
from jili.tenancy import bound_tenant

EN = {"Accept-Language": "en"}


def _people(tenant):
    with bound_tenant(tenant.id):
        return {p.employee_no: p for p in db.session.scalars(select(Person))}


def _team(tenant, name, parent=None, kind="group"):
    with bound_tenant(tenant.id):
        t = Team(tenant_id=tenant.id, name=name, kind=kind, parent_id=parent.id if parent else None)
        db.session.add(t)
        db.session.commit()
        return t


def test_team_hierarchy_and_cycle_refused(make_tenant, browser):
    tenant = make_tenant()
    b = browser(tenant.owner)
    region = _team(tenant, "华东大区", kind="region")
    group = _team(tenant, "上海一组", parent=region)
    resp = b.get(f"/t/{tenant.slug}/teams")
    assert resp.text.index("华东大区") < resp.text.index("上海一组")
    resp = b.post(
        f"/t/{tenant.slug}/teams/{region.id}/edit",
        data={"name": "华东大区", "kind": "region", "parent_id": str(group.id)},
        headers=EN,
    )
    assert resp.status_code == 422 and "own sub-teams" in resp.text
    resp = b.post(
        f"/t/{tenant.slug}/teams/new",
        data={"name": "上海一组", "kind": "group", "parent_id": "0"},
        headers=EN,
    )
    assert resp.status_code == 422 and "exists already" in resp.text


def test_htmx_edit_returns_fragment_and_vary_header(make_tenant, browser):
    tenant = make_tenant()
    b = browser(tenant.owner)
    resp = b.get(f"/t/{tenant.slug}/teams/new", headers={"HX-Request": "true"})
    assert resp.status_code == 200
    assert "<html" not in resp.text and 'name="name"' in resp.text
    assert "HX-Request" in resp.headers["Vary"]
    full = b.get(f"/t/{tenant.slug}/teams/new")
    assert "<html" in full.text
    resp = b.post(
        f"/t/{tenant.slug}/teams/new",
        data={"name": "新组", "kind": "group", "parent_id": "0"},
        headers={"HX-Request": "true"},
    )
    assert resp.status_code == 200 and resp.headers["HX-Retarget"] == "#content"
    assert "新组" in resp.text and "<html" not in resp.text


def test_person_form_keeps_input_on_error_and_saves_decimal_salary(make_tenant, browser):
    tenant = make_tenant()
    b = browser(tenant.owner)
    data = {
        "employee_no": "E1",
        "name": "张伟",
        "level": "core",
        "hire_date": "2021-03-01",
        "team_id": "0",
        "manager_id": "0",
        "mentor_id": "0",
        "base_salary": "8000.505",
    }
    resp = b.post(f"/t/{tenant.slug}/people/new", data=data, headers=EN)
    assert resp.status_code == 422 and "two decimal places" in resp.text
    assert 'value="张伟"' in resp.text and 'value="8000.505"' in resp.text
    data["base_salary"] = "8,000.50"
    assert b.post(f"/t/{tenant.slug}/people/new", data=data).status_code == 302
    person = _people(tenant)["E1"]
    assert person.base_salary == Decimal("8000.50")
    resp = b.post(f"/t/{tenant.slug}/people/new", data=data, headers=EN)
    assert resp.status_code == 422 and "already used" in resp.text
    with bound_tenant(tenant.id):
        entry = db.session.scalar(select(AuditLog).where(AuditLog.action == "person.create"))
        assert entry.after["base_salary"] == "8000.50" and entry.actor_id == tenant.owner.id


def _upload(b, tenant, name, payload):
    return b.client.post(
        f"/t/{tenant.slug}/people/import",
        data={"csrf_token": b.token, "file": (io.BytesIO(payload), name)},
        content_type="multipart/form-data",
        headers=EN,
    )


CSV = (
    "工号,姓名,级别,入职日期,团队,上级工号,导师工号,底薪\n"
    "M1,陈强,经理,2018-04-01,上海一组,,,15000\n"
    "E2,张伟,core,2020-07-15,上海一组,M1,,8000.00\n"
    "N3,孙小雨,新人,2024-05-06,上海一组,M1,E2,5000\n"
)


def test_csv_import_with_bom_and_chinese_headers(make_tenant, browser):
    tenant = make_tenant()
    _team(tenant, "上海一组")
    b = browser(tenant.owner)
    resp = _upload(b, tenant, "people.csv", "\ufeff".encode() + CSV.encode("utf-8"))
    assert resp.status_code == 302, resp.text
    people = _people(tenant)
    assert people["N3"].mentor_id == people["E2"].id
    assert people["E2"].manager_id == people["M1"].id
    assert people["M1"].base_salary == Decimal("15000.00")
    # Re-importing the same file changes nothing and creates nobody.
    assert _upload(b, tenant, "people.csv", CSV.encode("utf-8")).status_code == 302
    assert len(_people(tenant)) == 3


def test_import_is_all_or_nothing_with_row_column_reason(make_tenant, browser):
    tenant = make_tenant()
    _team(tenant, "上海一组")
    b = browser(tenant.owner)
    bad = CSV + "X9,,core,2024-13-01,火星组,NOPE,,12abc\n" + "E2,重复,core,,,,,1\n"
    resp = _upload(b, tenant, "people.csv", bad.encode())
    assert resp.status_code == 422
    text = resp.text
    for fragment in (
        "Name is empty",
        "Not a date 2024-13-01",
        "No team named 火星组",
        "No person with employee number NOPE",
        "Not an amount 12abc",
        "Duplicate of row 3",
    ):
        assert fragment in text, fragment
    assert "<td>5</td>" in text  # the bad row's number as the user sees it
    assert _people(tenant) == {}


def test_xlsx_import(make_tenant, browser):
    tenant = make_tenant()
    wb = Workbook()
    ws = wb.active
    ws.append(["employee_no", "name", "level", "hire_date", "base_salary"])
    from datetime import datetime

    ws.append(["X1", "黃雅婷", "manager", datetime(2017, 9, 1), 62000])
    ws.append(["X2", "吳承恩", "core", "2022-02-14", 42000.5])
    buf = io.BytesIO()
    wb.save(buf)
    b = browser(tenant.owner)
    resp = _upload(b, tenant, "people.xlsx", buf.getvalue())
    assert resp.status_code == 302, resp.text
    people = _people(tenant)
    assert people["X2"].base_salary == Decimal("42000.50")
    assert people["X1"].hire_date.isoformat() == "2017-09-01"


def test_unknown_file_type_and_missing_columns(make_tenant, browser):
    tenant = make_tenant()
    b = browser(tenant.owner)
    assert "Upload a .csv or .xlsx" in _upload(b, tenant, "people.pdf", b"%PDF").text
    resp = _upload(b, tenant, "p.csv", b"name\nX\n")
    assert resp.status_code == 422 and "Required column is missing" in resp.text


def test_team_with_people_cannot_be_deleted(make_tenant, browser):
    tenant = make_tenant()
    team = _team(tenant, "上海一组")
    with bound_tenant(tenant.id):
        db.session.add(Person(tenant_id=tenant.id, employee_no="E1", name="张伟", team_id=team.id))
        db.session.commit()
    b = browser(tenant.owner)
    b.post(f"/t/{tenant.slug}/teams/{team.id}/delete")
    with bound_tenant(tenant.id):
        assert db.session.scalar(select(func.count(Team.id))) == 1


def test_deleting_a_team_with_people_says_how_many_and_links_to_them(make_tenant, browser):
    tenant = make_tenant()
    team = _team(tenant, "上海一组")
    other = _team(tenant, "北京组")
    with bound_tenant(tenant.id):
        for no, name in (("E1", "张伟"), ("E2", "李娜")):
            db.session.add(Person(tenant_id=tenant.id, employee_no=no, name=name, team_id=team.id))
        db.session.add(Person(tenant_id=tenant.id, employee_no="E3", name="王芳", team_id=other.id))
        db.session.commit()
    b = browser(tenant.owner)
    resp = b.post(
        f"/t/{tenant.slug}/teams/{team.id}/delete",
        headers={"Accept-Language": "en", "HX-Request": "true"},
    )
    assert resp.status_code == 409
    assert "Team 上海一组 still has 2 people" in resp.text
    link = f"/t/{tenant.slug}/people?team={team.id}"
    assert f'href="{link}"' in resp.text
    listed = b.get(link).text
    assert "张伟" in listed and "李娜" in listed and "王芳" not in listed


def test_the_people_column_counts_each_team_also_after_a_change(make_tenant, browser):
    tenant = make_tenant()
    team = _team(tenant, "上海一组")
    with bound_tenant(tenant.id):
        db.session.add(Person(tenant_id=tenant.id, employee_no="E1", name="张伟", team_id=team.id))
        db.session.commit()
    b = browser(tenant.owner)
    resp = b.post(
        f"/t/{tenant.slug}/teams/new",
        data={"name": "空组", "kind": "group", "parent_id": "0"},
        headers={"HX-Request": "true"},
    )
    row = resp.text[resp.text.index(f'id="team-{team.id}"') :]
    assert re.search(r'<td class="num"><a href="[^"]+">1</a></td>', row[: row.index("</tr>")])


def test_deleting_a_team_asks_once(make_tenant, browser):
    tenant = make_tenant()
    _team(tenant, "上海一组")
    page = browser(tenant.owner).get(f"/t/{tenant.slug}/teams").text
    form = page[page.index('action="/t/acme/teams/') :]
    form = form[: form.index(">")]
    assert form.count("confirm") == 1  # htmx asks; no second browser confirm
