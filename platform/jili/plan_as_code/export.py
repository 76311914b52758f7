"""Plan as code: a whole tenant as one TOML file, and back.

:func:`export_tenant` writes the tenant's configuration and inputs — teams,
people, fiscal years, enabled schemes, budget, plans with every version, and
the inputs (targets, metric values, profit, one-off awards, transactions with
their credits) — with natural keys instead of ids (team names, employee
numbers, period labels), decimals as strings, in a deterministic order, and
nothing else: no ids, no timestamps, no user accounts, no calculation runs,
no period statuses. :func:`import_tenant` creates a tenant from such a file in
one transaction, validating everything (scheme settings through the scheme's
own ``validate_settings``) and naming the entry at fault.

Exporting what an import created gives the same bytes again. The format is
described in docs/PLAN_AS_CODE.md.
"""

from __future__ import annotations

import re
import tomllib
from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import tomli_w
from flask_babel import gettext as _
from sqlalchemy import select

from jili.accounts.models import Tenant
from jili.audit import services as audit
from jili.extensions import db
from jili.i18n import LANGUAGES
from jili.incentives.models import (
    BudgetRuleChoice,
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
from jili.money import CURRENCIES, MoneyError, to_decimal
from jili.org.models import Level, Person, Team, TeamKind
from jili.periods.models import Period, PeriodKind
from jili.periods.services import generate_weeks, generate_year
from jili.schemes import IdListField, RecordListField, SettingsError, get_registry
from jili.schemes.base import KEY_PATTERN
from jili.tenancy import bound_tenant

FORMAT = 1
HEADER = (
    "# Jili tenant file (plan as code), format 1 — see docs/PLAN_AS_CODE.md.\n"
    "# Import it with: jili tenant import FILE [--slug NEW-SLUG]\n\n"
)
# Top-level keys an import reads; ``demo_logins`` is read by ``jili demo load`` only.
TOP_LEVEL = (
    "format",
    "tenant",
    "periods",
    "teams",
    "people",
    "schemes",
    "budget",
    "plans",
    "targets",
    "metrics",
    "profit",
    "awards",
    "transactions",
    "demo_logins",
)
_KIND_ORDER = {PeriodKind.YEAR: 0, PeriodKind.QUARTER: 1, PeriodKind.MONTH: 2, PeriodKind.WEEK: 3}


class TenantFileError(ValueError):
    """A tenant file that cannot be imported; ``errors`` are messages for the
    user, each naming the entry at fault. Nothing was written."""

    def __init__(self, errors: Sequence[str]):
        self.errors = [str(e) for e in errors]
        super().__init__("\n".join(self.errors))


# --- small helpers ----------------------------------------------------------------


def number_text(value: Any) -> str:
    """A number as the shortest exact string: ``85.5000`` → ``85.5``, ``50.0`` → ``50``."""
    d = Decimal(value)
    if d == d.to_integral_value():
        return str(d.quantize(Decimal(1)) + 0)
    return format(d.normalize(), "f")


def money_text(value: Any) -> str:
    """Money as stored (two places): ``650000.00``."""
    return format(Decimal(value).quantize(Decimal("0.01")) + 0, "f")


def _share_text(bp: int) -> str:
    return number_text(Decimal(bp) / 100)


def _period_key(p: Period) -> tuple:
    # year, then its quarters, months (and weeks), in calendar order
    return (p.start_date, _KIND_ORDER.get(p.kind, 9), p.label)


def _id_field_refers_to(field: Any) -> str:
    """Whether an ``IdListField`` holds team or person ids (``refers_to`` if the
    field says so, else by its name: a name with "team" in it means teams)."""
    kind = getattr(field, "refers_to", None)
    if kind in ("team", "person"):
        return kind
    return "team" if "team" in field.name.lower() else "person"


def _clean_out(value: Any) -> Any:
    """JSON settings → TOML values: TOML has no null, so ``None`` becomes ``""``
    (an empty optional number, which the settings fields read back as None)."""
    if value is None:
        return ""
    if isinstance(value, Mapping):
        return {str(k): _clean_out(value[k]) for k in sorted(value, key=str)}
    if isinstance(value, list | tuple):
        return [_clean_out(v) for v in value]
    return value


def _ordered(fields: Sequence[Any], values: Mapping[str, Any], *, out, ids) -> dict:
    """``values`` with the declared fields first, in declaration order, then any
    other key sorted; id lists translated by ``ids(field, list)``; nested
    records ordered by their own fields."""
    result: dict[str, Any] = {}
    by_name = {f.name: f for f in fields}
    names = [f.name for f in fields if f.name in values]
    names += sorted(k for k in values if k not in by_name)
    for name in names:
        value = values[name]
        field = by_name.get(name)
        if isinstance(field, IdListField) and isinstance(value, list | tuple):
            result[name] = ids(field, value)
        elif isinstance(field, RecordListField) and isinstance(value, list | tuple):
            result[name] = [
                _ordered(field.fields, item, out=out, ids=ids)
                if isinstance(item, Mapping)
                else out(item)
                for item in value
            ]
        else:
            result[name] = out(value)
    return result


# --- export -----------------------------------------------------------------------


def export_tenant(tenant: Tenant) -> dict[str, Any]:
    """The tenant as a TOML-ready dict (see the module docstring)."""
    with bound_tenant(tenant.id):
        return _Exporter(tenant).run()


def export_toml(tenant: Tenant) -> str:
    """:func:`export_tenant` as TOML text, with a short header comment."""
    return dumps(export_tenant(tenant))


# --- writing TOML -----------------------------------------------------------------
#
# A small writer rather than ``tomli_w.dumps`` so the layout is fixed: the
# sections in a reading order, every list of records as ``[[array]]`` blocks
# (tomli_w inlines short ones, which moves them above [tenant]), a version's
# eligibility and settings as sub-tables. Values are formatted by tomli_w.

LINE = 100
_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")
_SUBTABLES = {"eligibility", "settings"}  # dicts written as [a.b] tables
_ARRAYS_OF_TABLES = {"versions"}  # nested lists of records written as [[a.b]]


def _key(k: str) -> str:
    return k if _BARE_KEY.match(k) else _inline(k)


def _inline(v: Any) -> str:
    """One TOML value on one line."""
    if isinstance(v, Mapping):
        if not v:
            return "{}"
        return "{ " + ", ".join(f"{_key(k)} = {_inline(x)}" for k, x in v.items()) + " }"
    if isinstance(v, list | tuple):
        return "[" + ", ".join(_inline(x) for x in v) + "]"
    return tomli_w.dumps({"v": v})[len("v = ") :].rstrip("\n")


def _assignment(k: str, v: Any) -> str:
    line = f"{_key(k)} = {_inline(v)}"
    if len(line) <= LINE or not isinstance(v, list | tuple) or not v:
        return line
    return f"{_key(k)} = [\n" + "".join(f"    {_inline(x)},\n" for x in v) + "]"


def _table(name: str, table: Mapping[str, Any], aot: bool, out: list[str]) -> None:
    out.append("")
    out.append(f"[[{name}]]" if aot else f"[{name}]")
    later = []
    for k, v in table.items():
        if isinstance(v, Mapping) and (k in _SUBTABLES or len(_assignment(k, v)) > LINE):
            later.append((k, v, False))
        elif isinstance(v, list) and k in _ARRAYS_OF_TABLES:
            later.append((k, v, True))
        else:
            out.append(_assignment(k, v))
    for k, v, is_aot in later:
        if is_aot:
            for item in v:
                _table(f"{name}.{_key(k)}", item, True, out)
        else:
            _table(f"{name}.{_key(k)}", v, False, out)


def dumps(data: Mapping[str, Any]) -> str:
    """A tenant dict (as :func:`export_tenant` makes it) as TOML text."""
    out = [HEADER.rstrip("\n"), ""]
    for k, v in data.items():
        if not isinstance(v, Mapping | list):
            out.append(_assignment(k, v))
    for k, v in data.items():
        if isinstance(v, Mapping):
            _table(_key(k), v, False, out)
        elif isinstance(v, list):
            for item in v:
                _table(_key(k), item, True, out)
    return "\n".join(out) + "\n"


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
            p.id: i for i, p in enumerate(sorted(self.periods.values(), key=_period_key))
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
            ("targets", self.targets()),
            ("metrics", self.metrics()),
            ("profit", self.profit()),
            ("awards", self.awards()),
            ("transactions", self.transactions()),
        ):
            if rows:
                out[key] = rows
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
        if s.budget_amount is not None:
            out["amount"] = money_text(s.budget_amount)
        if s.budget_pct_of_revenue is not None:
            out["pct_of_revenue"] = number_text(s.budget_pct_of_revenue)
        out["rule"] = s.budget_rule.value
        if s.release_from_attainment_pct is not None:
            out["release_from_attainment_pct"] = number_text(s.release_from_attainment_pct)
        out["release_pct"] = number_text(s.release_pct or 0)
        return out

    def settings(self, scheme_key: str, settings: Mapping[str, Any]) -> dict[str, Any]:
        scheme = get_registry().get(scheme_key)
        fields = scheme.settings_fields if scheme is not None else ()

        def ids(field, value):
            if _id_field_refers_to(field) == "team":
                return self.team_names(value)
            return self.person_nos(value)

        return _ordered(fields, settings or {}, out=_clean_out, ids=ids)

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
        rows = []
        for t in db.session.scalars(select(SalesTarget).where(SalesTarget.tenant_id == self.tid)):
            kind, key = self._subject(t)
            row: dict[str, Any] = {"period": self.label(t.period_id), kind: key}
            for name in ("revenue", "collected", "margin"):
                value = getattr(t, name)
                if value is not None:
                    row[name] = money_text(value)
            rows.append(((self.period_rank[t.period_id], kind != "team", key), row))
        return [row for _k, row in sorted(rows, key=lambda r: r[0])]

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
                row["credits"] = ";".join(f"{no}:{_share_text(bp)}" for no, bp in shares)
            rows.append(row)
        return rows


