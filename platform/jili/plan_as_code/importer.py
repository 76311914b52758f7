"""Plan as code, import: create a tenant from a tenant file.

:func:`import_tenant` creates a tenant from a parsed tenant file (see
:mod:`jili.plan_as_code.export` for what one holds) in one transaction,
validating everything (scheme settings through the scheme's own
``validate_settings``) and naming the entry at fault; on any problem nothing
is written and :class:`~jili.plan_as_code.schema.TenantFileError` lists every
problem found. The steps live in ``import_org``, ``import_plans`` and
``import_inputs``; this module runs them in order. The format is described in
docs/PLAN_AS_CODE.md.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from typing import Any

from flask_babel import gettext as _

from jili.accounts.models import Tenant
from jili.audit import services as audit
from jili.extensions import db
from jili.plan_as_code import evaluation, evaluation_cycle, letters_io
from jili.plan_as_code.import_calendar_alerts import make_alert_rules, make_calendar
from jili.plan_as_code.import_inputs import (
    make_awards,
    make_metrics,
    make_profit,
    make_targets,
    make_transactions,
)
from jili.plan_as_code.import_org import make_people, make_periods, make_teams, make_tenant
from jili.plan_as_code.import_plans import make_budget, make_plans, make_schemes
from jili.plan_as_code.reader import FileReader
from jili.plan_as_code.schema import FORMAT, TOP_LEVEL, TenantFileError
from jili.plan_as_code.targets_section import make_target_metrics, make_target_publications
from jili.tenancy import bound_tenant


def read_toml(text: str | bytes) -> dict[str, Any]:
    """Parse TOML text; a syntax error becomes a :class:`TenantFileError`."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise TenantFileError([_("The file is not UTF-8 text.")]) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise TenantFileError([_("Not a valid TOML file: %(error)s", error=str(exc))]) from None


def import_tenant(
    data: Mapping[str, Any],
    *,
    slug: str | None = None,
    source: str = "",
    actor=None,
    commit: bool = True,
) -> Tenant:
    """Create the tenant described by ``data`` (a parsed tenant file), under
    ``slug`` if given. Everything or nothing: on any problem the session is
    rolled back and :class:`TenantFileError` lists every problem found.
    With ``commit=False`` the caller commits (and may add to the transaction)."""
    try:
        tenant = _run(FileReader(data, slug, source, actor))
        if commit:
            db.session.commit()
        return tenant
    except Exception:
        db.session.rollback()
        raise


def _check_top_level(r: FileReader) -> None:
    if not isinstance(r.data, Mapping):
        raise TenantFileError([_("The file must be a TOML document.")])
    for key in r.data:
        if key not in TOP_LEVEL:
            r.err(
                key,
                _(
                    "Unknown section (expected: %(allowed)s).",
                    allowed=", ".join(TOP_LEVEL),
                ),
            )
    if r.data.get("format", FORMAT) != FORMAT:
        r.err("format", _("This Jili reads format %(n)d files.", n=FORMAT))
    r.stop_if_errors()


def _run(r: FileReader) -> Tenant:
    _check_top_level(r)
    tenant = make_tenant(r)
    with bound_tenant(tenant.id):
        make_periods(r)
        make_teams(r)
        r.stop_if_errors()
        make_people(r)
        r.stop_if_errors()
        make_schemes(r)
        make_budget(r)
        make_plans(r)
        evaluation.make_config(r)
        make_target_metrics(r)
        r.stop_if_errors()
        make_targets(r)
        make_target_publications(r)
        make_metrics(r)
        make_profit(r)
        make_awards(r)
        make_calendar(r)
        make_alert_rules(r)
        r.stop_if_errors()
        evaluation.make_scorecards(r)
        evaluation_cycle.make_deadlines(r)
        evaluation_cycle.make_cycles(r)
        r.stop_if_errors()
        make_transactions(r)
        r.stop_if_errors()
        letters_io.make_letter_template(r, tenant.id)
        letters_io.make_adjustment_rule(r, tenant.id)
        r.stop_if_errors()
        db.session.flush()
        audit.record(
            "tenant.import",
            tenant,
            tenant_id=tenant.id,
            actor=r.actor,
            after={"source": r.source, "slug": tenant.slug, **r.counts},
        )
        db.session.flush()
    return tenant
