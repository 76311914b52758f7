"""Importing transactions with their sales credits: CSV and XLSX, all or
nothing, idempotent by external id, refunds, closed periods, the pages."""

import io
from datetime import date, datetime
from decimal import Decimal

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from jili.extensions import db
from jili.inputs.services.transactions import import_transaction_rows
from jili.models import AuditLog, Period, PeriodStatus, Person, SalesCredit, Transaction
from jili.periods.services import generate_year
from jili.tenancy import bound_tenant

EN = {"Accept-Language": "en"}
HEADER = (
    "external_id,deal_date,employee_no,customer,product_line,region,amount,"
    "collected_amount,margin,new_customer,strategic,credits\n"
)


@pytest.fixture
def shop(make_tenant):
    """A tenant with people E001–E005 and the 2024 calendar."""
    tenant = make_tenant(slug="shop")
    with bound_tenant(tenant.id):
        for i in range(1, 6):
            db.session.add(Person(tenant_id=tenant.id, employee_no=f"E00{i}", name=f"销售{i}"))
        generate_year(tenant.id, 2024, 1)
        db.session.commit()
    return tenant


def upload(b, tenant, content: bytes | str, name="deals.csv", **kw):
    if isinstance(content, str):
        content = content.encode()
    return b.post(
        f"/t/{tenant.slug}/transactions/import",
        data={"file": (io.BytesIO(content), name)},
        headers=EN,
        **kw,
    )


def txns(tenant) -> dict[str, Transaction]:
    with bound_tenant(tenant.id):
        return {t.external_id: t for t in db.session.scalars(select(Transaction))}


def credits_of(tenant, external_id) -> dict[str, SalesCredit]:
    with bound_tenant(tenant.id):
        people = {p.id: p.employee_no for p in db.session.scalars(select(Person))}
        txn = db.session.scalar(select(Transaction).where(Transaction.external_id == external_id))
        rows = db.session.scalars(select(SalesCredit).where(SalesCredit.transaction_id == txn.id))
        return {people[c.person_id]: c for c in rows}


def count(tenant, model) -> int:
    with bound_tenant(tenant.id):
        return db.session.scalar(select(func.count()).select_from(model))


def test_csv_import_creates_transactions_and_split_credits(shop, browser):
    b = browser(shop.owner)
    csv = HEADER + (
        "D1,2024-07-15,E001,华东电子,设备,华东,120000.00,80000,30000,yes,no,\n"
        'D2,2024/7/20,E002,北方物流,服务,华北,"50,000.00",50000,12000,no,yes,E002:60;E005:40\n'
    )
    resp = upload(b, shop, csv)
    assert resp.status_code == 200, resp.text
    assert "2 created, 0 unchanged" in resp.text
    found = txns(shop)
    assert set(found) == {"D1", "D2"}
    d2 = found["D2"]
    assert d2.deal_date == date(2024, 7, 20) and d2.amount == Decimal("50000.00")
    assert d2.strategic and not d2.new_customer and found["D1"].new_customer
    assert len(d2.row_hash) == 64
    d1 = credits_of(shop, "D1")
    assert list(d1) == ["E001"] and d1["E001"].share_bp == 10000
    assert d1["E001"].amount == Decimal("120000.00") and d1["E001"].margin == Decimal("30000.00")
    d2c = credits_of(shop, "D2")
    assert {k: c.share_bp for k, c in d2c.items()} == {"E002": 6000, "E005": 4000}
    assert d2c["E002"].amount == Decimal("30000.00") and d2c["E005"].amount == Decimal("20000.00")
    assert d2c["E005"].margin == Decimal("4800.00")
    # Each credit carries the deal's date, region and product line for the facts query.
    assert {(c.deal_date, c.region, c.product_line) for c in d2c.values()} == {
        (date(2024, 7, 20), "华北", "服务")
    }


