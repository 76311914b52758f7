"""The schemes a tenant enabled, what that makes of a plan's status, and the
tenant's budget settings. No request code here; nothing commits, the caller does."""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from jili.audit import services as audit
from jili.dbtypes import utcnow
from jili.extensions import db
from jili.incentives.models import (
    CEILING_KINDS,
    BudgetRuleChoice,
    IncentiveSetting,
    TenantScheme,
    ceiling_fields,
)
from jili.incentives.services.plans import PlanError
from jili.money import MONEY_LIMIT, NumberError, numeric_limit, parse_decimal
from jili.schemes import registry as scheme_registry

HUNDRED = Decimal(100)


# --- schemes a tenant enabled -----------------------------------------------------


def enabled_scheme_keys(tenant_id: int) -> set[str]:
    """The scheme keys ``tenant_id`` enabled (installed or not: filter with
    :func:`jili.schemes.available_schemes` for the usable ones)."""
    return set(
        db.session.scalars(
            select(TenantScheme.scheme_key).where(
                TenantScheme.tenant_id == tenant_id, TenantScheme.enabled.is_(True)
            )
        )
    )


def tenant_schemes(tenant_id: int) -> dict[str, TenantScheme]:
    """Every scheme row of the tenant (enabled or disabled again), by key."""
    rows = db.session.scalars(select(TenantScheme).where(TenantScheme.tenant_id == tenant_id))
    return {r.scheme_key: r for r in rows}


def set_scheme_enabled(tenant_id: int, scheme_key: str, enabled: bool) -> TenantScheme:
    """Enable or disable ``scheme_key`` for the tenant (upsert), audited.

    Enabling needs the scheme installed; disabling works for a scheme that is
    not installed any more. Raises :class:`PlanError` otherwise."""
    row = tenant_schemes(tenant_id).get(scheme_key)
    if enabled and scheme_registry.get_registry().get(scheme_key) is None:
        raise PlanError({"scheme_key": _("This scheme is not installed.")})
    if row is None:
        if not enabled:
            raise PlanError({"scheme_key": _("This scheme is not enabled.")})
        row = TenantScheme(tenant_id=tenant_id, scheme_key=scheme_key, enabled=True)
        db.session.add(row)
    elif row.enabled == enabled:
        return row
    else:
        row.enabled = enabled
        row.changed_at = utcnow()
    db.session.flush()
    audit.record(
        "scheme.enable" if enabled else "scheme.disable",
        row,
        after={"scheme_key": scheme_key, "enabled": enabled},
    )
    return row


class PlanStatus(enum.StrEnum):
    ACTIVE = "active"  # calculated
    DISABLED = "disabled"  # scheme disabled for the tenant: not calculated
    UNAVAILABLE = "unavailable"  # scheme not installed: cannot be calculated or edited
    NOT_IN_FORCE = "not_in_force"  # (for a period) no version effective for it yet


def plan_status(scheme_key: str, enabled_keys: Iterable[str]) -> PlanStatus:
    if scheme_registry.get_registry().get(scheme_key) is None:
        return PlanStatus.UNAVAILABLE
    if scheme_key not in set(enabled_keys):
        return PlanStatus.DISABLED
    return PlanStatus.ACTIVE


# --- budget -----------------------------------------------------------------------

#: Each period kind's ceiling (amount, percent of revenue), then the rule and release.
CEILING_FIELDS = [name for kind in CEILING_KINDS for name in ceiling_fields(kind)]
BUDGET_FIELDS = [
    *CEILING_FIELDS,
    "budget_rule",
    "release_from_attainment_pct",
    "release_pct",
]


def incentive_setting(tenant_id: int) -> IncentiveSetting:
    """The tenant's budget settings; a new, unsaved default when none are saved."""
    row = db.session.scalar(select(IncentiveSetting).where(IncentiveSetting.tenant_id == tenant_id))
    if row is None:
        row = IncentiveSetting(
            tenant_id=tenant_id,
            **dict.fromkeys(CEILING_FIELDS),
            budget_rule=BudgetRuleChoice.PROPORTIONAL,
            release_from_attainment_pct=None,
            release_pct=Decimal(0),
        )
    return row


def parse_budget(form: Mapping[str, str]) -> tuple[dict[str, Any], dict[str, str]]:
    """Budget settings from form input: ``(values, errors by field)``."""
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}

    def number(name: str, *, maximum: Decimal | None = None, places: int = 4) -> Decimal | None:
        text = (form.get(name) or "").strip()
        if not text:
            return None
        # The columns: the amount is Money, the percentages Numeric(9, 4).
        limit = MONEY_LIMIT if places == 2 else numeric_limit(9, 4)
        try:
            return parse_decimal(
                text, places=places, limit=limit, minimum=Decimal(0), maximum=maximum
            )
        except NumberError as exc:
            reason, errors[name] = exc.reason, str(exc)
        if reason == "number":
            errors[name] = _("Enter a number.")
        elif reason == "small":
            errors[name] = _("Must be at least %(n)s.", n=0)
        elif reason == "places":
            errors[name] = _("At most %(n)s decimals.", n=places)
        elif reason == "max":
            errors[name] = _("Must be at most %(n)s.", n=maximum)
        return None

    for kind in CEILING_KINDS:
        amount, pct = ceiling_fields(kind)
        values[amount] = number(amount, places=2)
        values[pct] = number(pct, maximum=HUNDRED)
    rule = (form.get("budget_rule") or "").strip()
    if rule not in {r.value for r in BudgetRuleChoice}:
        errors["budget_rule"] = _("Not one of the choices.")
    else:
        values["budget_rule"] = BudgetRuleChoice(rule)
    values["release_from_attainment_pct"] = number("release_from_attainment_pct")
    values["release_pct"] = number("release_pct", maximum=HUNDRED * 10)
    if values["release_from_attainment_pct"] is None and values["release_pct"]:
        if "release_from_attainment_pct" not in errors:
            errors["release_from_attainment_pct"] = _(
                "Say from which attainment the extra budget is released."
            )
    if values["release_from_attainment_pct"] is not None and not values["release_pct"]:
        if "release_pct" not in errors:
            errors["release_pct"] = _("Enter the extra budget released (%), more than 0.")
    values["release_pct"] = values["release_pct"] or Decimal(0)
    return values, errors


def save_budget(tenant_id: int, values: Mapping[str, Any]) -> IncentiveSetting:
    """Store parsed budget settings (audited ``budget.update``)."""
    row = incentive_setting(tenant_id)
    is_new = row.id is None
    before = None if is_new else audit.snapshot(row, BUDGET_FIELDS)
    for name in BUDGET_FIELDS:
        setattr(row, name, values[name])
    if is_new:
        db.session.add(row)
    db.session.flush()
    audit.record("budget.update", row, before=before, after=audit.snapshot(row, BUDGET_FIELDS))
    return row