# --- import -----------------------------------------------------------------------


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


def tenant_slug_taken(slug: str) -> bool:
    return db.session.scalar(select(Tenant.id).where(Tenant.slug == slug)) is not None


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
        tenant = _Importer(data, slug, source, actor).run()
        if commit:
            db.session.commit()
        return tenant
    except Exception:
        db.session.rollback()
        raise


class _Importer:
    def __init__(self, data: Mapping[str, Any], slug: str | None, source: str, actor):
        self.data = data
        self.slug = slug
        self.source = source
        self.actor = actor
        self.errors: list[str] = []
        self.tenant: Tenant | None = None
        self.teams: dict[str, Team] = {}
        self.people: dict[str, Person] = {}
        self.periods: dict[str, Period] = {}
        self.counts: dict[str, int] = {}

    # -- reporting

    def err(self, where: str, message: str) -> None:
        self.errors.append(f"{where}: {message}")

    def stop_if_errors(self) -> None:
        if self.errors:
            raise TenantFileError(self.errors)

    def entries(self, key: str) -> list[tuple[str, Mapping[str, Any]]]:
        """The array of tables ``key`` as (where, entry) pairs, "people #3"."""
        value = self.data.get(key, [])
        if not isinstance(value, list):
            self.err(key, _("Must be an array of tables ([[%(key)s]]).", key=key))
            return []
        out = []
        for i, entry in enumerate(value, start=1):
            where = f"{key} #{i}"
            if not isinstance(entry, Mapping):
                self.err(where, _("Must be a table."))
                continue
            out.append((where, entry))
        return out

    def known(self, where: str, entry: Mapping[str, Any], allowed: Sequence[str]) -> None:
        for key in entry:
            if key not in allowed:
                self.err(
                    where,
                    _(
                        "Unknown key %(key)s (expected one of: %(allowed)s).",
                        key=key,
                        allowed=", ".join(allowed),
                    ),
                )

    # -- value readers (each records an error and returns None when invalid)

    def text(self, where, entry, key, *, required=True, limit=200, default="") -> str | None:
        value = entry.get(key)
        if value is None:
            if required:
                self.err(where, _("%(key)s is missing.", key=key))
                return None
            return default
        if not isinstance(value, str) or (required and not value.strip()):
            self.err(where, _("%(key)s must be a non-empty text.", key=key))
            return None
        value = value.strip()
        if len(value) > limit:
            self.err(where, _("%(key)s is longer than %(n)d characters.", key=key, n=limit))
            return None
        return value

    def decimal(self, where, entry, key, *, required=True, minimum=None, money=False):
        value = entry.get(key)
        if value is None:
            if required:
                self.err(where, _("%(key)s is missing.", key=key))
            return None
        if isinstance(value, float):
            self.err(
                where,
                _(
                    '%(key)s: write numbers with decimals as text, e.g. "1.8", so they stay exact.',
                    key=key,
                ),
            )
            return None
        try:
            number = to_decimal(value)
        except MoneyError:
            self.err(where, _("%(key)s: %(value)s is not a number.", key=key, value=value))
            return None
        if money and number != number.quantize(Decimal("0.01")):
            self.err(where, _("%(key)s: at most two decimal places.", key=key))
            return None
        if minimum is not None and number < minimum:
            self.err(where, _("%(key)s must be at least %(n)s.", key=key, n=minimum))
            return None
        return number + 0

    def boolean(self, where, entry, key, default: bool) -> bool:
        value = entry.get(key, default)
        if not isinstance(value, bool):
            self.err(where, _("%(key)s must be true or false.", key=key))
            return default
        return value

    def day(self, where, entry, key, *, required=True) -> date | None:
        value = entry.get(key)
        if value is None:
            if required:
                self.err(where, _("%(key)s is missing.", key=key))
            return None
        if isinstance(value, date) and not hasattr(value, "hour"):
            return value
        if isinstance(value, str):
            try:
                return date.fromisoformat(value.strip())
            except ValueError:
                pass
        self.err(where, _("%(key)s must be a date, e.g. 2024-07-15.", key=key))
        return None

    def period(self, where, entry, key="period") -> Period | None:
        label = entry.get(key)
        if not isinstance(label, str):
            self.err(where, _("%(key)s must be a period label, e.g. 2024-Q3.", key=key))
            return None
        period = self.periods.get(label.strip().upper())
        if period is None:
            self.err(
                where,
                _(
                    "Period %(label)s does not exist: add its fiscal year to [tenant] years.",
                    label=label,
                ),
            )
        return period

    def team(self, where, name) -> Team | None:
        team = self.teams.get(name) if isinstance(name, str) else None
        if team is None:
            self.err(where, _("Team %(name)s is not in the file's teams.", name=name))
        return team

    def person(self, where, no) -> Person | None:
        person = self.people.get(no) if isinstance(no, str) else None
        if person is None:
            self.err(where, _("Employee number %(no)s is not in the file's people.", no=no))
        return person

    def name_list(self, where, value, key) -> list | None:
        if value is None:
            return []
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.err(where, _("%(key)s must be a list of names.", key=key))
            return None
        return value

    def subject(self, where, entry) -> tuple[int | None, int | None] | None:
        """(person_id, team_id) from exactly one of ``person`` / ``team``."""
        has_person, has_team = "person" in entry, "team" in entry
        if has_person == has_team:
            self.err(where, _("Give either person (an employee number) or team (a name)."))
            return None
        if has_person:
            p = self.person(where, entry["person"])
            return (p.id, None) if p else None
        t = self.team(where, entry["team"])
        return (None, t.id) if t else None

    # -- the import

    def run(self) -> Tenant:
        if not isinstance(self.data, Mapping):
            raise TenantFileError([_("The file must be a TOML document.")])
        for key in self.data:
            if key not in TOP_LEVEL:
                self.err(
                    key,
                    _(
                        "Unknown section (expected: %(allowed)s).",
                        allowed=", ".join(TOP_LEVEL),
                    ),
                )
        if self.data.get("format", FORMAT) != FORMAT:
            self.err("format", _("This Jili reads format %(n)d files.", n=FORMAT))
        self.stop_if_errors()
        tenant = self.make_tenant()
        with bound_tenant(tenant.id):
            self.make_periods()
            self.make_teams()
            self.stop_if_errors()
            self.make_people()
            self.stop_if_errors()
            self.make_schemes()
            self.make_budget()
            self.make_plans()
            self.make_targets()
            self.make_metrics()
            self.make_profit()
            self.make_awards()
            self.stop_if_errors()
            self.make_transactions()
            self.stop_if_errors()
            db.session.flush()
            audit.record(
                "tenant.import",
                tenant,
                tenant_id=tenant.id,
                actor=self.actor,
                after={"source": self.source, "slug": tenant.slug, **self.counts},
            )
            db.session.flush()
        return tenant

    def make_tenant(self) -> Tenant:
        from jili.accounts.forms import RESERVED_SLUGS, SLUG_RE

        t = self.data.get("tenant")
        if not isinstance(t, Mapping):
            raise TenantFileError([_("[tenant] is missing.")])
        where = "[tenant]"
        self.known(
            where,
            t,
            ("name", "slug", "currency", "locale", "timezone", "fiscal_year_start_month", "years"),
        )
        name = self.text(where, t, "name")
        slug = self.slug or t.get("slug")
        if not isinstance(slug, str) or not SLUG_RE.match(slug) or slug in RESERVED_SLUGS:
            self.err(
                where,
                _(
                    "The slug %(slug)s is not usable: 3–40 lower-case letters, digits or "
                    "hyphens, not reserved.",
                    slug=slug,
                ),
            )
        elif tenant_slug_taken(slug):
            self.err(
                where,
                _(
                    "A tenant with the slug %(slug)s exists already; import under another "
                    "slug (--slug).",
                    slug=slug,
                ),
            )
        currency = t.get("currency", "CNY")
        if currency not in CURRENCIES:
            self.err(
                where,
                _(
                    "Currency %(v)s is not supported (%(allowed)s).",
                    v=currency,
                    allowed=", ".join(CURRENCIES),
                ),
            )
        locale = t.get("locale", "zh_Hans")
        if locale not in LANGUAGES:
            self.err(
                where,
                _(
                    "Language %(v)s is not supported (%(allowed)s).",
                    v=locale,
                    allowed=", ".join(LANGUAGES),
                ),
            )
        timezone = t.get("timezone", "Asia/Shanghai")
        try:
            ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError, TypeError):
            self.err(where, _("Time zone %(v)s is unknown.", v=timezone))
        month = t.get("fiscal_year_start_month", 1)
        if isinstance(month, bool) or not isinstance(month, int) or not 1 <= month <= 12:
            self.err(where, _("fiscal_year_start_month must be a month number, 1 to 12."))
        years = t.get("years", [])
        if not isinstance(years, list) or not all(
            isinstance(y, int) and not isinstance(y, bool) and 1990 <= y <= 2200 for y in years
        ):
            self.err(where, _("years must be a list of fiscal years, e.g. [2024, 2025]."))
        self.stop_if_errors()
        tenant = Tenant(
            slug=slug,
            name=name,
            currency=currency,
            locale=locale,
            timezone=timezone,
            fiscal_year_start_month=month,
        )
        db.session.add(tenant)
        db.session.flush()
        self.tenant = tenant
        self.years = sorted(set(years))
        return tenant

    def make_periods(self) -> None:
        tenant = self.tenant
        for year in self.years:
            generate_year(tenant.id, year, tenant.fiscal_year_start_month)
        self._index_periods()
        spec = self.data.get("periods", {})
        if not isinstance(spec, Mapping):
            self.err("[periods]", _("Must be a table."))
            return
        self.known("[periods]", spec, ("weeks_of",))
        months = self.name_list("[periods]", spec.get("weeks_of"), "weeks_of") or []
        for label in months:
            month = self.periods.get(label.upper())
            if month is None or month.kind != PeriodKind.MONTH:
                self.err("[periods]", _("weeks_of: %(label)s is not a month.", label=label))
                continue
            generate_weeks(tenant.id, month)
        if months:
            self._index_periods()

    def _index_periods(self) -> None:
        self.periods = {
            p.label.upper(): p
            for p in db.session.scalars(select(Period).where(Period.tenant_id == self.tenant.id))
        }

    def make_teams(self) -> None:
        parents: dict[str, tuple[str, str]] = {}
        for where, row in self.entries("teams"):
            name = self.text(where, row, "name", limit=120)
            if name is None:
                continue
            where = f"{where} ({name})"
            self.known(where, row, ("name", "kind", "parent"))
            if name in self.teams:
                self.err(where, _("Team %(name)s appears twice.", name=name))
                continue
            kind = row.get("kind", "group")
            if kind not in {k.value for k in TeamKind}:
                self.err(where, _("kind must be region or group."))
                continue
            team = Team(tenant_id=self.tenant.id, name=name, kind=TeamKind(kind))
            db.session.add(team)
            self.teams[name] = team
            if row.get("parent") is not None:
                parents[name] = (where, row["parent"])
        db.session.flush()
        for name, (where, parent_name) in parents.items():
            parent = self.team(where, parent_name)
            if parent is not None:
                self.teams[name].parent_id = parent.id
        # no team may be its own ancestor
        parent_of = {n: p for n, (_w, p) in parents.items()}
        for name in parent_of:
            seen, node = {name}, parent_of.get(name)
            while node is not None:
                if node in seen:
                    self.err(
                        parents[name][0],
                        _("Team %(name)s is inside itself (a parent cycle).", name=name),
                    )
                    break
                seen.add(node)
                node = parent_of.get(node)
        self.counts["teams"] = len(self.teams)

    def make_people(self) -> None:
        allowed = (
            "employee_no",
            "name",
            "level",
            "team",
            "manager",
            "mentor",
            "hire_date",
            "base_salary",
        )
        links = []
        for where, row in self.entries("people"):
            no = self.text(where, row, "employee_no", limit=40)
            if no is None:
                continue
            where = f"{where} ({no})"
            self.known(where, row, allowed)
            if no in self.people:
                self.err(where, _("Employee number %(no)s appears twice.", no=no))
                continue
            name = self.text(where, row, "name", limit=120)
            level = row.get("level", "core")
            if level not in {lv.value for lv in Level}:
                self.err(where, _("level must be newcomer, core or manager."))
                level = None
            team = self.team(where, row["team"]) if row.get("team") is not None else None
            hire = self.day(where, row, "hire_date", required=False)
            salary = self.decimal(where, row, "base_salary", required=False, minimum=0, money=True)
            if name is None or level is None:
                continue
            person = Person(
                tenant_id=self.tenant.id,
                employee_no=no,
                name=name,
                level=Level(level),
                hire_date=hire,
                team_id=team.id if team else None,
                base_salary=salary if salary is not None else Decimal(0),
            )
            db.session.add(person)
            self.people[no] = person
            links.append((where, no, row))
        db.session.flush()
        for where, no, row in links:
            for key in ("manager", "mentor"):
                other_no = row.get(key)
                if other_no is None:
                    continue
                if other_no == no:
                    self.err(where, _("%(key)s cannot be the person themself.", key=key))
                    continue
                other = self.person(where, other_no)
                if other is not None:
                    setattr(self.people[no], f"{key}_id", other.id)
        self.counts["people"] = len(self.people)

    def make_schemes(self) -> None:
        spec = self.data.get("schemes", {})
        where = "[schemes]"
        if not isinstance(spec, Mapping):
            self.err(where, _("Must be a table."))
            return
        self.known(where, spec, ("enabled", "disabled"))
        registry = get_registry()
        seen = set()
        for key, enabled in (("enabled", True), ("disabled", False)):
            names = self.name_list(where, spec.get(key), key) or []
            for scheme_key in names:
                if scheme_key in seen:
                    self.err(where, _("Scheme %(key)s is listed twice.", key=scheme_key))
                    continue
                seen.add(scheme_key)
                if not KEY_PATTERN.match(scheme_key):
                    self.err(where, _("%(key)s is not a scheme key.", key=scheme_key))
                    continue
                if enabled and registry.get(scheme_key) is None:
                    self.err(
                        where,
                        _(
                            "Scheme %(key)s is not installed here (see jili plugins list).",
                            key=scheme_key,
                        ),
                    )
                    continue
                db.session.add(
                    TenantScheme(tenant_id=self.tenant.id, scheme_key=scheme_key, enabled=enabled)
                )
        self.counts["schemes"] = len(seen)

    def make_budget(self) -> None:
        spec = self.data.get("budget")
        if spec is None:
            return
        where = "[budget]"
        if not isinstance(spec, Mapping):
            self.err(where, _("Must be a table."))
            return
        self.known(
            where,
            spec,
            ("amount", "pct_of_revenue", "rule", "release_from_attainment_pct", "release_pct"),
        )
        rule = spec.get("rule", BudgetRuleChoice.PROPORTIONAL.value)
        if rule not in {r.value for r in BudgetRuleChoice}:
            self.err(where, _("rule must be proportional or priority."))
            return
        values = {
            key: self.decimal(where, spec, key, required=False, minimum=0, money=key == "amount")
            for key in ("amount", "pct_of_revenue", "release_from_attainment_pct", "release_pct")
        }
        for key in ("pct_of_revenue", "release_from_attainment_pct", "release_pct"):
            value = values[key]
            if value is not None and value != value.quantize(Decimal("0.0001")):
                self.err(where, _("%(key)s: at most four decimal places.", key=key))
        db.session.add(
            IncentiveSetting(
                tenant_id=self.tenant.id,
                budget_amount=values["amount"],
                budget_pct_of_revenue=values["pct_of_revenue"],
                budget_rule=BudgetRuleChoice(rule),
                release_from_attainment_pct=values["release_from_attainment_pct"],
                release_pct=values["release_pct"] or Decimal(0),
            )
        )

    def make_plans(self) -> None:
        registry = get_registry()
        names: set[str] = set()
        plans = versions = 0
        for where, row in self.entries("plans"):
            name = self.text(where, row, "name", limit=120)
            if name is None:
                continue
            where = f"{where} ({name})"
            self.known(where, row, ("name", "scheme", "priority", "versions"))
            if name in names:
                self.err(where, _("Plan %(name)s appears twice.", name=name))
                continue
            names.add(name)
            key = row.get("scheme")
            scheme = registry.get(key) if isinstance(key, str) else None
            if scheme is None:
                self.err(
                    where,
                    _(
                        "Scheme %(key)s is not installed here (see jili plugins list).",
                        key=key,
                    ),
                )
                continue
            priority = row.get("priority", 100)
            if isinstance(priority, bool) or not isinstance(priority, int):
                self.err(where, _("priority must be a whole number."))
                continue
            plan = Plan(tenant_id=self.tenant.id, name=name, scheme_key=key, priority=priority)
            db.session.add(plan)
            db.session.flush()
            plans += 1
            raw_versions = row.get("versions", [])
            if not isinstance(raw_versions, list):
                self.err(where, _("versions must be an array of tables ([[plans.versions]])."))
                continue
            numbers: set[int] = set()
            for v in raw_versions:
                if self.make_version(where, plan, scheme, v, numbers):
                    versions += 1
        self.counts["plans"] = plans
        self.counts["plan_versions"] = versions

    def make_version(self, plan_where, plan: Plan, scheme, v, numbers: set[int]) -> bool:
        if not isinstance(v, Mapping):
            self.err(plan_where, _("Each version must be a table."))
            return False
        number = v.get("number")
        where = f"{plan_where} version {number}"
        self.known(
            where,
            v,
            ("number", "effective", "pilot", "pilot_teams", "note", "eligibility", "settings"),
        )
        if isinstance(number, bool) or not isinstance(number, int) or number < 1:
            self.err(where, _("number must be a whole number from 1."))
            return False
        if number in numbers:
            self.err(where, _("Version %(n)d appears twice.", n=number))
            return False
        numbers.add(number)
        period = self.period(where, v, "effective")
        pilot = self.boolean(where, v, "pilot", False)
        note = self.text(where, v, "note", required=False, limit=500)
        pilot_names = self.name_list(where, v.get("pilot_teams"), "pilot_teams")
        pilot_teams = [self.team(where, n) for n in pilot_names or []]
        if pilot and not pilot_names:
            self.err(where, _("A pilot version needs the teams it runs on (pilot_teams)."))
        if pilot_names and not pilot:
            self.err(where, _("pilot_teams are only for a pilot version (pilot = true)."))
        eligibility = self.eligibility(where, v.get("eligibility", {}))
        settings = self.settings(where, scheme, v.get("settings", {}))
        if None in pilot_teams or eligibility is None or settings is None or period is None:
            return False
        if note is None:
            return False
        db.session.add(
            PlanVersion(
                tenant_id=self.tenant.id,
                plan_id=plan.id,
                number=number,
                effective_period_id=period.id,
                effective_from=period.start_date,
                settings=settings,
                eligibility=eligibility,
                is_pilot=pilot,
                pilot_team_ids=sorted(t.id for t in pilot_teams),
                note=note,
                created_by_id=getattr(self.actor, "id", None),
            )
        )
        return True

    def eligibility(self, where, spec) -> dict | None:
        if not isinstance(spec, Mapping):
            self.err(where, _("eligibility must be a table."))
            return None
        self.known(where, spec, ("teams", "levels", "people"))
        teams = self.name_list(where, spec.get("teams"), "eligibility.teams")
        levels = self.name_list(where, spec.get("levels"), "eligibility.levels")
        people = self.name_list(where, spec.get("people"), "eligibility.people")
        if teams is None or levels is None or people is None:
            return None
        ok = True
        for level in levels:
            if level not in {lv.value for lv in Level}:
                self.err(where, _("eligibility: %(v)s is not a level.", v=level))
                ok = False
        team_objs = [self.team(where, n) for n in teams]
        people_objs = [self.person(where, n) for n in people]
        if not ok or None in team_objs or None in people_objs:
            return None
        return {
            "team_ids": sorted({t.id for t in team_objs}),
            "levels": sorted(set(levels)),
            "person_ids": sorted({p.id for p in people_objs}),
        }

    def settings(self, where, scheme, raw) -> dict | None:
        if not isinstance(raw, Mapping):
            self.err(where, _("settings must be a table."))
            return None
        failed = False

        def ids(field, names):
            nonlocal failed
            if not all(isinstance(n, str) for n in names):
                return names  # the field reports it
            refers = _id_field_refers_to(field)
            found = [
                (self.team(where, n) if refers == "team" else self.person(where, n)) for n in names
            ]
            if None in found:
                failed = True
                return []
            return [obj.id for obj in found]

        translated = _ordered(scheme.settings_fields, raw, out=lambda v: v, ids=ids)
        if failed:
            return None
        try:
            return scheme.validate_settings(translated)
        except SettingsError as exc:
            for path, message in exc.errors.items():
                self.err(where, _("setting %(path)s: %(message)s", path=path, message=message))
            return None

    def make_targets(self) -> None:
        n = 0
        seen = set()
        for where, row in self.entries("targets"):
            self.known(where, row, ("period", "person", "team", "revenue", "collected", "margin"))
            period = self.period(where, row)
            subject = self.subject(where, row)
            values = {
                k: self.decimal(where, row, k, required=False, money=True)
                for k in ("revenue", "collected", "margin")
            }
            if period is None or subject is None:
                continue
            if (period.id, subject) in seen:
                self.err(where, _("A second target for the same period and person or team."))
                continue
            seen.add((period.id, subject))
            db.session.add(
                SalesTarget(
                    tenant_id=self.tenant.id,
                    period_id=period.id,
                    person_id=subject[0],
                    team_id=subject[1],
                    **values,
                )
            )
            n += 1
        self.counts["targets"] = n

    def make_metrics(self) -> None:
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
        for where, row in self.entries("metrics"):
            self.known(where, row, allowed)
            period = self.period(where, row)
            subject = self.subject(where, row)
            metric = self.text(where, row, "metric", limit=80)
            weight = self.decimal(where, row, "weight", required=False, minimum=0)
            actual = self.decimal(where, row, "actual")
            target = self.decimal(where, row, "target", required=False)
            higher = self.boolean(where, row, "higher_is_better", True)
            if None in (period, subject, metric, actual):
                continue
            key = (period.id, subject, metric)
            if key in seen:
                self.err(
                    where, _("Metric %(metric)s appears twice for the same period.", metric=metric)
                )
                continue
            seen.add(key)
            db.session.add(
                MetricValue(
                    tenant_id=self.tenant.id,
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
        self.counts["metrics"] = n

    def make_profit(self) -> None:
        n = 0
        seen = set()
        for where, row in self.entries("profit"):
            self.known(where, row, ("period", "amount", "note"))
            period = self.period(where, row)
            amount = self.decimal(where, row, "amount", money=True)
            note = self.text(where, row, "note", required=False, limit=500)
            if period is None or amount is None or note is None:
                continue
            if period.id in seen:
                self.err(
                    where, _("A second profit entry for period %(label)s.", label=period.label)
                )
                continue
            seen.add(period.id)
            db.session.add(
                ProfitEntry(tenant_id=self.tenant.id, period_id=period.id, amount=amount, note=note)
            )
            n += 1
        self.counts["profit"] = n

    def make_awards(self) -> None:
        n = 0
        for where, row in self.entries("awards"):
            self.known(where, row, ("period", "person", "kind", "amount", "reason", "approved_by"))
            period = self.period(where, row)
            person = self.person(where, row.get("person"))
            kind = self.text(where, row, "kind", limit=60)
            amount = self.decimal(where, row, "amount", money=True, minimum=0)
            reason = self.text(where, row, "reason", limit=500)
            approver = self.text(where, row, "approved_by", required=False, limit=254)
            if None in (period, person, kind, amount, reason, approver):
                continue
            db.session.add(
                OneOffAwardGrant(
                    tenant_id=self.tenant.id,
                    period_id=period.id,
                    person_id=person.id,
                    kind=kind,
                    amount=amount,
                    reason=reason,
                    approved_by_label=approver,
                )
            )
            n += 1
        self.counts["awards"] = n

    def make_transactions(self) -> None:
        from jili.inputs.services.transactions import COLUMNS, import_transaction_rows

        rows, wheres = [], []
        for where, row in self.entries("transactions"):
            ext = row.get("external_id")
            where = f"{where} ({ext})" if isinstance(ext, str) else where
            self.known(where, row, COLUMNS)
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
                    self.err(where, _('%(key)s: write amounts as text, e.g. "1250.50".', key=key))
                elif isinstance(value, int | str):
                    out[key] = str(value)
                else:
                    self.err(where, _("%(key)s has an unexpected value.", key=key))
            rows.append(out)
            wheres.append(where)
        if self.errors or not rows:
            self.counts["transactions"] = 0
            return
        outcome = import_transaction_rows(
            self.tenant, rows, source=self.source or "tenant file", first_row=1
        )
        for e in outcome.errors:
            where = wheres[e.row - 1] if e.row and 0 < e.row <= len(wheres) else "transactions"
            self.err(where, f"{e.column}: {e.message}" if e.column else e.message)
        self.counts["transactions"] = outcome.created