def test_largest_remainder_split_adds_up_to_the_cent(shop, browser):
    b = browser(shop.owner)
    csv = HEADER + (
        "S1,2024-07-01,E001,,,,100.01,0.02,-0.01,,,E001:50;E002:50\n"
        "S2,2024-07-01,E001,,,,100.00,100.00,100.00,,,E001:33.33;E002:33.33;E003:33.34\n"
    )
    assert upload(b, shop, csv).status_code == 200
    s1 = credits_of(shop, "S1")
    assert (s1["E001"].amount, s1["E002"].amount) == (Decimal("50.01"), Decimal("50.00"))
    assert s1["E001"].collected_amount + s1["E002"].collected_amount == Decimal("0.02")
    assert s1["E001"].margin + s1["E002"].margin == Decimal("-0.01")
    s2 = credits_of(shop, "S2")
    assert [s2[k].share_bp for k in ("E001", "E002", "E003")] == [3333, 3333, 3334]
    assert sum(c.amount for c in s2.values()) == Decimal("100.00")
    assert s2["E003"].amount == Decimal("33.34")


def test_xlsx_import_reads_date_cells_and_numbers(shop, browser):
    wb = Workbook()
    ws = wb.active
    ws.append(["External id", "Deal date", "Employee no", "Customer", "Amount", "Margin"])
    ws.append(["X1", datetime(2024, 8, 2), "E003", "南方", 9999.5, 100])
    ws.append([None, None, None, None, None, None])  # a blank row keeps the numbering
    ws.append(["X2", date(2024, 8, 3), "E004", "西部", 1234, None])
    buf = io.BytesIO()
    wb.save(buf)
    resp = upload(browser(shop.owner), shop, buf.getvalue(), name="deals.xlsx")
    assert resp.status_code == 200, resp.text
    found = txns(shop)
    assert found["X1"].deal_date == date(2024, 8, 2) and found["X1"].amount == Decimal("9999.50")
    assert found["X2"].margin == Decimal("0") and found["X2"].collected_amount == Decimal("0")


def test_xlsx_errors_name_the_row_as_seen_in_excel(shop, browser):
    wb = Workbook()
    ws = wb.active
    ws.append(["external_id", "deal_date", "employee_no", "amount"])
    ws.append(["X1", date(2024, 8, 2), "E001", 10])
    ws.append([None, None, None, None])
    ws.append(["X2", "not a date", "E001", 10])
    buf = io.BytesIO()
    wb.save(buf)
    resp = upload(browser(shop.owner), shop, buf.getvalue(), name="deals.xlsx")
    assert resp.status_code == 422
    assert "<td>4</td><td>deal_date</td>" in resp.text
    assert count(shop, Transaction) == 0


def test_errors_are_listed_and_nothing_is_written(shop, browser):
    b = browser(shop.owner)
    csv = HEADER + (
        "OK1,2024-07-01,E001,,,,100,,,,,\n"
        "B1,2024-13-01,E001,,,,100,,,,,\n"  # row 3: no 13th month
        "B2,2024-07-01,E999,,,,100,,,,,\n"  # row 4: unknown seller
        "B3,2024-07-01,E001,,,,100.005,,,,,\n"  # row 5: three decimals
        "B4,2024-07-01,E001,,,,100,,,maybe,,\n"  # row 6: not yes/no
        "B5,2024-07-01,E001,,,,100,,,,,E001:60;E002:30\n"  # row 7: 90 %
        "B6,2024-07-01,E001,,,,100,,,,,E001:50;E042:50\n"  # row 8: unknown person
        "B7,2024-07-01,E001,,,,100,,,,,E001:50;E001:50\n"  # row 9: twice
        "OK1,2024-07-02,E001,,,,100,,,,,\n"  # row 10: duplicate id
        ",2024-07-01,E001,,,,,,,,,\n"  # row 11: no id, no amount
    )
    resp = upload(b, shop, csv)
    assert resp.status_code == 422
    text = resp.text
    assert "Nothing was imported" in text
    for row, column, words in [
        (3, "deal_date", "Not a date"),
        (4, "employee_no", "No person with employee number E999"),
        (5, "amount", "at most 2 decimal places"),
        (6, "new_customer", "write yes or no"),
        (7, "credits", "add up to 90%; they must add up to exactly 100%"),
        (8, "credits", "No person with employee number E042"),
        (9, "credits", "E001 is credited twice"),
        (10, "external_id", "Duplicate of row 2"),
        (11, "external_id", "External id is empty"),
        (11, "amount", "Amount is empty"),
    ]:
        assert f"<td>{row}</td><td>{column}</td><td>" in text, (row, column)
        assert words in text, words
    assert count(shop, Transaction) == 0 and count(shop, SalesCredit) == 0
    with bound_tenant(shop.id):
        assert (
            db.session.scalar(select(AuditLog).where(AuditLog.action == "transactions.import"))
            is None
        )


