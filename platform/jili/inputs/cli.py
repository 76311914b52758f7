"""``jili facts verify|rebuild --tenant SLUG``: compare the facts table with the
credits it sums, or recompute it from them."""

from __future__ import annotations

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from jili.accounts.models import Tenant
from jili.audit import services as audit
from jili.extensions import db
from jili.inputs.services import facts
from jili.tenancy import bound_tenant

#: At most this many differing buckets are printed.
SHOWN = 50


@click.group("facts")
def facts_cli():
    """The sales facts table the calculation reads."""


def _tenant(slug: str) -> Tenant:
    tenant = db.session.scalar(select(Tenant).where(Tenant.slug == slug))
    if tenant is None:
        raise click.ClickException(f"no tenant {slug!r}")
    return tenant


def _describe(diff: facts.Difference) -> str:
    month, person, region, product, new = diff.key
    where = (
        f"{month:%Y-%m} person {person} region {region or '-'} product {product or '-'}"
        f"{' new customer' if new else ''}"
    )
    names = ("booked", "collected", "margin", "deals", "credits", "first deal")

    def said(values):
        return (
            "no row"
            if values is None
            else ", ".join(f"{n} {v}" for n, v in zip(names, values, strict=True))
        )

    return f"  {where}\n    table:   {said(diff.stored)}\n    credits: {said(diff.computed)}"


@facts_cli.command("verify")
@click.option("--tenant", "slug", required=True, help="The company's slug.")
@with_appcontext
def facts_verify(slug: str):
    """Recompute the facts from the credits and compare (exit 1 on a difference)."""
    tenant = _tenant(slug)
    with bound_tenant(tenant.id):
        diffs = facts.verify(db.session(), tenant.id)
        db.session.rollback()
    if not diffs:
        click.echo(f"{slug}: the facts table equals the credits")
        return
    click.echo(f"{slug}: {len(diffs)} bucket(s) differ from the credits:")
    for diff in diffs[:SHOWN]:
        click.echo(_describe(diff))
    if len(diffs) > SHOWN:
        click.echo(f"  … and {len(diffs) - SHOWN} more")
    click.echo(f"repair with: jili facts rebuild --tenant {slug}")
    raise SystemExit(1)


@facts_cli.command("rebuild")
@click.option("--tenant", "slug", required=True, help="The company's slug.")
@with_appcontext
def facts_rebuild(slug: str):
    """Recompute the whole facts table of a company from its credits."""
    tenant = _tenant(slug)
    with bound_tenant(tenant.id):
        before = len(facts.verify(db.session(), tenant.id))
        months = facts.rebuild(db.session(), tenant.id)
        audit.record(
            "facts.rebuild",
            tenant_id=tenant.id,
            object_type="SalesFact",
            after={"months": months, "differences": before},
        )
        db.session.commit()
    click.echo(f"{slug}: {months} month(s) recomputed; {before} bucket(s) were different")
