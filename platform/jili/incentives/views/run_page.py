"""A final run's page, paged: the totals by plan and the budget at the top
(SQL aggregates over the run's lines), then the people, fifty a page, with a
search by name or employee number and a link to each one's statement. Every
line of the run is in the payroll export (CSV / Excel; a large run's export is a
background job), never in one page: at 10,000 people a run has some 60,000
lines.

A manager sees their people's rows only (:mod:`jili.org.visibility`), with
totals over those rows: no company total, no budget (it is the whole company's).
"""

from __future__ import annotations

import threading
from collections import OrderedDict, defaultdict
from decimal import Decimal

from flask import g, request
from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, func, or_, select

from jili.extensions import db
from jili.incentives.engine import PlanStatus, corrections, diff_runs, latest_run, previous_run
from jili.incentives.models import CalculationRun, PayoutLineRecord, Plan, RunKind
from jili.incentives.services.authors import run_author
from jili.incentives.services.budget_words import KIND_LABELS, ceiling_sentences
from jili.incentives.views.statements import _plan_url
from jili.org.models import Person
from jili.org.visibility import person_condition, visible_person_ids
from jili.periods.models import Period
from jili.schemes.lines import fmt_number
from jili.tenancy import get_scoped_or_404

ZERO = Decimal(0)
PAGE_SIZE = 50  # people a page
DIFF_LIMIT = 100  # changed rows shown against the previous run (the rest are counted)
SEARCH_MAX = 60

PLAN_STATUS_LABELS = {
    PlanStatus.ACTIVE: _l("Active"),
    PlanStatus.DISABLED: _l("Scheme disabled — not calculated"),
    PlanStatus.UNAVAILABLE: _l("Scheme not installed — unavailable"),
    PlanStatus.NOT_IN_FORCE: _l("No version in force for this period"),
}
DIFF_LABELS = {"added": _l("Added"), "removed": _l("Removed"), "changed": _l("Changed")}
BUDGET_RULE_LABELS = {
    "proportional": _l("proportional cut"),
    "priority": _l("by plan priority"),
}


def plan_status_label(status: str) -> str:
    return str(PLAN_STATUS_LABELS.get(status, status))


def people_by_id(ids) -> dict[int, Person]:
    """The tenant's people with these ids (never the whole company)."""
    ids = sorted(set(ids))
    out: dict[int, Person] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        query = select(Person).where(Person.tenant_id == g.tenant.id, Person.id.in_(chunk))
        out.update((p.id, p) for p in db.session.scalars(query))
    return out


def plan_names(run: CalculationRun) -> dict[int, str]:
    names = dict(
        db.session.execute(select(Plan.id, Plan.name).where(Plan.tenant_id == g.tenant.id)).all()
    )
    names.update({p["plan_id"]: p["plan_name"] for p in run.plans or [] if "plan_id" in p})
    names[corrections.CORRECTIONS_PLAN_ID] = corrections.plan_name()
    return names


def _lines_of(run: CalculationRun):
    """The run's lines the viewer may see: a WHERE clause list."""
    where = [PayoutLineRecord.tenant_id == g.tenant.id, PayoutLineRecord.run_id == run.id]
    condition = person_condition(PayoutLineRecord.person_id)
    if condition is not None:
        where.append(condition)
    return where


def sums(run: CalculationRun, person_ids=None) -> list[tuple[int, int, str, Decimal, Decimal, int]]:
    """(person, plan, side, amount, amount before budget, lines) summed, one query,
    for the people the viewer may see (and among them ``person_ids`` if given)."""
    query = select(
        PayoutLineRecord.person_id,
        PayoutLineRecord.plan_id,
        PayoutLineRecord.side,
        func.sum(PayoutLineRecord.amount),
        func.sum(PayoutLineRecord.amount_before_budget),
        func.count(PayoutLineRecord.id),
    ).where(*_lines_of(run))
    if person_ids is not None:
        query = query.where(PayoutLineRecord.person_id.in_(list(person_ids)))
    rows = db.session.execute(
        query.group_by(PayoutLineRecord.person_id, PayoutLineRecord.plan_id, PayoutLineRecord.side)
    ).all()
    return [(r[0], r[1], r[2], r[3] or ZERO, r[4] or ZERO, r[5] or 0) for r in rows]


