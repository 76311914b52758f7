"""A consultant's copy of a plan version into another company they serve."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import select

from jili.audit import services as audit
from jili.extensions import db
from jili.incentives.models import Plan, PlanVersion
from jili.incentives.services.plans import PlanError, create_plan
from jili.incentives.services.schemes import enabled_scheme_keys
from jili.periods.models import Period
from jili.schemes import registry as scheme_registry
from jili.tenancy import bound_tenant


@dataclass(frozen=True)
class CopyResult:
    plan_id: int
    plan_name: str
    eligibility_dropped: bool


def copy_plan(
    source: Plan,
    version: PlanVersion,
    *,
    target_tenant_id: int,
    target_period_id: int,
    name: str,
    user_id: int | None,
) -> CopyResult:
    """Copy ``version``'s settings into a new plan (version 1) of another tenant.

    The caller has checked that the user may edit plans there. The target must
    have the scheme installed and enabled. Eligibility naming teams, people or
    levels does not carry over (ids differ between tenants): the copy starts
    with everyone eligible. Writes run with the target tenant bound; both
    tenants get an audit entry (``plan.create`` there, ``plan.copy`` here),
    neither naming the other company. Raises :class:`PlanError`."""
    scheme = scheme_registry.get_registry().get(source.scheme_key)
    if scheme is None:
        raise PlanError({"target_tenant_id": _("This plan's scheme is not installed.")})
    from jili.schemes import SettingsError

    try:
        settings = scheme.validate_settings(version.settings)
    except SettingsError:
        raise PlanError(
            {"__all__": _("This version's settings are not valid any more; edit the plan first.")}
        ) from None
    elig = version.eligibility or {}
    dropped = any(elig.get(k) for k in ("team_ids", "levels", "person_ids"))
    with bound_tenant(target_tenant_id):
        if source.scheme_key not in enabled_scheme_keys(target_tenant_id):
            raise PlanError(
                {
                    "target_tenant_id": _(
                        "The scheme %(scheme)s is not enabled in that company: an admin "
                        "there must enable it first.",
                        scheme=str(scheme.label),
                    )
                }
            )
        period = db.session.scalar(
            select(Period).where(
                Period.tenant_id == target_tenant_id, Period.id == target_period_id
            )
        )
        if period is None:
            raise PlanError({"target_period_id": _("Choose a period of that company.")})
        plan, _v = create_plan(
            target_tenant_id,
            name=name,
            scheme_key=source.scheme_key,
            priority=source.priority,
            period=period,
            settings=settings,
            eligibility={"team_ids": [], "levels": [], "person_ids": []},
            user_id=user_id,
            note=_("Copied from another company's plan."),
            audit_extra={"copied": True},
        )
        db.session.flush()
        result = CopyResult(plan.id, plan.name, dropped)
    audit.record(
        "plan.copy",
        source,
        tenant_id=source.tenant_id,
        after={"version": version.number, "copy_name": result.plan_name},
    )
    return result
