"""Large imports as background jobs (:mod:`jili.jobs`): a file over
``JOB_IMPORT_MIN_ROWS`` rows or ``JOB_IMPORT_MIN_BYTES`` bytes is saved under
``instance/uploads/<tenant>/<job>/`` and imported by the worker, all rows or
none, with the same importer and the same row errors as the inline import; the
browser goes to the job's page, which polls for progress. Smaller files stay
inline."""

from __future__ import annotations

import json

from flask import current_app, g, make_response, redirect, render_template, url_for
from flask_babel import get_locale
from flask_login import current_user

from jili.jobs.services import files
from jili.jobs.services.tracking import JobBusy, start
from jili.jobs.tasks import enqueue


def is_large(filename: str, data: bytes) -> bool:
    config = current_app.config
    if len(data) >= int(config.get("JOB_IMPORT_MIN_BYTES") or 2 * 1024 * 1024):
        return True
    if filename.lower().endswith(".xlsx"):
        return False  # compressed: its size says little, and reading it is the job's work
    return data.count(b"\n") > int(config.get("JOB_IMPORT_MIN_ROWS") or 5000)


def start_import(kind: str, filename: str, data: bytes):
    """Start the job, save the file for it, queue it; then its page."""
    try:
        job = start(
            g.tenant.id,
            f"import_{kind}",
            user_id=current_user.id,
            params={"filename": files.safe_name(filename)},
            locale=str(get_locale() or ""),
        )
    except JobBusy as exc:
        url = url_for("tenant.job_detail", job_id=exc.job.id) if exc.job is not None else None
        return render_template("inputs/import_busy.html", job_url=url), 409
    files.save_upload(job, filename, data)
    enqueue(job)
    url = url_for("tenant.job_detail", job_id=job.id)
    if g.htmx:
        # htmx fetches the job's page into #content (no reload) and shows its address
        response = make_response("", 200)
        response.headers["HX-Location"] = json.dumps({"path": url, "target": "#content"})
        return response
    return redirect(url, code=303)