# A stored run is never changed (a re-run is a new run), so what its page sums
# over all of its lines — the totals by plan, the number of people — is kept per
# process for the viewers who see everyone. The key holds the database, the
# tenant, the run and its fingerprint and time: never another run's figures.
_KEPT: OrderedDict[tuple, object] = OrderedDict()
_KEPT_MAX = 256
_kept_lock = threading.Lock()


def _kept(run: CalculationRun, what: str, compute):
    """``compute()``, kept for ``run`` when the viewer sees everyone."""
    if visible_person_ids() is not None:
        return compute()  # a manager's own subset: summed each time
    key = (
        db.engine.url.render_as_string(hide_password=True),
        run.tenant_id, run.id, run.fingerprint, str(run.created_at), what,
    )  # fmt: skip
    with _kept_lock:
        if key in _KEPT:
            _KEPT.move_to_end(key)
            return _KEPT[key]
    value = compute()
    with _kept_lock:
        _KEPT[key] = value
        while len(_KEPT) > _KEPT_MAX:
            _KEPT.popitem(last=False)
    return value


def _plan_sums(run: CalculationRun) -> dict[int, tuple[Decimal, Decimal, int]]:
    """plan → (amount, amount before budget, lines) over the visible lines."""
    return _kept(run, "plans", lambda: _plan_sums_now(run))


def _plan_sums_now(run: CalculationRun) -> dict[int, tuple[Decimal, Decimal, int]]:
    rows = db.session.execute(
        select(
            PayoutLineRecord.plan_id,
            func.sum(PayoutLineRecord.amount),
            func.sum(PayoutLineRecord.amount_before_budget),
            func.count(PayoutLineRecord.id),
        )
        .where(*_lines_of(run))
        .group_by(PayoutLineRecord.plan_id)
    ).all()
    return {r[0]: (r[1] or ZERO, r[2] or ZERO, r[3] or 0) for r in rows}


def _search() -> str:
    return " ".join((request.args.get("q") or "").split())[:SEARCH_MAX]


def _matching_people(run: CalculationRun, q: str):
    """A select of the people with a visible line in the run (and matching ``q``)."""
    has_line = exists().where(*_lines_of(run), PayoutLineRecord.person_id == Person.id)
    query = select(Person.id).where(Person.tenant_id == g.tenant.id, has_line)
    if q:
        query = query.where(
            or_(
                Person.name.icontains(q, autoescape=True),
                Person.employee_no.icontains(q, autoescape=True),
            )
        )
    return query


