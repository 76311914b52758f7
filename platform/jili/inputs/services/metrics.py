"""Importing KPI metric values per period: a person's KPIs (weight, actual,
target, direction) and a team's collaboration score. All rows or none,
upserted on (period, person or team, metric)."""

from __future__ import annotations

from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import select

from jili.accounts.models import Tenant
from jili.audit import services as audit
from jili.extensions import db
from jili.inputs.models import MetricValue
from jili.inputs.services.common import (
    EMPLOYEE_HEADERS,
    PERIOD_HEADERS,
    TEAM_HEADERS,
    CellError,
    Directory,
    NumberedRow,
    Outcome,
    check_length,
    column_name,
    known_rows,
    parse_number,
    parse_yes_no,
    period_and_who,
    read_table,
    tenant_scope,
)

HEADERS: dict[str, set[str]] = {
    "period": PERIOD_HEADERS,
    "employee_no": EMPLOYEE_HEADERS,
    "team": TEAM_HEADERS,
    "metric": {
        "metric name",
        "kpi",
        "指标",
        "指標",
        "考核指标",
        "考核指標",
        "指标名称",
        "指標名稱",
    },
    "weight": {"权重", "權重"},
    "actual": {"actual value", "实际", "实际值", "實際", "實際值", "完成值"},
    "target": {"target value", "目标", "目标值", "目標", "目標值"},
    "higher_is_better": {"direction", "越高越好", "方向"},
}
REQUIRED = ("period", "metric", "actual")
COLLABORATION = "collaboration"
# A team's metric is its collaboration score, whatever the language of the file.
COLLABORATION_NAMES = {
    "collaboration", "collaboration score", "协作", "協作", "协作评分", "協作評分", "协作分", "協作分",
}  # fmt: skip
HIGHER = {"higher", "high", "高", "正向", "越高越好"}
LOWER = {"lower", "low", "低", "反向", "越低越好"}
MAX_WEIGHT = Decimal(100_000)  # the column keeps 5 integer digits
AUDIT_CHANGES = 500
FOUR = Decimal("0.0001")
FIELDS = ("weight", "actual", "target", "higher_is_better")


def parse_direction(text: str) -> bool:
    value = text.strip().lower()
    if value in HIGHER:
        return True
    if value in LOWER:
        return False
    try:
        return parse_yes_no(value, default=True)
    except CellError as exc:
        raise CellError(
            _("%(v)s: write yes (higher is better) or no (lower is better).", v=text)
        ) from exc


def import_metric_rows(
    tenant: Tenant, rows: list[dict[str, str]], *, source: str = "rows", first_row: int = 2
) -> Outcome:
    """Import metric rows (keys ``period, employee_no, team, metric, weight,
    actual, target, higher_is_better``); all or none. Flushes; the caller
    commits."""
    outcome = Outcome(source=source)
    numbered = known_rows(rows, first_row, HEADERS, outcome)
    if outcome.errors:
        return outcome
    return _import(tenant, numbered, {}, outcome)


def import_metric_file(tenant: Tenant, filename: str, data: bytes) -> Outcome:
    outcome = Outcome(source=filename)
    rows, labels = read_table(filename, data, HEADERS, REQUIRED, outcome)
    if not outcome.errors and "employee_no" not in labels and "team" not in labels:
        outcome.error(
            None, column_name("employee_no"), _("Add an employee number or a team column.")
        )
    if outcome.errors:
        return outcome
    return _import(tenant, rows, labels, outcome)


