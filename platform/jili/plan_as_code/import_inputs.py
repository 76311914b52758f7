"""Importing a tenant file, last part: the period inputs — sales targets,
metric values, profit, one-off awards, and transactions with their credits
(through the same importer as a CSV upload).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from flask_babel import gettext as _

from jili.extensions import db
from jili.inputs.models import MetricValue, OneOffAwardGrant, ProfitEntry, SalesTarget
from jili.plan_as_code.reader import FileReader
from jili.targets.services.metrics import metric_order


def make_targets(r: FileReader) -> None:
    n = 0
    seen = set()
    codes = list(metric_order(r.tenant.id))
    for where, row in r.entries("targets"):
        r.known(where, row, ("period", "person", "team", "challenge", *codes))
        period = r.period(where, row)
        subject = r.subject(where, row)
        values = {
            k: r.decimal(where, row, k, required=False, money=True) for k in codes if k in row
        }
        challenge = row.get("challenge", {})
        if not isinstance(challenge, dict):
            r.err(where, _("challenge: give a table of metric = value."))
            challenge = {}
        r.known(where + ".challenge", challenge, codes)
        challenges = {
            k: r.decimal(where + ".challenge", challenge, k, required=False, money=True)
            for k in codes
            if k in challenge
        }
        if period is None or subject is None:
            continue
        if (period.id, subject) in seen:
            r.err(where, _("A second target for the same period and person or team."))
            continue
        seen.add((period.id, subject))
        for code, value in values.items():
            if value is None:
                continue
            db.session.add(
                SalesTarget(
                    tenant_id=r.tenant.id,
                    period_id=period.id,
                    person_id=subject[0],
                    team_id=subject[1],
                    metric=code,
                    baseline=value,
                    challenge=challenges.get(code),
                )
            )
        n += 1
    r.counts["targets"] = n


def make_metrics(r: FileReader) -> None:
    n = 0
    seen = set()
    allowed = (
        "period",
        "person",
        "team",
        "metric",
        "weight",
        "actual",
        "target",
        "higher_is_better",
    )
    for where, row in r.entries("metrics"):
        r.known(where, row, allowed)
        period = r.period(where, row)
        subject = r.subject(where, row)
        metric = r.text(where, row, "metric", limit=80)
        weight = r.decimal(where, row, "weight", required=False, minimum=0)
        actual = r.decimal(where, row, "actual")
        target = r.decimal(where, row, "target", required=False)
        higher = r.boolean(where, row, "higher_is_better", True)
        if None in (period, subject, metric, actual):
            continue
        key = (period.id, subject, metric)
        if key in seen:
            r.err(where, _("Metric %(metric)s appears twice for the same period.", metric=metric))
            continue
        seen.add(key)
        db.session.add(
            MetricValue(
                tenant_id=r.tenant.id,
                period_id=period.id,
                person_id=subject[0],
                team_id=subject[1],
                metric=metric,
                weight=weight if weight is not None else Decimal(0),
                actual=actual,
                target=target,
                higher_is_better=higher,
            )
        )
        n += 1
    r.counts["metrics"] = n


def make_profit(r: FileReader) -> None:
    n = 0
    seen = set()
    for where, row in r.entries("profit"):
        r.known(where, row, ("period", "amount", "note"))
        period = r.period(where, row)
        amount = r.decimal(where, row, "amount", money=True)
        note = r.text(where, row, "note", required=False, limit=500)
        if period is None or amount is None or note is None:
            continue
        if period.id in seen:
            r.err(where, _("A second profit entry for period %(label)s.", label=period.label))
            continue
        seen.add(period.id)
        db.session.add(
            ProfitEntry(tenant_id=r.tenant.id, period_id=period.id, amount=amount, note=note)
        )
        n += 1
    r.counts["profit"] = n


def make_awards(r: FileReader) -> None:
    n = 0
    for where, row in r.entries("awards"):
        r.known(where, row, ("period", "person", "kind", "amount", "reason", "approved_by"))
        period = r.period(where, row)
        person = r.person(where, row.get("person"))
        kind = r.text(where, row, "kind", limit=60)
        amount = r.decimal(where, row, "amount", money=True, minimum=0)
        reason = r.text(where, row, "reason", limit=500)
        approver = r.text(where, row, "approved_by", required=False, limit=254)
        if None in (period, person, kind, amount, reason, approver):
            continue
        db.session.add(
            OneOffAwardGrant(
                tenant_id=r.tenant.id,
                period_id=period.id,
                person_id=person.id,
                kind=kind,
                amount=amount,
                reason=reason,
                approved_by_label=approver,
            )
        )
        n += 1
    r.counts["awards"] = n


def make_transactions(r: FileReader) -> None:
    from jili.inputs.services.transactions import COLUMNS, import_transaction_rows

    rows, wheres = [], []
    for where, row in r.entries("transactions"):
        ext = row.get("external_id")
        where = f"{where} ({ext})" if isinstance(ext, str) else where
        r.known(where, row, COLUMNS)
        out: dict[str, str] = {}
        for key in COLUMNS:
            value = row.get(key)
            if value is None:
                continue
            if isinstance(value, bool):
                out[key] = "yes" if value else "no"
            elif isinstance(value, date):
                out[key] = value.isoformat()
            elif isinstance(value, float):
                r.err(where, _('%(key)s: write amounts as text, e.g. "1250.50".', key=key))
            elif isinstance(value, int | str):
                out[key] = str(value)
            else:
                r.err(where, _("%(key)s has an unexpected value.", key=key))
        rows.append(out)
        wheres.append(where)
    if r.errors or not rows:
        r.counts["transactions"] = 0
        return
    outcome = import_transaction_rows(r.tenant, rows, source=r.source or "tenant file", first_row=1)
    for e in outcome.errors:
        where = wheres[e.row - 1] if e.row and 0 < e.row <= len(wheres) else "transactions"
        r.err(where, f"{e.column}: {e.message}" if e.column else e.message)
    r.counts["transactions"] = outcome.created
