"""Plan as code for the responsibility letter template and the adjustment rule:
``[letter_template]`` and ``[adjustments]`` in the tenant file (only when the
tenant saved them; a tenant on the defaults exports neither)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from jili.adjustments import services as adjustments
from jili.adjustments.models import AdjustmentSetting
from jili.extensions import db
from jili.letters import services as letters
from jili.money import NumberError, parse_decimal
from jili.plan_as_code.reader import FileReader

TEMPLATE_KEYS = letters.TEMPLATE_FIELDS


def export_sections(tenant_id: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    t = letters.saved_template(tenant_id)
    if t is not None:
        out["letter_template"] = {k: getattr(t, k) for k in TEMPLATE_KEYS}
    setting = db.session.scalar(
        select(AdjustmentSetting).where(AdjustmentSetting.tenant_id == tenant_id)
    )
    if setting is not None:
        out["adjustments"] = {"limit_pct": f"{setting.limit_pct:.2f}"}
    return out


def make_letter_template(r: FileReader, tenant_id: int) -> None:
    raw = r.data.get("letter_template")
    if raw is None:
        return
    where = "letter_template"
    if not isinstance(raw, dict):
        r.err(where, _("Must be a table."))
        return
    r.known(where, raw, TEMPLATE_KEYS)
    values, errors = letters.clean_template(raw)
    for key, message in errors.items():
        r.err(f"{where}.{key}", message)
    if not errors:
        letters.save_template(tenant_id, values, r.actor)


def make_adjustment_rule(r: FileReader, tenant_id: int) -> None:
    raw = r.data.get("adjustments")
    if raw is None:
        return
    where = "adjustments"
    if not isinstance(raw, dict):
        r.err(where, _("Must be a table."))
        return
    r.known(where, raw, ("limit_pct",))
    try:
        pct = parse_decimal(str(raw.get("limit_pct", "")), places=2, limit=Decimal(100000))
        adjustments.set_limit(tenant_id, pct, r.actor)
    except (NumberError, adjustments.AdjustmentError, ValueError):
        r.err(
            f"{where}.limit_pct",
            _("Enter a percentage from 0 to 1000, with at most two decimals."),
        )
