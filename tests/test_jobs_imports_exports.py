"""Large imports and exports as jobs: a file over the threshold is saved for the
job and imported all or nothing, its row errors shown on the job page exactly as
the inline import shows them; small files stay inline; a large payroll export is
written by a job and downloaded from its page, byte for byte the inline export."""

from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import select

from jili.extensions import db
from jili.jobs.models import Job, JobStatus
from jili.models import AuditLog, Transaction
from jili.tenancy import bound_tenant
from test_inputs_transactions import EN, HEADER, count, shop, upload  # noqa: F401
from test_runs_pages import CalcWorld

GOOD = HEADER + (
    "D1,2024-07-15,E001,华东电子,设备,华东,120000.00,80000,30000,yes,no,\n"
    "D2,2024-07-20,E002,北方物流,服务,华北,50000.00,50000,12000,no,yes,E002:60;E005:40\n"
    "D3,2024-07-21,E003,北方物流,服务,华北,1000.00,1000,100,no,no,\n"
)
BAD = HEADER + (
    "D1,2024-07-15,E001,华东电子,设备,华东,120000.00,80000,30000,yes,no,\n"
    "D2,2024-13-20,E002,北方物流,服务,华北,50000.00,50000,12000,no,yes,\n"
    "D3,2024-07-21,E999,北方物流,服务,华北,12.345,1000,100,no,no,\n"
)


@pytest.fixture(autouse=True)
def job_files(app, tmp_path):
    """Uploads and exports under the test's own folder, not instance/."""
    app.config["JOB_FILES_DIR"] = str(tmp_path / "job-files")
    return tmp_path / "job-files"


def jobs(tenant) -> list[Job]:
    with bound_tenant(tenant.id):
        return list(db.session.scalars(select(Job).order_by(Job.id)))


@pytest.fixture
def small_threshold(app):
    app.config["JOB_IMPORT_MIN_ROWS"] = 2
    return app


def _error_rows(html: str) -> list[tuple[str, str, str]]:
    table = html.split('id="import-errors"')[1].split("</table>")[0]
    return re.findall(r"<tr><td>(.*?)</td><td>(.*?)</td><td>(.*?)</td></tr>", table)


def test_a_small_file_stays_inline(shop, browser):  # noqa: F811
    resp = upload(browser(shop.owner), shop, GOOD)
    assert resp.status_code == 200 and "3 created, 0 unchanged" in resp.text
    assert jobs(shop) == []


def test_a_large_file_is_imported_by_a_job(shop, browser, small_threshold, job_files):  # noqa: F811
    b = browser(shop.owner)
    resp = upload(b, shop, GOOD)
    (job,) = jobs(shop)
    assert resp.status_code == 303 and resp.headers["Location"].endswith(f"/jobs/{job.id}")
    assert job.kind == "import_transactions" and job.status == JobStatus.DONE
    assert count(shop, Transaction) == 3
    page = b.get(resp.headers["Location"], headers=EN).text
    assert "Imported from deals.csv" in page and "3 created, 0 unchanged" in page
    assert "deal dates from" in page
    with bound_tenant(shop.id):
        assert db.session.scalar(select(AuditLog).where(AuditLog.action.like("%import%")))
    # the saved upload is gone once imported
    assert not (job_files / "uploads" / str(shop.id) / str(job.id)).exists()


def test_a_large_file_with_errors_imports_nothing_and_lists_them_as_inline(
    shop,  # noqa: F811
    browser,
    app,
):
    b = browser(shop.owner)
    inline = upload(b, shop, BAD)
    assert inline.status_code == 422
    app.config["JOB_IMPORT_MIN_ROWS"] = 2
    resp = upload(b, shop, BAD)
    (job,) = jobs(shop)
    assert job.status == JobStatus.FAILED and count(shop, Transaction) == 0
    page = b.get(resp.headers["Location"], headers=EN).text
    assert "Nothing was imported" in page
    assert _error_rows(page) == _error_rows(inline.text) and len(_error_rows(page)) >= 2
    assert 'id="job-again"' not in page and "Import a corrected file" in page


def test_an_xlsx_over_the_byte_threshold_runs_as_a_job(shop, browser, app):  # noqa: F811
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    for line in GOOD.strip().split("\n"):
        ws.append(line.split(","))
    buf = io.BytesIO()
    wb.save(buf)
    app.config["JOB_IMPORT_MIN_BYTES"] = 100
    resp = upload(browser(shop.owner), shop, buf.getvalue(), name="deals.xlsx")
    assert resp.status_code == 303
    assert count(shop, Transaction) == 3 and jobs(shop)[0].status == JobStatus.DONE


# -- exports -------------------------------------------------------------------


@pytest.fixture
def world(make_tenant, member):
    return CalcWorld(make_tenant(), member)


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_a_large_payroll_export_is_written_by_a_job_and_downloaded(world, browser, app, fmt):
    w = world
    b = browser(w.tenant.owner)
    w.calculate(b)
    (run,) = w.runs()
    inline = b.get(w.url(f"/runs/{run.id}/export.{fmt}"))
    assert inline.status_code == 200
    app.config["JOB_EXPORT_MIN_LINES"] = 1
    resp = b.get(w.url(f"/runs/{run.id}/export.{fmt}"))
    assert resp.status_code == 303
    job = [j for j in jobs(w.tenant) if j.kind == "export_payroll"][0]
    assert job.status == JobStatus.DONE
    page = b.get(resp.headers["Location"], headers=EN).text
    assert 'id="job-download"' in page
    got = b.get(w.url(f"/jobs/{job.id}/download"))
    assert got.status_code == 200
    assert f"jili-acme-2024-Q3-run1.{fmt}" in got.headers["Content-Disposition"]
    assert f"jili-acme-2024-Q3-run1.{fmt}" in inline.headers["Content-Disposition"]
    if fmt == "csv":
        assert got.data == inline.data
    else:
        assert got.data[:2] == b"PK" and len(got.data) > 1000
    with bound_tenant(w.t):
        exports = db.session.scalars(select(AuditLog).where(AuditLog.action == "run.export"))
        assert len(exports.all()) == 2


def test_export_jobs_and_downloads_only_for_who_may_export(world, browser, app, member):
    w = world
    owner = browser(w.tenant.owner)
    w.calculate(owner)
    (run,) = w.runs()
    app.config["JOB_EXPORT_MIN_LINES"] = 1
    owner.get(w.url(f"/runs/{run.id}/export.csv"))
    job = [j for j in jobs(w.tenant) if j.kind == "export_payroll"][0]
    consultant = browser(member(w.tenant, "consultant"))
    for path in (f"/jobs/{job.id}", f"/jobs/{job.id}/download"):
        assert consultant.get(w.url(path)).status_code == 404
        assert browser(w.manager_user).get(w.url(path)).status_code == 403
        assert browser(w.staff_user).get(w.url(path)).status_code == 403
    assert browser(w.hr_user).get(w.url(f"/jobs/{job.id}/download")).status_code == 200
