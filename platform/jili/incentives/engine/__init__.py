"""The calculation engine: set-based facts, plan versions in force, immutable
runs with budget control, re-run diffs and pilot runs.

Modules: ``facts`` (the period's facts in a few grouped queries), ``versions``
(plans and versions in force, eligibility), ``budget`` (the ceiling),
``storage`` (fingerprint, run rows and lines), ``runs`` (calculating, reading
and comparing runs).

Entry points: :func:`calculate_period` (a final run), :func:`pilot_run`,
:func:`latest_run`, :func:`diff_runs`, :func:`run_lines`.
"""

from jili.incentives.engine.facts import build_facts, period_info, team_tree
from jili.incentives.engine.runs import (
    BudgetCutUnconfirmed,
    CalculationFailed,
    DiffRow,
    PeriodLocked,
    calculate_period,
    diff_runs,
    is_pilotable,
    latest_run,
    load_subtree,
    person_totals,
    pilot_diff,
    pilot_run,
    previous_run,
    run_lines,
)
from jili.incentives.engine.versions import (
    PlanEntry,
    PlanStatus,
    narrow,
    pick_version,
    plans_for_period,
)

__all__ = [
    "BudgetCutUnconfirmed",
    "CalculationFailed",
    "DiffRow",
    "PeriodLocked",
    "PlanEntry",
    "PlanStatus",
    "build_facts",
    "calculate_period",
    "diff_runs",
    "is_pilotable",
    "latest_run",
    "load_subtree",
    "narrow",
    "period_info",
    "person_totals",
    "pick_version",
    "pilot_diff",
    "pilot_run",
    "plans_for_period",
    "previous_run",
    "run_lines",
    "team_tree",
]