def _parse(row: dict[str, str], who, err) -> tuple[str, dict] | None:
    """The metric name and values of a row, or None after reporting errors."""
    ok = True

    def number(key: str, *, required: bool, default=None):
        nonlocal ok
        text = row.get(key, "")
        if not text:
            if required:
                err(key, _("This value is required."))
                ok = False
            return default
        try:
            return parse_number(text)
        except CellError as exc:
            err(key, str(exc))
            ok = False
            return None

    name = row.get("metric", "").strip()
    if not name:
        err("metric", _("Metric name is empty."))
        ok = False
    else:
        try:
            check_length(name, 80)
        except CellError as exc:
            err("metric", str(exc))
            ok = False
    is_team = who is not None and who.team_id is not None
    if is_team and name:
        if name.lower() not in COLLABORATION_NAMES:
            err(
                "metric",
                _(
                    "A team row carries the team's collaboration score: name the metric "
                    "collaboration (协作), or give an employee number instead."
                ),
            )
            ok = False
        name = COLLABORATION
    weight = number("weight", required=not is_team, default=Decimal(0))
    actual = number("actual", required=True)
    # A person's KPI is scored against its target (jili.schemes.kpi); a team's
    # collaboration score stands on its own.
    target = number("target", required=not is_team)
    try:
        higher = parse_direction(row.get("higher_is_better", ""))
    except CellError as exc:
        err("higher_is_better", str(exc))
        ok = False
        higher = True
    if weight is not None and not (0 <= weight < MAX_WEIGHT):
        err("weight", _("A weight is between 0 and 99999."))
        ok = False
    if actual is not None and actual < 0:
        err("actual", _("An actual value cannot be negative."))
        ok = False
    if target is not None and target <= 0:
        err("target", _("A target must be more than 0."))
        ok = False
    if not ok:
        return None
    values = {"weight": weight, "actual": actual, "target": target, "higher_is_better": higher}
    return name, values


def _import(
    tenant: Tenant, rows: list[NumberedRow], labels: dict[str, str], outcome: Outcome
) -> Outcome:
    with tenant_scope(tenant):
        directory = Directory(tenant.id)
        parsed = _parse_rows(directory, rows, labels, outcome)
        if outcome.errors:
            return outcome
        _upsert(tenant, directory, parsed, outcome)
    return outcome


def _parse_rows(
    directory: Directory, rows: list[NumberedRow], labels: dict[str, str], outcome: Outcome
) -> list[tuple[tuple, dict]]:
    """``((period, person, team, metric), values)`` for each good row."""
    seen: dict[tuple, int] = {}
    parsed: list[tuple[tuple, dict]] = []
    for number, row in rows:
        before = len(outcome.errors)

        def err(key: str, message: str, number=number) -> None:
            outcome.error(number, labels.get(key, key), message)

        period, who = period_and_who(directory, row, err)
        result = _parse(row, who, err)
        if result is None or period is None or who is None:
            continue
        name, values = result
        key = (period.id, who.person_id, who.team_id, name)
        if key in seen:
            err("metric", _("Duplicate of row %(row)d.", row=seen[key]))
            continue
        seen[key] = number
        if len(outcome.errors) == before:
            parsed.append((key, values))
    return parsed


def _upsert(
    tenant: Tenant, directory: Directory, parsed: list[tuple[tuple, dict]], outcome: Outcome
) -> None:
    """Create, update or leave each value; one audit entry for the import."""

    period_ids = {key[0] for key, _v in parsed}
    existing = {
        (m.period_id, m.person_id, m.team_id, m.metric): m
        for m in db.session.scalars(
            select(MetricValue).where(
                MetricValue.tenant_id == tenant.id, MetricValue.period_id.in_(period_ids)
            )
        )
    }
    period_label = {p.id: p.label for p in directory.periods.values()}
    changes = []
    for key, values in parsed:
        metric = existing.get(key)
        before = _values(metric) if metric is not None else None
        if metric is None:
            metric = MetricValue(
                tenant_id=tenant.id,
                period_id=key[0],
                person_id=key[1],
                team_id=key[2],
                metric=key[3],
            )
            db.session.add(metric)
            outcome.created += 1
        elif before == _plain(values):
            outcome.unchanged += 1
            continue
        else:
            outcome.updated += 1
        for attr, value in values.items():
            setattr(metric, attr, value)
        if len(changes) < AUDIT_CHANGES:
            changes.append(
                {
                    "period": period_label[key[0]],
                    "who": directory.label(key[1], key[2]),
                    "metric": key[3],
                    "before": before,
                    "after": _plain(values),
                }
            )
    audit.record(
        "metrics.import",
        tenant_id=tenant.id,
        object_type="MetricValue",
        after={
            "source": outcome.source,
            "created": outcome.created,
            "updated": outcome.updated,
            "unchanged": outcome.unchanged,
            "changes": changes,
        },
    )
    db.session.flush()


def _plain(values: dict) -> dict:
    """Values at the columns' four decimals, so 96 and 96.0000 compare and log alike."""
    return {k: (v.quantize(FOUR) if isinstance(v, Decimal) else v) for k, v in values.items()}


def _values(metric: MetricValue) -> dict:
    return _plain({f: getattr(metric, f) for f in FIELDS})