def test_reimporting_the_same_rows_changes_nothing(shop, browser):
    b = browser(shop.owner)
    csv = HEADER + (
        "R1,2024-07-01,E001,甲,,,1000,,,yes,,\nR2,2024-07-02,E002,乙,,,2000,,,,,E002:50;E003:50\n"
    )
    assert "2 created, 0 unchanged" in upload(b, shop, csv).text
    before = {k: t.id for k, t in txns(shop).items()}
    # The same values written differently are the same row.
    again = HEADER + (
        'R1,2024/7/1,E001,甲,,,"1,000.00",0,0,是,否,E001:100\n'
        "R2,2024-07-02,E002,乙,,,2000.00,,,0,0,E003:50;E002:50\n"
        "R3,2024-07-03,E003,丙,,,10,,,,,\n"
    )
    resp = upload(b, shop, again)
    assert resp.status_code == 200 and "1 created, 2 unchanged" in resp.text
    after = txns(shop)
    assert {k: after[k].id for k in before} == before
    assert count(shop, SalesCredit) == 4


def test_same_external_id_with_other_values_is_refused(shop, browser):
    b = browser(shop.owner)
    assert upload(b, shop, HEADER + "C1,2024-07-01,E001,,,,1000,,,,,\n").status_code == 200
    resp = upload(
        b,
        shop,
        HEADER + "C2,2024-07-05,E002,,,,10,,,,,\nC1,2024-07-01,E001,,,,1200,,,,,\n",
    )
    assert resp.status_code == 422
    assert "<td>3</td><td>external_id</td>" in resp.text
    assert "already imported with different values" in resp.text
    assert set(txns(shop)) == {"C1"} and txns(shop)["C1"].amount == Decimal("1000.00")


def test_refund_rows_with_negative_amounts_are_accepted(shop, browser):
    b = browser(shop.owner)
    csv = HEADER + (
        "D1,2024-07-10,E001,,,,200.02,,,,,E001:50;E002:50\n"
        "REF1,2024-08-03,E001,,,,-100.01,-100.01,-20.00,,,E001:50;E002:50\n"
    )
    resp = upload(b, shop, csv)
    assert resp.status_code == 200, resp.text
    ref = credits_of(shop, "REF1")
    assert (ref["E001"].amount, ref["E002"].amount) == (Decimal("-50.01"), Decimal("-50.00"))
    assert ref["E001"].deal_date == date(2024, 8, 3)  # counts in August, not July
    assert "Refund" in b.get(f"/t/{shop.slug}/transactions", headers=EN).text


def _close(tenant, label):
    with bound_tenant(tenant.id):
        period = db.session.scalar(select(Period).where(Period.label == label))
        period.status = PeriodStatus.CLOSED
        db.session.commit()


