"""Nothing is silently rounded on the way in: one decimal more than the column
keeps is refused, naming the place, by every import path — CSV and XLSX
uploads of transactions, targets, KPI values and people, and the tenant file
(issue 9, item 14)."""

from __future__ import annotations

import io

import pytest
from flask_babel import force_locale
from openpyxl import Workbook
from sqlalchemy import func, select

from jili.extensions import db
from jili.inputs.services.metrics import import_metric_file
from jili.inputs.services.targets import import_target_file
from jili.inputs.services.transactions import import_transaction_file
from jili.models import MetricValue, Person, SalesTarget, Team, Transaction
from jili.org.people_import import import_people, read_rows
from jili.periods.services import generate_year
from jili.plan_as_code.schema import TenantFileError
from jili.tenancy import bound_tenant
from tenant_file_kit import import_text

# Money keeps 2 places, KPI values and weights 4: each table has one decimal too many.
TABLES = {
    "transactions": (
        ["External id", "Deal date", "Employee no", "Amount"],
        ["T-1", "2024-07-03", "E001", "1250.505"],
        "Amount",
    ),
    "targets": (
        ["Period", "Employee no", "Revenue target"],
        ["2024-Q3", "E001", "80000.125"],
        "Revenue target",
    ),
    "metrics": (
        ["Period", "Employee no", "KPI", "Weight", "Actual value", "Target value"],
        ["2024-Q3", "E001", "客户满意度", "20", "0.88888", "1"],
        "Actual value",
    ),
    "people": (["employee_no", "name", "base_salary"], ["E009", "新人", "8000.505"], "base_salary"),
}


@pytest.fixture
def shop(make_tenant):
    tenant = make_tenant(slug="shop")
    with bound_tenant(tenant.id):
        team = Team(tenant_id=tenant.id, name="上海一组")
        db.session.add(team)
        db.session.flush()
        db.session.add(
            Person(tenant_id=tenant.id, employee_no="E001", name="销售1", team_id=team.id)
        )
        generate_year(tenant.id, 2024, 1)
        db.session.commit()
    return tenant


def _file(kind: str, header: list[str], row: list[str]) -> tuple[str, bytes]:
    if kind == "csv":
        text = ",".join(header) + "\n" + ",".join(row) + "\n"
        return "in.csv", text.encode()
    wb = Workbook()
    ws = wb.active
    ws.append(header)
    # Excel keeps numbers as numbers: write them so.
    ws.append([float(c) if c.replace(".", "").isdigit() and "." in c else c for c in row])
    buf = io.BytesIO()
    wb.save(buf)
    return "in.xlsx", buf.getvalue()


def _import(tenant, what: str, filename: str, data: bytes):
    if what == "people":
        return import_people(tenant.id, read_rows(filename, data))
    importer = {
        "transactions": import_transaction_file,
        "targets": import_target_file,
        "metrics": import_metric_file,
    }[what]
    return importer(tenant, filename, data)


def _stored(tenant) -> dict[str, int]:
    with bound_tenant(tenant.id):
        return {
            model.__name__: db.session.scalar(select(func.count()).select_from(model))
            for model in (Transaction, SalesTarget, MetricValue, Person)
        }


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
@pytest.mark.parametrize("what", sorted(TABLES))
def test_an_upload_with_one_decimal_too_many_is_refused(shop, app, what, kind):
    header, row, column = TABLES[what]
    before = _stored(shop)
    with bound_tenant(shop.id), force_locale("en"):
        outcome = _import(shop, what, *_file(kind, header, row))
        db.session.rollback()
    assert not outcome.ok, f"{what} ({kind}) stored a rounded value"
    assert len(outcome.errors) == 1, outcome.errors
    (error,) = outcome.errors
    assert (error.row, error.column.lower()) == (2, column.lower())
    assert row[header.index(column)] in error.message
    assert _stored(shop) == before


TENANT = """
format = 1

[tenant]
name = "小数测试"
slug = "decimals"
currency = "CNY"
years = [2024]

[[people]]
employee_no = "E001"
name = "销售1"
{person}

{entry}
"""

ENTRIES = {
    "metric actual": ('[[metrics]]\nperiod = "2024-Q3"\nperson = "E001"\nmetric = "客户满意度"\n'
                      'actual = "0.88888"\ntarget = "1"', "metrics #1", "actual"),
    "metric weight": ('[[metrics]]\nperiod = "2024-Q3"\nperson = "E001"\nmetric = "客户满意度"\n'
                      'actual = "0.8"\nweight = "20.00001"', "metrics #1", "weight"),
    "target": ('[[targets]]\nperiod = "2024-Q3"\nperson = "E001"\nrevenue = "80000.125"',
               "targets #1", "revenue"),
    "profit": ('[[profit]]\nperiod = "2024"\namount = "9000000.001"', "profit #1", "amount"),
    "award": ('[[awards]]\nperiod = "2024-Q3"\nperson = "E001"\nkind = "strategic_client"\n'
              'amount = "8000.001"\nreason = "签约"', "awards #1", "amount"),
    "salary": ("", "people #1", "base_salary"),
    "budget": ('[budget]\npct_of_revenue = "5.00001"', "budget", "pct_of_revenue"),
    "deal": ('[[transactions]]\nexternal_id = "T-1"\ndeal_date = 2024-07-03\n'
             'employee_no = "E001"\namount = "1250.505"', "transactions #1", "amount"),
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(ENTRIES))
def test_the_tenant_file_refuses_one_decimal_too_many_naming_the_place(app, name):
    entry, where, key = ENTRIES[name]
    person = 'base_salary = "8000.505"' if name == "salary" else ""
    with pytest.raises(TenantFileError) as caught, force_locale("en"):
        import_text(TENANT.format(person=person, entry=entry))
    message = "\n".join(str(e) for e in caught.value.errors)
    assert where in message and key in message and "decimal" in message, message
