"""Targets and KPI metric values of a period: the lists, importing a file and
its CSV template."""

from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace

from flask import g, render_template, url_for
from flask_babel import gettext as _
from sqlalchemy import and_, or_, select

from jili.accounts.roles import require
from jili.extensions import db
from jili.inputs.models import MetricValue, SalesTarget
from jili.inputs.services import metrics as metric_rows
from jili.inputs.services import targets as target_rows
from jili.inputs.views._common import (
    csv_response,
    import_page,
    period_arg,
    tenant_people,
    tenant_periods,
    zh_headers,
)
from jili.org.models import Team
from jili.org.visibility import visible_person_ids, visible_team_ids
from jili.periods.models import Period
from jili.schemes import fmt_number, kpi_score, kpi_total_score, quantize
from jili.schemes.kpi import KpiResult
from jili.web import bp

# --- targets -------------------------------------------------------------------------


def _latest_period_with(model) -> Period | None:
    return db.session.scalar(
        select(Period)
        .join(model, and_(model.period_id == Period.id, model.tenant_id == Period.tenant_id))
        .where(Period.tenant_id == g.tenant.id, *_visible_rows(model))
        .order_by(Period.start_date.desc(), Period.id.desc())
        .limit(1)
    )


def _visible_rows(model) -> list:
    """Conditions keeping a target's or KPI value's rows the viewer may see: their
    people's, and their team's and sub-teams' (:mod:`jili.org.visibility`)."""
    people, teams = visible_person_ids(), visible_team_ids()
    if people is None:
        return []
    return [
        or_(
            model.person_id.in_(sorted(people) or [-1]),
            model.team_id.in_(sorted(teams or ()) or [-1]),
        )
    ]


@bp.route("/targets")
@require("inputs.view")
def targets():
    period = period_arg() or _latest_period_with(SalesTarget)
    rows = []
    if period is not None:
        rows = list(
            db.session.scalars(
                select(SalesTarget).where(
                    SalesTarget.tenant_id == g.tenant.id,
                    SalesTarget.period_id == period.id,
                    *_visible_rows(SalesTarget),
                )
            )
        )
    people = {p.id: p for p in tenant_people()}
    teams = {t.id: t for t in db.session.scalars(select(Team).where(Team.tenant_id == g.tenant.id))}
    wide: dict[tuple, SimpleNamespace] = {}
    for t in rows:
        row = wide.setdefault(
            (t.person_id, t.team_id),
            SimpleNamespace(
                id=t.id, person_id=t.person_id, team_id=t.team_id,
                revenue=None, collected=None, margin=None,
            ),
        )  # fmt: skip
        if t.metric in ("revenue", "collected", "margin"):
            setattr(row, t.metric, t.baseline)
    rows = list(wide.values())
    rows.sort(
        key=lambda t: (
            t.team_id is None,
            teams[t.team_id].name if t.team_id else people[t.person_id].employee_no,
        )
    )
    return render_template(
        "inputs/targets.html",
        rows=rows,
        people=people,
        teams=teams,
        periods=tenant_periods(),
        period=period,
    )


@bp.route("/targets/import", methods=["GET", "POST"])
@require("inputs.edit")
def targets_import():
    return import_page(
        "targets",
        target_rows.import_target_file,
        title=_("Import targets"),
        action=url_for("tenant.targets_import"),
        template_url=url_for("tenant.targets_template"),
        back_url=url_for("tenant.targets"),
        columns=list(target_rows.HEADERS),
        zh_columns="期间, 工号, 团队, 销售目标, 回款目标, 毛利目标",
        help=[
            _(
                "One row per person (employee number) or team (team name) and period "
                "(its label, e.g. 2024-Q3 or 2024-07). Targets are amounts; an empty "
                "target means none and clears an earlier one."
            ),
            _(
                "A row for a person or team that already has targets for the period "
                "replaces them. Closed periods cannot change. If any row has a problem, "
                "nothing is imported."
            ),
        ],
    )


@bp.route("/targets/template.csv")
@require("inputs.view")
def targets_template():
    zh = zh_headers()
    header = (
        ["期间", "工号", "团队", "销售目标", "回款目标", "毛利目标"]
        if zh == "zh_Hans"
        else ["期間", "工號", "團隊", "銷售目標", "回款目標", "毛利目標"]
        if zh == "zh_Hant"
        else list(target_rows.HEADERS)
    )
    rows = [
        ["2024-Q3", "E001", "", "500000", "450000", "120000"],
        ["2024-Q3", "", "上海一组", "10000000", "", ""],
    ]
    return csv_response("targets.csv", header, rows)


