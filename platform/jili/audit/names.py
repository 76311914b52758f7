"""Names for the ids and codes an audit entry stores, looked up when the log is read
(one query per kind of object for a whole page)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from jili.accounts.models import Invitation, Membership, User
from jili.audit.models import AuditLog
from jili.audit.sentences import LEVEL_LABELS, Sentence, SettingKey, flatten, label, sentence
from jili.extensions import db
from jili.i18n import setting_value
from jili.incentives.models import CalculationRun, Plan, PlanVersion
from jili.org.models import Person, Team
from jili.periods.models import Period
from jili.schemes import get_registry

#: Stored field name → the kind of object its ids name.
ID_KINDS = {
    "team_id": "team",
    "parent_id": "team",
    "pilot_team_ids": "team",
    "team_ids": "team",
    "person_id": "person",
    "manager_id": "person",
    "mentor_id": "person",
    "person_ids": "person",
    "period_id": "period",
    "effective_period_id": "period",
}
MODELS = {"team": Team, "person": Person, "period": Period}
#: Object type → how a reader calls one when it has no name.
NOUNS = {
    "Tenant": _l("the company"),
    "Period": _l("the periods"),
    "Person": _l("people"),
    "MetricValue": _l("KPI values"),
    "SalesTarget": _l("sales targets"),
    "TargetMetric": _l("a target metric"),
    "TargetPublication": _l("the publication of targets"),
    "Transaction": _l("transactions"),
    "FeedbackThread": _l("a feedback message"),
    "LetterTemplate": _l("the responsibility letter template"),
    "ResponsibilityLetter": _l("a responsibility letter"),
    "AdjustmentRequest": _l("a target adjustment request"),
    "AdjustmentSetting": _l("the target adjustment rule"),
    "CalendarDay": _l("the working-day calendar"),
    "AlertRule": _l("an alert rule"),
    "Alert": _l("an alert"),
    "ImprovementPlan": _l("an improvement plan"),
    "NotificationPreference": _l("e-mail notifications"),
}


def _ints(values: Iterable[Any]) -> set[int]:
    return {int(v) for v in values if isinstance(v, int) or (isinstance(v, str) and v.isdigit())}


def _load(model, tenant_id: int, ids: set[int], attr: str = "name") -> dict[int, Any]:
    if not ids:
        return {}
    rows = db.session.scalars(select(model).where(model.tenant_id == tenant_id, model.id.in_(ids)))
    return {r.id: (getattr(r, attr) if attr else r) for r in rows}


class Names:
    """Everything a page of audit entries names, loaded at once."""

    def __init__(self, tenant_id: int, rows: list[AuditLog]):
        self.tenant_id = tenant_id
        self.schemes = get_registry().all()
        wanted: dict[str, set] = defaultdict(set)
        by_type: dict[str, set] = defaultdict(set)
        for row in rows:
            by_type[row.object_type].add(row.object_id)
            for data in (row.before or {}, row.after or {}):
                for key, value in flatten(data, lambda s: {}).items():
                    if key in ID_KINDS:
                        wanted[ID_KINDS[key]].update(value if isinstance(value, list) else [value])
        wanted["team"] |= _ints(by_type["Team"])
        wanted["person"] |= _ints(by_type["Person"])
        wanted["period"] |= _ints(by_type["Period"])
        self.ids = {
            kind: _load(MODELS[kind], tenant_id, _ints(wanted[kind]))
            for kind in MODELS
            if kind != "period"  # periods are named by their label, just below
        }
        self.ids["period"] = _load(Period, tenant_id, _ints(wanted["period"]), "label")
        self.versions = _load(PlanVersion, tenant_id, _ints(by_type["PlanVersion"]), "")
        plan_ids = _ints(by_type["Plan"]) | {v.plan_id for v in self.versions.values()}
        self.plans = _load(Plan, tenant_id, plan_ids, "")
        self.runs = _load(CalculationRun, tenant_id, _ints(by_type["CalculationRun"]), "")
        self.run_periods = _load(
            Period, tenant_id, {r.period_id for r in self.runs.values()}, "label"
        )
        self.members = {
            m.id: name
            for m, name in db.session.execute(
                select(Membership, User.name)
                .join(User, User.id == Membership.user_id)
                .where(
                    Membership.tenant_id == tenant_id,
                    Membership.id.in_(_ints(by_type["Membership"])),
                )
            )
        }
        self.invitations = _load(Invitation, tenant_id, _ints(by_type["Invitation"]), "email")

    def __call__(self, key: str, value: Any) -> str | None:
        """The name behind a stored id or code, or None when it is not one."""
        if key == "scheme_key":
            scheme = self.schemes.get(str(value))
            return str(scheme.label) if scheme else None
        kind = ID_KINDS.get(key)
        if kind is None or isinstance(value, list):
            return None
        found = self.ids[kind].get(int(value)) if str(value).isdigit() else None
        return found if found is not None else _("(deleted)")

    def plan_of(self, row: AuditLog) -> Plan | None:
        oid = int(row.object_id) if (row.object_id or "").isdigit() else None
        if row.object_type == "PlanVersion" and oid in self.versions:
            return self.plans.get(self.versions[oid].plan_id)
        return self.plans.get(oid) if row.object_type == "Plan" else None

    def what(self, row: AuditLog) -> str:
        """The object by name: current name first, then the one the entry kept."""
        oid = int(row.object_id) if (row.object_id or "").isdigit() else None
        data = {**(row.before or {}), **(row.after or {})}
        current = {
            "Team": lambda: self.ids["team"].get(oid),
            "Person": lambda: self.ids["person"].get(oid),
            "Period": lambda: self.ids["period"].get(oid),
            "Membership": lambda: self.members.get(oid),
            "Invitation": lambda: self.invitations.get(oid),
            "CalculationRun": lambda: self.run_periods.get(
                getattr(self.runs.get(oid), "period_id", None)
            ),
            "Plan": lambda: getattr(self.plan_of(row), "name", None),
            "PlanVersion": lambda: getattr(self.plan_of(row), "name", None),
            "Tenant": lambda: data.get("name"),
        }.get(row.object_type, lambda: None)()
        if current:
            return str(current)
        for key in ("name", "email", "label", "period", "copy_name"):
            if data.get(key):
                return str(data[key])
        noun = NOUNS.get(row.object_type)
        return str(noun) if noun is not None else _("an entry")

    def settings_words(self, row: AuditLog):
        """A function flattening this entry's plan settings by its scheme's labels."""
        plan = self.plan_of(row)
        key = (row.after or {}).get("scheme_key") or getattr(plan, "scheme_key", None)
        scheme = self.schemes.get(key) if key else None
        fields = {f.name: f for f in scheme.settings_fields} if scheme else {}

        def words(settings: dict) -> dict:
            out: dict[SettingKey, Any] = {}
            for name, value in settings.items():
                f = fields.get(name)
                if f is None:
                    out[SettingKey(label(name))] = value
                else:
                    out.update(_setting_words(f, value))
            return out

        return words


def _bare(text: Any) -> str:
    """A field label without its unit: "Rate (%)" → "Rate"."""
    return str(text).removesuffix(" (%)").removesuffix("（%）").removesuffix("(%)").strip()


def _shown(f, value: Any) -> Any:
    if value is None or value == "":
        return None
    if f.kind == "percent":
        return f"{setting_value(value)} %"
    if f.kind in ("decimal", "int"):
        return setting_value(value)
    if f.kind == "choice":
        return str(dict(f.choices).get(value, value))
    return value


def _setting_words(f, value: Any) -> dict[SettingKey, Any]:
    text = str(f.label)
    out: dict[SettingKey, Any] = {}
    if f.kind == "bands" and isinstance(value, list):
        vf = f.fields[1]
        for row in value:
            start = row.get("from_pct")
            key = SettingKey(_("%(field)s from %(start)s %%", field=_bare(vf.label), start=start))
            out[key] = _shown(vf, row.get(f.value_name))
    elif f.kind == "records" and isinstance(value, list):
        for i, row in enumerate(value, 1):
            for sub in f.fields:
                out[SettingKey(f"{text} {i} · {sub.label}")] = _shown(sub, row.get(sub.name))
    elif f.kind == "decimal_map" and isinstance(value, dict):
        for k, v in value.items():
            out[SettingKey(f"{text} · {LEVEL_LABELS.get(k, k)}")] = v
    else:
        out[SettingKey(text, f.name)] = _shown(f, value)
    return out


def who(row: AuditLog) -> str:
    if row.actor is not None:
        return row.actor.name or row.actor.email
    if row.actor_label and row.actor_label != "system":
        return row.actor_label
    return _("The system")


def read(tenant_id: int, rows: list[AuditLog]) -> list[tuple[AuditLog, Sentence]]:
    """Each entry with its sentence, in the reader's language."""
    names = Names(tenant_id, rows)
    return [
        (
            row,
            sentence(
                row.action,
                who(row),
                names.what(row),
                row.before,
                row.after,
                names,
                names.settings_words(row),
            ),
        )
        for row in rows
    ]
