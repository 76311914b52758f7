"""Plan as code, targets' own sections: the tenant's metrics
(``[[target_metrics]]``) and each period's publication (``[[target_publications]]``).

The targets themselves are ``[[targets]]`` (one entry per period and subject, a
key per metric code, challenge values in a ``challenge`` table); see
:mod:`jili.plan_as_code.export` and :mod:`jili.plan_as_code.import_inputs`.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from jili.extensions import db
from jili.plan_as_code.reader import FileReader
from jili.targets.models import (
    ActualSource,
    MetricKind,
    PublicationStatus,
    TargetMetric,
    TargetPublication,
)
from jili.targets.services.metrics import CODE_RE, MEASURES, RESERVED

METRIC_KEYS = (
    "code", "name", "unit", "kind", "higher_is_better", "source", "measure", "product_line",
    "region",
)  # fmt: skip
PUBLICATION_KEYS = ("period", "status", "version", "accepted_difference")


def export_metrics(tenant_id: int) -> list[dict[str, Any]]:
    rows = []
    for m in db.session.scalars(
        select(TargetMetric)
        .where(TargetMetric.tenant_id == tenant_id)
        .order_by(TargetMetric.position, TargetMetric.code)
    ):
        row: dict[str, Any] = {"code": m.code, "name": m.name}
        if m.unit:
            row["unit"] = m.unit
        row["kind"] = m.kind.value
        if not m.higher_is_better:
            row["higher_is_better"] = False
        row["source"] = m.source.value
        for key in ("measure", "product_line", "region"):
            if getattr(m, key):
                row[key] = getattr(m, key)
        rows.append(row)
    return rows


def export_publications(tenant_id: int, label_of, rank_of) -> list[dict[str, Any]]:
    rows = []
    for p in db.session.scalars(
        select(TargetPublication).where(TargetPublication.tenant_id == tenant_id)
    ):
        row: dict[str, Any] = {"period": label_of(p.period_id), "status": p.status.value}
        row["version"] = p.version
        if p.accepted_difference_reason:
            row["accepted_difference"] = p.accepted_difference_reason
        rows.append((rank_of(p.period_id), row))
    return [row for _rank, row in sorted(rows, key=lambda r: r[0])]


def make_target_metrics(r: FileReader) -> None:
    n = 0
    seen: set[str] = set()
    for where, row in r.entries("target_metrics"):
        r.known(where, row, METRIC_KEYS)
        code = r.text(where, row, "code", limit=40)
        name = r.text(where, row, "name", limit=120)
        if code is not None and (not CODE_RE.match(code) or code in RESERVED or code in seen):
            r.err(where, _("code %(code)s: use a new code of lower-case letters, digits and _.",
                           code=code))  # fmt: skip
            code = None
        kind = _choice(r, where, row, "kind", MetricKind, MetricKind.NUMBER)
        source = _choice(r, where, row, "source", ActualSource, ActualSource.ENTERED)
        measure = r.text(where, row, "measure", required=False, limit=20) or ""
        if source == ActualSource.TRANSACTIONS and measure not in MEASURES:
            r.err(where, _("measure: one of %(allowed)s.", allowed=", ".join(MEASURES)))
        if code is None or name is None:
            continue
        seen.add(code)
        db.session.add(
            TargetMetric(
                tenant_id=r.tenant.id,
                code=code,
                name=name,
                unit=r.text(where, row, "unit", required=False, limit=20) or "",
                kind=kind,
                higher_is_better=r.boolean(where, row, "higher_is_better", True),
                source=source,
                measure=measure,
                product_line=r.text(where, row, "product_line", required=False, limit=80) or "",
                region=r.text(where, row, "region", required=False, limit=80) or "",
                position=n,
            )
        )
        n += 1
    db.session.flush()
    r.counts["target_metrics"] = n


def make_target_publications(r: FileReader) -> None:
    n = 0
    seen: set[int] = set()
    for where, row in r.entries("target_publications"):
        r.known(where, row, PUBLICATION_KEYS)
        period = r.period(where, row)
        status = _choice(r, where, row, "status", PublicationStatus, PublicationStatus.PUBLISHED)
        version = row.get("version", 1)
        if not isinstance(version, int) or isinstance(version, bool) or version < 0:
            r.err(where, _("version must be a whole number."))
            continue
        reason = r.text(where, row, "accepted_difference", required=False, limit=500) or ""
        if period is None:
            continue
        if period.id in seen:
            r.err(where, _("A second publication of the same period."))
            continue
        seen.add(period.id)
        db.session.add(
            TargetPublication(
                tenant_id=r.tenant.id,
                period_id=period.id,
                status=status,
                version=version,
                accepted_difference_reason=reason,
            )
        )
        n += 1
    r.counts["target_publications"] = n


def _choice(r: FileReader, where, row, key, enum_cls, default):
    value = row.get(key, default.value)
    try:
        return enum_cls(value)
    except ValueError:
        r.err(where, _("%(key)s: one of %(allowed)s.", key=key,
                       allowed=", ".join(e.value for e in enum_cls)))  # fmt: skip
        return default
