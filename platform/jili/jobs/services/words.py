"""What a job says, in words: message keys stored on the job, translated when shown
(a job started in Chinese and read in English reads in English)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from jili.i18n import STATUS_LABELS as STATUS_WORDS

KIND_LABELS = {
    "calculate": _l("Calculation"),
    "pilot": _l("Pilot run"),
    "import_transactions": _l("Transactions import"),
    "import_targets": _l("Targets import"),
    "import_metrics": _l("Metric values import"),
    "import_people": _l("People import"),
    "export_payroll": _l("Payroll export"),
}

STATUS_LABELS = {
    "queued": _l("Waiting for a worker"),
    "running": _l("Running"),
    "done": _l("Done"),
    "failed": _l("Failed"),
    "confirm": _l("Waiting for your confirmation"),
}

PHASE_LABELS = {
    "": _l("Waiting to start"),
    "facts": _l("Reading the period's sales and targets"),
    "schemes": _l("Calculating every plan"),
    "budget": _l("Applying the budget ceiling"),
    "storing": _l("Storing the run"),
    "committing": _l("Saving"),
    "reading": _l("Reading the file"),
    "checking": _l("Checking and saving the rows"),
    "writing": _l("Writing the file"),
}

MESSAGES = {
    "worker_lost": _l(
        "The worker running this job stopped before it finished. Nothing was saved; start it again."
    ),
    "never_started": _l(
        "No worker picked this job up. Nothing was saved; check that the job worker "
        "is running and start it again."
    ),
    "period_locked": _l(
        "%(label)s is %(status)s: its calculation is locked. Reopen the period first to "
        "calculate it again."
    ),
    "pilot_closed": _l("%(label)s is closed: not even a pilot can run on it."),
    "plan_failed": _l("Plan %(plan)s could not be calculated: %(error)s. Nothing was saved."),
    "queue_unreachable": _l(
        "The job queue did not answer, so nothing was started. Try again in a moment; "
        "if it keeps happening, tell your administrator."
    ),
    "not_found": _l("What this job was about no longer exists. Nothing was saved."),
    "file_missing": _l("The uploaded file is no longer there. Upload it again."),
    "import_clash": _l(
        "Another import saved some of the same rows at the same moment; nothing was "
        "imported from this file. Import it again."
    ),
    "import_refused": _l("Nothing was imported: the file has problems, listed below."),
    "unexpected": _l(
        "Something went wrong on our side and nothing was saved. Try again; if it "
        "happens again, tell your administrator (job %(id)s)."
    ),
    "busy": _l(
        "A job of this kind is already running for this period (started %(when)s). "
        "Wait for it to finish; its page shows how far it is."
    ),
}


def message_text(key: str, args: dict | None) -> str:
    """The job's message in the reader's language ("" when it has none)."""
    if not key:
        return ""
    template = MESSAGES.get(key)
    if template is None:
        return str(MESSAGES["unexpected"]) % {"id": (args or {}).get("id", "?")}
    args = dict(args or {})
    if "status" in args:  # a period's status: stored as its code, read in words
        args["status"] = str(STATUS_WORDS.get(args["status"], args["status"]))
    try:
        return str(template) % args
    except (KeyError, TypeError, ValueError):
        return str(template)
