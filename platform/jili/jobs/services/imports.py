"""Large imports as background jobs: a file over
``JOB_IMPORT_MIN_ROWS`` rows or ``JOB_IMPORT_MIN_BYTES`` bytes is saved under
``instance/uploads/<tenant>/<job>/`` and imported by the worker, all rows or
none, with the same checks and the same row errors as the inline import; the
browser goes to the job's page, which polls for progress. Smaller files stay
inline. (The import pages of :mod:`jili.inputs` and the people import use it.)"""

from __future__ import annotations

import json

from flask import current_app, g, make_response, redirect, render_template, url_for
from flask_babel import get_locale
from flask_login import current_user

from jili.jobs.services import files
from jili.jobs.services.tracking import JobBusy, start
from jili.jobs.tasks import enqueue


def is_large(upload) -> bool:
    """Whether the uploaded file (a werkzeug ``FileStorage``, spooled to disk when
    large) is for a job: its size, or its lines counted a chunk at a time up to
    the threshold — never read whole into memory. The stream is left at its start."""
    config = current_app.config
    stream = upload.stream
    stream.seek(0, 2)
    size = stream.tell()
    stream.seek(0)
    if size >= int(config.get("JOB_IMPORT_MIN_BYTES") or 2 * 1024 * 1024):
        return True
    if (upload.filename or "").lower().endswith(".xlsx"):
        return False  # compressed: its size says little, and reading it is the job's work
    threshold = int(config.get("JOB_IMPORT_MIN_ROWS") or 5000)
    lines = 0
    try:
        while lines <= threshold and (chunk := stream.read(1 << 16)):
            lines += chunk.count(b"\n")
    finally:
        stream.seek(0)
    return lines > threshold


def start_import(kind: str, upload):
    """``kind``: transactions, targets, metrics or people (the job is ``import_<kind>``)."""
    """Start the job, save the file for it (copied from werkzeug's spool a chunk at
    a time), queue it; then its page."""
    filename = upload.filename
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
    files.save_upload_stream(job, filename, upload.stream)
    enqueue(job)
    url = url_for("tenant.job_detail", job_id=job.id)
    if g.htmx:
        # htmx fetches the job's page into #content (no reload) and shows its address
        response = make_response("", 200)
        response.headers["HX-Location"] = json.dumps({"path": url, "target": "#content"})
        return response
    return redirect(url, code=303)
