"""Where a job's files live: an upload waiting to be imported
(``instance/uploads/<tenant>/<job>/``) and an export waiting to be downloaded
(``instance/exports/<tenant>/<job>/``). ``JOB_FILES_DIR`` moves both (a disk
every worker and web node shares, when there are several machines)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from flask import current_app

from jili.jobs.models import Job

_SAFE = re.compile(r"[^\w.\-]+")


def _root() -> Path:
    configured = current_app.config.get("JOB_FILES_DIR")
    return Path(configured) if configured else Path(current_app.instance_path)


def safe_name(filename: str) -> str:
    """The file's own name, without folders or characters a path refuses."""
    name = _SAFE.sub("_", Path(filename.replace("\\", "/")).name).strip("._") or "file"
    return name[-120:]


def upload_dir(job: Job) -> Path:
    return _root() / "uploads" / str(job.tenant_id) / str(job.id)


def export_dir(job: Job) -> Path:
    return _root() / "exports" / str(job.tenant_id) / str(job.id)


def save_upload(job: Job, filename: str, data: bytes) -> Path:
    folder = upload_dir(job)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / safe_name(filename)
    path.write_bytes(data)
    return path


def save_upload_stream(job: Job, filename: str, stream) -> Path:
    """Save an upload from its stream, a chunk at a time (a large file is never
    held whole)."""
    folder = upload_dir(job)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / safe_name(filename)
    stream.seek(0)
    with open(path, "wb") as out:
        shutil.copyfileobj(stream, out, 1 << 20)
    return path


def upload_path(job: Job) -> Path:
    return upload_dir(job) / safe_name(job.params.get("filename", ""))


def export_path(job: Job) -> Path | None:
    name = (job.result or {}).get("file")
    return export_dir(job) / safe_name(name) if name else None


def remove_upload(job: Job) -> None:
    shutil.rmtree(upload_dir(job), ignore_errors=True)
