"""The KPI library, levels and the KPI set of each level."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import select

from jili.accounts.models import Tenant
from jili.audit.services import record, snapshot
from jili.evaluation.models import (
    EvaluationLevel,
    Kpi,
    KpiCategory,
    KpiSet,
    KpiSetItem,
    PersonLevel,
)
from jili.extensions import db
from jili.i18n import LEVEL_LABELS
from jili.org.models import Level, Person
from jili.tenancy import bound_tenant

KPI_FIELDS = [
    "code",
    "name",
    "category",
    "unit",
    "higher_is_better",
    "formula",
    "source",
    "default_target",
    "cap",
]
BUILT_IN_LEVELS = tuple(level.value for level in Level)
#: Result KPIs should carry 70–80 % of a set's weight, process KPIs 20–30 %.
RESULT_SHARE = (Decimal(70), Decimal(80))
PROCESS_SHARE = (Decimal(20), Decimal(30))


class EvaluationError(ValueError):
    """A change the evaluation refuses, with a message for the user."""


def kpis(tenant_id: int) -> list[Kpi]:
    return list(
        db.session.scalars(select(Kpi).where(Kpi.tenant_id == tenant_id).order_by(Kpi.code))
    )


def get_kpi(tenant_id: int, kpi_id: int) -> Kpi | None:
    return db.session.scalar(select(Kpi).where(Kpi.tenant_id == tenant_id, Kpi.id == kpi_id))


def save_kpi(tenant_id: int, kpi: Kpi | None, values: dict) -> Kpi:
    """Create (``kpi`` None) or change a KPI of the library; audit-logged."""
    clash = db.session.scalar(
        select(Kpi.id).where(Kpi.tenant_id == tenant_id, Kpi.code == values["code"])
    )
    if clash is not None and (kpi is None or clash != kpi.id):
        raise EvaluationError(
            _("A KPI with the code %(code)s already exists.", code=values["code"])
        )
    before = _kpi_data(kpi) if kpi is not None else None
    if kpi is None:
        kpi = Kpi(tenant_id=tenant_id)
        db.session.add(kpi)
    for key in KPI_FIELDS:
        setattr(kpi, key, values[key])
    db.session.flush()
    after = _kpi_data(kpi)
    record("kpi.update" if before else "kpi.create", kpi, before=before, after=after)
    return kpi


def _kpi_data(kpi: Kpi) -> dict:
    data = snapshot(kpi, KPI_FIELDS)
    data["data_source"] = data.pop("source")  # "source" reads as a file in the log
    return data


def levels(tenant_id: int) -> list[tuple[str, str]]:
    """(code, name) of every level: newcomer, core, manager, then the tenant's own."""
    out = [(code, str(LEVEL_LABELS[code])) for code in BUILT_IN_LEVELS]
    for row in db.session.scalars(
        select(EvaluationLevel)
        .where(EvaluationLevel.tenant_id == tenant_id)
        .order_by(EvaluationLevel.code)
    ):
        out.append((row.code, row.name))
    return out


def add_level(tenant_id: int, code: str, name: str) -> EvaluationLevel:
    if code in dict(levels(tenant_id)):
        raise EvaluationError(_("The level %(code)s already exists.", code=code))
    row = EvaluationLevel(tenant_id=tenant_id, code=code, name=name)
    db.session.add(row)
    db.session.flush()
    record("level.create", row, after={"code": code, "name": name})
    return row


def person_levels(tenant_id: int) -> dict[int, str]:
    """person id → the level code they are evaluated at."""
    out = {
        pid: (lvl.value if hasattr(lvl, "value") else lvl)
        for pid, lvl in db.session.execute(
            select(Person.id, Person.level).where(Person.tenant_id == tenant_id)
        )
    }
    for pid, code in db.session.execute(
        select(PersonLevel.person_id, PersonLevel.level).where(PersonLevel.tenant_id == tenant_id)
    ):
        out[pid] = code
    return out


def set_person_level(tenant_id: int, person: Person, code: str) -> None:
    """Evaluate ``person`` at a tenant-defined level (or back at their org level)."""
    if code not in dict(levels(tenant_id)):
        raise EvaluationError(_("There is no level %(code)s.", code=code))
    row = db.session.scalar(
        select(PersonLevel).where(
            PersonLevel.tenant_id == tenant_id, PersonLevel.person_id == person.id
        )
    )
    before = person_levels(tenant_id).get(person.id)
    if code in BUILT_IN_LEVELS:
        if row is not None:
            db.session.delete(row)
        person.level = Level(code)
    elif row is None:
        db.session.add(PersonLevel(tenant_id=tenant_id, person_id=person.id, level=code))
    else:
        row.level = code
    record(
        "person.level",
        person,
        before={"level": before},
        after={"level": code},
    )


