"""Issue 10 item 4: an import error names the column as the user's file named
it (``入职日期``, not ``hire_date``); a column the file lacks is named in the
reader's language, with a name the import accepts."""

from __future__ import annotations

import io

import pytest
from flask_babel import force_locale

from jili.inputs.services import common, metrics, targets, transactions
from jili.org import people_import
from test_inputs_transactions import shop  # noqa: F401  (fixture)

ZH = {"Accept-Language": "zh-CN"}
TW = {"Accept-Language": "zh-TW"}


def _cells(html: str) -> list[tuple[str, str]]:
    """(column, reason) of each row of the error table."""
    out = []
    for row in html.split("<tr><td>")[1:]:
        cells = row.split("</td><td>")
        if len(cells) >= 3:
            out.append((cells[1], cells[2].split("</td>")[0]))
    return out


@pytest.mark.parametrize("locale", ["zh_Hans", "zh_Hant", "en"])
def test_each_columns_name_in_each_language_is_a_header_the_import_accepts(app, locale):
    sets = [
        (common.COLUMN_TITLES, {**transactions.HEADERS, **targets.HEADERS, **metrics.HEADERS}),
        (people_import.COLUMN_TITLES, people_import.HEADERS),
    ]
    with app.test_request_context(), force_locale(locale):
        for titles, headers in sets:
            for key, names in headers.items():
                if key not in titles:
                    continue
                accepted = {common.normalise_header(n) for n in (key, *names)}
                assert common.normalise_header(str(titles[key])) in accepted, (locale, key)


def _people(b, tenant, csv: str, headers):
    return b.client.post(
        f"/t/{tenant.slug}/people/import",
        data={"csrf_token": b.token, "file": (io.BytesIO(csv.encode()), "people.csv")},
        content_type="multipart/form-data",
        headers=headers,
    )


def test_people_import_errors_name_the_files_own_headers(make_tenant, browser):
    tenant = make_tenant()
    b = browser(tenant.owner)
    resp = _people(b, tenant, "工号,姓名,入职日期,底薪\nE1,张三,2024-13-01,8千\n", ZH)
    assert resp.status_code == 422
    columns = [c for c, _reason in _cells(resp.text)]
    assert "入职日期" in columns and "底薪" in columns
    assert "hire_date" not in columns and "base_salary" not in columns


def test_a_missing_column_is_named_in_the_readers_language(make_tenant, browser):
    tenant = make_tenant()
    b = browser(tenant.owner)
    resp = _people(b, tenant, "工号,级别\nE1,core\n", ZH)
    assert "<td>姓名</td>" in resp.text
    assert "<td>name</td>" not in resp.text
    resp = _people(b, tenant, "工號,職級\nE1,core\n", TW)
    assert "<td>姓名</td>" in resp.text


def test_a_transactions_file_without_its_employee_column_names_it_in_chinese(
    shop,  # noqa: F811
    browser,
):
    b = browser(shop.owner)
    resp = b.post(
        f"/t/{shop.slug}/transactions/import",
        data={"file": (io.BytesIO("外部编号,成交日期,金额\nA,2024-07-01,1\n".encode()), "d.csv")},
        headers=ZH,
    )
    assert resp.status_code == 422
    assert "<td>工号</td>" in resp.text and "<td>employee_no</td>" not in resp.text
    resp = b.post(
        f"/t/{shop.slug}/transactions/import",
        data={
            "file": (
                io.BytesIO("外部编号,成交日期,工号,金额\nA,2024-07-41,E001,1\n".encode()),
                "d.csv",
            )
        },
        headers=ZH,
    )
    assert resp.status_code == 422 and "<td>成交日期</td>" in resp.text