def test_rows_in_a_closed_period_are_refused(shop, browser):
    b = browser(shop.owner)
    assert upload(b, shop, HEADER + "K1,2024-07-15,E001,,,,100,,,,,\n").status_code == 200
    _close(shop, "2024-07")
    resp = upload(
        b,
        shop,
        HEADER + "K2,2024-08-01,E001,,,,100,,,,,\nK3,2024-07-31,E001,,,,-50,,,,,\n",
    )
    assert resp.status_code == 422
    assert "<td>3</td><td>deal_date</td>" in resp.text and "2024-07, which is closed" in resp.text
    assert set(txns(shop)) == {"K1"}
    # Importing rows already in the closed month again is still fine: nothing changes.
    resp = upload(
        b, shop, HEADER + "K1,2024-07-15,E001,,,,100,,,,,\nK2,2024-08-01,E001,,,,100,,,,,\n"
    )
    assert resp.status_code == 200 and "1 created, 1 unchanged" in resp.text


def test_chinese_headers_with_bom_and_chinese_values(shop, browser):
    csv = (
        "外部编号,成交日期,工号,客户,产品线,区域,金额,回款金额,毛利,新客户,战略客户,分成\n"
        'Z1,2024-09-01,E002,上海某公司,软件,华东,"¥12,345.60",￥10000,3000,是,否,E002:70；E004:30\n'
    )
    resp = upload(browser(shop.owner), shop, "\ufeff" + csv)
    assert resp.status_code == 200, resp.text
    z1 = txns(shop)["Z1"]
    assert z1.amount == Decimal("12345.60") and z1.collected_amount == Decimal("10000.00")
    assert z1.new_customer and not z1.strategic and z1.customer == "上海某公司"
    assert {k: c.share_bp for k, c in credits_of(shop, "Z1").items()} == {
        "E002": 7000,
        "E004": 3000,
    }


def test_traditional_chinese_headers(shop, browser):
    csv = "外部編號,成交日期,工號,金額,新客戶\nT1,2024-09-01,E001,100,是\n"
    assert upload(browser(shop.owner), shop, csv.encode("utf-8-sig")).status_code == 200
    assert txns(shop)["T1"].new_customer


def test_unknown_or_missing_columns_are_errors(shop, browser):
    b = browser(shop.owner)
    resp = upload(
        b, shop, "external_id,deal_date,employee_no,amount,credit\nA,2024-07-01,E001,1,\n"
    )
    assert resp.status_code == 422 and "Unknown column" in resp.text and "credit" in resp.text
    resp = upload(b, shop, "external_id,deal_date,amount\nA,2024-07-01,1\n")
    assert (
        resp.status_code == 422
        and "<td>Employee number</td><td>Required column is missing." in resp.text
    )
    resp = upload(b, shop, b"", name="empty.csv")
    assert resp.status_code == 422 and "The file is empty" in resp.text
    resp = upload(b, shop, b"x", name="deals.pdf")
    assert resp.status_code == 422 and "Upload a .csv or .xlsx file" in resp.text
    assert count(shop, Transaction) == 0


def test_one_audit_entry_per_import(shop, browser):
    b = browser(shop.owner)
    csv = HEADER + "".join(f"A{i},2024-07-0{i},E001,,,,10,,,,,\n" for i in range(1, 6))
    upload(b, shop, csv, name="july.csv")
    with bound_tenant(shop.id):
        entries = db.session.scalars(
            select(AuditLog).where(AuditLog.action == "transactions.import")
        ).all()
    assert len(entries) == 1
    after = entries[0].after
    assert after["source"] == "july.csv" and after["created"] == 5 and after["unchanged"] == 0
    assert entries[0].actor_label == shop.owner.email


