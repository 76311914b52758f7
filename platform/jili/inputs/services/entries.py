"""Inputs entered by hand: the period's profit (finance) and one-off awards
(approvers). Each change is audited with before and after; closed periods
refuse them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select

from jili.audit import services as audit
from jili.dbtypes import utcnow
from jili.extensions import db
from jili.inputs.models import OneOffAwardGrant, ProfitEntry
from jili.org.models import Person
from jili.periods.models import Period
from jili.periods.services import PeriodClosed
from jili.schemes import OneOffAward

PROFIT_FIELDS = ["period_id", "amount", "note"]
AWARD_FIELDS = [
    "period_id", "person_id", "kind", "amount", "reason", "approved_by_id", "approved_by_label",
]  # fmt: skip
KIND_RE = re.compile(r"^[a-z0-9_]{1,60}$")


def set_profit(tenant_id: int, period: Period, amount: Decimal, note: str, user) -> ProfitEntry:
    """Create or change the period's profit entry (negative = a loss)."""
    if period.is_closed:
        raise PeriodClosed(period)
    entry = db.session.scalar(
        select(ProfitEntry).where(
            ProfitEntry.tenant_id == tenant_id, ProfitEntry.period_id == period.id
        )
    )
    before = audit.snapshot(entry, PROFIT_FIELDS) if entry else None
    if entry is None:
        entry = ProfitEntry(tenant_id=tenant_id, period_id=period.id)
        db.session.add(entry)
    elif entry.amount == amount and entry.note == note:
        return entry
    entry.amount = amount
    entry.note = note
    entry.entered_by_id = getattr(user, "id", None)
    entry.entered_at = utcnow()
    db.session.flush()
    audit.record(
        "profit.set",
        entry,
        before=before,
        after={**audit.snapshot(entry, PROFIT_FIELDS), "period": period.label},
    )
    return entry


def normalise_kind(text: str) -> str:
    return re.sub(r"[\s\-]+", "_", (text or "").strip().lower())


@dataclass
class KindChoice:
    key: str
    label: str
    minimum: Decimal | None = None
    maximum: Decimal | None = None


def award_kinds(tenant_id: int, period: Period) -> tuple[list[KindChoice], list]:
    """The one-off award kinds the special-awards plans in force for ``period``
    accept, and those plans (entries with a scheme that checks awards)."""
    from jili.incentives.engine import PlanStatus, plans_for_period

    entries = [
        e
        for e in plans_for_period(tenant_id, period)
        if e.status == PlanStatus.ACTIVE and hasattr(e.scheme, "one_off_errors")
    ]
    kinds: dict[str, KindChoice] = {}
    for entry in entries:
        settings = entry.scheme.load_settings(entry.version.settings)
        for kind in getattr(settings, "one_off_kinds", ()):
            kinds.setdefault(kind.key, KindChoice(kind.key, kind.label, kind.minimum, kind.maximum))
    return list(kinds.values()), entries


def award_errors(tenant_id: int, period: Period, award: OneOffAward) -> dict[str, str]:
    """Field → message when a special-awards plan in force would refuse the
    award (its calculation would fail); empty when every one accepts it."""
    _kinds, entries = award_kinds(tenant_id, period)
    for entry in entries:
        errors = entry.scheme.one_off_errors(award, entry.version.settings)
        if errors:
            return {k: str(v) for k, v in errors.items()}
    return {}


def grant_award(
    tenant_id: int,
    period: Period,
    person: Person,
    kind: str,
    amount: Decimal,
    reason: str,
    user,
) -> OneOffAwardGrant:
    if period.is_closed:
        raise PeriodClosed(period)
    award = OneOffAwardGrant(
        tenant_id=tenant_id,
        period_id=period.id,
        person_id=person.id,
        kind=kind,
        amount=amount,
        reason=reason,
        approved_by_id=getattr(user, "id", None),
        approved_by_label=getattr(user, "name", "") or getattr(user, "email", "") or "",
    )
    db.session.add(award)
    db.session.flush()
    audit.record(
        "award.grant",
        award,
        after={
            **audit.snapshot(award, AWARD_FIELDS),
            "period": period.label,
            "person": person.employee_no,
        },
    )
    return award


def delete_award(award: OneOffAwardGrant, period: Period) -> None:
    """Withdraw an award while its period is not closed."""
    if period.is_closed:
        raise PeriodClosed(period)
    audit.record(
        "award.delete",
        award,
        before={**audit.snapshot(award, AWARD_FIELDS), "period": period.label},
    )
    db.session.delete(award)
    db.session.flush()
