"""``jili calc``: calculate a tenant's period from the command line.

    jili calc --tenant SLUG --period 2024-Q3 [--json] [--latest]

Prints the total per person and plan. ``--latest`` prints the period's latest
run without calculating again (a published or closed period cannot be
recalculated). The ``--json`` output is documented in docs/CLI.md and stable:
keys never change meaning, amounts are strings with the currency's decimals,
people are ordered by employee number and plans by priority then id.
"""

from __future__ import annotations

import json
import unicodedata
from collections import defaultdict
from decimal import Decimal

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from jili.accounts.models import Tenant
from jili.extensions import db
from jili.incentives.models import Plan
from jili.org.models import Person
from jili.periods.models import Period
from jili.tenancy import bound_tenant

JSON_FORMAT_VERSION = 1


def run_report(tenant: Tenant, period: Period, run) -> dict:
    """The run as the documented JSON structure."""
    from jili.incentives.engine import run_lines

    people = {
        p.id: p for p in db.session.scalars(select(Person).where(Person.tenant_id == tenant.id))
    }
    plan_names = {
        p.id: p.name for p in db.session.scalars(select(Plan).where(Plan.tenant_id == tenant.id))
    }
    per_person: dict[int, dict[int, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    per_plan: dict[int, Decimal] = defaultdict(Decimal)
    for line in run_lines(run):
        per_person[line.person_id][line.plan_id] += line.amount
        per_plan[line.plan_id] += line.amount
    plans = []
    for entry in run.plans:
        pid = entry["plan_id"]
        plans.append(
            {
                "plan": plan_names.get(pid, entry["plan_name"]),
                "scheme": entry["scheme_key"],
                "version": entry["version"],
                "status": entry["status"],
                "total": str(per_plan.get(pid, Decimal("0.00"))),
            }
        )
    rows = []
    for person_id, by_plan in per_person.items():
        person = people.get(person_id)
        rows.append(
            {
                "employee_no": person.employee_no if person else str(person_id),
                "name": person.name if person else "",
                "total": str(sum(by_plan.values(), Decimal("0.00"))),
                "plans": {plan_names.get(k, str(k)): str(v) for k, v in sorted(by_plan.items())},
            }
        )
    rows.sort(key=lambda r: r["employee_no"])
    budget = run.budget or {}
    return {
        "format": JSON_FORMAT_VERSION,
        "tenant": tenant.slug,
        "period": period.label,
        "period_status": period.status.value,
        "currency": tenant.currency,
        "run": run.number,
        "fingerprint": run.fingerprint,
        "total": str(run.total),
        "budget": {
            "ceiling": budget.get("ceiling"),
            "rule": budget.get("rule"),
            "applied": bool(budget.get("applied")),
            "total_before": budget.get("total_before"),
            "total_after": budget.get("total_after"),
        },
        "plans": plans,
        "people": rows,
    }


def _pad(text: str, width: int) -> str:
    """Left-justify for a terminal: CJK characters take two columns."""
    used = sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)
    return text + " " * max(0, width - used)


def print_text(report: dict) -> None:
    click.echo(
        f"{report['tenant']} {report['period']} — run {report['run']} "
        f"({report['period_status']}), {report['currency']}"
    )
    budget = report["budget"]
    if budget["ceiling"] is not None:
        state = "applied" if budget["applied"] else "not reached"
        click.echo(
            f"budget ceiling {budget['ceiling']} ({budget['rule']}): {state}; "
            f"{budget['total_before']} → {budget['total_after']}"
        )
    click.echo("")
    for plan in report["plans"]:
        click.echo(
            f"  {_pad(plan['plan'], 24)} {plan['scheme']:<20} v{plan['version'] or '-':<3} "
            f"{plan['status']:<13} {plan['total']:>16}"
        )
    click.echo("")
    for person in report["people"]:
        click.echo(
            f"  {person['employee_no']:<10} {_pad(person['name'], 16)} {person['total']:>16}"
        )
        for plan, amount in person["plans"].items():
            click.echo(f"      {_pad(plan, 38)} {amount:>16}")
    click.echo(f"\n  total {report['total']:>16}")


@click.command("calc")
@click.option("--tenant", "slug", required=True, help="The tenant's slug.")
@click.option("--period", "label", required=True, help="The period's label, e.g. 2024-Q3.")
@click.option("--json", "as_json", is_flag=True, help="Print the documented JSON output.")
@click.option("--latest", is_flag=True, help="Show the latest run instead of calculating.")
@click.option(
    "--confirm-budget-cut",
    "confirm_cut",
    is_flag=True,
    help="Store the run even when the budget ceiling removes more than half of the payouts.",
)
@with_appcontext
def calc_command(slug: str, label: str, as_json: bool, latest: bool, confirm_cut: bool):
    """Calculate a period and print totals per person and plan."""
    from jili.incentives.engine import (
        BudgetCutUnconfirmed,
        CalculationFailed,
        PeriodLocked,
        calculate_period,
        latest_run,
    )

    tenant = db.session.scalar(select(Tenant).where(Tenant.slug == slug))
    if tenant is None:
        raise click.ClickException(f"no tenant {slug!r}")
    with bound_tenant(tenant.id):
        period = db.session.scalar(
            select(Period).where(Period.tenant_id == tenant.id, Period.label == label)
        )
        if period is None:
            raise click.ClickException(f"tenant {slug!r} has no period {label!r}")
        if latest:
            run = latest_run(tenant.id, period.id)
            if run is None:
                raise click.ClickException(f"{label} has not been calculated yet")
        else:
            try:
                run = calculate_period(tenant, period, confirm=confirm_cut)
            except BudgetCutUnconfirmed as exc:
                raise click.ClickException(
                    f"nothing stored: {exc}; run again with --confirm-budget-cut to keep it"
                ) from exc
            except PeriodLocked as exc:
                raise click.ClickException(
                    f"{label} is {period.status.value}: reopen it to calculate again, "
                    "or use --latest to show its latest run"
                ) from exc
            except CalculationFailed as exc:
                raise click.ClickException(f"calculation failed, nothing stored: {exc}") from exc
        report = run_report(tenant, period, run)
    if as_json:
        click.echo(json.dumps(report, ensure_ascii=False, indent=2, sort_keys=True))
    else:
        print_text(report)