def test_import_transaction_rows_flushes_and_leaves_the_commit_to_the_caller(shop, app):
    rows = [
        {"external_id": "API1", "deal_date": "2024-10-01", "employee_no": "E001", "amount": "5"},
        {
            "external_id": "API2",
            "deal_date": "2024-10-02",
            "employee_no": "E002",
            "amount": "-5",
            "credits": "E002:50;E003:50",
        },
    ]
    with app.test_request_context():
        outcome = import_transaction_rows(shop, rows, source="huadong.toml")
        assert outcome.ok and outcome.created == 2 and outcome.credits == 3
        with bound_tenant(shop.id):
            assert db.session.scalar(select(func.count(Transaction.id))) == 2
        db.session.rollback()  # the caller did not commit: nothing stays
        assert count(shop, Transaction) == 0
        outcome = import_transaction_rows(shop, rows, source="huadong.toml")
        db.session.commit()
        assert count(shop, Transaction) == 2
        again = import_transaction_rows(shop, rows)
        assert (again.created, again.unchanged) == (0, 2)
        bad = import_transaction_rows(shop, [{"external_id": "API3", "employee_no": "E001"}])
        assert [(e.row, e.column) for e in bad.errors] == [(2, "deal_date"), (2, "amount")]
        with bound_tenant(shop.id):
            assert not db.session.new
        unknown = import_transaction_rows(
            shop, [{"external_id": "x", "colour": "red"}], first_row=7
        )
        assert [(e.row, e.column) for e in unknown.errors] == [(7, "colour")]


def test_a_hundred_rows_with_every_split_add_up(shop, app):
    rows = [
        {
            "external_id": f"P{i}",
            "deal_date": "2024-11-01",
            "employee_no": "E001",
            "amount": f"{i}.{i % 100:02d}",
            "collected_amount": f"-{i}.0{i % 10}",
            "margin": "0.01",
            "credits": "E001:33.33;E002:33.33;E003:33.34" if i % 2 else "E004:12.5;E005:87.5",
        }
        for i in range(1, 101)
    ]
    with app.test_request_context():
        assert import_transaction_rows(shop, rows).ok
        db.session.commit()
    with bound_tenant(shop.id):
        for txn in db.session.scalars(select(Transaction)):
            parts = db.session.scalars(
                select(SalesCredit).where(SalesCredit.transaction_id == txn.id)
            ).all()
            for attr in ("amount", "collected_amount", "margin"):
                assert sum(getattr(c, attr) for c in parts) == getattr(txn, attr), (txn, attr)
            assert sum(c.share_bp for c in parts) == 10000


def test_list_filters_paginates_and_shows_credited_people(shop, browser):
    b = browser(shop.owner)
    rows = "".join(f"L{i:03d},2024-07-{1 + i % 28:02d},E001,,,,{i},,,,,\n" for i in range(60))
    rows += "AUG,2024-08-15,E002,,,,77,,,,,E002:50;E005:50\n"
    assert upload(b, shop, HEADER + rows).status_code == 200
    page = b.get(f"/t/{shop.slug}/transactions", headers=EN)
    assert page.status_code == 200
    assert "61 transactions" in page.text and "Page 1 of 2" in page.text
    assert page.text.index("AUG") < page.text.index("L027")  # newest first
    with bound_tenant(shop.id):
        aug = db.session.scalar(select(Period).where(Period.label == "2024-08"))
        e5 = db.session.scalar(select(Person).where(Person.employee_no == "E005"))
    filtered = b.get(f"/t/{shop.slug}/transactions?period_id={aug.id}", headers=EN)
    assert "1 transactions" in filtered.text and "L001" not in filtered.text
    assert "销售5 50%" in filtered.text  # credited people with their share
    by_person = b.get(f"/t/{shop.slug}/transactions?person_id={e5.id}", headers=EN)
    assert "AUG" in by_person.text and "L001" not in by_person.text
    second = b.get(f"/t/{shop.slug}/transactions?page=2", headers=EN)
    assert "Page 2 of 2" in second.text
    txn = txns(shop)["AUG"]
    detail = b.get(f"/t/{shop.slug}/transactions/{txn.id}", headers=EN)
    assert detail.status_code == 200 and "销售5 (E005)" in detail.text and "2024-08" in detail.text


def test_htmx_upload_form_reports_progress(shop, browser):
    page = browser(shop.owner).get(f"/t/{shop.slug}/transactions/import", headers=EN)
    assert page.status_code == 200
    assert 'hx-encoding="multipart/form-data"' in page.text and "<progress" in page.text
    assert "htmx:xhr:progress" in page.text and 'hx-indicator="#import-progress"' in page.text