def _page_of_people(run: CalculationRun, q: str) -> tuple[list[int], int, int, int]:
    """(the page's person ids in employee-number order, people matching, page, pages)."""
    matching = _matching_people(run, q)

    def counted() -> int:
        return db.session.scalar(select(func.count()).select_from(matching.subquery())) or 0

    count = counted() if q else _kept(run, "people", counted)
    pages = max(1, -(-count // PAGE_SIZE))
    page = min(max(1, request.args.get("page", 1, type=int) or 1), pages)
    ids = db.session.scalars(
        matching.order_by(Person.employee_no, Person.id)
        .limit(PAGE_SIZE)
        .offset((page - 1) * PAGE_SIZE)
    ).all()
    return list(ids), count, page, pages


def _budget(run: CalculationRun) -> dict:
    b = run.budget or {}
    ceiling = b.get("ceiling")
    return {
        "ceiling": Decimal(ceiling) if ceiling not in (None, "") else None,
        "rule": str(BUDGET_RULE_LABELS.get(b.get("rule"), b.get("rule") or "")),
        "before": Decimal(b.get("total_before") or run.total),
        "after": Decimal(b.get("total_after") or run.total),
        "applied": bool(b.get("applied")),
        "amount": Decimal(b["amount"]) if b.get("amount") else None,
        "pct_of_revenue": fmt_number(Decimal(b["pct_of_revenue"]))
        if b.get("pct_of_revenue")
        else None,
        "kind": str(KIND_LABELS.get(b.get("period_kind"), "")),
        "sentences": ceiling_sentences(b),
    }


def _diff(run: CalculationRun, previous, names: dict[int, str], q: str) -> dict:
    """What changed against ``previous`` for the people the viewer may see (and
    matching the search): the first :data:`DIFF_LIMIT` rows, and how many in all."""
    if previous is None:
        return {"rows": [], "count": 0}
    visible = visible_person_ids()
    changed = [d for d in diff_runs(run, previous) if visible is None or d.person_id in visible]
    people = people_by_id(d.person_id for d in changed)
    if q:
        matched = {
            p.id for p in people.values() if q.lower() in f"{p.name}\n{p.employee_no}".lower()
        }
        changed = [d for d in changed if d.person_id in matched]

    def key(d):
        p = people.get(d.person_id)
        return (p.employee_no if p else "~", d.person_id, names.get(d.plan_id, ""))

    changed.sort(key=key)
    rows = [
        {
            "person": people.get(d.person_id),
            "person_id": d.person_id,
            "plan": names.get(d.plan_id, f"#{d.plan_id}"),
            "before": d.before,
            "after": d.after,
            "change": d.change,
            "kind": d.kind,
            "kind_label": str(DIFF_LABELS[d.kind]),
        }
        for d in changed[:DIFF_LIMIT]
    ]
    return {"rows": rows, "count": len(changed)}


def _rows(run: CalculationRun, ids: list[int], plan_order: list[int]) -> list[dict]:
    cells: dict[int, dict[int, Decimal]] = defaultdict(dict)
    cut: set[int] = set()
    for pid, plan_id, _side, amount, before, _count in sums(run, ids):
        cells[pid][plan_id] = cells[pid].get(plan_id, ZERO) + amount
        if amount != before:
            cut.add(pid)
    people = people_by_id(ids)
    return [
        {
            "person": people.get(pid),
            "person_id": pid,
            "cells": [cells[pid].get(plan_id) for plan_id in plan_order],
            "total": sum(cells[pid].values(), ZERO),
            "cut": pid in cut,
            "statement": True,  # every row shown is one the viewer may see
        }
        for pid in ids
    ]


def run_context(run: CalculationRun, error: str | None = None) -> dict:
    """The run page: totals by plan, budget, one page of people, what changed."""
    period = get_scoped_or_404(Period, run.period_id, g.tenant.id)
    names = plan_names(run)
    partial = visible_person_ids() is not None
    by_plan = _plan_sums(run)
    plan_order = [p["plan_id"] for p in run.plans or [] if p["plan_id"] in by_plan]
    plan_order += sorted(set(by_plan) - set(plan_order))
    q = _search()
    ids, count, page, pages = _page_of_people(run, q)
    previous = previous_run(run) if run.kind == RunKind.FINAL else None
    latest = latest_run(g.tenant.id, period.id)
    return {
        "run": run,
        "author": run_author(run),
        "period": period,
        "partial": partial,
        "shown_total": sum((s[0] for s in by_plan.values()), ZERO) if partial else run.total,
        "shown_lines": sum(s[2] for s in by_plan.values()) if partial else run.line_count,
        "plans": [{"id": pid, "name": names.get(pid, f"#{pid}")} for pid in plan_order],
        "plan_totals": [by_plan[pid][0] for pid in plan_order],
        "plan_rows": [
            {
                "id": pid,
                "name": names.get(pid, f"#{pid}"),
                "url": _plan_url(pid),
                "amount": by_plan[pid][0],
                "before": by_plan[pid][1],
                "lines": by_plan[pid][2],
            }
            for pid in plan_order
        ],
        "rows": _rows(run, ids, plan_order),
        "q": q,
        "people_count": count,
        "page": page,
        "pages": pages,
        "first": (page - 1) * PAGE_SIZE + 1 if count else 0,
        "last": min(page * PAGE_SIZE, count),
        "budget": _budget(run),
        "notes": [
            {"plan_name": n.get("plan_name", ""), "label": plan_status_label(n.get("status", ""))}
            for n in run.notes or []
        ],
        "previous": previous,
        "diff": _diff(run, previous, names, q),
        "latest": latest,
        "is_latest": latest is not None and latest.id == run.id,
        "error": error,
        "plan_url": _plan_url,
    }
