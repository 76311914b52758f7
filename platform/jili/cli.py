"""The ``jili`` command: operator tasks, demo data. Also available as ``flask jili …``."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import Flask
from flask.cli import FlaskGroup, with_appcontext
from sqlalchemy import func, select

from jili.accounts.models import Membership, Tenant, TenantStatus, User
from jili.accounts.passwords import hash_password, password_problem
from jili.audit import services as audit
from jili.extensions import db
from jili.org.models import Person
from jili.tenancy import all_tenants, bound_tenant


@click.group("operator")
def operator_cli():
    """Platform operators."""


@operator_cli.command("create")
@click.argument("email")
@click.option("--name", default="Operator")
@click.password_option()
@with_appcontext
def operator_create(email: str, name: str, password: str):
    """Create a platform operator (or make an existing user one)."""
    email = email.strip().lower()
    user = db.session.scalar(select(User).where(func.lower(User.email) == email))
    if user is None:
        if problem := password_problem(password, email=email, name=name):
            raise click.ClickException(problem)
        user = User(email=email, name=name, password_hash=hash_password(password))
        db.session.add(user)
    user.is_operator = True
    db.session.commit()
    click.echo(f"operator {email} ready")


@click.group("tenant")
def tenant_cli():
    """Tenants (companies)."""


@tenant_cli.command("list")
@with_appcontext
def tenant_list():
    """List every tenant with its status and size (no tenant data is shown)."""
    with all_tenants():
        people = dict(
            db.session.execute(
                select(Person.tenant_id, func.count(Person.id))
                .group_by(Person.tenant_id)
                .execution_options(all_tenants=True)
            ).all()
        )
        members = dict(
            db.session.execute(
                select(Membership.tenant_id, func.count(Membership.id))
                .group_by(Membership.tenant_id)
                .execution_options(all_tenants=True)
            ).all()
        )
    rows = db.session.scalars(select(Tenant).order_by(Tenant.slug)).all()
    click.echo(f"{'slug':<24} {'status':<10} {'members':>7} {'people':>7}  name")
    for t in rows:
        click.echo(
            f"{t.slug:<24} {t.status.value:<10} {members.get(t.id, 0):>7} "
            f"{people.get(t.id, 0):>7}  {t.name}"
        )


def _set_status(slug: str, status: TenantStatus) -> None:
    tenant = db.session.scalar(select(Tenant).where(Tenant.slug == slug))
    if tenant is None:
        raise click.ClickException(f"no tenant {slug!r}")
    with bound_tenant(tenant.id):
        before = tenant.status
        tenant.status = status
        audit.record(
            "tenant.status",
            tenant,
            tenant_id=tenant.id,
            before={"status": before},
            after={"status": status},
        )
        db.session.commit()
    click.echo(f"{slug}: {status.value}")


@tenant_cli.command("suspend")
@click.argument("slug")
@with_appcontext
def tenant_suspend(slug: str):
    """Suspend a tenant: its users are refused, its data kept."""
    _set_status(slug, TenantStatus.SUSPENDED)


@tenant_cli.command("resume")
@click.argument("slug")
@with_appcontext
def tenant_resume(slug: str):
    """Lift a suspension."""
    _set_status(slug, TenantStatus.ACTIVE)


@tenant_cli.command("export")
@click.argument("slug")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Write to this file instead of standard output.",
)
@with_appcontext
def tenant_export(slug: str, output: Path | None):
    """Write tenant SLUG as a TOML plan file: org, plans with every version, inputs."""
    from jili.plan_as_code.export import export_toml

    tenant = db.session.scalar(select(Tenant).where(Tenant.slug == slug))
    if tenant is None:
        raise click.ClickException(f"no tenant {slug!r}")
    text = export_toml(tenant)
    with bound_tenant(tenant.id):
        audit.record(
            "tenant.export",
            tenant,
            tenant_id=tenant.id,
            after={"file": str(output) if output else "-"},
        )
        db.session.commit()
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        click.echo(f"{slug}: written to {output}", err=True)


@tenant_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--slug", "new_slug", help="Create the tenant under this slug instead.")
@with_appcontext
def tenant_import(file: Path, new_slug: str | None):
    """Create a tenant from a TOML plan file (all or nothing)."""
    from jili.plan_as_code.importer import import_tenant, read_toml
    from jili.plan_as_code.schema import TenantFileError

    try:
        data = read_toml(file.read_bytes())
        tenant = import_tenant(data, slug=new_slug, source=file.name)
    except TenantFileError as exc:
        lines = "\n".join(f"  {e}" for e in exc.errors)
        raise click.ClickException(f"{file.name}: nothing imported:\n{lines}") from None
    click.echo(f"{tenant.slug}: imported from {file.name}")


@click.group("plugins")
def plugins_cli():
    """Scheme plugins."""


@plugins_cli.command("list")
@with_appcontext
def plugins_list():
    """Every installed scheme: key, label, where it comes from."""
    from flask_babel import force_locale

    from jili.schemes import get_registry

    registry = get_registry()
    rows = []
    with force_locale("en"):
        for key, scheme in registry.all().items():
            origin = registry.origin(key)
            where = f"{origin.kind}: {origin.plugin}"
            if origin.distribution:
                where += f" ({origin.distribution})"
            rows.append((key, str(scheme.label), where))
    if not rows:
        click.echo("no scheme installed")
        return
    wk = max(len(r[0]) for r in rows + [("key", "", "")])
    wl = max(len(r[1]) for r in rows + [("", "label", "")])
    click.echo(f"{'key':<{wk}}  {'label':<{wl}}  origin")
    for key, label, where in rows:
        click.echo(f"{key:<{wk}}  {label:<{wl}}  {where}")


@click.group("user")
def user_cli():
    """Logins."""


@user_cli.command("disable")
@click.argument("email")
@with_appcontext
def user_disable(email: str):
    """Disable a login: it cannot log in and its open sessions end."""
    user = db.session.scalar(select(User).where(func.lower(User.email) == email.lower()))
    if user is None:
        raise click.ClickException(f"no user {email!r}")
    user.active = False
    user.rotate_sessions()
    db.session.commit()
    click.echo(f"{email} disabled")


@click.group("demo")
def demo_cli():
    """Demo tenants from tenants/*.toml."""


@demo_cli.command("load")
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option(
    "--today",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Bring the demo up to this day instead of each company's today.",
)
@with_appcontext
def demo_load(directory: Path, today):
    """Load every tenant file in DIRECTORY (tenants that exist are left alone), then
    bring each demo company up to today: sales and targets of the current periods,
    ended periods calculated and published."""
    from jili.plan_as_code.demo import load_current

    for slug, created, outcome in load_current(directory, today.date() if today else None):
        published = ", ".join(outcome.published[-4:]) + (" …" if len(outcome.published) > 4 else "")
        click.echo(
            f"{slug}: {'loaded' if created else 'already there'}; "
            f"{outcome.deals} new deals, {outcome.targets} targets"
            + (f"; published {published}" if outcome.published else "")
        )


@demo_cli.command("logins")
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
def demo_logins(directory: Path):
    """Print the demo logins."""
    from jili.plan_as_code.demo import logins

    click.echo(
        "\nDemo logins, and what each one sees (the address to open follows once Jili is ready):"
    )
    seen: dict[str, dict[tuple[str, str], list[str]]] = {}
    passwords = {}
    for login in logins(directory):
        passwords.setdefault(login.email, login.password)
        seen.setdefault(login.email, {}).setdefault((login.role, login.what), []).append(login.slug)
    for email, password in passwords.items():
        what = " · ".join(
            f"{', '.join(slugs)} ({role}): {text}" for (role, text), slugs in seen[email].items()
        )
        click.echo(f"  {email:<26} {password:<21} {what}")
    click.echo("")


COMMANDS = (operator_cli, tenant_cli, user_cli, demo_cli, plugins_cli)


def init_app(app: Flask) -> None:
    from jili.alerts.cli import alerts_cli
    from jili.backups.cli import backup_command, restore_command
    from jili.incentives.cli import calc_command
    from jili.inputs.cli import facts_cli
    from jili.jobs.cli import jobs_cli

    app.cli.add_command(calc_command)
    app.cli.add_command(alerts_cli)
    app.cli.add_command(jobs_cli)
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)
    app.cli.add_command(facts_cli)
    for command in COMMANDS:
        app.cli.add_command(command)


def _create_app(*_args):
    from jili import create_app

    return create_app()


def main() -> None:
    cli = FlaskGroup(
        create_app=_create_app, add_default_commands=False, help="Jili operator tools."
    )
    sys.exit(cli.main())