def test_template_download_imports_cleanly(shop, browser):
    b = browser(shop.owner)
    resp = b.get(f"/t/{shop.slug}/transactions/template.csv", headers=EN)
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    assert resp.data.startswith("\ufeff".encode())
    imported = upload(b, shop, resp.data, name="transactions.csv")
    assert imported.status_code == 200 and "3 created" in imported.text
    zh = b.get(f"/t/{shop.slug}/transactions/template.csv", headers={"Accept-Language": "zh-CN"})
    assert "外部编号" in zh.data.decode("utf-8-sig")
    assert "3 unchanged" in upload(b, shop, zh.data, name="模板.csv").text


@pytest.mark.parametrize("role,status", [("staff", 403), ("manager", 403), ("hr", 200)])
def test_who_may_import(role, status, shop, member, browser):
    b = browser(member(shop, role))
    resp = upload(b, shop, HEADER + "W1,2024-07-01,E001,,,,1,,,,,\n")
    assert resp.status_code == status
    assert count(shop, Transaction) == (1 if status == 200 else 0)


def test_manager_sees_transactions_staff_does_not(shop, member, browser):
    assert browser(member(shop, "manager")).get(f"/t/{shop.slug}/transactions").status_code == 200
    assert browser(member(shop, "staff")).get(f"/t/{shop.slug}/transactions").status_code == 403


def test_many_errors_are_capped_on_the_page(shop, browser):
    rows = "".join(f"E{i},2024-07-01,NOBODY,,,,1,,,,,\n" for i in range(250))
    b = browser(shop.owner)
    resp = b.post(
        f"/t/{shop.slug}/transactions/import",
        data={"file": (io.BytesIO((HEADER + rows).encode()), "many.csv")},
        headers={**EN, "HX-Request": "true"},
    )
    assert resp.status_code == 422 and "<html" not in resp.text  # an htmx fragment
    assert "250 problems found" in resp.text and "The first 200 are listed" in resp.text
    assert resp.text.count("No person with employee number NOBODY") == 200


@pytest.mark.parametrize(
    "text,expected",
    [
        ("", [("E001", 10000)]),
        ("E002:60;E005:40", [("E002", 6000), ("E005", 4000)]),
        ("E005：40%；E002: 60 %", [("E002", 6000), ("E005", 4000)]),
        ("E001:33.33, E002:33.33, E003:33.34", [("E001", 3333), ("E002", 3333), ("E003", 3334)]),
    ],
)
def test_parse_credits(text, expected, app):
    from jili.inputs.services.transactions import parse_credits

    with app.test_request_context():
        assert parse_credits(text, "E001") == expected


@pytest.mark.parametrize(
    "text,words",
    [
        ("E001:33.333;E002:66.667", "two decimal places"),
        ("E001:0;E002:100", "more than 0"),
        ("E001 60", "e.g. E002:60;E005:40"),
        ("E001:100.01", "100.01%"),
    ],
)
def test_parse_credits_errors(text, words, app):
    from jili.inputs.services.common import CellError
    from jili.inputs.services.transactions import parse_credits

    with (
        app.test_request_context(headers=EN),
        pytest.raises(CellError, match=words.replace(".", r"\.")),
    ):
        parse_credits(text, "E001")


@pytest.mark.parametrize(
    "text,expected",
    [
        ("1,234.50", "1234.50"),
        ("¥1,234.5", "1234.50"),
        ("￥ 12 000", "12000.00"),
        ("-0", "0.00"),
        ("−20.00", "-20.00"),
    ],
)
def test_parse_money(text, expected, app):
    from jili.inputs.services.common import parse_money

    with app.test_request_context():
        assert str(parse_money(text)) == expected


@pytest.mark.parametrize("text", ["2024-07-15", "2024/7/15", "2024.07.15", "2024年7月15日"])
def test_parse_date(text, app):
    from jili.inputs.services.common import parse_date

    with app.test_request_context():
        assert parse_date(text) == date(2024, 7, 15)
