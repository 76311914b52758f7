"""Storing runs: the fingerprint of a run's inputs, the run row, its payout
lines in one driver-level insert, and the audit entry."""

from __future__ import annotations

import hashlib
import json
from datetime import date
from decimal import Decimal
from typing import Any

from jili.accounts.models import Tenant
from jili.audit import services as audit
from jili.extensions import db
from jili.incentives.engine.budget import Calculated
from jili.incentives.engine.natural import (
    NaturalKeys,
    award_row,
    canonical,
    people_texts,
    plan_row,
    team_texts,
)
from jili.incentives.engine.timings import phase
from jili.incentives.engine.versions import PlanEntry, PlanStatus
from jili.incentives.models import (
    CalculationRun,
    PayoutLineRecord,
    PlanVersion,
    RunKind,
    run_number_next,
)
from jili.periods.models import Period, PeriodStatus
from jili.schemes import BudgetOutcome, BudgetPolicy, PayoutLine, PeriodFacts

ZERO = Decimal(0)


# -- fingerprint -----------------------------------------------------------------


def plain(value: Any) -> Any:
    """``value`` as JSON-ready data: Decimals and dates as strings."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if hasattr(value, "__dataclass_fields__"):
        return {k: plain(getattr(value, k)) for k in value.__dataclass_fields__}
    return value


def fingerprint(
    facts: PeriodFacts, entries: list[PlanEntry], policy: dict, keys: NaturalKeys
) -> str:
    """sha256 over the facts, the plan versions with their settings and the budget,
    every person, team and plan by its natural key (employee number, team name,
    plan name and version number, period label) and never by database id — so
    equal inputs give an equal fingerprint after an export → import and in
    another database. ``keys`` translates ids (:meth:`NaturalKeys.of_tenant`).
    """
    plans = [plan_row(e, keys) for e in entries]
    payload = {
        "period": plain(facts.period),
        "profit": canonical(facts.profit),
        "awards": sorted(plain(award_row(a, keys)) for a in facts.one_off_awards),
        "plans": sorted(plans, key=lambda p: (p["priority"], p["plan"])),
        "budget": policy,
    }
    if facts.rating_labels:
        payload["ratings"] = list(facts.rating_labels)
    digest = hashlib.sha256(
        json.dumps(
            plain(payload), sort_keys=True, ensure_ascii=False, separators=(",", ":")
        ).encode()
    )
    for text in people_texts(facts, keys):
        digest.update(text.encode())
    for text in team_texts(facts, keys):
        digest.update(text.encode())
    return digest.hexdigest()


def policy_dict(policy: BudgetPolicy) -> dict:
    """The budget policy as stored on a run (and hashed into its fingerprint)."""
    return {
        "amount": plain(policy.amount),
        "pct_of_revenue": plain(policy.pct_of_revenue),
        "rule": policy.rule.value,
        "release_from_attainment_pct": plain(policy.release_from_attainment_pct),
        "release_pct": plain(policy.release_pct),
    }


# -- lines -----------------------------------------------------------------------


def line_rows(
    tenant_id: int,
    run_id: int,
    calculated: list[Calculated],
    before_budget: list[Decimal] | None = None,
    side: str = "",
) -> list[tuple]:
    """Line rows to insert, as tuples in :data:`LINE_COLUMNS` order with the
    values converted once, here: money to its integer minor units (as
    :class:`jili.money.Money` stores it), the explanation to JSON text and its
    English beside it. ``before_budget`` holds each line's amount before the
    budget ceiling cut it (by default its amount)."""
    units = _minor_units
    rows = []
    for i, (entry, version, line) in enumerate(calculated):
        amount = line.amount
        before = amount if before_budget is None else before_budget[i]
        amount_units = units(amount)
        explanation = line.explanation
        rows.append(
            (
                tenant_id,
                run_id,
                line.person_id,
                entry.plan.id,
                version.id,
                line.scheme_key,
                line.component,
                amount_units,
                amount_units if before is amount else units(before),
                line.once_key,
                side,
                _json(explanation.to_dict()),
                explanation.plain_text(),
            )
        )
    return rows


def _minor_units(amount: Decimal) -> int:
    """``amount`` in the payout columns' integer minor units, as
    :meth:`jili.money.Money.process_bind_param` stores it (which answers, and
    refuses, anything but a finite Decimal in whole minor units that fits)."""
    if type(amount) is Decimal and amount.is_finite():
        scaled = amount.scaleb(_MONEY.scale)
        units = int(scaled)
        if units == scaled and -(2**63) < units < 2**63:
            return units
    return _MONEY.process_bind_param(amount, None)


_MONEY = PayoutLineRecord.__table__.c.amount.type

#: JSON as the lines store it (what ``json.dumps(…, ensure_ascii=False,
#: separators=(",", ":"))`` writes, without building an encoder per line).
_json = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode

LINE_COLUMNS = (
    "tenant_id",
    "run_id",
    "person_id",
    "plan_id",
    "plan_version_id",
    "scheme_key",
    "component",
    "amount",
    "amount_before_budget",
    "once_key",
    "side",
    "explanation",
    "explanation_text",
)


def insert_lines(values: list[tuple]) -> None:
    """Write payout lines (:func:`line_rows`) in one bulk statement.

    SQLite: one driver-level ``executemany``. PostgreSQL: ``COPY`` into a
    temporary table, then one ``INSERT … SELECT`` — COPY FROM cannot write a
    table under row-level security, the INSERT can and its policy checks every
    row (the tenant bound in this transaction)."""
    if not values:
        return
    connection = db.session.connection()
    columns = ", ".join(LINE_COLUMNS)
    if connection.dialect.name == "postgresql":
        _copy_lines(connection, columns, values)
        return
    sql = f"INSERT INTO payout_line ({columns}) VALUES ({', '.join(['?'] * len(LINE_COLUMNS))})"
    connection.exec_driver_sql(sql, values)


def _copy_lines(connection, columns: str, values: list[tuple]) -> None:
    driver = connection.connection.driver_connection  # psycopg 3, this transaction
    with driver.cursor() as cur:
        cur.execute(
            "CREATE TEMPORARY TABLE IF NOT EXISTS payout_line_load "
            f"ON COMMIT DELETE ROWS AS SELECT {columns} FROM payout_line WITH NO DATA"
        )
        cur.execute("TRUNCATE payout_line_load")
        with cur.copy(f"COPY payout_line_load ({columns}) FROM STDIN") as copy:
            for row in values:
                copy.write_row(row)
        cur.execute(f"INSERT INTO payout_line ({columns}) SELECT {columns} FROM payout_line_load")
        cur.execute("TRUNCATE payout_line_load")


# -- runs ------------------------------------------------------------------------


def actor_of(actor) -> tuple[int | None, str]:
    """The id and label a run records for who started it."""
    if actor is None or not getattr(actor, "is_authenticated", True):
        return None, "system"
    return actor.id, getattr(actor, "name", "") or actor.email


def store_final_run(
    tenant: Tenant,
    period: Period,
    entries: list[PlanEntry],
    policy: BudgetPolicy,
    facts: PeriodFacts,
    calculated: list[Calculated],
    before: list[Decimal],
    outcome: BudgetOutcome,
    actor,
    t: float,
    detail: dict | None = None,
    inputs_fingerprint: str | None = None,
) -> CalculationRun:
    """Store a final run of ``calculated`` (cut by the budget; ``before`` holds
    the amounts before the cut), move an open period to calculated, audit it.
    ``t`` is when the current timing phase started; ``detail`` is how the
    ceiling came about (period kind, revenue, factor…), kept in the run's budget
    but not hashed into its fingerprint (the period already is);
    ``inputs_fingerprint`` is that fingerprint when already hashed (a cut that
    was confirmed), so it is not hashed twice."""
    notes = [
        {"plan_id": e.plan.id, "plan_name": e.plan.name, "status": e.status}
        for e in entries
        if e.status != PlanStatus.ACTIVE
    ]
    actor_id, actor_label = actor_of(actor)
    run = CalculationRun(
        tenant_id=tenant.id,
        period_id=period.id,
        number=run_number_next(tenant.id, period.id),
        kind=RunKind.FINAL,
        fingerprint=inputs_fingerprint
        or fingerprint(facts, entries, policy_dict(policy), NaturalKeys.of_tenant(tenant.id)),
        plans=[e.summary() for e in entries],
        budget={
            **policy_dict(policy),
            "ceiling": plain(outcome.ceiling),
            "total_before": plain(outcome.total_before),
            "total_after": plain(outcome.total_after),
            "applied": outcome.applied,
            **(detail or {}),
        },
        notes=notes,
        total=outcome.total_after,
        line_count=len(calculated),
        created_by_id=actor_id,
        created_by_label=actor_label,
    )
    t = phase("fingerprint", t)
    db.session.add(run)
    db.session.flush()
    rows = line_rows(tenant.id, run.id, calculated, before)
    t = phase("line rows (money to units, explanations to JSON)", t)
    insert_lines(rows)
    t = phase("insert run and lines", t)
    if period.status == PeriodStatus.OPEN:
        period.status = PeriodStatus.CALCULATED
    audit.record(
        "run.calculate",
        run,
        tenant_id=tenant.id,
        actor=actor,
        after={
            "period": period.label,
            "number": run.number,
            "total": str(run.total),
            "lines": run.line_count,
            "fingerprint": run.fingerprint,
            "budget_applied": outcome.applied,
            **({"budget_cut_confirmed": True} if (detail or {}).get("confirmed") else {}),
        },
    )
    return run


#: One side of a pilot run: ``"in_force"`` or ``"pilot"``, its version, its lines.
PilotSide = tuple[str, PlanVersion, list[PayoutLine]]


def store_pilot_run(
    tenant: Tenant,
    period: Period,
    entry: PlanEntry,
    pilot: PlanVersion,
    facts: PeriodFacts,
    sides: list[PilotSide],
    actor,
) -> CalculationRun:
    """Store a pilot run of both ``sides`` (it never pays) and audit it."""
    actor_id, actor_label = actor_of(actor)
    total = {side: sum((line.amount for line in lines), ZERO) for side, _v, lines in sides}
    run = CalculationRun(
        tenant_id=tenant.id,
        period_id=period.id,
        number=run_number_next(tenant.id, period.id),
        kind=RunKind.PILOT,
        fingerprint=fingerprint(
            facts, [entry], {"pilot_version": pilot.number}, NaturalKeys.of_tenant(tenant.id)
        ),
        plans=[
            {
                **entry.summary(),
                "pilot_version_id": pilot.id,
                "pilot_version": pilot.number,
                "pilot_team_ids": list(pilot.pilot_team_ids or []),
                "proposal": not pilot.is_pilot,
            }
        ],
        budget={
            "pilot": True,
            "total_in_force": plain(total.get("in_force", ZERO)),
            "total_pilot": plain(total.get("pilot", ZERO)),
        },
        notes=[],
        total=total.get("pilot", ZERO),
        line_count=sum(len(lines) for _s, _v, lines in sides),
        created_by_id=actor_id,
        created_by_label=actor_label,
    )
    db.session.add(run)
    db.session.flush()
    rows = []
    for side, version, lines in sides:
        rows += line_rows(tenant.id, run.id, [(entry, version, line) for line in lines], side=side)
    insert_lines(rows)
    audit.record(
        "run.pilot",
        run,
        tenant_id=tenant.id,
        actor=actor,
        after={
            "period": period.label,
            "plan": entry.plan.name,
            "pilot_version": pilot.number,
            "total_in_force": str(total.get("in_force", ZERO)),
            "total_pilot": str(run.total),
        },
    )
    return run
