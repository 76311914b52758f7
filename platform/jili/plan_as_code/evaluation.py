"""Plan as code, the evaluation sections: tenant-defined levels and who is at
one, the KPI library, the KPI set of each level, the rating bands and the
scorecards (their lines' targets and actuals, and calibrated ratings).

Written and read here so export.py and the importer each call one function;
natural keys throughout (KPI codes, level codes, employee numbers, period
labels), numbers as exact strings, in a fixed order.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from jili.evaluation.models import (
    DEFAULT_CAP,
    EvaluationLevel,
    Kpi,
    KpiCategory,
    KpiSet,
    KpiSetItem,
    KpiSource,
    PersonLevel,
    RatingBand,
    Scorecard,
    ScorecardLine,
)
from jili.evaluation.services import scorecards as card_services
from jili.extensions import db
from jili.org.models import Level
from jili.plan_as_code.reader import FileReader
from jili.plan_as_code.schema import number_text

SECTIONS = ("levels", "person_levels", "kpis", "kpi_sets", "rating_bands", "scorecards")


# --- export ------------------------------------------------------------------------


def _rows(model, tid: int) -> list:
    return list(db.session.scalars(select(model).where(model.tenant_id == tid)))


def export_sections(
    tid: int, person_no: Mapping[int, str], label: Callable[[int], str], rank: Mapping[int, int]
) -> dict[str, list[dict[str, Any]]]:
    """The evaluation sections of a tenant file, each only when it has rows."""
    kpis = {k.id: k for k in _rows(Kpi, tid)}
    out = {
        "levels": [
            {"code": lv.code, "name": lv.name}
            for lv in sorted(_rows(EvaluationLevel, tid), key=lambda lv: lv.code)
        ],
        "person_levels": sorted(
            ({"person": person_no[p.person_id], "level": p.level} for p in _rows(PersonLevel, tid)),
            key=lambda r: r["person"],
        ),
        "kpis": [_kpi_row(k) for k in sorted(kpis.values(), key=lambda k: k.code)],
        "kpi_sets": _set_rows(tid, kpis),
        "rating_bands": [
            _band_row(b) for b in sorted(_rows(RatingBand, tid), key=lambda b: -b.min_score)
        ],
        "scorecards": _card_rows(tid, kpis, person_no, label, rank),
    }
    return {key: rows for key, rows in out.items() if rows}


def _kpi_row(k: Kpi) -> dict[str, Any]:
    row: dict[str, Any] = {"code": k.code, "name": k.name, "category": k.category.value}
    if k.unit:
        row["unit"] = k.unit
    if not k.higher_is_better:
        row["higher_is_better"] = False
    if k.formula:
        row["formula"] = k.formula
    row["source"] = k.source.value
    if k.default_target is not None:
        row["default_target"] = number_text(k.default_target)
    if k.cap != DEFAULT_CAP:
        row["cap"] = number_text(k.cap)
    return row


def _line(code: str, weight, target=None, actual=None) -> dict[str, Any]:
    row: dict[str, Any] = {"kpi": code, "weight": number_text(weight)}
    if target is not None:
        row["target"] = number_text(target)
    if actual is not None:
        row["actual"] = number_text(actual)
    return row


def _set_rows(tid: int, kpis: Mapping[int, Kpi]) -> list[dict[str, Any]]:
    items: dict[int, list] = {}
    for item in _rows(KpiSetItem, tid):
        items.setdefault(item.set_id, []).append(item)
    rows = []
    for s in sorted(_rows(KpiSet, tid), key=lambda s: s.level):
        lines = sorted(items.get(s.id, []), key=lambda i: kpis[i.kpi_id].code)
        row: dict[str, Any] = {"level": s.level}
        if s.name:
            row["name"] = s.name
        row["items"] = [_line(kpis[i.kpi_id].code, i.weight, i.target) for i in lines]
        rows.append(row)
    return rows


def _band_row(b: RatingBand) -> dict[str, Any]:
    row: dict[str, Any] = {"label": b.label, "min_score": number_text(b.min_score)}
    if b.share_limit is not None:
        row["share_limit"] = number_text(b.share_limit)
    return row


def _card_rows(tid, kpis, person_no, label, rank) -> list[dict[str, Any]]:
    lines: dict[int, list] = {}
    for line in _rows(ScorecardLine, tid):
        lines.setdefault(line.scorecard_id, []).append(line)
    rows = []
    for c in _rows(Scorecard, tid):
        row: dict[str, Any] = {
            "period": label(c.period_id),
            "person": person_no[c.person_id],
            "level": c.level,
        }
        if c.adjusted_rating:
            row["rating"] = c.adjusted_rating
            row["reason"] = c.adjust_reason
        ordered = sorted(lines.get(c.id, []), key=lambda ln: kpis[ln.kpi_id].code)
        row["lines"] = [
            _line(kpis[ln.kpi_id].code, ln.weight, ln.target, ln.actual) for ln in ordered
        ]
        rows.append(((rank[c.period_id], row["person"]), row))
    return [row for _k, row in sorted(rows, key=lambda r: r[0])]


# --- import ------------------------------------------------------------------------


def make_config(r: FileReader) -> None:
    """Levels, who is at one, the KPI library, the sets and the rating bands."""
    codes = {lv.value for lv in Level}
    for where, row in r.entries("levels"):
        r.known(where, row, ("code", "name"))
        code, name = r.text(where, row, "code", limit=40), r.text(where, row, "name", limit=120)
        if code and name:
            if code in codes:
                r.err(where, _("The level %(code)s already exists.", code=code))
                continue
            codes.add(code)
            db.session.add(EvaluationLevel(tenant_id=r.tenant.id, code=code, name=name))
    r.counts["levels"] = len(codes) - len(Level)
    for where, row in r.entries("person_levels"):
        r.known(where, row, ("person", "level"))
        person = r.person(where, row.get("person"))
        level = r.text(where, row, "level", limit=40)
        if level and level not in codes:
            r.err(where, _("There is no level %(code)s.", code=level))
        elif person and level:
            db.session.add(PersonLevel(tenant_id=r.tenant.id, person_id=person.id, level=level))
    r.kpis = _make_kpis(r)
    db.session.flush()
    _make_sets(r, codes)
    _make_bands(r)
    db.session.flush()


def _choice(r: FileReader, where, row, key, enum, default):
    value = row.get(key, default)
    try:
        return enum(value)
    except ValueError:
        allowed = ", ".join(m.value for m in enum)
        r.err(where, _("%(key)s must be one of: %(allowed)s.", key=key, allowed=allowed))
        return None


def _make_kpis(r: FileReader) -> dict[str, Kpi]:
    allowed = (
        "code", "name", "category", "unit", "higher_is_better", "formula", "source",
        "default_target", "cap",
    )  # fmt: skip
    out: dict[str, Kpi] = {}
    for where, row in r.entries("kpis"):
        r.known(where, row, allowed)
        code = r.text(where, row, "code", limit=80)
        values = {
            "name": r.text(where, row, "name", limit=120),
            "category": _choice(r, where, row, "category", KpiCategory, "result"),
            "unit": r.text(where, row, "unit", required=False, limit=20),
            "higher_is_better": r.boolean(where, row, "higher_is_better", True),
            "formula": r.text(where, row, "formula", required=False, limit=500),
            "source": _choice(r, where, row, "source", KpiSource, "entered"),
            "default_target": r.decimal(where, row, "default_target", required=False, minimum=0),
            "cap": r.decimal(where, row, "cap", required=False, minimum=1) or DEFAULT_CAP,
        }
        if code in out:
            r.err(where, _("A KPI with the code %(code)s already exists.", code=code))
            continue
        if code is None or any(values[k] is None for k in ("name", "category", "source")):
            continue
        if values["unit"] is None or values["formula"] is None:
            continue
        out[code] = Kpi(tenant_id=r.tenant.id, code=code, **values)
        db.session.add(out[code])
    r.counts["kpis"] = len(out)
    return out


def _items(r: FileReader, where: str, value: Any, with_values: bool) -> list | None:
    if not isinstance(value, list) or not all(isinstance(v, Mapping) for v in value):
        r.err(where, _("%(key)s must be a list of tables.", key="items"))
        return None
    out = []
    for item in value:
        allowed = (
            ("kpi", "weight", "target", "actual") if with_values else ("kpi", "weight", "target")
        )
        r.known(where, item, allowed)
        kpi = r.kpis.get(item.get("kpi"))
        if kpi is None:
            r.err(where, _("KPI %(code)s is not in the file's kpis.", code=item.get("kpi")))
            continue
        weight = r.decimal(where, item, "weight", minimum=0)
        target = r.decimal(where, item, "target", required=False, minimum=0)
        actual = r.decimal(where, item, "actual", required=False, minimum=0)
        if weight is not None:
            out.append((kpi, weight, target, actual))
    return out


def _make_sets(r: FileReader, codes: set[str]) -> None:
    seen = set()
    for where, row in r.entries("kpi_sets"):
        r.known(where, row, ("level", "name", "items"))
        level = r.text(where, row, "level", limit=40)
        name = r.text(where, row, "name", required=False, limit=120)
        items = _items(r, where, row.get("items"), False)
        if level is not None and level not in codes:
            r.err(where, _("There is no level %(code)s.", code=level))
            continue
        if level in seen:
            r.err(where, _("A second KPI set for the level %(code)s.", code=level))
            continue
        if level is None or name is None or items is None:
            continue
        seen.add(level)
        kpi_set = KpiSet(tenant_id=r.tenant.id, level=level, name=name)
        db.session.add(kpi_set)
        db.session.flush()
        for kpi, weight, target, _a in items:
            db.session.add(
                KpiSetItem(
                    tenant_id=r.tenant.id,
                    set_id=kpi_set.id,
                    kpi_id=kpi.id,
                    weight=weight,
                    target=target,
                )
            )
    r.counts["kpi_sets"] = len(seen)


def _make_bands(r: FileReader) -> None:
    labels = set()
    for where, row in r.entries("rating_bands"):
        r.known(where, row, ("label", "min_score", "share_limit"))
        label = r.text(where, row, "label", limit=8)
        minimum = r.decimal(where, row, "min_score", minimum=0)
        share = r.decimal(where, row, "share_limit", required=False, minimum=0)
        if label in labels:
            r.err(where, _("Each rating band needs its own label."))
            continue
        if label is None or minimum is None:
            continue
        labels.add(label)
        db.session.add(
            RatingBand(tenant_id=r.tenant.id, label=label, min_score=minimum, share_limit=share)
        )


def make_scorecards(r: FileReader) -> None:
    """The scorecards with their lines, scored and rated as on the page."""
    n = 0
    seen = set()
    for where, row in r.entries("scorecards"):
        r.known(where, row, ("period", "person", "level", "rating", "reason", "lines"))
        period = r.period(where, row)
        person = r.person(where, row.get("person"))
        level = r.text(where, row, "level", limit=40)
        rating = r.text(where, row, "rating", required=False, limit=8)
        reason = r.text(where, row, "reason", required=False, limit=500)
        lines = _items(r, where, row.get("lines"), True)
        if None in (period, person, level, rating, reason, lines):
            continue
        if (period.id, person.id) in seen:
            r.err(where, _("A second scorecard for the same period and person."))
            continue
        seen.add((period.id, person.id))
        card = Scorecard(
            tenant_id=r.tenant.id,
            period_id=period.id,
            person_id=person.id,
            level=level,
            adjusted_rating=rating or None,
            adjust_reason=reason,
        )
        db.session.add(card)
        db.session.flush()
        for kpi, weight, target, actual in lines:
            db.session.add(
                ScorecardLine(
                    tenant_id=r.tenant.id,
                    scorecard_id=card.id,
                    period_id=period.id,
                    kpi_id=kpi.id,
                    weight=weight,
                    target=target,
                    actual=actual,
                    higher_is_better=kpi.higher_is_better,
                    cap=kpi.cap,
                )
            )
        db.session.flush()
        card_services.compute(card)
        n += 1
    r.counts["scorecards"] = n
