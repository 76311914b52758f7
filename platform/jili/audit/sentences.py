"""Audit entries as sentences a person can read, in the reader's language.

Entries keep what happened as data (action, object, before/after); the words are
made when the log is read, so a reader in Taipei and one in Shanghai each read
their own language. :data:`SENTENCES` holds one sentence per action; an action
without one reads as the generic sentence.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

from jili.i18n import KIND_LABELS, LANGUAGES, LEVEL_LABELS, ROLE_LABELS, STATUS_LABELS

#: Action → sentence. ``%(who)s`` is the person who acted, ``%(what)s`` the object
#: by name; other placeholders are keys of the entry's after (or before) data.
SENTENCES: dict[str, Any] = {
    "settings.update": _l("%(who)s changed the company settings"),
    "tenant.create": _l("%(who)s created the company %(what)s"),
    "tenant.status": _l("%(who)s changed the company's status"),
    "tenant.export": _l("%(who)s exported the company's configuration"),
    "tenant.import": _l("%(who)s loaded the company's configuration from a file"),
    "tenant.demo_logins": _l("%(who)s created demo logins"),
    "periods.generate": _l("%(who)s created the periods of %(year)s"),
    "periods.generate_weeks": _l("%(who)s created the weeks of %(what)s"),
    "period.status": _l("%(who)s changed the status of %(what)s"),
    "period.reopen": _l("%(who)s reopened %(what)s"),
    "scheme.enable": _l("%(who)s enabled the scheme module %(scheme_key)s"),
    "scheme.disable": _l("%(who)s disabled the scheme module %(scheme_key)s"),
    "budget.update": _l("%(who)s changed the incentive budget"),
    "plan.create": _l("%(who)s created the plan %(what)s"),
    "plan.version": _l("%(who)s proposed a change to the plan %(what)s"),
    "plan.approve": _l("%(who)s approved version %(number)s of the plan %(what)s"),
    "plan.reject": _l("%(who)s rejected version %(number)s of the plan %(what)s"),
    "plan.withdraw": _l("%(who)s withdrew the proposed version %(number)s of the plan %(what)s"),
    "plan.self_approval": _l("%(who)s changed who may approve plan changes"),
    "plan.pilot": _l("%(who)s set up a pilot of the plan %(what)s"),
    "plan.update": _l("%(who)s changed the plan %(what)s"),
    "plan.copy": _l("%(who)s copied the plan %(what)s"),
    "run.calculate": _l("%(who)s calculated %(period)s"),
    "run.pilot": _l("%(who)s ran a pilot of %(plan)s for %(period)s"),
    "run.export": _l("%(who)s exported the calculation of %(period)s"),
    "team.create": _l("%(who)s created the team %(what)s"),
    "team.update": _l("%(who)s changed the team %(what)s"),
    "team.delete": _l("%(who)s deleted the team %(what)s"),
    "person.create": _l("%(who)s added %(what)s"),
    "person.update": _l("%(who)s changed the details of %(what)s"),
    "person.link": _l("%(who)s linked %(what)s to the login %(user)s"),
    "person.unlink": _l("%(who)s unlinked %(what)s from their login"),
    "people.import": _l("%(who)s imported people from %(file)s"),
    "profit.set": _l("%(who)s entered the profit of %(period)s"),
    # responsibility letters and target adjustments
    "letter_template.update": _l("%(who)s changed the responsibility letter template"),
    "letter.issue": _l(
        "%(who)s issued version %(version)s of the responsibility letter of %(person_id)s "
        "for %(period_id)s"
    ),
    "letter.acknowledge": _l(
        "%(who)s acknowledged version %(version)s of the responsibility letter of "
        "%(person_id)s for %(period_id)s"
    ),
    "adjustment.request": _l(
        "%(who)s asked to change the %(target)s target of %(person_id)s for %(period_id)s"
    ),
    "adjustment.review": _l(
        "%(who)s checked the data of a request to change the %(target)s target of %(person_id)s"
    ),
    "adjustment.approve": _l(
        "%(who)s approved changing the %(target)s target of %(person_id)s for %(period_id)s"
    ),
    "adjustment.reject": _l(
        "%(who)s rejected a request to change the %(target)s target of %(person_id)s"
    ),
    "adjustment.team_request": _l(
        "%(who)s asked to change the %(target)s target of the team %(team_id)s for %(period_id)s"
    ),
    "adjustment.team_review": _l(
        "%(who)s checked the data of a request to change the %(target)s target of the team "
        "%(team_id)s"
    ),
    "adjustment.team_approve": _l(
        "%(who)s approved changing the %(target)s target of the team %(team_id)s for %(period_id)s"
    ),
    "adjustment.team_reject": _l(
        "%(who)s rejected a request to change the %(target)s target of the team %(team_id)s"
    ),
    "adjustment.rule": _l("%(who)s changed how far a target may move without a director"),
    "award.grant": _l("%(who)s granted an award to %(person_id)s"),
    "award.delete": _l("%(who)s withdrew an award of %(person_id)s"),
    "metrics.import": _l("%(who)s imported KPI values from %(source)s"),
    "targets.import": _l("%(who)s imported sales targets from %(source)s"),
    "transactions.import": _l("%(who)s imported transactions from %(source)s"),
    "facts.rebuild": _l("%(who)s recomputed the sales facts from the credited sales"),
    "member.invite": _l("%(who)s invited %(email)s as %(role)s"),
    "member.join": _l("%(who)s joined the company as %(role)s"),
    "member.role": _l("%(who)s changed the role of %(what)s"),
    "member.revoke": _l("%(who)s removed %(email)s from the company"),
    "member.invite_renew": _l("%(who)s sent a new invitation link to %(email)s"),
    "member.invite_revoke": _l("%(who)s withdrew the invitation of %(email)s"),
    "feedback.answer": _l("%(who)s answered a feedback message"),
    "feedback.close": _l("%(who)s closed a feedback message"),
    "feedback.settings": _l("%(who)s changed the feedback settings"),
    "feedback.link": _l("%(who)s renewed the public feedback link"),
    "kpi.create": _l("%(who)s added the KPI %(name)s to the library"),
    "kpi.update": _l("%(who)s changed a KPI of the library"),
    "level.create": _l("%(who)s added the level %(name)s"),
    "person.level": _l("%(who)s changed the evaluation level of %(what)s"),
    "kpi_set.create": _l("%(who)s set up a KPI set"),
    "kpi_set.update": _l("%(who)s changed a KPI set"),
    "kpi_set.copy": _l("%(who)s copied a KPI set to %(to_company)s"),
    "rating_bands.update": _l("%(who)s changed the rating bands"),
    "scorecards.generate": _l("%(who)s created or refreshed the scorecards of %(period_id)s"),
    "scorecard.enter": _l("%(who)s entered KPI values on the scorecard of %(person_id)s"),
    "rating.adjust": _l("%(who)s changed the rating of %(person_id)s"),
    # the evaluation cycle
    "evaluation_cycle.settings": _l("%(who)s changed the evaluation deadlines"),
    "evaluation_cycle.start": _l("%(who)s started the evaluation cycle of %(period)s"),
    "evaluation_cycle.advance": _l("%(who)s closed a step of the evaluation of %(period)s"),
    "evaluation_cycle.publish": _l("%(who)s published the evaluation results of %(period)s"),
    "evaluation_cycle.finalise": _l("%(who)s made the evaluation results of %(period)s final"),
    "evaluation_cycle.reopen": _l(
        "%(who)s reopened a step of the evaluation of %(period)s: %(reason)s"
    ),
    "scorecard.self_assess": _l("%(who)s submitted the self-assessment of %(person_id)s"),
    "scorecard.manager_score": _l("%(who)s scored the scorecard of %(person_id)s"),
    "scorecard.evidence": _l("%(who)s attached %(file)s to the scorecard of %(person_id)s"),
    "scorecard.appeal_upheld": _l(
        "%(who)s changed a score of %(person_id)s after an appeal: %(reason)s"
    ),
    "target.change": _l("%(who)s set the %(metric)s target of %(period)s"),
    "target.delete": _l("%(who)s removed a %(metric)s target"),
    "targets.split": _l("%(who)s split the %(metric)s target of %(period)s"),
    "targets.publish": _l("%(who)s published the targets of %(period)s"),
    "target_metric.save": _l("%(who)s saved the target metric %(name)s"),
    "calendar.day_set": _l("%(who)s listed %(day)s in the working-day calendar"),
    "calendar.day_remove": _l("%(who)s removed %(day)s from the working-day calendar"),
    "calendar.china_defaults": _l("%(who)s listed mainland China's holidays of %(year)s"),
    "alert_rule.create": _l("%(who)s added an alert rule"),
    "alert_rule.update": _l("%(who)s changed an alert rule"),
    "alert_rule.delete": _l("%(who)s removed an alert rule"),
    "alert.raise": _l("%(who)s raised an alert for %(person_id)s"),
    "alert.withdraw": _l(
        "The alert for %(person_id)s of %(period_id)s was withdrawn: its rule no longer holds"
    ),
    "improvement_plan.submit": _l("%(who)s wrote an improvement plan"),
    "improvement_plan.update": _l("%(who)s changed an improvement plan"),
    "improvement_plan.late": _l("%(who)s reported a late improvement plan of %(person_id)s"),
    "notifications.email": _l("%(who)s changed their e-mail notifications"),
    "appeal.raise": _l("%(who)s raised appeal #%(case)s about %(person_id)s in %(period_id)s"),
    "appeal.reply": _l("%(who)s wrote on appeal #%(case)s"),
    "appeal.uphold": _l("%(who)s upheld appeal #%(case)s of %(person_id)s"),
    "appeal.reject": _l("%(who)s rejected appeal #%(case)s of %(person_id)s"),
    "appeal.settings": _l("%(who)s changed how many working days appeals are answered in"),
    "pay_correction.create": _l(
        "%(who)s added a pay correction of %(amount)s for %(person_id)s in %(period_id)s"
    ),
    "scorecard.appeal": _l("%(who)s changed the scorecard of %(person_id)s after appeal #%(case)s"),
    "improvement_plan.open": _l("%(who)s opened an improvement plan for %(person_id)s"),
    "improvement_plan.second_evaluation": _l(
        "%(who)s recorded the second evaluation of the improvement plan of %(person_id)s"
    ),
    "promotion_streak.update": _l("%(who)s changed how many ratings make a promotion"),
    "promotion_list.export": _l("%(who)s downloaded the promotion list"),
    "review.export": _l("%(who)s downloaded the period review of %(span)s"),
}

#: Stored field name → what a person calls it.
FIELD_LABELS: dict[str, Any] = {
    "name": _l("Name"),
    "currency": _l("Currency"),
    "locale": _l("Language"),
    "timezone": _l("Time zone"),
    "fiscal_year_start_month": _l("Fiscal year starts in month"),
    "status": _l("Status"),
    "reason": _l("Reason"),
    "baseline": _l("Baseline"),
    "challenge": _l("Challenge"),
    "metric": _l("Metric"),
    "target_basis": _l("Measured against"),
    "role": _l("Role"),
    "email": _l("E-mail"),
    "kind": _l("Kind"),
    "parent_id": _l("Parent team"),
    "team_id": _l("Team"),
    "manager_id": _l("Manager"),
    "mentor_id": _l("Mentor"),
    "person_id": _l("Person"),
    "period_id": _l("Period"),
    "period": _l("Period"),
    "measured": _l("What the rule measured"),
    "employee_no": _l("Employee no."),
    "level": _l("Level"),
    "hire_date": _l("Hire date"),
    "base_salary": _l("Base salary"),
    "amount": _l("Amount"),
    "note": _l("Note"),
    "priority": _l("Priority"),
    "scheme_key": _l("Scheme module"),
    "number": _l("Version"),
    "effective_from": _l("In force from"),
    "effective_period": _l("In force from"),
    "is_pilot": _l("Pilot"),
    "pilot_team_ids": _l("Pilot teams"),
    "team_ids": _l("Teams"),
    "person_ids": _l("People"),
    "levels": _l("Levels"),
    "total": _l("Total"),
    "total_in_force": _l("Total in force"),
    "total_pilot": _l("Total of the pilot"),
    "lines": _l("Lines"),
    "budget_applied": _l("Budget ceiling applied"),
    "budget_amount": _l("Budget"),
    "budget_pct_of_revenue": _l("Budget as a share of revenue"),
    "ceiling_month_amount": _l("Month’s budget ceiling"),
    "ceiling_month_pct": _l("Month’s budget ceiling as a share of revenue"),
    "ceiling_quarter_amount": _l("Quarter’s budget ceiling"),
    "ceiling_quarter_pct": _l("Quarter’s budget ceiling as a share of revenue"),
    "ceiling_year_amount": _l("Year’s budget ceiling"),
    "ceiling_year_pct": _l("Year’s budget ceiling as a share of revenue"),
    "ceiling_week_amount": _l("Week’s budget ceiling"),
    "ceiling_week_pct": _l("Week’s budget ceiling as a share of revenue"),
    "budget_cut_confirmed": _l("Budget cut of more than half confirmed"),
    "budget_rule": _l("Budget rule"),
    "release_from_attainment_pct": _l("Released from attainment (%)"),
    "release_pct": _l("Released (%)"),
    "created": _l("New"),
    "updated": _l("Changed"),
    "unchanged": _l("Unchanged"),
    "file": _l("File"),
    "source": _l("File"),
    "format": _l("Format"),
    "copy_name": _l("Copy"),
    "deadline_days": _l("Answer within (days)"),
    "aggregate_threshold": _l("Summary from (messages)"),
    "consultant_access": _l("Consultants may read"),
    "approved_by_label": _l("Approved by"),
    "proposed_by": _l("Proposed by"),
    "self_approved": _l("Approved by its own author"),
    "plan_self_approval": _l("One person may propose and approve plan changes"),
    "logins": _l("Logins"),
    "weeks": _l("Weeks"),
    "year": _l("Year"),
    "slug": _l("Web address"),
    "enabled": _l("Enabled"),
    "mailed": _l("Sent by mail"),
    "user": _l("Login"),
    "code": _l("Code"),
    "category": _l("Category"),
    "unit": _l("Unit"),
    "higher_is_better": _l("Higher is better"),
    "formula": _l("Formula"),
    "data_source": _l("Data source"),
    "default_target": _l("Default target"),
    "cap": _l("Score cap"),
    "items": _l("KPIs and weights"),
    "kpi": _l("KPI"),
    "weight": _l("Weight"),
    "target": _l("Target"),
    "rating": _l("Rating"),
    "bands": _l("Rating bands"),
    "count": _l("Scorecards"),
    "missing": _l("People without a KPI set"),
    "to_company": _l("Client company"),
    "title": _l("Title"),
    "opening": _l("Opening paragraph"),
    "support": _l("Support resources"),
    "authority": _l("Authority limits"),
    "closing": _l("Closing paragraph"),
    "acknowledge_days": _l("Acknowledge within (days)"),
    "version": _l("Version"),
    "old_value": _l("Old value"),
    "new_value": _l("New value"),
    "needs_director": _l("Needs a director"),
    "limit_pct": _l("Change allowed without a director (± %)"),
    "day": _l("Day"),
    "days": _l("Days"),
    "working": _l("Working day"),
    "provisional": _l("Provisional"),
    "threshold": _l("Threshold"),
    "measure": _l("Measure"),
    "periods": _l("Consecutive periods"),
    "period_kind": _l("Period kind"),
    "plan_days": _l("Improvement plan within (working days)"),
    "active": _l("Active"),
    "actions": _l("Actions"),
    "follow_up_date": _l("Follow-up date"),
    "due": _l("Due"),
    "late": _l("Late"),
    "second_rating": _l("Rating at the second evaluation"),
    "second_outcome": _l("Outcome"),
    "second_note": _l("Note"),
    "second_evaluated_on": _l("Second evaluation on"),
    "promotion_streak": _l("Consecutive ratings for promotion"),
    "streak": _l("Consecutive ratings for promotion"),
    "span": _l("Quarter or half-year"),
    "sheets": _l("Sheets"),
    "rows": _l("Rows"),
}

#: Data kept for machines, never shown.
HIDDEN = frozenset(
    {"fingerprint", "changes", "approved_by_id", "run", "plan", "pilot_version", "link"}
)
#: Words for stored codes, by field name.
#: Built-in target metric codes (jili.targets); a company's own metric reads as its code.
METRIC_WORDS = {
    "revenue": _l("Revenue"),
    "collected": _l("Collected cash"),
    "margin": _l("Margin"),
    "new_customers": _l("New customers"),
    "deals": _l("Deals"),
    "visits": _l("Visits"),
}

CODE_WORDS: dict[str, Mapping[str, Any]] = {
    "metric": METRIC_WORDS,
    "target_basis": {
        "baseline": _l("the baseline target"),
        "challenge": _l("the challenge target (the baseline where none is set)"),
    },
    "status": STATUS_LABELS,
    "role": ROLE_LABELS,
    "kind": KIND_LABELS,
    "level": LEVEL_LABELS,
    "locale": LANGUAGES,
    "category": {"result": _l("Result"), "process": _l("Process")},
    "second_outcome": {"improved": _l("Improved"), "not_improved": _l("Not improved")},
    "data_source": {
        "transactions": _l("From transactions (credited revenue)"),
        "targets": _l("From the published target and its actual"),
        "entered": _l("Entered by hand"),
    },
}
MAX_DETAILS = 8

Namer = Callable[[str, Any], str | None]


@dataclass
class Sentence:
    """One audit entry in words: the sentence and its changes or facts."""

    text: str
    details: list[str] = field(default_factory=list)
    more: str = ""


def label(key: str) -> str:
    if key in FIELD_LABELS:
        return str(FIELD_LABELS[key])
    return key.removesuffix("_id").removesuffix("_ids").replace("_", " ").capitalize()


def word(key: str, value: Any, names: Namer) -> str:
    """A stored value as a reader sees it: names for ids, words for codes, — for none."""
    if value is None or value == "" or value == [] or value == {}:
        return "—"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    named = names(key, value)
    if named is not None:
        return named
    if key in CODE_WORDS and str(value) in CODE_WORDS[key]:
        return str(CODE_WORDS[key][str(value)])
    if isinstance(value, list):
        return ", ".join(word(key, v, names) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{label(k)} {word(k, v, names)}" for k, v in value.items())
    return str(value)


def flatten(data: Mapping[str, Any], settings_words: Callable[[dict], dict]) -> dict[str, Any]:
    """Nested data as ``{label key: value}``; plan settings by the scheme's own labels."""
    flat: dict[str, Any] = {}
    for key, value in data.items():
        if key in HIDDEN:
            continue
        if key == "settings" and isinstance(value, dict):
            flat.update(settings_words(value))
        elif key == "eligibility" and isinstance(value, dict):
            flat.update({k: v for k, v in value.items()})
        else:
            flat[key] = value
    return flat


