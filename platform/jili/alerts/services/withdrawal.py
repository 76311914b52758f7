"""Withdrawing alerts whose rule no longer holds.

Each evaluation (the daily run, and the re-check after an import, a published
target, an approved adjustment or a correction of actuals) measures an open
alert's periods again with its rule as it stands. When they are no longer all
below the threshold — an actual was corrected, a target adjusted, a value
removed — the alert is withdrawn: kept, marked with when and what the rule saw
then, and audit-logged in words. Nobody is notified (a withdrawal is good news
and must not become noise); the alert's page and list say it. An alert of a rule
that is no longer active stays as it was. Should the rule hold again for the
same period, evaluation raises the same alert again (and notifies as usual).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal

from jili.alerts.models import Alert, AlertRule
from jili.audit import services as audit
from jili.dbtypes import utcnow
from jili.extensions import db
from jili.periods.models import Period


def _measured(values) -> str:
    """[[label, value], …] as "2026-10 65.00, 2026-11 —" for the audit log."""
    return ", ".join(f"{label} {'—' if v is None else v}" for label, v in values or ())


def withdraw_stale(
    tenant_id: int,
    rules: list[AlertRule],
    alerts: list[Alert],
    today: date,
    periods_of: Callable[[str], list[Period]],
    value_of: Callable,
) -> list[Alert]:
    """Withdraw those of ``alerts`` (open ones, of the active ``rules``) whose rule
    no longer holds for their periods as of ``today``; the ones withdrawn.
    ``periods_of(kind)`` gives the ended periods of a kind, ``value_of(rule,
    tenant_id, period, person_id, today)`` what the rule measures."""
    active = {rule.id: rule for rule in rules}
    withdrawn = []
    for alert in alerts:
        rule = active.get(alert.rule_id)
        if alert.is_withdrawn or rule is None:
            continue
        periods = {p.label: p for p in periods_of(rule.period_kind)}
        streak = [periods.get(v[0]) for v in alert.values or ()]
        if not streak or None in streak:
            continue  # its periods are not of the rule's kind any more: left as it is
        now = [value_of(rule, tenant_id, p, alert.person_id, today) for p in streak]
        threshold = Decimal(rule.threshold)
        if all(v is not None and v < threshold for v in now):
            continue
        seen = [[p.label, None if v is None else str(v)] for p, v in zip(streak, now, strict=True)]
        alert.withdrawn_at, alert.withdrawn_values = utcnow(), seen
        audit.record(
            "alert.withdraw",
            alert,
            object_type="Alert",
            before={"measured": _measured(alert.values)},
            after={"measured": _measured(seen), "person_id": alert.person_id,
                   "period_id": alert.period_id, "level": alert.level},
        )  # fmt: skip
        withdrawn.append(alert)
    db.session.flush()
    return withdrawn
