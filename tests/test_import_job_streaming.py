"""The job's streamed transactions import (many batches, never the file whole):
a bad row at the very end changes nothing and is reported by its row; a
duplicate in a later batch names the earlier row; a good file gives exactly the
transactions, credits and facts the inline import of the same file gives; a
large people file is imported by a job too."""

from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import select

from jili.extensions import db
from jili.inputs.services import facts, transactions_job
from jili.inputs.services.transactions import import_transaction_file
from jili.jobs.models import Job, JobStatus
from jili.models import Person, SalesCredit, SalesFact, Transaction
from jili.periods.services import generate_year
from jili.tenancy import bound_tenant
from test_inputs_transactions import EN, HEADER, count, upload

ROWS = 1_200


@pytest.fixture(autouse=True)
def small_batches(app, tmp_path, monkeypatch):
    """Jobs from 2 rows on, batches of 100 (so the file spans a dozen), and the
    job's files under the test's folder."""
    app.config.update(JOB_IMPORT_MIN_ROWS=2, JOB_FILES_DIR=str(tmp_path / "job-files"))
    monkeypatch.setattr(transactions_job, "BATCH", 100)


def _tenant(make_tenant, slug: str):
    tenant = make_tenant(slug=slug)
    with bound_tenant(tenant.id):
        for i in range(1, 8):
            db.session.add(Person(tenant_id=tenant.id, employee_no=f"E00{i}", name=f"销售{i}"))
        generate_year(tenant.id, 2024, 1)
        db.session.commit()
    return tenant


def _file(rows: int = ROWS, last: str | None = None) -> str:
    """Deals over three months: every 9th split, every 13th a refund, every 4th
    for a new customer; ``last`` replaces the final row."""
    lines = [HEADER]
    for n in range(rows):
        seller = f"E00{n % 7 + 1}"
        amount = f"{'-' if n % 13 == 0 else ''}{1000 + n * 7}.{n % 100:02d}"
        split = f"{seller}:33.33;E00{(n + 3) % 7 + 1}:66.67" if n % 9 == 0 else ""
        lines.append(
            f"D{n:05d},2024-{7 + n % 3:02d}-{n % 28 + 1:02d},{seller},客户{n % 40},"
            f"{('设备', '服务')[n % 2]},{('华东', '华北', '华南')[n % 3]},{amount},"
            f"{n % 500},{n % 300}.5,{'yes' if n % 4 == 0 else 'no'},no,{split}\n"
        )
    if last is not None:
        lines[-1] = last
    return "".join(lines)


def _job(tenant) -> Job:
    with bound_tenant(tenant.id):
        return db.session.scalars(select(Job).order_by(Job.id.desc())).first()


def _errors(html: str) -> list[tuple[str, str, str]]:
    table = html.split('id="import-errors"')[1].split("</table>")[0]
    return re.findall(r"<tr><td>(.*?)</td><td>(.*?)</td><td>(.*?)</td></tr>", table)


def test_a_bad_last_row_changes_nothing_and_is_reported(make_tenant, browser):
    shop = _tenant(make_tenant, "shop")
    bad = "D99999,2024-07-40,E001,x,设备,华东,100,0,0,no,no,\n"
    b = browser(shop.owner)
    resp = upload(b, shop, _file(last=bad))
    job = _job(shop)
    assert resp.status_code == 303 and job.status == JobStatus.FAILED
    for model in (Transaction, SalesCredit, SalesFact):
        assert count(shop, model) == 0
    rows = _errors(b.get(resp.headers["Location"], headers=EN).text)
    assert rows == [(str(ROWS + 1), "deal_date", rows[0][2])]
    assert "2024-07-40" in rows[0][2]


def test_a_duplicate_in_a_later_batch_names_the_earlier_row(make_tenant, browser):
    shop = _tenant(make_tenant, "shop")
    again = "D00003,2024-08-01,E002,x,设备,华东,100,0,0,no,no,\n"
    b = browser(shop.owner)
    resp = upload(b, shop, _file(last=again))
    assert _job(shop).status == JobStatus.FAILED
    rows = _errors(b.get(resp.headers["Location"], headers=EN).text)
    assert rows == [(str(ROWS + 1), "external_id", "Duplicate of row 5.")]
    assert count(shop, Transaction) == 0


