"""``jili alerts evaluate --tenant SLUG``: evaluate a company's alert rules now."""

from __future__ import annotations

from datetime import date

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from jili.accounts.models import Tenant
from jili.alerts import services
from jili.extensions import db
from jili.tenancy import bound_tenant


@click.group("alerts")
def alerts_cli():
    """Alert rules and improvement plans."""


@alerts_cli.command("evaluate")
@click.option("--tenant", "slug", required=True, help="The company's slug.")
@click.option(
    "--today",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Evaluate as of this day (default: the company's today).",
)
@with_appcontext
def alerts_evaluate(slug: str, today):
    """Raise the alerts the rules find and tell about late improvement plans."""
    from jili.plan_as_code.demo import tenant_today

    tenant = db.session.scalar(select(Tenant).where(Tenant.slug == slug))
    if tenant is None:
        raise click.ClickException(f"no tenant {slug!r}")
    day: date = today.date() if today else tenant_today(tenant)
    with bound_tenant(tenant.id):
        out = services.evaluate(tenant.id, day)
        late = services.notify_late(tenant.id, day)
        db.session.commit()
    click.echo(
        f"{slug}: {len(out.raised)} alert(s) raised, {len(out.plans)} improvement plan(s) "
        f"asked, {len(late)} late plan(s) reported (as of {day.isoformat()})"
    )