@dataclass(frozen=True)
class WeightMix:
    total: Decimal
    result_share: Decimal
    process_share: Decimal

    @property
    def warning(self) -> bool:
        """Result KPIs outside 70–80 % or process KPIs outside 20–30 % of the weight."""
        if self.total <= 0:
            return False
        lo, hi = RESULT_SHARE
        plo, phi = PROCESS_SHARE
        return not (lo <= self.result_share <= hi and plo <= self.process_share <= phi)


def weight_mix(items: list[tuple[Kpi, Decimal]]) -> WeightMix:
    """How a set's weight splits between result and process KPIs, in percent."""
    total = sum((w for _k, w in items), Decimal(0))
    if total <= 0:
        return WeightMix(Decimal(0), Decimal(0), Decimal(0))
    result = sum((w for k, w in items if k.category == KpiCategory.RESULT), Decimal(0))
    process = total - result
    return WeightMix(total, result * 100 / total, process * 100 / total)


def kpi_sets(tenant_id: int) -> dict[str, KpiSet]:
    return {
        s.level: s for s in db.session.scalars(select(KpiSet).where(KpiSet.tenant_id == tenant_id))
    }


def get_set(tenant_id: int, set_id: int) -> KpiSet | None:
    return db.session.scalar(
        select(KpiSet).where(KpiSet.tenant_id == tenant_id, KpiSet.id == set_id)
    )


def set_items(kpi_set: KpiSet) -> list[tuple[KpiSetItem, Kpi]]:
    rows = db.session.execute(
        select(KpiSetItem, Kpi)
        .join(Kpi, (Kpi.id == KpiSetItem.kpi_id) & (Kpi.tenant_id == KpiSetItem.tenant_id))
        .where(KpiSetItem.tenant_id == kpi_set.tenant_id, KpiSetItem.set_id == kpi_set.id)
        .order_by(Kpi.category, Kpi.code)
    ).all()
    return [(item, kpi) for item, kpi in rows]


def _items_data(kpi_set: KpiSet) -> list[dict]:
    return [
        {"kpi": kpi.code, "weight": item.weight, "target": item.target}
        for item, kpi in set_items(kpi_set)
    ]


def save_set(
    tenant_id: int,
    level: str,
    name: str,
    items: list[tuple[int, Decimal, Decimal | None]],
) -> KpiSet:
    """Replace the level's set with ``items`` — (kpi id, weight, target or None)."""
    if level not in dict(levels(tenant_id)):
        raise EvaluationError(_("There is no level %(code)s.", code=level))
    if not items or sum((w for _i, w, _t in items), Decimal(0)) <= 0:
        raise EvaluationError(_("A KPI set needs at least one KPI with a weight above 0."))
    known = {k.id for k in kpis(tenant_id)}
    if any(kpi_id not in known for kpi_id, _w, _t in items):
        raise EvaluationError(_("That KPI is not in this company's library."))
    kpi_set = kpi_sets(tenant_id).get(level)
    before = None
    if kpi_set is None:
        kpi_set = KpiSet(tenant_id=tenant_id, level=level, name=name)
        db.session.add(kpi_set)
        db.session.flush()
    else:
        before = {"name": kpi_set.name, "items": _items_data(kpi_set)}
        kpi_set.name = name
        for item, _kpi in set_items(kpi_set):
            db.session.delete(item)
        db.session.flush()
    for kpi_id, weight, target in items:
        db.session.add(
            KpiSetItem(
                tenant_id=tenant_id, set_id=kpi_set.id, kpi_id=kpi_id, weight=weight, target=target
            )
        )
    db.session.flush()
    after = {"name": name, "level": level, "items": _items_data(kpi_set)}
    record("kpi_set.update" if before else "kpi_set.create", kpi_set, before=before, after=after)
    return kpi_set


def copy_set(kpi_set: KpiSet, to_tenant_id: int) -> KpiSet:
    """Copy a set and its KPIs to another company (a consultant's client): KPIs
    are matched by code, missing ones are added; the copy replaces that
    company's set for the level. Audit-logged in both companies."""
    pairs = set_items(kpi_set)
    with bound_tenant(to_tenant_id):
        if kpi_set.level not in dict(levels(to_tenant_id)):
            raise EvaluationError(_("The other company has no level %(code)s.", code=kpi_set.level))
        theirs = {k.code: k for k in kpis(to_tenant_id)}
        items = []
        for item, kpi in pairs:
            target_kpi = theirs.get(kpi.code)
            if target_kpi is None:
                values = {f: getattr(kpi, f) for f in KPI_FIELDS}
                target_kpi = save_kpi(to_tenant_id, None, values)
            items.append((target_kpi.id, item.weight, item.target))
        copy = save_set(to_tenant_id, kpi_set.level, kpi_set.name, items)
        db.session.flush()  # the other company's rows are written while it is bound
    company = db.session.get(Tenant, to_tenant_id)
    record("kpi_set.copy", kpi_set, after={"level": kpi_set.level, "to_company": company.name})
    return copy