def _snapshot(tenant) -> tuple:
    """Transactions, credits and facts, by employee number (ids differ per tenant)."""
    with bound_tenant(tenant.id):
        no = {p.id: p.employee_no for p in db.session.scalars(select(Person))}
        txns = {
            t.external_id: (t.deal_date, no[t.person_id], t.customer, t.product_line)
            + (t.region, t.amount, t.collected_amount, t.margin, t.new_customer, t.row_hash)
            for t in db.session.scalars(select(Transaction))
        }
        ext = {t.id: t.external_id for t in db.session.scalars(select(Transaction))}
        credit_rows = sorted(
            (ext[c.transaction_id], no[c.person_id], c.share_bp, c.amount)
            + (c.collected_amount, c.margin, c.deal_date)
            for c in db.session.scalars(select(SalesCredit))
        )
        stored = facts.stored_facts(db.session(), tenant.id)
        assert facts.verify(db.session(), tenant.id) == []
        fact_rows = sorted(
            ((k[0], no[k[1]], *k[2:]), v) for k, v in stored.items()
        )  # (month, employee no, region, product, new) → sums
    return txns, credit_rows, fact_rows


def test_a_good_file_equals_the_inline_import(make_tenant, browser):
    text = _file()
    shop = _tenant(make_tenant, "shop")
    resp = upload(browser(shop.owner), shop, text)
    job = _job(shop)
    assert resp.status_code == 303 and job.status == JobStatus.DONE
    assert job.result["outcome"]["created"] == ROWS
    other = _tenant(make_tenant, "other")
    with bound_tenant(other.id):
        outcome = import_transaction_file(other, "deals.csv", text.encode())
        assert outcome.ok
        db.session.commit()
    assert job.result["outcome"]["credits"] == outcome.credits
    jobbed, inline = _snapshot(shop), _snapshot(other)
    assert len(jobbed[0]) == ROWS and jobbed[2]
    assert jobbed == inline
    # the same file again through the job: every row unchanged, nothing written
    resp = upload(browser(shop.owner), shop, text)
    assert _job(shop).result["outcome"]["unchanged"] == ROWS
    assert _snapshot(shop) == jobbed


def test_a_large_people_file_is_imported_by_a_job(make_tenant, browser):
    shop = _tenant(make_tenant, "shop")
    body = "employee number,name,manager\n" + "".join(
        f"P{n:04d},人{n},{'' if n == 0 else 'P0000'}\n" for n in range(300)
    )
    b = browser(shop.owner)
    resp = b.post(
        f"/t/{shop.slug}/people/import",
        data={"file": (io.BytesIO(body.encode()), "people.csv")},
        headers=EN,
    )
    job = _job(shop)
    assert resp.status_code == 303 and job.kind == "import_people"
    assert job.status == JobStatus.DONE and job.result["outcome"]["created"] == 300
    page = b.get(resp.headers["Location"], headers=EN).text
    assert "Imported from people.csv" in page and "300 created, 0 updated" in page
    with bound_tenant(shop.id):
        boss = db.session.scalar(select(Person).where(Person.employee_no == "P0000"))
        worker = db.session.scalar(select(Person).where(Person.employee_no == "P0299"))
        assert worker.manager_id == boss.id
    # a broken file: nothing, and the row named on the job's page
    body = "employee number,name,manager\nQ1,甲,\nQ2,乙,NOBODY\n"
    resp = b.post(
        f"/t/{shop.slug}/people/import",
        data={"file": (io.BytesIO(body.encode()), "people.csv")},
        headers=EN,
    )
    assert _job(shop).status == JobStatus.FAILED
    rows = _errors(b.get(resp.headers["Location"], headers=EN).text)
    assert rows and rows[0][0] == "3"
    with bound_tenant(shop.id):
        assert db.session.scalar(select(Person).where(Person.employee_no == "Q1")) is None


def test_an_import_page_takes_a_larger_upload_than_other_pages(app, make_tenant, browser):
    app.config.update(MAX_CONTENT_LENGTH=4_000, JOB_IMPORT_MAX_BYTES=200_000)
    shop = _tenant(make_tenant, "shop")
    b = browser(shop.owner)
    text = _file(rows=300)  # about 20 KB: over the general limit, under the import's
    assert 4_000 < len(text.encode()) < 200_000
    resp = upload(b, shop, text)
    assert resp.status_code == 303 and _job(shop).status == JobStatus.DONE
    assert count(shop, Transaction) == 300
    resp = upload(b, shop, text + "," * 11 + "\n" * 200_000)
    assert resp.status_code == 413
    # any other page keeps the general limit
    resp = b.post("/account", data={"name": "x" * 5_000})
    assert resp.status_code == 413


def test_an_xlsx_file_streams_through_the_job(app, make_tenant, browser):
    from openpyxl import Workbook

    app.config.update(JOB_IMPORT_MIN_BYTES=1_000)
    shop = _tenant(make_tenant, "shop")
    wb = Workbook()
    ws = wb.active
    rows = [line.split(",") for line in _file(rows=250).splitlines()]
    for row in rows:
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    resp = upload(browser(shop.owner), shop, buf.getvalue(), name="deals.xlsx")
    job = _job(shop)
    assert resp.status_code == 303 and job.status == JobStatus.DONE, job.result
    assert count(shop, Transaction) == 250
    with bound_tenant(shop.id):
        assert facts.verify(db.session(), shop.id) == []