# --- metric values --------------------------------------------------------------------


@bp.route("/metrics")
@require("inputs.view")
def metrics():
    period = period_arg() or _latest_period_with(MetricValue)
    rows = []
    if period is not None:
        rows = list(
            db.session.scalars(
                select(MetricValue)
                .where(
                    MetricValue.tenant_id == g.tenant.id,
                    MetricValue.period_id == period.id,
                    *_visible_rows(MetricValue),
                )
                .order_by(MetricValue.metric)
            )
        )
    people = {p.id: p for p in tenant_people()}
    teams = {t.id: t for t in db.session.scalars(select(Team).where(Team.tenant_id == g.tenant.id))}
    by_person: dict[int, list[MetricValue]] = {}
    team_rows = []
    for m in rows:
        if m.person_id is not None:
            by_person.setdefault(m.person_id, []).append(m)
        else:
            team_rows.append(m)
    scores, totals = {}, {}
    for pid, values in by_person.items():
        results = []
        for m in values:
            if m.target is not None and m.target > 0 and m.actual >= 0:
                scores[m.id] = kpi_score(
                    Decimal(m.actual), Decimal(m.target), higher_is_better=m.higher_is_better
                )
                if m.weight:
                    results.append(
                        KpiResult(
                            Decimal(m.weight),
                            Decimal(m.actual),
                            Decimal(m.target),
                            m.higher_is_better,
                        )
                    )
        if results:
            totals[pid] = kpi_total_score(results)
    people_order = sorted(by_person, key=lambda pid: people[pid].employee_no)
    team_rows.sort(key=lambda m: teams[m.team_id].name)
    return render_template(
        "inputs/metrics.html",
        by_person=by_person,
        people_order=people_order,
        team_rows=team_rows,
        people=people,
        teams=teams,
        scores=scores,
        totals=totals,
        num=num,
        periods=tenant_periods(),
        period=period,
    )


@bp.route("/metrics/import", methods=["GET", "POST"])
@require("inputs.edit")
def metrics_import():
    return import_page(
        "metrics",
        metric_rows.import_metric_file,
        title=_("Import KPI values"),
        action=url_for("tenant.metrics_import"),
        template_url=url_for("tenant.metrics_template"),
        back_url=url_for("tenant.metrics"),
        columns=list(metric_rows.HEADERS),
        zh_columns="期间, 工号, 团队, 指标, 权重, 实际值, 目标值, 越高越好",
        help=[
            _(
                "One row per person, period and KPI: its weight, actual value and target, "
                "and whether higher is better (yes) or lower is better (no, e.g. complaints). "
                "Score = actual / target × 100 (target / actual when lower is better), "
                "at most 100; the total is the weighted average."
            ),
            _(
                "A team row (team name instead of employee number) gives the team's "
                "collaboration score: name its metric collaboration (协作) and put the score "
                "in the actual column."
            ),
            _(
                "A row for a KPI already entered for the person and period replaces it. "
                "Closed periods cannot change. If any row has a problem, nothing is imported."
            ),
        ],
    )


@bp.route("/metrics/template.csv")
@require("inputs.view")
def metrics_template():
    zh = zh_headers()
    header = (
        ["期间", "工号", "团队", "指标", "权重", "实际值", "目标值", "越高越好"]
        if zh == "zh_Hans"
        else ["期間", "工號", "團隊", "指標", "權重", "實際值", "目標值", "越高越好"]
        if zh == "zh_Hant"
        else list(metric_rows.HEADERS)
    )
    rows = [
        ["2024-Q3", "E001", "", "revenue", "50", "480000", "500000", "yes"],
        ["2024-Q3", "E001", "", "complaints", "10", "1", "2", "no"],
        ["2024-Q3", "", "上海一组", "collaboration", "", "92", "", ""],
    ]
    return csv_response("kpi_values.csv", header, rows)


def num(value, places: int | None = None) -> str:
    """A KPI number for display: 50.0000 → 50, a score to ``places`` decimals."""
    value = Decimal(value)
    if places is not None:
        return format(quantize(value, places), "f")
    return fmt_number(value)
