"""The metrics targets are set on: the built-ins and the tenant's own.

A metric is known by its code everywhere (targets, plan as code, progress);
:func:`catalog` gives each code its name in the reader's language, its unit,
kind, direction and where its actuals come from.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from jili.audit import services as audit
from jili.extensions import db
from jili.targets.models import ActualSource, MetricKind, TargetMetric


@dataclass(frozen=True)
class MetricDef:
    code: str
    label: str
    unit: str
    kind: MetricKind
    higher_is_better: bool
    source: ActualSource
    measure: str = ""  # for transactions: amount, collected, margin, deals, new_customers
    product_line: str = ""
    region: str = ""
    builtin: bool = False

    @property
    def is_money(self) -> bool:
        return self.kind == MetricKind.MONEY


#: Built-in metric code → (label, kind, source, measure).
BUILTINS: dict[str, tuple] = {
    "revenue": (_l("Revenue"), MetricKind.MONEY, ActualSource.TRANSACTIONS, "amount"),
    "collected": (_l("Collected cash"), MetricKind.MONEY, ActualSource.TRANSACTIONS, "collected"),
    "margin": (_l("Margin"), MetricKind.MONEY, ActualSource.TRANSACTIONS, "margin"),
    "new_customers": (
        _l("New customers"),
        MetricKind.COUNT,
        ActualSource.TRANSACTIONS,
        "new_customers",
    ),
    "deals": (_l("Deals"), MetricKind.COUNT, ActualSource.TRANSACTIONS, "deals"),
    "visits": (_l("Visits"), MetricKind.COUNT, ActualSource.ENTERED, ""),
}
MEASURES = ("amount", "collected", "margin", "deals", "new_customers")
#: Codes a tenant metric may not take: the built-ins and the words plan as code uses.
RESERVED = frozenset(BUILTINS) | {"period", "person", "team", "challenge"}
CODE_RE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


def builtin(code: str) -> MetricDef:
    label, kind, source, measure = BUILTINS[code]
    return MetricDef(code, str(label), "", kind, True, source, measure=measure, builtin=True)


def tenant_metrics(tenant_id: int) -> list[TargetMetric]:
    return list(
        db.session.scalars(
            select(TargetMetric)
            .where(TargetMetric.tenant_id == tenant_id)
            .order_by(TargetMetric.position, TargetMetric.code)
        )
    )


def catalog(tenant_id: int) -> list[MetricDef]:
    """Every metric of the tenant: the built-ins in their order, then its own."""
    out = [builtin(code) for code in BUILTINS]
    for m in tenant_metrics(tenant_id):
        out.append(
            MetricDef(
                m.code,
                m.name,
                m.unit,
                m.kind,
                m.higher_is_better,
                m.source,
                measure=m.measure,
                product_line=m.product_line,
                region=m.region,
            )
        )
    return out


def by_code(tenant_id: int) -> dict[str, MetricDef]:
    return {m.code: m for m in catalog(tenant_id)}


def metric_order(tenant_id: int) -> dict[str, int]:
    """metric code → its place (the built-ins first, then the tenant's)."""
    return {m.code: i for i, m in enumerate(catalog(tenant_id))}


class MetricError(ValueError):
    """A metric definition that cannot be saved; the message is for the user."""


def save_metric(tenant_id: int, values: dict, metric: TargetMetric | None = None) -> TargetMetric:
    """Create or change a tenant metric (``values``: code, name, unit, kind,
    higher_is_better, source, measure, product_line, region); audit-logged."""
    code = values["code"]
    if metric is None or metric.code != code:
        if not CODE_RE.match(code) or code in RESERVED:
            raise MetricError(
                str(
                    _l(
                        "Use lower-case letters, digits and _ for the code; it may not be a built-in metric."
                    )
                )
            )
        taken = db.session.scalar(
            select(TargetMetric.id).where(
                TargetMetric.tenant_id == tenant_id, TargetMetric.code == code
            )
        )
        if taken is not None:
            raise MetricError(str(_l("Another metric already has this code.")))
    if values.get("source") == ActualSource.TRANSACTIONS and values.get("measure") not in MEASURES:
        raise MetricError(str(_l("Choose what to count or add up from the transactions.")))
    fields = list(values)
    before = audit.snapshot(metric, fields) if metric is not None else None
    if metric is None:
        metric = TargetMetric(tenant_id=tenant_id, position=len(tenant_metrics(tenant_id)))
        db.session.add(metric)
    for key, value in values.items():
        setattr(metric, key, value)
    db.session.flush()
    audit.record(
        "target_metric.save",
        metric,
        before=before,
        after=audit.snapshot(metric, fields),
    )
    return metric


def plain_value(value, kind: MetricKind) -> str:
    """A target or actual for a file or a letter: money to the fen (500000.00); a
    count or number with the decimals it has, none when whole (12, 12.5)."""
    from decimal import Decimal

    value = Decimal(value)
    if kind == MetricKind.MONEY:
        return f"{value.quantize(Decimal('0.01')):f}"
    if value == value.to_integral_value():
        return f"{value.to_integral_value():f}"
    return f"{value.normalize():f}"
