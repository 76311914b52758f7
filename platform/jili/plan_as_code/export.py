"""Plan as code, export: a whole tenant as one TOML file.

:func:`export_tenant` writes the tenant's configuration and inputs — teams,
people, fiscal years, enabled schemes, budget, plans with every version, and
the inputs (targets, metric values, profit, one-off awards, transactions with
their credits) — with natural keys instead of ids (team names, employee
numbers, period labels), decimals as strings, in a deterministic order, and
nothing else: no ids, no timestamps, no user accounts, no calculation runs,
no period statuses. :mod:`jili.plan_as_code.importer` reads such a file back.

Exporting what an import created gives the same bytes again. The format is
described in docs/PLAN_AS_CODE.md.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import select

from jili.accounts.models import Tenant
from jili.extensions import db
from jili.incentives.models import (
    CEILING_KINDS,
    ApprovalStatus,
    IncentiveSetting,
    Plan,
    PlanVersion,
    TenantScheme,
)
from jili.inputs.models import (
    MetricValue,
    OneOffAwardGrant,
    ProfitEntry,
    SalesCredit,
    SalesTarget,
    Transaction,
)
from jili.org.models import Person, Team
from jili.periods.models import Period, PeriodKind
from jili.plan_as_code import evaluation, evaluation_cycle, letters_io
from jili.plan_as_code.export_calendar_alerts import alert_rule_rows, calendar_rows
from jili.plan_as_code.schema import (
    FORMAT,
    clean_out,
    id_field_refers_to,
    money_text,
    number_text,
    ordered,
    period_key,
    share_text,
)
from jili.plan_as_code.targets_section import export_metrics, export_publications
from jili.plan_as_code.writer import dumps
from jili.schemes import get_registry
from jili.targets.services.metrics import metric_order
from jili.tenancy import bound_tenant


def export_tenant(tenant: Tenant) -> dict[str, Any]:
    """The tenant as a TOML-ready dict (see the module docstring)."""
    with bound_tenant(tenant.id):
        return _Exporter(tenant).run()


def export_toml(tenant: Tenant) -> str:
    """:func:`export_tenant` as TOML text, with a short header comment."""
    return dumps(export_tenant(tenant))


class _Exporter:
    def __init__(self, tenant: Tenant):
        self.tenant = tenant
        tid = tenant.id
        self.tid = tid
        self.teams = {
            t.id: t for t in db.session.scalars(select(Team).where(Team.tenant_id == tid))
        }
        self.people = {
            p.id: p for p in db.session.scalars(select(Person).where(Person.tenant_id == tid))
        }
        self.periods = {
            p.id: p for p in db.session.scalars(select(Period).where(Period.tenant_id == tid))
        }
        self.team_name = {i: t.name for i, t in self.teams.items()}
        self.person_no = {i: p.employee_no for i, p in self.people.items()}
        self.period_rank = {
            p.id: i for i, p in enumerate(sorted(self.periods.values(), key=period_key))
        }

    def label(self, period_id: int) -> str:
        return self.periods[period_id].label

    def team_names(self, ids: Sequence[int]) -> list[str]:
        return sorted(self.team_name[i] for i in ids if i in self.team_name)

    def person_nos(self, ids: Sequence[int]) -> list[str]:
        return sorted(self.person_no[i] for i in ids if i in self.person_no)

    def run(self) -> dict[str, Any]:
        out: dict[str, Any] = {"format": FORMAT, "tenant": self.tenant_table()}
        weeks = sorted(
            {
                self.periods[p.parent_id].label
                for p in self.periods.values()
                if p.kind == PeriodKind.WEEK and p.parent_id in self.periods
            }
        )
        if weeks:
            out["periods"] = {"weeks_of": weeks}
        for key, rows in (
            ("teams", self.team_rows()),
            ("people", self.people_rows()),
        ):
            if rows:
                out[key] = rows
        schemes = self.schemes()
        if schemes:
            out["schemes"] = schemes
        budget = self.budget()
        if budget:
            out["budget"] = budget
        for key, rows in (
            ("plans", self.plans()),
            ("target_metrics", export_metrics(self.tid)),
            ("targets", self.targets()),
            (
                "target_publications",
                export_publications(self.tid, self.label, self.period_rank.__getitem__),
            ),
            ("metrics", self.metrics()),
            ("profit", self.profit()),
            ("awards", self.awards()),
            ("calendar", calendar_rows(self.tid)),
            ("alert_rules", alert_rule_rows(self.tid)),
        ):
            if rows:
                out[key] = rows
        out.update(
            evaluation.export_sections(self.tid, self.person_no, self.label, self.period_rank)
        )
        out.update(evaluation_cycle.export_sections(self.tid, self.label, self.period_rank))
        out.update(letters_io.export_sections(self.tid))
        transactions = self.transactions()
        if transactions:
            out["transactions"] = transactions
        return out

    def tenant_table(self) -> dict[str, Any]:
        t = self.tenant
        years = sorted(int(p.label) for p in self.periods.values() if p.kind == PeriodKind.YEAR)
        table = {
            "name": t.name,
            "slug": t.slug,
            "currency": t.currency,
            "locale": t.locale,
            "timezone": t.timezone,
            "fiscal_year_start_month": t.fiscal_year_start_month,
        }
        if years:
            table["years"] = years
        if t.plan_self_approval:  # maker-checker is the default: written only when off
            table["plan_self_approval"] = True
        return table

    def team_rows(self) -> list[dict[str, Any]]:
        children: dict[int | None, list[Team]] = defaultdict(list)
        for team in self.teams.values():
            parent = team.parent_id if team.parent_id in self.teams else None
            children[parent].append(team)
        rows, seen = [], set()

        def walk(parent: int | None) -> None:
            for team in sorted(children.get(parent, ()), key=lambda t: t.name):
                if team.id in seen:
                    continue
                seen.add(team.id)
                row = {"name": team.name, "kind": team.kind.value}
                if parent is not None:
                    row["parent"] = self.team_name[parent]
                rows.append(row)
                walk(team.id)

        walk(None)
        # teams caught in a parent cycle (refused on import) are still written
        for team in sorted(self.teams.values(), key=lambda t: t.name):
            if team.id not in seen:
                rows.append(
                    {
                        "name": team.name,
                        "kind": team.kind.value,
                        "parent": self.team_name[team.parent_id],
                    }
                )
        return rows

    def people_rows(self) -> list[dict[str, Any]]:
        rows = []
        for p in sorted(self.people.values(), key=lambda p: p.employee_no):
            row: dict[str, Any] = {
                "employee_no": p.employee_no,
                "name": p.name,
                "level": p.level.value,
            }
            if p.team_id in self.team_name:
                row["team"] = self.team_name[p.team_id]
            if p.manager_id in self.person_no:
                row["manager"] = self.person_no[p.manager_id]
            if p.mentor_id in self.person_no:
                row["mentor"] = self.person_no[p.mentor_id]
            if p.hire_date is not None:
                row["hire_date"] = p.hire_date
            row["base_salary"] = money_text(p.base_salary or 0)
            rows.append(row)
        return rows

    def schemes(self) -> dict[str, list[str]]:
        rows = db.session.scalars(select(TenantScheme).where(TenantScheme.tenant_id == self.tid))
        enabled, disabled = [], []
        for row in rows:
            (enabled if row.enabled else disabled).append(row.scheme_key)
        out = {}
        if enabled:
            out["enabled"] = sorted(enabled)
        if disabled:
            out["disabled"] = sorted(disabled)
        return out

    def budget(self) -> dict[str, Any]:
        s = db.session.scalar(
            select(IncentiveSetting).where(IncentiveSetting.tenant_id == self.tid)
        )
        if s is None:
            return {}
        out: dict[str, Any] = {}
        for kind in CEILING_KINDS:  # each kind's ceiling, an inline table when set
            amount, pct = s.ceiling_for(kind)
            ceiling = {}
            if amount is not None:
                ceiling["amount"] = money_text(amount)
            if pct is not None:
                ceiling["pct_of_revenue"] = number_text(pct)
            if ceiling:
                out[kind] = ceiling
        out["rule"] = s.budget_rule.value
        if s.release_from_attainment_pct is not None:
            out["release_from_attainment_pct"] = number_text(s.release_from_attainment_pct)
        out["release_pct"] = number_text(s.release_pct or 0)
        return out

    def settings(self, scheme_key: str, settings: Mapping[str, Any]) -> dict[str, Any]:
        scheme = get_registry().get(scheme_key)
        fields = scheme.settings_fields if scheme is not None else ()

        def ids(field, value):
            if id_field_refers_to(field) == "team":
                return self.team_names(value)
            return self.person_nos(value)

        return ordered(fields, settings or {}, out=clean_out, ids=ids)

    def plans(self) -> list[dict[str, Any]]:
        versions: dict[int, list[PlanVersion]] = defaultdict(list)
        for v in db.session.scalars(select(PlanVersion).where(PlanVersion.tenant_id == self.tid)):
            versions[v.plan_id].append(v)
        rows = []
        plans = db.session.scalars(select(Plan).where(Plan.tenant_id == self.tid)).all()
        for plan in sorted(plans, key=lambda p: (p.priority, p.name)):
            row: dict[str, Any] = {
                "name": plan.name,
                "scheme": plan.scheme_key,
                "priority": plan.priority,
            }
            if plan.target_basis != "baseline":
                row["target_basis"] = plan.target_basis
            row["versions"] = [
                self.version(plan, v) for v in sorted(versions[plan.id], key=lambda v: v.number)
            ]
            rows.append(row)
        return rows

    def version(self, plan: Plan, v: PlanVersion) -> dict[str, Any]:
        row: dict[str, Any] = {"number": v.number, "effective": self.label(v.effective_period_id)}
        if v.is_pilot:
            row["pilot"] = True
        if v.pilot_team_ids:
            row["pilot_teams"] = self.team_names(v.pilot_team_ids)
        if v.note:
            row["note"] = v.note
        if v.status != ApprovalStatus.APPROVED:  # approved (in force) is the default
            row["approval"] = v.status.value
        if v.decision_reason:
            row["reason"] = v.decision_reason
        eligibility = v.eligibility or {}
        elig: dict[str, list] = {}
        if eligibility.get("team_ids"):
            elig["teams"] = self.team_names(eligibility["team_ids"])
        if eligibility.get("levels"):
            elig["levels"] = sorted(eligibility["levels"])
        if eligibility.get("person_ids"):
            elig["people"] = self.person_nos(eligibility["person_ids"])
        if elig:
            row["eligibility"] = elig
        row["settings"] = self.settings(plan.scheme_key, v.settings)
        return row

    def _subject(self, row) -> tuple[str, str]:
        if row.person_id is not None:
            return "person", self.person_no[row.person_id]
        return "team", self.team_name[row.team_id]

    def targets(self) -> list[dict[str, Any]]:
        """One entry per period and subject: each metric's baseline under its
        code, challenge values in a ``challenge`` table."""
        order = metric_order(self.tid)
        grouped: dict[tuple, dict[str, Any]] = {}
        for t in db.session.scalars(select(SalesTarget).where(SalesTarget.tenant_id == self.tid)):
            kind, key = self._subject(t)
            sort_key = (self.period_rank[t.period_id], kind != "team", key)
            row = grouped.setdefault(sort_key, {"period": self.label(t.period_id), kind: key})
            row.setdefault("_values", []).append(t)
        out = []
        for _k, row in sorted(grouped.items(), key=lambda r: r[0]):
            values = sorted(row.pop("_values"), key=lambda t: order.get(t.metric, len(order)))
            for t in values:
                row[t.metric] = money_text(t.baseline)
            challenge = {t.metric: money_text(t.challenge) for t in values if t.challenge}
            if challenge:
                row["challenge"] = challenge
            out.append(row)
        return out

    def metrics(self) -> list[dict[str, Any]]:
        rows = []
        for m in db.session.scalars(select(MetricValue).where(MetricValue.tenant_id == self.tid)):
            kind, key = self._subject(m)
            row: dict[str, Any] = {
                "period": self.label(m.period_id),
                kind: key,
                "metric": m.metric,
                "weight": number_text(m.weight or 0),
                "actual": number_text(m.actual),
            }
            if m.target is not None:
                row["target"] = number_text(m.target)
            if not m.higher_is_better:
                row["higher_is_better"] = False
            if m.cap is not None:
                row["cap"] = number_text(m.cap)
            rows.append(((self.period_rank[m.period_id], kind != "team", key, m.metric), row))
        return [row for _k, row in sorted(rows, key=lambda r: r[0])]

    def profit(self) -> list[dict[str, Any]]:
        rows = []
        for p in db.session.scalars(select(ProfitEntry).where(ProfitEntry.tenant_id == self.tid)):
            row: dict[str, Any] = {
                "period": self.label(p.period_id),
                "amount": money_text(p.amount),
            }
            if p.note:
                row["note"] = p.note
            rows.append((self.period_rank[p.period_id], row))
        return [row for _k, row in sorted(rows, key=lambda r: r[0])]

    def awards(self) -> list[dict[str, Any]]:
        rows = []
        query = select(OneOffAwardGrant).where(OneOffAwardGrant.tenant_id == self.tid)
        for a in db.session.scalars(query):
            row: dict[str, Any] = {
                "period": self.label(a.period_id),
                "person": self.person_no[a.person_id],
                "kind": a.kind,
                "amount": money_text(a.amount),
                "reason": a.reason,
            }
            if a.approved_by_label:
                row["approved_by"] = a.approved_by_label
            key = (
                self.period_rank[a.period_id],
                row["person"],
                a.kind,
                a.amount,
                a.reason,
                a.approved_by_label,
            )
            rows.append((key, row))
        return [row for _k, row in sorted(rows, key=lambda r: r[0])]

    def transactions(self) -> list[dict[str, Any]]:
        shares_of: dict[int, list[tuple[str, int]]] = defaultdict(list)
        for c in db.session.scalars(select(SalesCredit).where(SalesCredit.tenant_id == self.tid)):
            shares_of[c.transaction_id].append((self.person_no[c.person_id], c.share_bp))
        txns = db.session.scalars(select(Transaction).where(Transaction.tenant_id == self.tid))
        rows = []
        for t in sorted(txns, key=lambda t: (t.deal_date, t.external_id)):
            seller = self.person_no[t.person_id]
            row: dict[str, Any] = {
                "external_id": t.external_id,
                "deal_date": t.deal_date,
                "employee_no": seller,
            }
            for name in ("customer", "product_line", "region"):
                if getattr(t, name):
                    row[name] = getattr(t, name)
            row["amount"] = money_text(t.amount)
            row["collected_amount"] = money_text(t.collected_amount or 0)
            row["margin"] = money_text(t.margin or 0)
            if t.new_customer:
                row["new_customer"] = True
            if t.strategic:
                row["strategic"] = True
            shares = sorted(shares_of.get(t.id, ()))
            if shares and shares != [(seller, 10_000)]:
                row["credits"] = ";".join(f"{no}:{share_text(bp)}" for no, bp in shares)
            rows.append(row)
        return rows