def details(
    before: Mapping | None,
    after: Mapping | None,
    names: Namer,
    settings_words: Callable[[dict], dict],
) -> list[str]:
    """``Label: before → after`` for each change, or ``Label: value`` for a new or
    removed object's facts."""
    old = flatten(before or {}, settings_words)
    new = flatten(after or {}, settings_words)
    if before and after:
        keys = [k for k in dict.fromkeys([*old, *new]) if old.get(k) != new.get(k)]
        return [
            f"{_label_of(k)}: {word(_key_of(k), old.get(k), names)} → "
            f"{word(_key_of(k), new.get(k), names)}"
            for k in keys
        ]
    facts = {k: v for k, v in (new or old).items() if v not in (None, "", [], {}, False)}
    if "effective_period" in facts:
        facts.pop("effective_from", None)
    return [f"{_label_of(k)}: {word(_key_of(k), v, names)}" for k, v in facts.items()]


def _label_of(key: Any) -> str:
    return key.text if isinstance(key, SettingKey) else label(key)


def _key_of(key: Any) -> str:
    return key.field if isinstance(key, SettingKey) else key


@dataclass(frozen=True)
class SettingKey:
    """A scheme setting in a flattened change list: its reader's label and the
    field name (for words of its values)."""

    text: str
    field: str = "setting"


def sentence(
    action: str,
    who: str,
    what: str,
    before: Mapping | None,
    after: Mapping | None,
    names: Namer,
    settings_words: Callable[[dict], dict],
) -> Sentence:
    """The entry as a sentence; an unknown action, or one whose data lacks a word
    its sentence needs, reads as the generic sentence."""
    data = {**(before or {}), **(after or {})}
    params = {k: word(k, v, names) for k, v in data.items() if not isinstance(v, dict | list)}
    params.update(who=who, what=what)
    template = SENTENCES.get(action)
    try:
        text = str(template) % params if template is not None else None
    except (KeyError, ValueError, TypeError):
        text = None
    if text is None:
        text = _("%(who)s: %(action)s on %(what)s", who=who, action=action, what=what)
    lines = details(before, after, names, settings_words)
    more = ""
    if len(lines) > MAX_DETAILS:
        extra = len(lines) - MAX_DETAILS
        more = ngettext("and %(num)d more", "and %(num)d more", extra)
        lines = lines[:MAX_DETAILS]
    return Sentence(text=text, details=lines, more=more)
